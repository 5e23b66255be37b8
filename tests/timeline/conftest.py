from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.services.export import cut_for_export
from storyreel.services.film import open_film
from storyreel.timeline import Cut
from tests.timeline.filmkit import build_previz_film


@pytest.fixture(scope="session")
def previz_film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24 fps previz film, shot and selected; tests only read it. The folder name has a space, so media URLs
    must be percent-encoded to survive. (Not Chinese: the film database cannot open under a non-ASCII folder yet,
    a store/ bug; test_otio covers Chinese media paths with a hand-made cut.)"""
    return build_previz_film(tmp_path_factory.mktemp("timeline") / "night ferry", fps=24)


@pytest.fixture(scope="session")
def previz_cut(previz_film: Path) -> Cut:
    with open_film(previz_film) as film:
        return cut_for_export(film)
