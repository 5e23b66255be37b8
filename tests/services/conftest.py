"""Fixtures shared by the service tests: one small previz film, shot once per session, copied for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storyreel.services.film import new_film, open_film
from storyreel.services.plan import plan_film
from storyreel.services.shoot import shoot
from tests.conftest import small_profile
from tests.fakes.ark import make_app
from tests.fakes.server import FakeClock, serve


def make_shot_film(root: Path, *, takes: int = 2) -> Path:
    """The zh scaffold (1A–1D), planned and shot with previz at a tiny size."""
    new_film(root, language="zh", title="测试片")
    small_profile(root, width=160, height=90, fps=12)
    with open_film(root) as film:
        plan_film(film)
        shoot(film, takes=takes)
    return root


@pytest.fixture(scope="session")
def shot_template(tmp_path_factory) -> Path:
    return make_shot_film(tmp_path_factory.mktemp("tpl") / "film")


@pytest.fixture
def shot(shot_template: Path, tmp_path: Path):
    """A fresh copy of the shot film for each test (copying beats re-rendering)."""
    root = Path(shutil.copytree(shot_template, tmp_path / "film"))
    with open_film(root) as film:
        yield film


@pytest.fixture(scope="module")
def ark():
    """The Ark (Volcengine) fake on a loopback port, for one test module: (base URL, fake)."""
    app, fake = make_app(clock=FakeClock())
    with serve(app) as url:
        yield url, fake
