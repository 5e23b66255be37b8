"""Bad input: one clear line on stderr naming the problem, a non-zero exit, no traceback, nothing lost."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import small_profile, write_script


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, limit_fsize: int | None = None):
    def preexec() -> None:
        if limit_fsize is not None:
            # A "full disk" for this process only: writes past the limit fail with EFBIG instead of killing it.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    full_env = {**os.environ, "STORYREEL_LANG": "en", **(env or {})}
    return subprocess.run([sys.executable, "-m", "storyreel", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env, timeout=300, preexec_fn=preexec)


def assert_clean_failure(proc, pattern: str) -> None:
    assert proc.returncode not in (0, 70), proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert pattern in lines[0], lines[0]


def snapshot(film_dir: Path) -> str:
    """Everything the database holds, as text: compare before/after a failing command."""
    db = film_dir / ".storyreel" / "state.db"
    if not db.exists():
        return ""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return json.dumps({t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}, default=str)
    finally:
        con.close()


def test_not_a_film_folder(tmp_path: Path) -> None:
    assert_clean_failure(run("plan", cwd=tmp_path), "is not a film folder")


def test_missing_film_folder(tmp_path: Path) -> None:
    assert_clean_failure(run("-C", str(tmp_path / "nope"), "shots", cwd=tmp_path), "does not exist")


def test_invalid_toml_names_file_and_line(film_dir: Path) -> None:
    (film_dir / "film.toml").write_text('[film]\ntitle = "x"\nfps = = 3\n', encoding="utf-8")
    assert_clean_failure(run("plan", cwd=film_dir), "film.toml:3: invalid TOML")


def test_invalid_value_names_file_line_and_key(film_dir: Path) -> None:
    text = (film_dir / "film.toml").read_text(encoding="utf-8").replace("fps = 24", "fps = 0")
    (film_dir / "film.toml").write_text(text, encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("fps"))
    assert_clean_failure(run("plan", cwd=film_dir), f"film.toml:{line}: profile.fps")


def test_malformed_fountain_reports_file_line(film_dir: Path) -> None:
    write_script(film_dir, "INT. 茶馆 - 夜\n\n林晓坐着。\n\n/* an unclosed boneyard\n\nmore\n")
    proc = run("plan", cwd=film_dir)
    assert_clean_failure(proc, "script.fountain:5:")
    assert snapshot(film_dir) in ("", snapshot(film_dir))


def test_unknown_provider_lists_the_known_ones(film_dir: Path) -> None:
    assert run("plan", cwd=film_dir).returncode == 0
    before = snapshot(film_dir)
    assert_clean_failure(run("shoot", "--provider", "sora9", cwd=film_dir), "Unknown provider 'sora9'. Available: ")
    assert snapshot(film_dir) == before  # no job was written


@pytest.mark.parametrize("args", [("select", "9Z"), ("takes", "9Z"), ("shoot", "--shots", "1A,9Z")])
def test_unknown_shot_code_lists_the_shots(film_dir: Path, args: tuple[str, ...]) -> None:
    assert run("plan", cwd=film_dir).returncode == 0
    before = snapshot(film_dir)
    assert_clean_failure(run(*args, cwd=film_dir), "No shot 9Z")
    assert snapshot(film_dir) == before


def test_csv_with_missing_columns(film_dir: Path) -> None:
    assert run("plan", cwd=film_dir).returncode == 0
    (film_dir / "bad.csv").write_text("code,framing\n1A,wide\n", encoding="utf-8")
    before = snapshot(film_dir)
    assert_clean_failure(run("shots", "import", "bad.csv", cwd=film_dir), "bad.csv:1: missing column(s) seconds")
    assert snapshot(film_dir) == before


def test_zh_messages_when_the_locale_is_chinese(tmp_path: Path) -> None:
    proc = run("plan", cwd=tmp_path, env={"STORYREEL_LANG": "zh"})
    assert_clean_failure(proc, "不是影片文件夹")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = run("--debug", "plan", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


@pytest.fixture
def shot_film(film_dir: Path) -> Path:
    small_profile(film_dir, width=320, height=180, fps=8)
    assert run("plan", cwd=film_dir).returncode == 0
    proc = run("shoot", cwd=film_dir)
    assert proc.returncode == 0, proc.stderr
    return film_dir


def test_unwritable_renders_folder_leaves_everything_untouched(shot_film: Path) -> None:
    # A file where the folder should be fails for root too, unlike chmod.
    (shot_film / "renders").write_text("not a folder")
    before = snapshot(shot_film)
    assert_clean_failure(run("cut", cwd=shot_film), "renders")
    assert snapshot(shot_film) == before
    assert (shot_film / "renders").read_text() == "not a folder"


def test_full_disk_during_render_keeps_the_previous_cut(shot_film: Path) -> None:
    assert run("cut", cwd=shot_film).returncode == 0
    cut = shot_film / "renders" / "cut.mp4"
    previous = cut.read_bytes()
    before = snapshot(shot_film)
    # Room for the database's shared-memory file (32 KiB) and the subtitles, not for the video.
    limit = 40 * 1024
    assert len(previous) > limit
    proc = run("cut", cwd=shot_film, limit_fsize=limit)
    assert_clean_failure(proc, "renders")
    assert cut.read_bytes() == previous
    assert snapshot(shot_film) == before
    assert not [p for p in (shot_film / "renders").iterdir() if p.name.startswith(".") or p.suffix == ".part"]
