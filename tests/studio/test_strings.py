"""The studio's wording: both languages carry the same keys, and every ``t.key`` a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from storyreel.studio.strings import STRINGS, js_strings

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "storyreel" / "studio" / "templates"


def test_languages_have_the_same_keys_and_no_empty_strings() -> None:
    assert STRINGS["zh"].keys() == STRINGS["en"].keys()
    for lang, table in STRINGS.items():
        assert all(v.strip() for v in table.values()), lang


def test_every_key_a_template_uses_exists() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\.([a-z_0-9]+)", text))
        used |= {f"status_{s}" for s in ("planned", "shooting", "has_takes", "selected", "stale", "locked")} \
            if "t['status_' ~" in text else set()
    assert used, "no template strings found"
    missing = sorted(k for k in used if k not in STRINGS["en"])
    assert not missing, f"templates use unknown string keys: {missing}"


def test_chinese_is_chinese() -> None:
    assert STRINGS["zh"]["nav_board"] == "镜头板"
    assert js_strings("zh")["saved"] == "已保存" and js_strings("fr") == js_strings("en")
