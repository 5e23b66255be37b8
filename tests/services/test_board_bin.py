"""The board (one card per shot) and the bin (takes not in the cut)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from storyreel.model import Blocking, DialogueLine, Shot
from storyreel.services.bin import bin_takes
from storyreel.services.board import board, board_summary
from storyreel.services.review import InvalidEdit, lock_shot, note_take, rate_take, reject_take, select_take, tag_take
from storyreel.services.timeline import add_clip, remove_clip, timeline
from storyreel.store import JobRow, ShotRow, TakeRow


def _fill(film, shots: int, takes: int) -> None:
    """A synthetic film straight into the database: the board reads rows, not media."""
    with film.store.session() as s:
        for i in range(shots):
            code = f"{i // 10 + 1}{chr(ord('A') + i % 10)}"
            sh = Shot(code=code, scene=i // 10 + 1, order=i + 1, heading=f"场景 {i // 10 + 1}", description=f"镜头 {i}",
                      blocking=[Blocking(character="林晓" if i % 2 else "老周")], frames=24)
            s.add(ShotRow(code=code, scene=sh.scene, ord=sh.order, data=sh.model_dump(mode="json", by_alias=True)))
            for n in range(1, takes + 1):
                s.add(TakeRow(shot_code=code, number=n, provider="previz", seed=n, frames=24, fps=12, width=160,
                              height=90, clip_sha=f"{i:032x}{n:032x}", clip_ext="mp4", cost=0.5,
                              status="rejected" if n == 1 else "good"))


def _count_statements(film, fn):
    seen: list[str] = []

    def on_exec(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(film.store.engine, "before_cursor_execute", on_exec)
    try:
        result = fn()
    finally:
        event.remove(film.store.engine, "before_cursor_execute", on_exec)
    return result, len(seen)


def test_board_query_count_does_not_grow_with_the_film(film) -> None:
    _fill(film, 20, 10)
    small, n_small = _count_statements(film, lambda: board(film))
    assert len(small) == 20
    with film.store.session() as s:
        s.query(TakeRow).delete()
        s.query(ShotRow).delete()
    _fill(film, 200, 10)  # the studio bench's board: ~200 shots × 10 takes
    big, n_big = _count_statements(film, lambda: board(film))
    assert len(big) == 200 and n_big == n_small and n_big <= 6
    card = big[0]
    assert (card.take_count, card.good_count, card.cost, card.thumb_take) == (10, 9, 5.0, "1A-t002")
    assert card.status == "has_takes" and card.heading == "场景 1" and card.characters == ("老周",)


def test_bin_query_count_does_not_grow_with_the_film(film) -> None:
    _fill(film, 20, 5)
    _, n_small = _count_statements(film, lambda: bin_takes(film, q="镜头"))
    with film.store.session() as s:
        s.query(TakeRow).delete()
        s.query(ShotRow).delete()
    _fill(film, 200, 5)
    found, n_big = _count_statements(film, lambda: bin_takes(film, q="镜头"))
    assert n_big == n_small and len(found) == 200 * 3  # 4 good takes per shot, one of them in the cut


def test_board_statuses_and_filters(shot) -> None:
    cards = {c.code: c for c in board(shot)}
    assert [c.status for c in cards.values()] == ["has_takes"] * 4
    assert cards["1A"].thumb_take == "1A-t001" and cards["1A"].take_count == 2
    select_take(shot, "1B", 2)
    lock_shot(shot, "1C")
    with shot.store.session() as s:
        s.scalars(select(ShotRow).where(ShotRow.code == "1D")).one().stale = True
        s.add(ShotRow(code="2A", scene=2, ord=9, data=Shot(code="2A", scene=2, order=9, frames=12).model_dump(
            mode="json", by_alias=True)))
        s.add(ShotRow(code="2B", scene=2, ord=10, data=Shot(code="2B", scene=2, order=10, frames=12).model_dump(
            mode="json", by_alias=True)))
        s.add(JobRow(shot_code="2B", take_number=1, provider="previz", state="running", spec={}, client_ref="x"))
    cards = {c.code: c for c in board(shot)}
    assert {k: c.status for k, c in cards.items()} == {"1A": "has_takes", "1B": "selected", "1C": "locked",
                                                      "1D": "stale", "2A": "planned", "2B": "shooting"}
    assert cards["1B"].thumb_take == "1B-t002" and cards["2A"].thumb_take is None
    assert [c.code for c in board(shot, scene=2)] == ["2A", "2B"]
    assert [c.code for c in board(shot, status="locked")] == ["1C"]
    # Dialogue shots name their speaker; an alias finds the same character.
    assert [c.code for c in board(shot, character="lin xiao")] == [c.code for c in board(shot, character="林晓")]
    assert "1D" in [c.code for c in board(shot, character="林晓")]
    assert board_summary(board(shot))["has_takes"] == 1
    with pytest.raises(InvalidEdit, match="Unknown status 'done'"):
        board(shot, status="done")


def test_bin_is_what_the_cut_does_not_use(shot) -> None:
    labels = [t.label for t in bin_takes(shot)]
    assert labels == ["1A-t002", "1B-t002", "1C-t002", "1D-t002"]
    select_take(shot, "1A", 2)
    assert bin_takes(shot)[0].label == "1A-t001"
    # Edited cut: the bin follows the clips.
    clip = add_clip(shot, "1B-t002")
    assert "1B-t002" not in [t.label for t in bin_takes(shot)]
    remove_clip(shot, clip.id)
    first = timeline(shot)[0]
    remove_clip(shot, first.id)
    assert {"1B-t002", "1A-t002"} <= {t.label for t in bin_takes(shot)}


def test_bin_search_and_filters(shot) -> None:
    rate_take(shot, "1B-t002", 4)
    rate_take(shot, "1C-t002", 2)
    note_take(shot, "1C-t002", "Rain on the WINDOW 雨很好")
    tag_take(shot, "1D-t002", add=["Night", "rain"])
    reject_take(shot, "1A", 2)
    assert [t.label for t in bin_takes(shot, min_rating=3)] == ["1B-t002"]
    assert [t.label for t in bin_takes(shot, q="window")] == ["1C-t002"]
    assert [t.label for t in bin_takes(shot, q="雨很好")] == ["1C-t002"]
    assert [t.label for t in bin_takes(shot, tag="NIGHT")] == ["1D-t002"]
    assert [t.label for t in bin_takes(shot, q="rain")] == ["1C-t002", "1D-t002"]
    assert [t.label for t in bin_takes(shot, q="rain night")] == ["1D-t002"]  # every word must match
    assert "1A-t002" not in [t.label for t in bin_takes(shot)]
    assert "1A-t002" in [t.label for t in bin_takes(shot, include_rejected=True)]
    # Character names (and bible aliases) and dialogue are searchable.
    assert [t.label for t in bin_takes(shot, character="LAO ZHOU")] == ["1B-t002", "1C-t002"]
    assert [t.label for t in bin_takes(shot, q="老周")] == [t.label for t in bin_takes(shot, character="老周")]
    assert [t.label for t in bin_takes(shot, q="你来了")] == ["1C-t002"]
    found = bin_takes(shot, q="window")[0]
    assert found.note == "Rain on the WINDOW 雨很好" and found.rating == 2 and found.kind == "video"
    with pytest.raises(InvalidEdit):
        bin_takes(shot, min_rating=9)


def test_bin_lists_dialogue_of_synthetic_shots(film) -> None:
    with film.store.session() as s:
        sh = Shot(code="1A", scene=1, order=1, frames=12,
                  dialogue=[DialogueLine(character="老周", text="Where is the ferry?")])
        s.add(ShotRow(code="1A", scene=1, ord=1, data=sh.model_dump(mode="json", by_alias=True), omitted=True))
        s.add(TakeRow(shot_code="1A", number=1, provider="previz", seed=1, frames=12, fps=12, width=160, height=90))
    # An omitted shot's take is in the bin; search is case-insensitive over dialogue.
    assert [t.label for t in bin_takes(film, q="FERRY")] == ["1A-t001"]
    assert bin_takes(film, q="FERRY")[0].kind == "image"
