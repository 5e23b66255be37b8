"""Fixtures shared by the media tests."""

from __future__ import annotations

import pytest

from storyreel.errors import MediaError
from storyreel.media.fonts import Font, cjk_font


@pytest.fixture(scope="session")
def font() -> Font:
    """The CJK font subtitles are burned with; the test is skipped on a machine without one."""
    try:
        return cjk_font()
    except MediaError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
