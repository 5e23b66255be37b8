from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.errors import ScriptError
from storyreel.model import CameraMove, Framing, Look, Side
from storyreel.script import parse_fountain
from storyreel.services.film import open_film
from storyreel.services.plan import list_shots, plan_film, plan_screenplay, shot_letters
from storyreel.store import ShotRow, TakeRow
from tests.conftest import write_script

ZH = """Title: 夜渡

INT. 渡轮船舱 - 夜

林晓坐在画面左侧的长椅上。推镜头。

老周从画面右侧入画，手里端着两杯热茶。

@老周
（看向林晓）
最后一班船了，喝点热的吧。

@林晓
（一直看向镜头）
我不冷。

EXT. 码头 - 黎明

手持摄影。林晓提着皮箱，从画面左侧出画。
"""

EN = """EXT. BUS STOP - NIGHT

MAYA stands on the left of frame. Slow push in.

THEO enters frame right.

THEO
Is this the last one?

MAYA
(keeps looking at camera)
It was. Ten minutes ago, and the driver waved at me as if he knew.

Handheld. Theo exits frame left.
"""


def _plan(film, text: str):
    return plan_screenplay(parse_fountain(text, source="script.fountain"), config=film.config, bible=film.bible)


def test_chinese_script_plans_establishing_action_and_dialogue_shots(film) -> None:
    shots = _plan(film, ZH).shots
    assert [s.code for s in shots] == ["1A", "1B", "1C", "1D", "1E", "2A", "2B"]
    est, sit, enter, zhou, lin, est2, leave = shots
    assert est.framing == Framing.ESTABLISHING and est.heading == "INT. 渡轮船舱 - 夜"
    assert sit.camera == CameraMove.PUSH_IN
    assert sit.blocking[0].character == "林晓" and sit.blocking[0].position == Side.LEFT
    assert enter.blocking[0].character == "老周" and enter.blocking[0].enters == Side.RIGHT
    # Dialogue shots sit on the speaker, keep the side the audience saw, and look across the line.
    assert zhou.dialogue[0].character == "老周" and zhou.dialogue[0].text == "最后一班船了，喝点热的吧。"
    assert zhou.blocking[0].position == Side.RIGHT and zhou.blocking[0].look == Look.LEFT
    assert lin.blocking[0].position == Side.LEFT and lin.blocking[0].look == Look.CAMERA
    assert leave.camera == CameraMove.HANDHELD and leave.blocking[0].exits == Side.LEFT
    assert all(s.line for s in shots) and sit.line == 5


def test_english_script_plans_the_same_way(film) -> None:
    shots = _plan(film, EN).shots
    assert [s.code for s in shots] == ["1A", "1B", "1C", "1D", "1E", "1F"]
    assert shots[1].camera == CameraMove.PUSH_IN and shots[1].blocking[0].position == Side.LEFT
    assert shots[2].blocking[0].enters == Side.RIGHT
    assert shots[4].blocking[0].look == Look.CAMERA
    assert shots[5].camera == CameraMove.HANDHELD and shots[5].blocking[0].exits == Side.LEFT


def test_durations_follow_text_length_and_language(film) -> None:
    fps = film.config.profile.fps
    shots = _plan(film, EN).shots
    short, long = shots[3], shots[4]  # "Is this the last one?" vs a long line
    assert long.frames > short.frames
    lim = film.config.limits
    assert all(lim.min_shot_seconds * fps - 1 <= s.frames <= lim.max_shot_seconds * fps + 1 for s in shots)


def test_prompt_is_composed_from_shot_bible_and_style(film) -> None:
    shot = _plan(film, ZH).shots[1]
    lin = film.bible.character("林晓")
    style = film.bible.style(film.config.style)
    assert "中景" in shot.prompt or "全景" in shot.prompt
    assert lin.description in shot.prompt
    assert style.description in shot.prompt
    assert "渡轮船舱" in shot.prompt


def test_film_caps_stop_the_plan_with_a_warning(film) -> None:
    film.config.limits.max_shots = 3
    plan = _plan(film, ZH)
    assert len(plan.shots) == 3
    assert "limit" in plan.warnings[0] and plan.warnings[0].startswith("script.fountain:")


def test_script_without_scenes_is_a_clear_error(film) -> None:
    with pytest.raises(ScriptError, match=r"script.fountain:1: no scene heading"):
        _plan(film, "Just some action.\n")


def test_shot_letters() -> None:
    assert [shot_letters(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_replan_keeps_identity_marks_changed_shots_stale_and_never_drops_takes(film_dir: Path) -> None:
    write_script(film_dir, ZH)
    with open_film(film_dir) as film:
        first = plan_film(film)
        assert len(first.added) == 7
        # Pretend 1B and 2B were shot.
        with film.store.session() as s:
            for code in ("1B", "2B"):
                s.add(TakeRow(shot_code=code, number=1, provider="previz", seed=1, frames=24, fps=24, width=64,
                              height=64, status="good", prompt=""))
    edited = ZH.replace("林晓坐在画面左侧的长椅上。推镜头。", "林晓坐在画面左侧的长椅上，低头看着皮箱。推镜头。")
    edited = edited.split("EXT. 码头 - 黎明")[0]  # scene 2 removed
    write_script(film_dir, edited)
    with open_film(film_dir) as film:
        report = plan_film(film)
        assert report.stale == ["1B"] and "1B" in report.changed
        assert sorted(report.omitted) == ["2A", "2B"]
        codes = [s.code for s in list_shots(film)]
        assert codes == ["1A", "1B", "1C", "1D", "1E"]
        with film.store.session() as s:
            rows = {r.code: r for r in s.scalars(select(ShotRow))}
            assert rows["2B"].omitted and "2A" not in rows  # no takes → removed; takes → kept, omitted
            assert rows["1B"].stale and not rows["1C"].stale
            assert len(s.scalars(select(TakeRow)).all()) == 2
        again = plan_film(film)
        assert again.changed == [] and len(again.unchanged) == 5
