"""Rule-based reading of camera moves, framing and blocking from screenplay text (Chinese and English)."""

from __future__ import annotations

import pytest

from storyreel.model.shot import Blocking, CameraMove, Framing, Look, Side
from storyreel.script.directions import Directions, read_directions

ZH = ["林晓", "老周"]
EN = ["MAYA", "THEO"]
EN_ALIASES = {"MAYA": ["Maya"], "THEO": ["Theo", "Theodore"]}


def by_name(d: Directions) -> dict[str, Blocking]:
    return {b.character: b for b in d.blocking}


# ------------------------------------------------------------------------------------------------------------ camera


@pytest.mark.parametrize(
    ("text", "move"),
    [
        # push in
        ("推镜头，林晓抬起头。", CameraMove.PUSH_IN),
        ("镜头推近林晓的脸。", CameraMove.PUSH_IN),
        ("镜头推向窗外。", CameraMove.PUSH_IN),
        ("镜头缓缓推进。", CameraMove.PUSH_IN),
        ("缓缓推进，雨声渐大。", CameraMove.PUSH_IN),
        ("推近。", CameraMove.PUSH_IN),
        ("镜头慢慢拉近。", CameraMove.PUSH_IN),
        ("镜头推至特写。", CameraMove.PUSH_IN),
        ("Push in on MAYA.", CameraMove.PUSH_IN),
        ("Slow push in as she reads the letter.", CameraMove.PUSH_IN),
        ("We dolly in on the letter.", CameraMove.PUSH_IN),
        ("The camera dollies in.", CameraMove.PUSH_IN),
        ("The camera slowly moves in.", CameraMove.PUSH_IN),
        ("CAMERA MOVES IN ON THEO.", CameraMove.PUSH_IN),
        ("Zoom in on the clock.", CameraMove.PUSH_IN),
        # pull out
        ("拉镜头，露出整条街。", CameraMove.PULL_OUT),
        ("镜头拉远。", CameraMove.PULL_OUT),
        ("缓缓拉远，只剩一盏灯。", CameraMove.PULL_OUT),
        ("镜头拉开，茶馆空无一人。", CameraMove.PULL_OUT),
        ("镜头缓缓后拉。", CameraMove.PULL_OUT),
        ("Pull out to reveal the empty street.", CameraMove.PULL_OUT),
        ("Pull back.", CameraMove.PULL_OUT),
        ("The camera pulls back from the window.", CameraMove.PULL_OUT),
        ("A slow pull-back from the house.", CameraMove.PULL_OUT),
        ("Dolly out as the music swells.", CameraMove.PULL_OUT),
        ("We dolly back.", CameraMove.PULL_OUT),
        # pan
        ("摇镜头向左，街角空无一人。", CameraMove.PAN_LEFT),
        ("镜头左摇。", CameraMove.PAN_LEFT),
        ("镜头缓缓向左摇。", CameraMove.PAN_LEFT),
        ("向左摇，露出门口。", CameraMove.PAN_LEFT),
        ("左摇，露出门口。", CameraMove.PAN_LEFT),
        ("镜头摇向左边的窗户。", CameraMove.PAN_LEFT),
        ("镜头右摇。", CameraMove.PAN_RIGHT),
        ("右摇，跟着猫。", CameraMove.PAN_RIGHT),
        ("摇镜头向右。", CameraMove.PAN_RIGHT),
        ("镜头向右摇到门口。", CameraMove.PAN_RIGHT),
        ("Pan left to the door.", CameraMove.PAN_LEFT),
        ("The camera pans left.", CameraMove.PAN_LEFT),
        ("Pan to the left.", CameraMove.PAN_LEFT),
        ("Whip pan right.", CameraMove.PAN_RIGHT),
        ("We pan right across the skyline.", CameraMove.PAN_RIGHT),
        # tilt
        ("上摇，露出高楼。", CameraMove.TILT_UP),
        ("镜头上摇。", CameraMove.TILT_UP),
        ("镜头缓缓向上摇。", CameraMove.TILT_UP),
        ("下摇，落在地上的信。", CameraMove.TILT_DOWN),
        ("镜头下摇到她的手。", CameraMove.TILT_DOWN),
        ("Tilt up to the sky.", CameraMove.TILT_UP),
        ("The camera tilts down to her hands.", CameraMove.TILT_DOWN),
        # handheld
        ("手持。", CameraMove.HANDHELD),
        ("（手持）林晓在雨中奔跑。", CameraMove.HANDHELD),
        ("手持摄影，跟着林晓穿过人群。", CameraMove.HANDHELD),
        ("晃动的镜头里，老周倒下。", CameraMove.HANDHELD),
        ("镜头剧烈晃动。", CameraMove.HANDHELD),
        ("Handheld. MAYA runs.", CameraMove.HANDHELD),
        ("HAND-HELD through the crowd.", CameraMove.HANDHELD),
        ("Shaky cam as the car swerves.", CameraMove.HANDHELD),
        # static
        ("固定镜头。", CameraMove.STATIC),
        ("Static shot of the hallway.", CameraMove.STATIC),
        ("Locked-off wide of the room.", CameraMove.STATIC),
    ],
)
def test_camera_moves(text: str, move: CameraMove) -> None:
    assert read_directions(text, characters=ZH + EN).camera is move


@pytest.mark.parametrize(
    "text",
    [
        "林晓推开门。",  # pushes a door, not the camera
        "老周手持长剑，站在门口。",  # 手持 = holding in hand
        "老周马上摇了摇头。",  # 上摇 inside 马上摇头
        "林晓左摇右晃地走着。",  # swaying, not a pan
        "他摇头。",
        "仰拍老周。",  # an angle, not a move (documented decision)
        "俯拍街道。",
        "Low angle on THEO.",
        "MAYA pulls out a gun.",
        "THEO pulls back the curtain.",
        "MAYA pushes in the door.",
        "MAYA moves in for a kiss.",
        "MAYA sits.",
        "",
    ],
)
def test_no_camera_move(text: str) -> None:
    assert read_directions(text, characters=ZH + EN).camera is None


def test_first_camera_phrase_wins() -> None:
    d = read_directions("镜头推近，然后左摇。", characters=[])
    assert d.camera is CameraMove.PUSH_IN
    assert d.matched == ("镜头推近",)


# ----------------------------------------------------------------------------------------------------------- framing


@pytest.mark.parametrize(
    ("text", "framing"),
    [
        ("特写：林晓的手。", Framing.CLOSE),
        ("林晓面部特写。", Framing.CLOSE),
        ("大特写，一滴泪。", Framing.EXTREME_CLOSE),
        ("近景，老周点烟。", Framing.CLOSE),
        ("中近景。", Framing.CLOSE),
        ("中景，两人对坐。", Framing.MEDIUM),
        ("全景，茶馆里人声鼎沸。", Framing.WIDE),
        ("远景，一辆车驶过。", Framing.WIDE),
        ("大远景，城市的黎明。", Framing.ESTABLISHING),
        ("空镜：雨中的街道。", Framing.ESTABLISHING),
        ("空镜头。", Framing.ESTABLISHING),
        ("插入镜头：桌上的信。", Framing.INSERT),
        ("道具特写：怀表。", Framing.INSERT),
        ("Close-up on MAYA.", Framing.CLOSE),
        ("CLOSE UP of the letter.", Framing.CLOSE),
        ("CLOSE ON THEO.", Framing.CLOSE),
        ("Medium close-up of THEO.", Framing.CLOSE),
        ("Extreme close-up: her eye.", Framing.EXTREME_CLOSE),
        ("ECU - the trigger.", Framing.EXTREME_CLOSE),
        ("Medium shot of the two.", Framing.MEDIUM),
        ("Two-shot, MAYA and THEO.", Framing.MEDIUM),
        ("Wide shot of the beach.", Framing.WIDE),
        ("WIDE on the parking lot.", Framing.WIDE),
        ("Establishing shot: the city at dawn.", Framing.ESTABLISHING),
        ("ESTABLISHING - the farmhouse.", Framing.ESTABLISHING),
        ("Extreme wide shot of the desert.", Framing.ESTABLISHING),
        ("INSERT - the letter.", Framing.INSERT),
        ("Insert shot of the key.", Framing.INSERT),
    ],
)
def test_framing(text: str, framing: Framing) -> None:
    assert read_directions(text, characters=ZH + EN).framing is framing


@pytest.mark.parametrize("text", ["Her eyes go wide.", "MAYA moves close to THEO.", "林晓走近老周。", ""])
def test_no_framing(text: str) -> None:
    assert read_directions(text, characters=ZH + EN).framing is None


def test_push_to_close_up_gives_both() -> None:
    d = read_directions("镜头推至特写，林晓闭上眼睛。", characters=ZH)
    assert (d.camera, d.framing) == (CameraMove.PUSH_IN, Framing.CLOSE)
    d = read_directions("Push in to a close-up of MAYA.", characters=EN)
    assert (d.camera, d.framing) == (CameraMove.PUSH_IN, Framing.CLOSE)


# ---------------------------------------------------------------------------------------------------------- position


@pytest.mark.parametrize(
    ("text", "who", "side"),
    [
        ("林晓在画面左侧。", "林晓", Side.LEFT),
        ("林晓站在画左。", "林晓", Side.LEFT),
        ("林晓坐在左边，喝茶。", "林晓", Side.LEFT),
        ("老周在画面右侧。", "老周", Side.RIGHT),
        ("老周坐在右边。", "老周", Side.RIGHT),
        ("老周站在画右。", "老周", Side.RIGHT),
        ("林晓站在中间。", "林晓", Side.CENTER),
        ("林晓站在画面中央。", "林晓", Side.CENTER),
        ("左边的林晓低下头。", "林晓", Side.LEFT),
        ("画面左侧站着老周。", "老周", Side.LEFT),
        ("MAYA stands on the left.", "MAYA", Side.LEFT),
        ("MAYA sits on the left of frame.", "MAYA", Side.LEFT),
        ("MAYA, frame left, reads.", "MAYA", Side.LEFT),
        ("THEO waits screen right.", "THEO", Side.RIGHT),
        ("THEO is on the right side of the frame.", "THEO", Side.RIGHT),
        ("Theo stands in the center of the frame.", "THEO", Side.CENTER),
        ("MAYA sits in the middle.", "MAYA", Side.CENTER),
        ("Frame right, THEO sleeps.", "THEO", Side.RIGHT),
    ],
)
def test_stated_position(text: str, who: str, side: Side) -> None:
    d = read_directions(text, characters=ZH + EN, aliases=EN_ALIASES)
    assert by_name(d)[who].position is side


def test_moving_to_a_side_is_not_a_start_position() -> None:
    d = read_directions("林晓和老周说话，林晓走到右边。", characters=ZH)
    assert by_name(d)["林晓"].position is Side.LEFT  # spread default, not "右边"


# ------------------------------------------------------------------------------------------------------------- exits


@pytest.mark.parametrize(
    ("text", "who", "side"),
    [
        ("林晓从画面左侧出画。", "林晓", Side.LEFT),
        ("林晓从左边出画。", "林晓", Side.LEFT),
        ("林晓走出画面左侧。", "林晓", Side.LEFT),
        ("林晓向左出画。", "林晓", Side.LEFT),
        ("老周从画面右侧出画。", "老周", Side.RIGHT),
        ("老周从右边离开。", "老周", Side.RIGHT),
        ("老周转身，向右走出画面。", "老周", Side.RIGHT),
        ("老周站起来，从右侧出画。", "老周", Side.RIGHT),
        ("MAYA exits frame left.", "MAYA", Side.LEFT),
        ("MAYA exits left.", "MAYA", Side.LEFT),
        ("Maya walks out of frame left.", "MAYA", Side.LEFT),
        ("MAYA exits to the left.", "MAYA", Side.LEFT),
        ("THEO exits frame right.", "THEO", Side.RIGHT),
        ("THEO hurries out of frame right.", "THEO", Side.RIGHT),
        ("THEO walks off screen right.", "THEO", Side.RIGHT),
    ],
)
def test_exit_with_side(text: str, who: str, side: Side) -> None:
    d = read_directions(text, characters=ZH + EN, aliases=EN_ALIASES)
    assert by_name(d)[who].exits is side


@pytest.mark.parametrize(
    ("text", "who", "side"),
    [
        # alone -> CENTER -> plain exit goes RIGHT
        ("林晓出画。", "林晓", Side.RIGHT),
        ("林晓离开。", "林晓", Side.RIGHT),
        ("林晓走出画面。", "林晓", Side.RIGHT),
        ("MAYA exits.", "MAYA", Side.RIGHT),
        ("MAYA walks out.", "MAYA", Side.RIGHT),
        # positioned -> the opposite edge
        ("林晓在画面左侧，她起身出画。", "林晓", Side.RIGHT),
        ("老周在画面右侧。老周离开。", "老周", Side.LEFT),
        ("THEO stands frame right. He exits.", "THEO", Side.LEFT),
        ("MAYA is on the left. She leaves the frame.", "MAYA", Side.RIGHT),
    ],
)
def test_exit_without_side(text: str, who: str, side: Side) -> None:
    d = read_directions(text, characters=ZH + EN)
    assert by_name(d)[who].exits is side


def test_sided_exit_beats_plain_exit() -> None:
    d = read_directions("林晓起身离开。她从画面左侧出画。", characters=ZH)
    assert by_name(d)["林晓"].exits is Side.LEFT


# ------------------------------------------------------------------------------------------------------------ enters


@pytest.mark.parametrize(
    ("text", "who", "side"),
    [
        ("老周从画面右侧入画。", "老周", Side.RIGHT),
        ("老周从右边走进画面。", "老周", Side.RIGHT),
        ("林晓从左侧入画。", "林晓", Side.LEFT),
        ("林晓从画面左边走进来。", "林晓", Side.LEFT),
        ("THEO enters from the right.", "THEO", Side.RIGHT),
        ("THEO enters frame right.", "THEO", Side.RIGHT),
        ("Maya walks in from the left.", "MAYA", Side.LEFT),
        ("MAYA enters frame left.", "MAYA", Side.LEFT),
        ("MAYA steps into frame from the left.", "MAYA", Side.LEFT),
    ],
)
def test_enter_with_side(text: str, who: str, side: Side) -> None:
    d = read_directions(text, characters=ZH + EN, aliases=EN_ALIASES)
    b = by_name(d)[who]
    assert b.enters is side
    assert b.position is side  # an entrance side with no stated position puts them on that side


@pytest.mark.parametrize(
    ("text", "side"),
    [("林晓入画。", Side.LEFT), ("林晓走进画面。", Side.LEFT), ("MAYA enters.", Side.LEFT)],
)
def test_enter_without_side_alone_comes_from_left(text: str, side: Side) -> None:
    d = read_directions(text, characters=ZH + EN)
    assert d.blocking[0].enters is side


def test_enter_without_side_uses_own_side() -> None:
    d = read_directions("老周坐在画面右侧。林晓入画。", characters=ZH)
    assert by_name(d)["林晓"].position is Side.LEFT
    assert by_name(d)["林晓"].enters is Side.LEFT
    d = read_directions("MAYA sits frame left. THEO is on the right. THEO enters.", characters=EN)
    assert by_name(d)["THEO"].enters is Side.RIGHT


# -------------------------------------------------------------------------------------------------------------- look


@pytest.mark.parametrize(
    ("text", "who", "look"),
    [
        ("林晓看向画面右侧。", "林晓", Look.RIGHT),
        ("林晓望向右边。", "林晓", Look.RIGHT),
        ("林晓向右看。", "林晓", Look.RIGHT),
        ("老周看向画面左侧。", "老周", Look.LEFT),
        ("老周转头望向左边。", "老周", Look.LEFT),
        ("林晓一直看向镜头。", "林晓", Look.CAMERA),
        ("林晓看着镜头。", "林晓", Look.CAMERA),
        ("老周直视镜头。", "老周", Look.CAMERA),
        ("老周抬头，望向镜头。", "老周", Look.CAMERA),
        ("MAYA looks right.", "MAYA", Look.RIGHT),
        ("MAYA looks to frame right.", "MAYA", Look.RIGHT),
        ("THEO glances off left.", "THEO", Look.LEFT),
        ("THEO looks to the left.", "THEO", Look.LEFT),
        ("MAYA looks at the camera.", "MAYA", Look.CAMERA),
        ("MAYA looks at camera.", "MAYA", Look.CAMERA),
        ("MAYA keeps looking at the camera.", "MAYA", Look.CAMERA),
        ("THEO stares into the lens.", "THEO", Look.CAMERA),
        ("THEO looks right at the camera.", "THEO", Look.CAMERA),  # "right" is an adverb here
        ("MAYA looks straight into the camera.", "MAYA", Look.CAMERA),
        ("THEO addresses the camera.", "THEO", Look.CAMERA),
    ],
)
def test_look(text: str, who: str, look: Look) -> None:
    d = read_directions(text, characters=ZH + EN)
    assert by_name(d)[who].look is look


@pytest.mark.parametrize(
    "text",
    [
        "MAYA doesn't look at the camera.",
        "MAYA does not look at the camera.",
        "MAYA never looks at the camera.",
        "MAYA, without looking at the camera, leaves.",
        "MAYA avoids looking at the camera.",
        "Maya doesn’t even look at the camera.",
        "林晓没有看镜头。",
        "林晓不看镜头。",
        "林晓没看镜头。",
        "林晓始终不敢看镜头。",
        "林晓并未看向镜头。",
    ],
)
def test_negated_look_at_camera(text: str) -> None:
    d = read_directions(text, characters=ZH + EN, aliases=EN_ALIASES)
    assert all(b.look is not Look.CAMERA for b in d.blocking)
    assert not any("镜头" in m or "camera" in m for m in d.matched)


@pytest.mark.parametrize("text", ["林晓不时看向镜头。", "林晓忍不住看向镜头。", "林晓不停地看着镜头。"])
def test_not_actually_negated(text: str) -> None:
    # 不时 (now and then), 忍不住 (can't help), 不停地 (keeps) contain 不 but are not negations
    assert read_directions(text, characters=ZH).blocking[0].look is Look.CAMERA


def test_negated_exit_does_not_become_a_position() -> None:
    d = read_directions("林晓没有从左边出画。", characters=ZH)
    b = by_name(d)["林晓"]
    assert (b.exits, b.position) == (None, Side.CENTER)


def test_look_at_a_character_turns_toward_them() -> None:
    d = read_directions("THEO is frame right. MAYA, on the left, looks at THEO.", characters=EN)
    assert by_name(d)["MAYA"].look is Look.RIGHT
    assert by_name(d)["THEO"].look is None


def test_explicit_look_beats_look_at() -> None:
    d = read_directions("老周在画面右侧，看向镜头，又看着林晓。", characters=ZH)
    assert by_name(d)["老周"].look is Look.CAMERA


# ------------------------------------------------------------------------------------------------------- attribution


def test_brief_example_two_characters_one_sentence() -> None:
    d = read_directions("林晓在画面左侧，老周从画面右侧入画，看向林晓。", characters=ZH)
    assert [b.character for b in d.blocking] == ["林晓", "老周"]
    lin, zhou = d.blocking
    assert lin.position is Side.LEFT and lin.enters is None and lin.look is None
    assert zhou.enters is Side.RIGHT and zhou.position is Side.RIGHT
    assert zhou.look is Look.LEFT  # looks at 林晓, who is on the left
    assert d.matched == ("在画面左侧", "从画面右侧入画", "看向林晓")


def test_english_example_exits_frame_left() -> None:
    d = read_directions("MAYA exits frame left.", characters=EN)
    assert d.blocking == (Blocking(character="MAYA", position=Side.CENTER, exits=Side.LEFT),)
    assert d.matched == ("exits frame left",)


def test_pronoun_with_one_known_character() -> None:
    d = read_directions("She keeps looking at the camera.", characters=["MAYA"])
    assert d.blocking == (Blocking(character="MAYA", position=Side.CENTER, look=Look.CAMERA),)


def test_pronoun_with_several_known_characters_and_no_mention_is_dropped() -> None:
    d = read_directions("She keeps looking at the camera.", characters=EN)
    assert d.blocking == ()


def test_sentence_without_character_goes_to_last_mentioned() -> None:
    d = read_directions("MAYA nods at THEO. He exits frame right.", characters=EN)
    assert by_name(d)["THEO"].exits is Side.RIGHT
    assert by_name(d)["MAYA"].exits is None
    d = read_directions("老周看了林晓一眼。她从左边出画。", characters=ZH)
    assert by_name(d)["林晓"].exits is Side.LEFT


def test_nearest_preceding_in_clause() -> None:
    d = read_directions("MAYA watches as THEO exits frame left.", characters=EN)
    assert by_name(d)["THEO"].exits is Side.LEFT
    assert by_name(d)["MAYA"].exits is None


def test_subject_carries_over_clauses() -> None:
    d = read_directions("老周站起来，拿起帽子，从画面右侧出画。", characters=ZH)
    assert by_name(d)["老周"].exits is Side.RIGHT


def test_mixed_language_names_and_aliases() -> None:
    d = read_directions("Maya在画面左侧，Theodore从右边入画。", characters=EN, aliases=EN_ALIASES)
    assert by_name(d)["MAYA"].position is Side.LEFT
    assert by_name(d)["THEO"].enters is Side.RIGHT


def test_case_insensitive_latin_names_but_whole_words() -> None:
    d = read_directions("maya sits. Mayan ruins loom.", characters=["MAYA"])
    assert [b.character for b in d.blocking] == ["MAYA"]


# ---------------------------------------------------------------------------------------------------------- defaults


def test_single_character_without_cues_is_center() -> None:
    d = read_directions("林晓喝了一口茶。", characters=ZH)
    assert d.blocking == (Blocking(character="林晓", position=Side.CENTER),)
    assert (d.camera, d.framing, d.matched) == (None, None, ())


def test_two_characters_spread_left_right_in_order_of_mention() -> None:
    d = read_directions("老周和林晓对坐喝茶。", characters=ZH)
    assert [(b.character, b.position) for b in d.blocking] == [("老周", Side.LEFT), ("林晓", Side.RIGHT)]


def test_three_characters_spread_left_right_center() -> None:
    d = read_directions("MAYA, THEO and JUNE sit at the table.", characters=["MAYA", "THEO", "JUNE"])
    assert [b.position for b in d.blocking] == [Side.LEFT, Side.RIGHT, Side.CENTER]


def test_stated_side_is_kept_and_the_other_takes_the_free_side() -> None:
    d = read_directions("林晓和老周说话。林晓在画面右侧。", characters=ZH)
    assert by_name(d)["林晓"].position is Side.RIGHT
    assert by_name(d)["老周"].position is Side.LEFT
    d = read_directions("MAYA and THEO talk. THEO is on the left.", characters=EN)
    assert by_name(d)["MAYA"].position is Side.RIGHT


def test_stated_center_pushes_others_to_the_sides() -> None:
    d = read_directions("JUNE stands in the center of the frame. MAYA and THEO flank her.",
                        characters=["MAYA", "THEO", "JUNE"])
    assert {b.character: b.position for b in d.blocking} == {
        "JUNE": Side.CENTER, "MAYA": Side.LEFT, "THEO": Side.RIGHT}


def test_unknown_names_are_ignored_and_no_characters_is_fine() -> None:
    d = read_directions("镜头左摇，空无一人。", characters=[])
    assert d == Directions(camera=CameraMove.PAN_LEFT, framing=None, blocking=(), matched=("镜头左摇",))


def test_matched_records_every_decision_in_text_order() -> None:
    d = read_directions("Wide shot. Handheld. MAYA enters from the left and looks at the camera.", characters=EN)
    assert d.matched == ("Wide shot", "Handheld", "enters from the left", "looks at the camera")
    assert d.blocking == (Blocking(character="MAYA", position=Side.LEFT, enters=Side.LEFT, look=Look.CAMERA),)


def test_side_modifier_describes_the_name_that_follows() -> None:
    d = read_directions("老周看向左边的林晓。", characters=ZH)
    assert by_name(d)["林晓"].position is Side.LEFT
    assert by_name(d)["老周"].position is Side.RIGHT
    assert by_name(d)["老周"].look is None  # not "looks left": 左边 belongs to 林晓


@pytest.mark.parametrize(
    ("text", "exits"),
    [("林晓拉开门，走了出去。", Side.RIGHT), ("林晓离开了茶馆。", Side.RIGHT), ("林晓向左边走去。", None)],
)
def test_more_chinese_exits(text: str, exits: Side | None) -> None:
    assert read_directions(text, characters=ZH).blocking[0].exits is exits
    assert read_directions(text, characters=ZH).camera is None  # 拉开门 opens a door; it is not 镜头拉开
