"""Continuity: chains are decisions resolved from the source's selected take when the job is planned, follow a
re-selection, refuse loops and bad references in both languages, and warn about drift on long chains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from storyreel.errors import ShotNotFound
from storyreel.media.probe import frame_at
from storyreel.services.continuity import (
    ChainError,
    chain,
    chain_depth,
    frame_index,
    parse_ref,
    rebind_after_selection,
    shot_inputs,
)
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.shoot import open_provider, plan_jobs, shoot
from storyreel.store import EventRow, JobRow, ShotRow, TakeRow
from tests.conftest import small_profile


@pytest.fixture
def shot_film(film_dir: Path, film):
    small_profile(film_dir, width=160, height=90, fps=12)
    from storyreel.services.film import open_film

    film.close()
    f = open_film(film_dir)
    plan_film(f)
    yield f
    f.close()


def _pixels(path: Path | str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _take(film, code: str, number: int) -> TakeRow:
    with film.store.session() as s:
        return s.scalars(select(TakeRow).where(TakeRow.shot_code == code, TakeRow.number == number)).one()


def _select(session, code: str, take: TakeRow) -> None:
    session.scalars(select(ShotRow).where(ShotRow.code == code)).one().selected_take = take.id


def test_frame_positions() -> None:
    assert frame_index("first", 48, 12) == 0
    assert frame_index("last", 48, 12) == 47
    assert frame_index("0.5s", 48, 12) == 6
    assert frame_index("4.2s", 48, 24) == 47  # past the end: clamped to the last frame
    assert frame_index("10f", 48, 12) == 10
    assert parse_ref("3A@4.2s").at == "4.2s" and parse_ref("3a@LAST").at == "last"


@pytest.mark.parametrize("bad", ["3A@", "@4s", "3A@soon", "3A@-1s", "3A@4.2", "3A@1e3s"])
def test_bad_references_are_bilingual(bad: str) -> None:
    with pytest.raises(ChainError) as err:
        parse_ref(bad)
    assert bad in err.value.message and err.value.zh and "帧" in err.value.zh


def test_chain_resolves_from_the_selected_take_at_plan_time(shot_film) -> None:
    film = shot_film
    a, b = [s.code for s in list_shots(film)[:2]]
    chain(film, b, from_=f"{a}@0.5s")  # stored before a has any take: resolved later
    with film.store.session() as s:
        assert s.scalars(select(ShotRow).where(ShotRow.code == b)).one().chain == {
            "first": {"shot": a, "at": "0.5s"}}
    shoot(film, takes=2, shots=[a])
    t1, t2 = _take(film, a, 1), _take(film, a, 2)
    with film.store.session() as s:
        _select(s, a, t2)
    report = shoot(film, takes=1, shots=[b])
    assert report.summary.done == 1
    with film.store.session() as s:
        job = s.scalars(select(JobRow).where(JobRow.shot_code == b)).one()
        first = job.spec["first_frame"]
    grabbed = np.asarray(frame_at(film.media.path_for(t2.clip_sha, t2.clip_ext), 6).convert("RGB"))
    assert np.array_equal(_pixels(first), grabbed)
    other = np.asarray(frame_at(film.media.path_for(t1.clip_sha, t1.clip_ext), 6).convert("RGB"))
    assert not np.array_equal(grabbed, other), "the two takes must differ for this test to mean anything"


def test_reselecting_the_source_marks_stale_and_rebinds_planned_jobs(shot_film) -> None:
    film = shot_film
    a, b, c = [s.code for s in list_shots(film)[:3]]
    shoot(film, takes=2, shots=[a])
    t1, t2 = _take(film, a, 1), _take(film, a, 2)
    chain(film, b, from_=f"{a}@last")
    with film.store.session() as s:
        _select(s, a, t1)
    inputs, _ = shot_inputs(film, [list_shots(film)[1]], explicit=True)
    prov = open_provider(film, "previz")
    (job_id,) = plan_jobs(film, [(list_shots(film)[1], 1)], provider=prov, model=None, draft=False, inputs=inputs)
    last = t1.frames - 1
    with film.store.session() as s:
        assert np.array_equal(_pixels(s.get(JobRow, job_id).spec["first_frame"]),
                              np.asarray(frame_at(film.media.path_for(t1.clip_sha, t1.clip_ext), last)))
        _select(s, a, t2)
        assert rebind_after_selection(s, a) == [b]
        assert rebind_after_selection(s, c) == []  # nothing is chained to c
    with film.store.session() as s:
        spec = s.get(JobRow, job_id).spec
        assert np.array_equal(_pixels(spec["first_frame"]),
                              np.asarray(frame_at(film.media.path_for(t2.clip_sha, t2.clip_ext), last)))
        assert s.scalars(select(ShotRow).where(ShotRow.code == b)).one().stale
        events = [e.payload for e in s.scalars(select(EventRow).where(EventRow.type == "shot:stale"))]
        assert {"shot": b, "because": a, "reason": "chain", "jobs": [job_id]} in events


def test_unresolvable_chain_skips_that_shot_only(shot_film) -> None:
    film = shot_film
    codes = [s.code for s in list_shots(film)]
    chain(film, codes[1], from_=f"{codes[0]}@first")
    report = shoot(film, takes=1)  # codes[0] has no take yet: codes[1] waits, the others are shot
    assert set(report.skipped) == {codes[1]}
    assert "has no selected take" in report.skipped[codes[1]].message and report.skipped[codes[1]].zh
    with film.store.session() as s:
        shot_codes = set(s.scalars(select(JobRow.shot_code)))
    assert shot_codes == set(codes) - {codes[1]}
    chain(film, codes[3], from_=f"{codes[2]}@last")
    with film.store.session() as s:
        s.query(TakeRow).filter(TakeRow.shot_code == codes[2]).update({"status": "rejected"})
    with pytest.raises(ChainError, match="no selected take"):  # named explicitly: the error itself
        shoot(film, takes=2, shots=[codes[3]])
    with film.store.session() as s:
        assert s.scalars(select(JobRow.take_number).where(JobRow.shot_code == codes[3])).all() == [1]


def test_cycles_self_and_unknown_shots_are_refused(shot_film) -> None:
    film = shot_film
    a, b, c = [s.code for s in list_shots(film)[:3]]
    chain(film, b, from_=f"{a}@last")
    chain(film, c, from_=f"{b}@last")
    with pytest.raises(ChainError) as err:
        chain(film, a, from_=f"{c}@first")
    assert "loop" in err.value.message and f"{a} → {c} → {b} → {a}" in err.value.message and "循环" in err.value.zh
    with pytest.raises(ChainError, match="itself"):
        chain(film, a, end_from=f"{a}@first")
    with pytest.raises(ShotNotFound) as missing:
        chain(film, a, from_="9Z@last")
    assert "9Z" in missing.value.message and missing.value.zh
    with pytest.raises(ChainError) as bad_time:
        chain(film, a, from_=f"{c}@4,2s")
    assert "4.2s" in bad_time.value.message and "4.2s" in bad_time.value.zh
    cleared = chain(film, c, clear=True)
    assert cleared.chain == {} and chain_depth(film, c) == 0


def test_depth_warning_from_three_generations(shot_film) -> None:
    film = shot_film
    a, b, c, d = [s.code for s in list_shots(film)[:4]]
    assert not chain(film, b, from_=f"{a}@last").drift_warning
    assert chain(film, c, from_=f"{b}@last").depth == 2
    deep = chain(film, d, from_=f"{c}@last", end_from=f"{a}@first")
    assert deep.depth == 3 and deep.drift_warning and chain_depth(film, d) == 3
