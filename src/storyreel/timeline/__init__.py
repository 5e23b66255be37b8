"""Editorial hand-off: the cut as a neutral value, and adapters that write it for other editors.

    Cut(title, fps, clips, subtitles)         frames at one rate (STYLE 9); built by services.export
      ├── otio.write_cut   → .otio            lossless; DaVinci Resolve imports it
      ├── fcp7.write_cut   → .xml             FCP7 XML for Premiere Pro; drops metadata, subtitles become markers
      ├── edl.write_cut    → .edl             CMX 3600; one picture track, no subtitles, no audio
      └── jianying.write_cut → folder/        JianYing (剪映) 5.9 draft, media copied in; subtitles as text

Each adapter module's docstring lists what its format drops (STYLE 10). ``FORMATS`` is the registry, as data:
``find_format("edl")`` or ``find_format(".edl")`` gives an ``ExportFormat`` whose ``load()`` imports the module.
Nothing here imports OpenTimelineIO until an adapter is loaded, so the CLI starts fast. An unknown name raises
``UnknownFormat`` listing the formats that exist.
"""

from __future__ import annotations

from storyreel.timeline._cut import AudioClip, Clip, Cut, Subtitle
from storyreel.timeline._registry import (
    FORMATS,
    ExportFormat,
    ExportTooLong,
    FormatUnavailable,
    UnknownFormat,
    UnsupportedRate,
    find_format,
    format_for_path,
)


__all__ = [
    "FORMATS",
    "AudioClip",
    "Clip",
    "Cut",
    "ExportFormat",
    "ExportTooLong",
    "FormatUnavailable",
    "Subtitle",
    "UnknownFormat",
    "UnsupportedRate",
    "find_format",
    "format_for_path",
]
