"""Writing through OpenTimelineIO's adapter plugins: a readable error when a plugin is missing, and the rate a
cut is written at in formats that count in SMPTE timecode."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from storyreel.timeline._registry import FormatUnavailable, UnsupportedRate


def write_timeline(timeline: otio.schema.Timeline, path: Path, *, adapter: str, package: str,
                   **options: object) -> Path:
    """Serialise ``timeline`` with the OTIO adapter ``adapter`` and write it to ``path`` as UTF-8.

    Writing the string ourselves (not ``otio.adapters.write_to_file``) keeps the encoding explicit and lets the
    caller hand us a temporary path whose suffix is not the format's.
    """
    if adapter not in otio.adapters.available_adapter_names():
        raise FormatUnavailable(
            f"OpenTimelineIO has no '{adapter}' adapter here. Install it with: pip install {package}",
            zh=f"OpenTimelineIO 缺少“{adapter}”适配器。请运行：pip install {package}",
            adapter=adapter, package=package,
        )
    text = otio.adapters.write_to_string(timeline, adapter_name=adapter, **options)
    path = Path(path)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="\n")
    return path


# Whole-number rates SMPTE timecode (and so OTIO's EDL and FCP7 XML writers) accept, from
# otio.opentime.RationalTime.is_valid_timecode_rate; checked against it at use.
TIMECODE_RATES = (24, 25, 30, 48, 50, 60)


def timecode_rate(fps: int, *, format_name: str) -> int:
    """The rate to write a ``fps`` cut at in a timecode format: ``fps`` itself, else its smallest whole multiple
    among the timecode rates (8 and 12 fps → 24, 15 → 30), so every frame maps to a whole number of frames."""
    for rate in TIMECODE_RATES:
        if rate % fps == 0 and otio.opentime.RationalTime.is_valid_timecode_rate(rate):
            return rate
    rates = ", ".join(map(str, TIMECODE_RATES))
    raise UnsupportedRate(
        f"{format_name} counts in SMPTE timecode ({rates} fps), and a {fps} fps cut cannot be written exactly at "
        f"any of those rates. Export otio instead, or set fps in film.toml to one of {rates}.",
        zh=f"{format_name} 使用 SMPTE 时间码（{rates} fps），{fps} fps 的剪辑无法在这些帧率下精确表示。"
           f"请改为导出 otio，或将 film.toml 中的 fps 设为 {rates} 之一。",
        fps=fps, format=format_name,
    )
