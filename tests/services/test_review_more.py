"""Review beyond select: take labels, ratings, notes, tags, reject by label, locks, events, TakeInfo fields."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storyreel.errors import ShotNotFound, TakeNotFound
from storyreel.model.take import parse_take_label
from storyreel.services.review import (
    InvalidEdit,
    list_takes,
    lock_shot,
    note_take,
    rate_take,
    reject_label,
    select_take,
    tag_take,
    take_by_label,
)
from storyreel.store import EventRow, ShotRow, TakeRow


def _events(film, kind: str) -> list[dict]:
    with film.store.session() as s:
        return [e.payload for e in s.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.id))]


def test_take_by_label_and_its_fields(shot) -> None:
    info = take_by_label(shot, "1b-T002")
    assert (info.label, info.shot, info.number) == ("1B-t002", "1B", 2)
    assert info.kind == "video" and info.origin == "generated" and info.rating is None and info.tags == ()
    assert info.prompt and not info.draft and info.parent_take is None and info.source_take is None
    assert datetime.fromisoformat(info.created_at).year >= 2024
    assert not info.selected and take_by_label(shot, "1B-t001").selected
    with shot.store.session() as s:  # provenance links read back as labels
        rows = {t.number: t for t in s.scalars(select(TakeRow).where(TakeRow.shot_code == "1B"))}
        rows[2].source_take, rows[2].origin, rows[2].parent_take = rows[1].id, "edit", rows[1].id
        rows[2].clip_sha = None
    info = take_by_label(shot, "1B-t002")
    assert (info.source_take, info.parent_take, info.origin, info.kind) == ("1B-t001", "1B-t001", "edit", "image")
    assert [t.source_take for t in list_takes(shot, "1B")] == [None, "1B-t001"]


@pytest.mark.parametrize("label, message", [
    ("1B-t009", "Takes of 1B: 1B-t001, 1B-t002"),
    ("9Z-t001", "no shot 9Z"),
    ("1B", "not a take label"),
    ("", "not a take label"),
])
def test_bad_labels_say_what_exists(shot, label: str, message: str) -> None:
    with pytest.raises(TakeNotFound, match=message) as err:
        take_by_label(shot, label)
    assert err.value.zh  # every refusal has its Chinese wording


def test_parse_label() -> None:
    assert parse_take_label("3A-t002") == ("3A", 2) and parse_take_label(" f001-T010 ") == ("f001", 10)


def test_rating(shot) -> None:
    assert rate_take(shot, "1A-t002", 4).rating == 4
    assert rate_take(shot, "1A-t002", None).rating is None
    for bad in (0, 6, -1, True, 2.5):
        with pytest.raises(InvalidEdit, match="1 to 5"):
            rate_take(shot, "1A-t002", bad)  # type: ignore[arg-type]
    assert _events(shot, "take:rated") == [{"take": "1A-t002", "rating": 4}, {"take": "1A-t002", "rating": None}]


def test_note(shot) -> None:
    assert note_take(shot, "1A-t001", "  眼神太早看向镜头  ").note == "眼神太早看向镜头"
    assert note_take(shot, "1A-t001", "").note == ""
    assert len(_events(shot, "take:noted")) == 2


def test_tags(shot) -> None:
    info = tag_take(shot, "1A-t001", add=["rain", "Night", "雨"])
    assert info.tags == ("rain", "Night", "雨")
    info = tag_take(shot, "1A-t001", add=["RAIN", "wide"], remove=["night"])
    assert info.tags == ("rain", "雨", "wide")  # case-insensitive: no duplicate "RAIN", "night" removes "Night"
    with pytest.raises(InvalidEdit, match="one word"):
        tag_take(shot, "1A-t001", add=["two words"])
    assert _events(shot, "take:tagged")[-1]["tags"] == ["rain", "雨", "wide"]


def test_reject_by_label_moves_the_selection(shot) -> None:
    select_take(shot, "1A", 1)
    info = reject_label(shot, "1A-t001")
    assert info.status == "rejected" and not info.selected
    assert take_by_label(shot, "1A-t002").selected
    assert _events(shot, "take:rejected") == [{"shot": "1A", "take": 1}]
    with pytest.raises(TakeNotFound):
        reject_label(shot, "1A-t005")


def test_lock_and_unlock(shot) -> None:
    assert lock_shot(shot, "1c") is True
    with shot.store.session() as s:
        assert s.scalars(select(ShotRow.locked).where(ShotRow.code == "1C")).one()
    assert lock_shot(shot, "1C", False) is False
    assert [e["locked"] for e in _events(shot, "shot:locked") + _events(shot, "shot:unlocked")] == [True, False]
    with pytest.raises(ShotNotFound, match="9Z"):
        lock_shot(shot, "9Z")


def test_selection_change_rebinds_chained_shots(shot) -> None:
    with shot.store.session() as s:
        s.scalars(select(ShotRow).where(ShotRow.code == "1B")).one().chain = {"first": {"shot": "1A", "at": "last"}}
    select_take(shot, "1A", 1)  # already the take in use: nothing downstream changes
    with shot.store.session() as s:
        assert not s.scalars(select(ShotRow.stale).where(ShotRow.code == "1B")).one()
    select_take(shot, "1A", 2)
    with shot.store.session() as s:
        assert s.scalars(select(ShotRow.stale).where(ShotRow.code == "1B")).one()


def test_selected_takes_of_the_whole_film_agree_with_each_shot(shot) -> None:
    """One pass over the film (the ledger and cut use it) gives what each shot's own listing says is selected:
    explicit choices, the first good take by default, and None for a shot with nothing usable."""
    from storyreel.services.review import selected_takes

    select_take(shot, "1B", 2)
    reject_label(shot, "1C-t001")
    reject_label(shot, "1C-t002")
    reject_label(shot, "1D-t001")
    picks = selected_takes(shot)
    assert list(picks) == ["1A", "1B", "1C", "1D"]
    for code, info in picks.items():
        expected = next((t for t in list_takes(shot, code) if t.selected), None)
        assert info == expected, code
    assert picks["1B"].number == 2 and picks["1C"] is None and picks["1D"].number == 2
