"""Which language to talk to the director in: ``--lang``, else STORYREEL_LANG, else the system locale."""

from __future__ import annotations

import os

_lang: str | None = None


def set_lang(lang: str | None) -> None:
    global _lang
    _lang = lang


def lang() -> str:
    if _lang:
        return _lang
    for var in ("STORYREEL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def t(en: str, zh: str) -> str:
    """Pick the wording for the current language; both are always written side by side at the call site."""
    return zh if lang() == "zh" else en
