"""rate, note, tag, reject, lock, board, bin, cutlist and shoot --free through the CLI.

Happy paths run in-process (Typer's runner, fast); bad input runs the real entry point in a subprocess, where
the one-line error and the exit code are made.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storyreel.cli.app import app
from storyreel.errors import StoryreelError
from storyreel.services.film import new_film, open_film
from storyreel.services.plan import plan_film
from storyreel.services.review import take_by_label
from storyreel.services.timeline import is_edited, timeline
from storyreel.store import ShotRow, TakeRow
from tests.cli.test_bad_input import assert_clean_failure, run, snapshot
from tests.conftest import small_profile


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The zh scaffold, planned, with two takes per shot written straight into the database (no rendering:
    these commands read and write rows only)."""
    root = new_film(tmp_path_factory.mktemp("tpl") / "film", language="zh", title="测试片")
    small_profile(root, width=160, height=90, fps=12)
    with open_film(root) as film:
        plan_film(film)
        with film.store.session() as s:
            for row in s.scalars(select(ShotRow)):
                for n in (1, 2):
                    s.add(TakeRow(shot_code=row.code, number=n, provider="previz", seed=n, frames=24, fps=12,
                                  width=160, height=90, clip_sha=f"{row.code}{n}".ljust(64, "0"), clip_ext="mp4"))
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "film"))


def cli(root: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--lang", "en", "-C", str(root), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_rate_note_tag_reject(root: Path) -> None:
    assert "★★★★" in cli(root, "rate", "1B", "2", "4")
    cli(root, "note", "1B", "2", "眼神很好")
    assert "rain, wide" in cli(root, "tag", "1B", "2", "+rain", "+night", "wide", "-night")
    cli(root, "reject", "1B", "1")
    with open_film(root) as film:
        info = take_by_label(film, "1B-t002")
        assert (info.rating, info.note, info.tags, info.selected) == (4, "眼神很好", ("rain", "wide"), True)
        assert take_by_label(film, "1B-t001").status == "rejected"
    cli(root, "rate", "1B", "2", "0")
    with open_film(root) as film:
        assert take_by_label(film, "1B-t002").rating is None
    listing = cli(root, "takes", "1B")
    assert "眼神很好" in listing and "#rain" in listing


def test_lock_board_and_bin(root: Path) -> None:
    cli(root, "lock", "1C")
    out = cli(root, "board", "--status", "locked")
    assert "1C" in out and "1A" not in out
    assert "1D" in cli(root, "board", "-c", "Lin Xiao")
    cli(root, "unlock", "1C")
    assert "1C" not in cli(root, "board", "--status", "locked")
    cli(root, "tag", "1D", "2", "+rain")
    out = cli(root, "bin", "--tag", "rain")
    assert "1D-t002" in out and "1A-t002" not in out
    assert "1C-t002" in cli(root, "bin", "--q", "你来了")


def test_cutlist_edit_session(root: Path) -> None:
    out = cli(root, "cutlist")
    assert "derived" in out and "1A-t001" in out and "00:00:02:00" in out  # 1B starts after 1A's 24 frames
    assert not is_edited_at(root)
    cli(root, "cutlist", "add", "1B-t002", "--at", "0")
    with open_film(root) as film:
        clips = timeline(film)
    assert [c.take.label for c in clips][:2] == ["1B-t002", "1A-t001"]
    first = clips[0].id
    cli(root, "cutlist", "trim", str(first), "0.5s", "20")
    cli(root, "cutlist", "fx", str(first), "--speed", "2", "--dissolve", "4", "--handheld", "0.3")
    cli(root, "cutlist", "fx", str(first), "--hold", "1s")  # options not given keep their value
    cli(root, "cutlist", "move", str(first), "9")
    out = cli(root, "cutlist")
    assert "edited" in out and "speed ×2" in out and "dissolve in 4f" in out and "hold +12f" in out
    with open_film(root) as film:
        last = timeline(film)[-1]
    assert (last.id, last.source_in, last.source_out, last.record_frames) == (first, 6, 20, 7 + 12)
    cli(root, "cutlist", "remove", str(first))
    cli(root, "cutlist", "reset")
    assert not is_edited_at(root)


def is_edited_at(root: Path) -> bool:
    with open_film(root) as film:
        return is_edited(film)


def refused(root: Path, *args: str, match: str) -> None:
    """In-process: the command raises a director's error (main() turns any of them into one stderr line)."""
    result = CliRunner().invoke(app, ["--lang", "en", "-C", str(root), *args], env={"COLUMNS": "200"})
    assert isinstance(result.exception, StoryreelError), (result.output, result.exception)
    assert match in str(result.exception) and result.exception.zh


def test_bad_input_changes_nothing(root: Path) -> None:
    cli(root, "cutlist", "edit")
    with open_film(root) as film:
        cid = timeline(film)[0].id
    before = snapshot(root)
    refused(root, "rate", "1B", "2", "7", match="1 to 5 stars")
    refused(root, "note", "1B", "9", "x", match="No take 1B-t009")
    refused(root, "lock", "7Z", match="No shot 7Z")
    refused(root, "bin", "--min-rating", "6", match="1 to 5 stars")
    refused(root, "cutlist", "trim", str(cid), "5", "99", match="outside 1A-t001")
    refused(root, "cutlist", "trim", str(cid), "6", "3", match="in must be before out")
    refused(root, "cutlist", "move", "999", "0", match="No clip 999")
    refused(root, "cutlist", "fx", str(cid), "--speed", "50", match="speed")
    refused(root, "cutlist", "fx", str(cid), "--freeze", "3", match="freeze_at")
    refused(root, "cutlist", "add", "1A-t001x", match="not a take label")
    refused(root, "shoot", "--free", "x", "-c", "阿明", match="No character '阿明'")
    refused(root, "shoot", "--free", "x", "--shots", "1A", match="takes no --shots")
    refused(root, "shoot", "-c", "林晓", match="--character needs --free")
    assert snapshot(root) == before


@pytest.mark.parametrize("args, message", [
    (("tag", "1B", "2", "+two words"), "one word"),
    (("board", "--status", "done"), "Unknown status 'done'"),
    (("cutlist", "trim", "1", "abc", "3"), "neither frames"),
])
def test_bad_input_is_one_line(root: Path, args, message) -> None:
    before = snapshot(root)
    assert_clean_failure(run(*args, cwd=root), message)
    assert snapshot(root) == before


def test_shoot_free(root: Path) -> None:
    proc = run("shoot", "--free", "雨夜渡口", "-c", "林晓", "-c", "老周", "--takes", "2", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "F001" in proc.stdout and "2 takes done" in proc.stdout.replace("\n", " ")
    with open_film(root) as film:
        assert [c.take.shot for c in timeline(film)] == ["1A", "1B", "1C", "1D"]
        assert take_by_label(film, "F001-t002").kind == "video"
