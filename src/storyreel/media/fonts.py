"""Find a font that can draw Chinese as well as English.

Pillow and libass both need a real font file; DejaVu (often the only font on a server) has no CJK glyphs, so
Chinese would render as empty boxes. We look, in order: ``STORYREEL_FONT`` (a file path), fontconfig's list of
fonts covering ``zh``, then well-known install paths. No font files are shipped in the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from storyreel.errors import MediaError

# Fallback paths for systems without fc-list, best first. The .ttc collections hold several faces; ``index``
# picks the Simplified Chinese one.
_KNOWN = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei", 0),
    ("/System/Library/Fonts/PingFang.ttc", "PingFang SC", 0),
    ("C:/Windows/Fonts/msyh.ttc", "Microsoft YaHei", 0),
]

INSTALL_HINT = (
    "No font that can draw Chinese was found. Install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk) "
    "or set STORYREEL_FONT=/path/to/font.ttf|.otf|.ttc."
)
INSTALL_HINT_ZH = (
    "找不到可以显示中文的字体。请安装一个（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk），"
    "或设置 STORYREEL_FONT=/字体/路径。"
)


@dataclass(frozen=True)
class Font:
    path: Path
    family: str  # the name libass / fontconfig knows it by
    index: int = 0  # face index inside a .ttc collection


def _from_fontconfig() -> Font | None:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file", "family", "index", "style"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    candidates: list[tuple[int, Font]] = []
    for row in out.splitlines():
        # "path: Family A,Family B:style=Regular:index=2" — the field order fc-list prints is fixed.
        path, _, rest = row.partition(": ")
        fields = dict(part.split("=", 1) for part in rest.split(":")[1:] if "=" in part)
        family_field = rest.split(":")[0]
        families = family_field.split(",")
        sc = next((f for f in families if f.endswith(" SC")), families[0])
        style = fields.get("style", "")
        index = int(fields.get("index", "0") or 0)
        rank = (0 if "Sans" in sc else 1) * 4 + (0 if sc.endswith(" SC") else 2) + (0 if "Regular" in style else 1)
        candidates.append((rank, Font(Path(path), sc.strip(), index)))
    candidates.sort(key=lambda c: (c[0], str(c[1].path)))
    return candidates[0][1] if candidates else None


@lru_cache(maxsize=1)
def cjk_font() -> Font:
    """The font for all on-screen text (captions, labels, subtitles). Raises ``MediaError`` with an install hint."""
    override = os.environ.get("STORYREEL_FONT")
    if override:
        p = Path(override)
        if not p.is_file():
            raise MediaError(f"STORYREEL_FONT points to {p}, which is not a file.", zh=f"STORYREEL_FONT 指向的 {p} 不是文件。")
        from PIL import ImageFont

        # libass matches by the family name inside the file, not the file name.
        family = ImageFont.truetype(str(p), 12).getname()[0]
        return Font(p, family, 0)
    found = _from_fontconfig()
    if found and found.path.is_file():
        return found
    for path, family, index in _KNOWN:
        if Path(path).is_file():
            return Font(Path(path), family, index)
    raise MediaError(INSTALL_HINT, zh=INSTALL_HINT_ZH)


def fonts_dir(font: Font, workdir: Path) -> Path:
    """A folder holding only ``font``, for libass's ``fontsdir``.

    libass reads every file in ``fontsdir`` into memory (and ffmpeg initialises the filter twice), so pointing it
    at the system's Noto folder would load ~90 MB of fonts per render; a link to the one file is enough.
    """
    folder = workdir / "fonts"
    folder.mkdir()
    link = folder / font.path.name
    try:
        link.symlink_to(font.path.resolve())
    except OSError:  # no symlinks (some Windows setups): a copy works too
        shutil.copyfile(font.path, link)
    return folder
