from __future__ import annotations

import csv
from pathlib import Path

import pytest

from storyreel.errors import ShotListError
from storyreel.model import CameraMove, Framing, Side
from storyreel.services.film import open_film
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.shotlist import export_csv, import_csv


@pytest.fixture
def planned(film_dir: Path):
    with open_film(film_dir) as film:
        plan_film(film)
        yield film


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def test_export_then_import_round_trips_exactly(planned, tmp_path: Path) -> None:
    before = list_shots(planned)
    path = tmp_path / "shots.csv"
    assert export_csv(planned, path) == len(before)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read Chinese
    report = import_csv(planned, path)
    assert report.changed == [] and report.added == [] and len(report.unchanged) == len(before)
    after = list_shots(planned)
    dump = lambda shots: [s.model_dump(exclude={"line": True, "order": True, "dialogue": {"__all__": {"line"}}})
                          for s in shots]  # noqa: E731
    assert dump(after) == dump(before)


def test_director_edits_reorder_add_and_remove_rows(planned, tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    export_csv(planned, path)
    rows = _rows(path)
    rows[1]["camera"] = "handheld"
    rows[1]["framing"] = "close"
    rows[1]["characters"] = "林晓@right>exits-left"
    rows[1]["seconds"] = "2.5"
    new = dict(rows[1], code="1Z", description="窗外的江面，雾气翻涌。", characters="", dialogue="", prompt="")
    rows = [rows[0], new, rows[1]] + rows[3:]  # insert 1Z, drop the third row
    dropped = _rows(path)[2]["code"]
    _write(path, rows)
    report = import_csv(planned, path)
    assert report.added == ["1Z"] and report.omitted == [dropped]
    shots = {s.code: s for s in list_shots(planned)}
    edited = shots[rows[2]["code"]]
    assert edited.camera == CameraMove.HANDHELD and edited.framing == Framing.CLOSE
    assert edited.blocking[0].position == Side.RIGHT and edited.blocking[0].exits == Side.LEFT
    assert edited.frames == round(2.5 * planned.config.profile.fps)
    assert [s.code for s in list_shots(planned)][:3] == [rows[0]["code"], "1Z", rows[2]["code"]]
    assert "雾气" in shots["1Z"].prompt  # an empty prompt cell is composed from the row


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: [dict(r, seconds="abc") if i == 1 else r for i, r in enumerate(rows)],
         r"shots.csv:3: column 'seconds': 'abc' is not a number"),
        (lambda rows: [dict(r, seconds="-2") if i == 0 else r for i, r in enumerate(rows)],
         r"shots.csv:2: column 'seconds': -2 is out of range"),
        (lambda rows: [dict(r, camera="whip") if i == 0 else r for i, r in enumerate(rows)],
         r"shots.csv:2: column 'camera': 'whip' is not one of"),
        (lambda rows: rows + [rows[0]], r"shot 1A already appears on line 2"),
        (lambda rows: [dict(r, dialogue="no separator here") if i == 0 else r for i, r in enumerate(rows)],
         r"shots.csv:2: column 'dialogue': expected 'name: line'"),
    ],
)
def test_bad_rows_name_file_line_and_column_and_change_nothing(planned, tmp_path: Path, mutate, message) -> None:
    path = tmp_path / "shots.csv"
    export_csv(planned, path)
    before = list_shots(planned)
    _write(path, mutate(_rows(path)))
    with pytest.raises(ShotListError, match=message):
        import_csv(planned, path)
    assert list_shots(planned) == before


def test_missing_columns_are_named(planned, tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    path.write_text("code,framing\n1A,wide\n", encoding="utf-8")
    with pytest.raises(ShotListError, match=r"shots.csv:1: missing column\(s\) seconds, description"):
        import_csv(planned, path)
