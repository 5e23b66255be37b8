"""Shared fixtures: films are scaffolded into tmp folders; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def film_dir(tmp_path: Path) -> Path:
    from storyreel.services.film import new_film

    return new_film(tmp_path / "film", language="zh", title="测试片")


@pytest.fixture
def film(film_dir: Path):
    from storyreel.services.film import open_film

    f = open_film(film_dir)
    yield f
    f.close()


def write_script(film_dir: Path, text: str) -> None:
    (film_dir / "script.fountain").write_text(text, encoding="utf-8")


def small_profile(film_dir: Path, *, width: int = 320, height: int = 180, fps: int = 12) -> None:
    """Tests render small: same code paths, a fraction of the time."""
    p = film_dir / "film.toml"
    text = p.read_text(encoding="utf-8")
    text = text.replace("width = 1280", f"width = {width}").replace("height = 720", f"height = {height}")
    text = text.replace("fps = 24", f"fps = {fps}")
    p.write_text(text, encoding="utf-8")
