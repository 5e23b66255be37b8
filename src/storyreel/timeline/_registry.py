"""Which export formats exist: names, suffixes and modules, as data; a module is imported only when used.

Importing this registry imports no OpenTimelineIO, so ``storyreel --help`` stays fast. An adapter module is a
plain module with ``write_cut(cut, path)`` whose docstring says what the format drops (STYLE 10).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from storyreel.errors import StoryreelError


class UnknownFormat(StoryreelError):
    """An export format name or suffix that no adapter serves; the message lists the formats."""


class FormatUnavailable(StoryreelError):
    """The adapter exists but a package it needs is not installed; the message names the package."""


@dataclass(frozen=True)
class ExportFormat:
    name: str  # what the director types: storyreel export --to edl
    suffix: str  # the file suffix, with its dot
    module: str  # dotted path of the adapter module (imported lazily)
    label: str  # what it is and who reads it
    label_zh: str
    # True when the format carries dialogue as a subtitle (text) track an editor plays back. Where it does not,
    # services.export writes an SRT beside the file.
    subtitles: bool

    def load(self) -> ModuleType:
        """Import the adapter module; a missing dependency becomes ``FormatUnavailable`` naming what to install."""
        try:
            return importlib.import_module(self.module)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == "storyreel":
                raise  # our own module is missing: a bug, not an install step
            missing = exc.name or "opentimelineio"
            raise FormatUnavailable(
                f"Exporting {self.name} needs the Python package '{missing}', which is not installed. "
                "Install it with: pip install 'opentimelineio>=0.18.1,<0.19' otio-fcp-adapter otio-cmx3600-adapter",
                zh=f"导出 {self.name} 需要 Python 包 '{missing}'，但尚未安装。请运行："
                   "pip install 'opentimelineio>=0.18.1,<0.19' otio-fcp-adapter otio-cmx3600-adapter",
                format=self.name,
            ) from exc


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("otio", ".otio", "storyreel.timeline.otio",
                 "OpenTimelineIO, lossless; DaVinci Resolve imports it",
                 "OpenTimelineIO，无损；DaVinci Resolve 可直接导入", subtitles=False),
    ExportFormat("fcp7", ".xml", "storyreel.timeline.fcp7",
                 "Final Cut Pro 7 XML, for Adobe Premiere Pro",
                 "Final Cut Pro 7 XML，供 Adobe Premiere Pro 使用", subtitles=False),
    ExportFormat("edl", ".edl", "storyreel.timeline.edl",
                 "CMX 3600 EDL, one picture track, for any editor",
                 "CMX 3600 EDL，单一画面轨，几乎所有剪辑软件都能读", subtitles=False),
    # A folder, not a file: its "suffix" is "/", which no file name ends in, so format_for_path never picks it.
    ExportFormat("jianying", "/", "storyreel.timeline.jianying",
                 "JianYing (剪映) 5.9 draft folder, media copied in, subtitles as a text track",
                 "剪映 5.9 草稿文件夹，素材已复制到草稿内，字幕为文本轨", subtitles=True),
)}


def _listing(zh: bool = False) -> str:
    sep = "；" if zh else "; "
    if zh:
        return sep.join(f"{f.name}（{f.suffix}，{f.label_zh}）" for f in FORMATS.values())
    return sep.join(f"{f.name} ({f.suffix}, {f.label})" for f in FORMATS.values())


def find_format(name: str) -> ExportFormat:
    """The format called ``name`` ("edl") or with suffix ``name`` (".edl"), case-insensitively."""
    key = name.strip().lower()
    for f in FORMATS.values():
        if key in (f.name, f.suffix):
            return f
    raise UnknownFormat(
        f"Unknown export format '{name}'. Formats: {_listing()}.",
        zh=f"未知的导出格式“{name}”。可用格式：{_listing(zh=True)}。",
        format=name, formats=list(FORMATS),
    )


def format_for_path(path: Path | str) -> ExportFormat:
    """The format a file name asks for by its suffix (cut.edl → edl)."""
    suffix = Path(path).suffix
    if not suffix:
        raise UnknownFormat(
            f"Cannot tell the export format of '{path}': it has no suffix. Formats: {_listing()}.",
            zh=f"无法从“{path}”判断导出格式：文件名没有后缀。可用格式：{_listing(zh=True)}。",
            format=str(path), formats=list(FORMATS),
        )
    return find_format(suffix)


class UnsupportedRate(StoryreelError):
    """The format counts in SMPTE timecode and the cut's rate cannot be written exactly in any timecode rate."""


class ExportTooLong(StoryreelError):
    """The cut has more events than the format can number."""
