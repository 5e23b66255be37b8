"""The continuity commands from the shell: chain (with the drift warning), grab --to, keyframe --upload/--approve,
keyframes, and clean one-line failures for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from storyreel.cli.app import app
from storyreel.services.film import open_film
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.shoot import shoot
from tests.cli.test_bad_input import assert_clean_failure
from tests.conftest import small_profile


@pytest.fixture
def planned(film_dir: Path) -> tuple[Path, list[str]]:
    small_profile(film_dir, width=160, height=90, fps=12)
    with open_film(film_dir) as f:
        plan_film(f)
        codes = [s.code for s in list_shots(f)]
    return film_dir, codes


def _run(film_dir: Path, *args: str):
    result = CliRunner().invoke(app, ["--film", str(film_dir), "--lang", "en", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_chain_and_drift_warning(planned) -> None:
    film_dir, (a, b, c, d) = planned
    out = _run(film_dir, "chain", b, "--from", f"{a}@4.2s")
    assert f"{b} starts from {a}@4.2s" in out and "generations" not in out
    _run(film_dir, "chain", c, "--from", f"{b}@last")
    out = _run(film_dir, "chain", d, "--from", f"{c}@96f", "--end-from", f"{a}@first")
    assert f"ends on {a}@first" in out and "3 generations" in out
    assert "3 generations" in _run(film_dir, "keyframes", d)
    assert "no longer chained" in _run(film_dir, "chain", d, "--clear")


def test_grab_upload_approve_and_list(planned, tmp_path: Path) -> None:
    film_dir, (a, b, *_) = planned
    with open_film(film_dir) as f:
        shoot(f, takes=1, shots=[a])
    out = _run(film_dir, "grab", f"{a}-t001@1s", "--to", b)
    assert f"{b}@k1: {a}-t001 frame 12" in out and f"{b} now starts from" in out
    png = tmp_path / "mine.png"
    Image.new("RGB", (48, 27), (9, 9, 9)).save(png, format="PNG")
    assert f"keyframe {a}@k1 (48x27)" in _run(film_dir, "keyframe", a, "--upload", str(png))
    assert f"{a}@k1 approved" in _run(film_dir, "keyframe", a, "--approve", "1")
    listing = _run(film_dir, "keyframes", b)
    assert "grab" in listing and f"{a}-t001 frame 12" in listing and "✓" in listing


def test_grab_says_when_it_read_the_normalised_copy(planned, tmp_path: Path) -> None:
    """A one-GOP take, landed: a grab deep in it reads the normalised copy and says so; --exact does not."""
    from storyreel.media.ffmpeg import run_ffmpeg
    from storyreel.services.keyframes import upload
    from storyreel.services.landing import ensure_take_media

    film_dir, (a, *_) = planned
    clip = tmp_path / "one-gop.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=12:duration=4", "-c:v", "libx264", "-g", "300",
                "-pix_fmt", "yuv420p", str(clip)], output=clip)
    with open_film(film_dir) as f:
        label = upload(f, a, clip)
        ensure_take_media(f, label)
    assert "normalised copy" in _run(film_dir, "grab", f"{label}@last")
    assert "normalised copy" not in _run(film_dir, "grab", f"{label}@last", "--exact")
    assert "normalised copy" not in _run(film_dir, "grab", f"{label}@first")


@pytest.mark.parametrize(("args", "message"), [
    (("chain", "1B", "--from", "1A@soon"), "the frame must be first, last"),
    (("chain", "1B", "--from", "9Z@last"), "No shot 9Z"),
    (("grab", "1A-t001"), "write TAKE@FRAME"),
    (("edit", "1A@k1", "make it night"), "no keyframe k1"),
    (("keyframe", "1A", "--upload", "missing.png"), "No file at missing.png"),
])
def test_bad_input_is_a_bilingual_error(planned, args, message, monkeypatch) -> None:
    from storyreel.errors import StoryreelError

    film_dir, _ = planned
    monkeypatch.chdir(film_dir)
    result = CliRunner().invoke(app, ["--lang", "en", *args])
    assert isinstance(result.exception, StoryreelError) and message in result.exception.message
    assert result.exception.zh


def test_bad_input_from_the_shell_is_one_clean_line(planned) -> None:
    film_dir, _ = planned
    proc = subprocess.run([sys.executable, "-m", "storyreel", "chain", "1B", "--from", "1A@soon"], check=False,
                          cwd=film_dir,
                          capture_output=True, text=True, env={**os.environ, "STORYREEL_LANG": "en"}, timeout=120)
    assert_clean_failure(proc, "the frame must be first, last")
