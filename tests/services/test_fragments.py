"""Story-later fragments: shot from a prompt and the bible, kept out of the plan and the derived cut."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storyreel.errors import UnknownProvider
from storyreel.services.bin import bin_takes
from storyreel.services.film import open_film
from storyreel.services.fragments import list_fragments, shoot_free
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.review import InvalidEdit, list_takes, lock_shot
from storyreel.services.shoot import shoot
from storyreel.services.timeline import add_clip, timeline
from storyreel.store import ShotRow
from tests.conftest import small_profile


@pytest.fixture
def tiny(film_dir):
    small_profile(film_dir, width=160, height=90, fps=12)
    with open_film(film_dir) as f:
        yield f


def test_free_shoot_makes_a_fragment_with_bible_characters(tiny) -> None:
    result = shoot_free(tiny, "雨夜，渡口，两人对望", takes=2, characters=["Lin Xiao", "老周"])
    shot = result.shot
    assert shot.code == "F001" and shot.scene == 0 and shot.frames == 4 * 12
    assert [(b.character, b.position.value) for b in shot.blocking] == [("林晓", "left"), ("老周", "right")]
    assert "雨夜，渡口" in shot.prompt and "深绿色旧呢子大衣" in shot.prompt  # the bible's description goes in
    assert result.report.summary.done == 2
    assert [t.label for t in list_takes(tiny, "F001")] == ["F001-t001", "F001-t002"]
    assert [t.label for t in bin_takes(tiny)] == ["F001-t001", "F001-t002"]  # no plan yet: all in the bin
    assert shoot_free(tiny, "晨光中的江面", takes=1).shot.code == "F002"
    assert [s.code for s in list_fragments(tiny)] == ["F001", "F002"]


def test_fragments_stay_out_of_plan_and_derived_cut(tiny) -> None:
    shoot_free(tiny, "walking alone", takes=1, characters=["林晓"])
    plan_film(tiny)
    shoot(tiny, takes=1)
    assert "F001" not in [s.code for s in list_shots(tiny)]
    assert "F001" in [s.code for s in list_shots(tiny, include_fragments=True)]
    assert "F001" not in [c.shot.code for c in timeline(tiny)]
    plan_film(tiny)  # re-planning never omits or drops a fragment
    with tiny.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == "F001")).one()
        assert row.fragment and not row.omitted
    assert [t.label for t in bin_takes(tiny)] == ["F001-t001"]
    clip = add_clip(tiny, "F001-t001", position=0)
    assert clip.shot.code == "F001" and timeline(tiny)[0].take.label == "F001-t001"
    assert bin_takes(tiny) == []


def test_free_shoot_bad_input_leaves_nothing(tiny) -> None:
    with pytest.raises(InvalidEdit, match="No character '阿明'"):
        shoot_free(tiny, "x", characters=["阿明"])
    with pytest.raises(InvalidEdit, match="needs a prompt"):
        shoot_free(tiny, "   ")
    with pytest.raises(UnknownProvider):
        shoot_free(tiny, "x", provider="nope")
    dry = shoot_free(tiny, "x", takes=3, dry_run=True)
    assert dry.report.estimates[0].takes == 3
    assert list_fragments(tiny) == []


def test_locked_shots_are_skipped_by_shoot(tiny) -> None:
    plan_film(tiny)
    lock_shot(tiny, "1b")
    report = shoot(tiny, takes=1)
    assert report.locked == ["1B"]
    assert list_takes(tiny, "1B") == [] and len(list_takes(tiny, "1A")) == 1
    lock_shot(tiny, "1B", False)
    report = shoot(tiny, takes=1, shots=["1B"])
    assert report.locked == [] and len(list_takes(tiny, "1B")) == 1
