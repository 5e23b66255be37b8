"""The cut as clips: derived from selections, materialised by the first edit, edited, reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storyreel.errors import TakeNotFound
from storyreel.model import ClipEffects
from storyreel.services.review import InvalidEdit, reject_take, select_take
from storyreel.services.timeline import (
    add_clip,
    is_edited,
    materialise,
    move_clip,
    remove_clip,
    reset_cut,
    set_effects,
    timeline,
    trim_clip,
)
from storyreel.store import CutClipRow, EventRow, TakeRow


def _labels(clips) -> list[str]:
    return [c.take.label for c in clips]


def test_derived_cut_is_the_selections_in_shot_order(shot) -> None:
    clips = timeline(shot)
    assert _labels(clips) == ["1A-t001", "1B-t001", "1C-t001", "1D-t001"]
    assert not is_edited(shot) and all(c.id is None for c in clips)
    assert [c.position for c in clips] == [0, 1, 2, 3]
    starts = [0]
    for c in clips:
        assert (c.source_in, c.source_out) == (0, c.take.frames) and c.record_frames == c.take.frames
        assert c.shot.code == c.take.shot and c.take.selected
        starts.append(starts[-1] + c.record_frames)
    assert [c.record_start for c in clips] == starts[:-1]
    select_take(shot, "1B", 2)
    assert _labels(timeline(shot))[1] == "1B-t002"  # a derived cut follows selections by itself


def test_derived_cut_with_a_shot_missing_names_it(shot) -> None:
    reject_take(shot, "1C", 1)
    reject_take(shot, "1C", 2)
    with pytest.raises(TakeNotFound, match="1C"):
        timeline(shot)


def test_first_edit_materialises_then_edits(shot) -> None:
    clip = add_clip(shot, "1B-t002", position=1)
    assert is_edited(shot)
    clips = timeline(shot)
    assert _labels(clips) == ["1A-t001", "1B-t002", "1B-t001", "1C-t001", "1D-t001"]
    assert all(c.id is not None for c in clips) and clips[1].id == clip.id and clip.position == 1
    # Once edited, a new selection does not add or reorder clips (but swaps the one that used the old take).
    select_take(shot, "1D", 2)
    assert _labels(timeline(shot))[-1] == "1D-t002"


def test_materialise_keeps_what_plays(shot) -> None:
    before = timeline(shot)
    after = materialise(shot)
    assert _labels(after) == _labels(before) and [c.record_frames for c in after] == [c.record_frames for c in before]
    assert materialise(shot) == after  # idempotent


def test_materialise_is_one_transaction(shot) -> None:
    reject_take(shot, "1C", 1)
    reject_take(shot, "1C", 2)
    with pytest.raises(TakeNotFound):
        add_clip(shot, "1A-t002")
    with shot.store.session() as s:
        assert s.scalars(select(CutClipRow)).all() == []


def test_move_clamps_and_renumbers(shot) -> None:
    clips = materialise(shot)
    moved = move_clip(shot, clips[0].id, 99)
    assert _labels(moved) == ["1B-t001", "1C-t001", "1D-t001", "1A-t001"]
    assert [c.position for c in moved] == [0, 1, 2, 3]
    moved = move_clip(shot, clips[0].id, -5)
    assert _labels(moved)[0] == "1A-t001"


def test_trim_and_record_start_accumulates(shot) -> None:
    clips = materialise(shot)
    first = trim_clip(shot, clips[0].id, 2, 10)
    assert (first.source_in, first.source_out, first.record_frames) == (2, 10, 8)
    after = timeline(shot)
    assert after[1].record_start == 8 and after[2].record_start == 8 + after[1].record_frames
    with pytest.raises(InvalidEdit, match="outside 1A-t001"):
        trim_clip(shot, clips[0].id, 5, clips[0].take.frames + 1)
    with pytest.raises(InvalidEdit):
        trim_clip(shot, clips[0].id, 6, 6)
    with pytest.raises(InvalidEdit):
        trim_clip(shot, clips[0].id, -1, 4)
    with pytest.raises(InvalidEdit, match="No clip 9999"):
        trim_clip(shot, 9999, 0, 4)
    # Trimming to the whole take stores "to the end".
    whole = trim_clip(shot, clips[0].id, 0, clips[0].take.frames)
    assert whole.source_out == clips[0].take.frames
    with shot.store.session() as s:
        assert s.get(CutClipRow, clips[0].id).source_out is None


def test_effects_change_record_frames_and_are_validated(shot) -> None:
    clips = materialise(shot)
    cid = clips[1].id
    frames = clips[1].take.frames
    fx = ClipEffects(speed=2.0, hold_frames=3, freeze_at=4, freeze_frames=5, handheld=0.3)
    clip = set_effects(shot, cid, fx)
    assert clip.effects == fx and clip.record_frames == round(frames / 2) + 3 + 5
    assert set_effects(shot, cid, {"speed": 1.0}).effects == ClipEffects()
    with pytest.raises(InvalidEdit, match="speed"):
        set_effects(shot, cid, {"speed": 50})
    with pytest.raises(InvalidEdit, match="Freeze frame"):
        set_effects(shot, cid, ClipEffects(freeze_at=frames + 3, freeze_frames=2))
    with pytest.raises(InvalidEdit, match="freeze_at"):
        set_effects(shot, cid, ClipEffects(freeze_frames=2))
    with pytest.raises(InvalidEdit, match="dissolve"):
        set_effects(shot, cid, {"transition_in": "dissolve"})


def test_remove_and_reset(shot) -> None:
    clips = materialise(shot)
    remove_clip(shot, clips[2].id)
    assert _labels(timeline(shot)) == ["1A-t001", "1B-t001", "1D-t001"]
    assert [c.position for c in timeline(shot)] == [0, 1, 2]
    with pytest.raises(InvalidEdit):
        remove_clip(shot, clips[2].id)
    reset_cut(shot)
    assert not is_edited(shot) and len(timeline(shot)) == 4
    with shot.store.session() as s:
        actions = [e.payload.get("action") for e in s.scalars(select(EventRow).where(EventRow.type == "cut:changed"))]
    assert actions == ["materialise", "remove", "reset"]


def test_unknown_or_still_takes_are_refused(shot) -> None:
    with pytest.raises(TakeNotFound, match="1A-t009"):
        add_clip(shot, "1A-t009")
    with pytest.raises(TakeNotFound, match="no shot 3A"):
        add_clip(shot, "3A-t002")
    with pytest.raises(TakeNotFound, match="not a take label"):
        add_clip(shot, "1A")
    with shot.store.session() as s:
        row = s.scalars(select(TakeRow).where(TakeRow.shot_code == "1A", TakeRow.number == 2)).one()
        row.clip_sha = None  # as an image take would be
    with pytest.raises(InvalidEdit, match="still image"):
        add_clip(shot, "1A-t002")
    assert not is_edited(shot)


def test_add_clamps_position_and_accepts_any_case(shot) -> None:
    clip = add_clip(shot, "1c-T002", position=-3)
    assert clip.position == 0 and clip.take.label == "1C-t002"
    last = add_clip(shot, "1A-t002", position=100)
    assert last.position == len(timeline(shot)) - 1


def test_cuts_are_separate(shot) -> None:
    add_clip(shot, "1A-t002", cut="alt")
    assert is_edited(shot, "alt") and not is_edited(shot)
    assert len(timeline(shot, "alt")) == 5 and len(timeline(shot)) == 4


def test_select_swaps_the_old_take_in_an_edited_cut(shot) -> None:
    clips = materialise(shot)
    cid = clips[1].id
    trim_clip(shot, cid, 3, 30)
    set_effects(shot, cid, ClipEffects(handheld=0.5, freeze_at=20, freeze_frames=2))
    with shot.store.session() as s:  # make take 2 shorter, so the trim has to be clamped
        row = s.scalars(select(TakeRow).where(TakeRow.shot_code == "1B", TakeRow.number == 2)).one()
        row.frames = 12
    select_take(shot, "1B", 2)
    clip = next(c for c in timeline(shot) if c.id == cid)
    assert clip.take.label == "1B-t002"
    assert (clip.source_in, clip.source_out) == (3, 12)
    assert clip.effects.handheld == 0.5 and clip.effects.freeze_at == 11
    # Rejecting the take in use swaps to the shot's next usable take.
    reject_take(shot, "1B", 2)
    assert next(c for c in timeline(shot) if c.id == cid).take.label == "1B-t001"
