"""Tests of the Fountain parser against the conformance corpus and Chinese scripts written here.

The corpus is kept in tests/corpus/fountain (from nyousefi/Fountain's test suite, MIT, notice beside it); set
STORYREEL_FOUNTAIN_CORPUS to point elsewhere. Without it the corpus tests fail rather than skip: a conformance
suite that quietly vanishes proves nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyreel.errors import ScriptError
from storyreel.script import Element, Kind, Scene, Screenplay, Speech, parse_fountain, read_fountain

K = Kind


def _find_corpus() -> Path | None:
    configured = os.environ.get("STORYREEL_FOUNTAIN_CORPUS")
    repo = Path(__file__).resolve().parents[2]
    candidates = [Path(configured)] if configured else []
    candidates += [repo / "tests/corpus/fountain", repo.parent / "shared/corpus/fountain"]
    return next((c for c in candidates if (c / "README.md").is_file()), None)


CORPUS = _find_corpus()
CORPUS_FILES = sorted(
    [
        "Boneyard", "Brick And Steel", "CenteredText", "Dialogue", "DualDialogue", "ForcedElements", "Indenting",
        "MultilineAction", "Notes", "PageBreaks", "SceneHeaders", "SceneNumbers", "SectionHeaders",
        "Sections-Complex", "Simple", "Synopses", "Transitions",
    ]
)


def corpus(name: str) -> Path:
    if CORPUS is None:
        pytest.fail("Fountain corpus not found; set STORYREEL_FOUNTAIN_CORPUS to its folder")
    return CORPUS / f"{name}.fountain"


def outline(play: Screenplay) -> list[tuple[int, Kind, str]]:
    return [(e.line, e.kind, e.text) for e in play.elements]


def only(play: Screenplay, kind: Kind) -> list[Element]:
    return [e for e in play.elements if e.kind is kind]


# -- the corpus ------------------------------------------------------------------------------------------------


def test_corpus_holds_the_files_this_suite_knows() -> None:
    found = sorted(p.stem for p in corpus("Simple").parent.glob("*.fountain"))
    assert found == CORPUS_FILES


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_file_parses_with_true_line_numbers(name: str) -> None:
    path = corpus(name)
    play = read_fountain(path)
    assert play.source == str(path)
    assert play.elements
    source_lines = path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    previous = 0
    for element in play.elements:
        assert previous <= element.line <= element.end_line <= len(source_lines)
        previous = element.line
        if element.kind in (K.NOTE, K.BONEYARD):
            assert element.raw.split("\n")[0] in source_lines[element.line - 1]
            assert element.raw.split("\n")[-1] in source_lines[element.end_line - 1]
        else:
            assert element.raw.split("\n")[0] == source_lines[element.line - 1]
            assert element.raw.split("\n")[-1] == source_lines[element.end_line - 1]


EXPECTED: dict[str, list[tuple[int, Kind, str]]] = {
    "Boneyard": [
        (1, K.ACTION, "A line of action."),
        (3, K.BONEYARD, "This is an inline Boneyard."),
        (5, K.BONEYARD, "This is a\nmulti-line\nBoneyard."),
        (11, K.ACTION, "This is an boneyard."),
        (11, K.BONEYARD, "internal"),
    ],
    "CenteredText": [
        (1, K.CENTERED, "Centered"),
        (3, K.TRANSITION, "Not centered"),
        (5, K.CENTERED, "No space"),
        (7, K.CENTERED, "Lots of Space"),
    ],
    "Dialogue": [
        (1, K.CHARACTER, "ADAM"), (2, K.DIALOGUE, "I like to write."),
        (4, K.CHARACTER, "EVE"), (5, K.DIALOGUE, "What kind of writing?"),
        (7, K.CHARACTER, "ADAM"), (8, K.PARENTHETICAL, "nervous"), (9, K.DIALOGUE, "Screenwriting."),
        (11, K.CHARACTER, "EVE"), (12, K.DIALOGUE, "ME TOO!"),
        (14, K.CHARACTER, "EVE"), (15, K.DIALOGUE, "I think screenwriting is the best."),
        (17, K.CHARACTER, "ADAM"),
        (18, K.DIALOGUE, "That's great.\nI was really worried you wouldn't\nlike screenwriting."),
        (22, K.CHARACTER, "EVE"), (23, K.DIALOGUE, "Oh, Adam."), (24, K.PARENTHETICAL, "kissing him"),
        (26, K.CHARACTER, "ADAM"), (27, K.DIALOGUE, "I love you."),
        (29, K.CHARACTER, "EVE"), (30, K.DIALOGUE, "You're so stupid."),
        (32, K.CHARACTER, "R2D2"), (33, K.DIALOGUE, "Bleep Boop."),
        (34, K.PARENTHETICAL, "This is a valid character cue."),
        (36, K.ACTION, "23 (O.S.)\nCharacter name must include a letter"),
        (39, K.CHARACTER, "ADAM"),
        (40, K.DIALOGUE, "That was really weird.\nI can be weird to. Here's\na space in the dialogue\nblock\n\n"
                         "for absolutely no good\nreason."),
        (48, K.CHARACTER, "EVE"), (49, K.PARENTHETICAL, "feeling cocky"),
        (50, K.DIALOGUE, "Well, then I'll just indent!"),
    ],
    "DualDialogue": [
        (1, K.CHARACTER, "ADAM"), (2, K.DIALOGUE, "Yes."), (4, K.CHARACTER, "EVE"), (5, K.DIALOGUE, "No."),
    ],
    "ForcedElements": [
        (1, K.ACTION, "BANG\nBANG\nBANG"),
        (5, K.CHARACTER, "McDUCK"), (6, K.DIALOGUE, "I'm vegan."),
        (8, K.CHARACTER, "SINGER"), (9, K.LYRICS, "These are the songs\nThat I sing."),
    ],
    "Indenting": [
        (1, K.TRANSITION, "CUT TO:"),
        (3, K.SCENE_HEADING, "INT. GARAGE - DAY"),
        (5, K.ACTION, "BRICK and STEEL get into Mom's PORSCHE, Steel at the wheel.  They pause for a beat, "
                      "the gravity of the situation catching up with them."),
        (7, K.CHARACTER, "BRICK"), (8, K.DIALOGUE, "This is everybody we've ever put away."),
        (10, K.CHARACTER, "STEEL"), (11, K.PARENTHETICAL, "starting the engine"),
        (12, K.DIALOGUE, "So much for retirement!"),
        (14, K.ACTION, "They speed off.  To destiny!"),
    ],
    "MultilineAction": [
        (1, K.ACTION, "A normal line of action."),
        (3, K.ACTION, "This is a multi-line block of Action.\nMade famous by the great\nWALTER HILL\n"
                      "but used by many other writers."),
        (8, K.ACTION, "A normal line of action."),
    ],
    "Notes": [
        (1, K.ACTION, "A line."),
        (3, K.NOTE, "A note."),
        (5, K.NOTE, "This line spans\nmultiple lines."),
        (8, K.ACTION, "This is an note."),
        (8, K.NOTE, "internal"),
    ],
    "PageBreaks": [
        (1, K.ACTION, "Page one."), (3, K.PAGE_BREAK, ""), (5, K.ACTION, "Page two."), (7, K.PAGE_BREAK, ""),
        (9, K.ACTION, "Page three."),
    ],
    "SceneHeaders": [
        *[
            (2 * n + 1, K.SCENE_HEADING, text)
            for n, text in enumerate(
                ["INT. HOUSE - DAY", "EXT. HOUSE - DAY", "INT HOUSE DAY", "EXT HOUSE DAY", "INT/EXT. HOUSE - DAY",
                 "INT./EXT. HOUSE - DAY", "I/E. HOUSE - DAY", "I./E. HOUSE - DAY", "I/E HOUSE DAY",
                 "INT - HOUSE - DAY", "EXT - HOUSE - DAY", "EST. HOUSE - DAY", "EST HOUSE DAY",
                 "INT. HOUSE - DAY (1979)", "KITCHEN"]
            )
        ],
        (31, K.ACTION, "... not a scene header."),
        (33, K.ACTION, "INT. HOUSE - DAY\nEXT. HOUSE - DAY"),
        (36, K.ACTION, "ESTABLISHING"),
        (38, K.SCENE_HEADING, "int. house - day"),
    ],
    "SceneNumbers": [(2 * n + 1, K.SCENE_HEADING, "INT. HOUSE - DAY") for n in range(6)]
    + [(13, K.SCENE_HEADING, "INT. HOUSE - DAY - FLASHBACK (1944)")],
    "SectionHeaders": [
        (1, K.SECTION, "Act One"), (3, K.SECTION, "Act Two"), (5, K.SECTION, "ACT THREE"),
        (7, K.SECTION, "ACT FOUR"), (9, K.SECTION, "5"), (11, K.SECTION, "Level 2"), (13, K.SECTION, "Level 3"),
    ],
    "Sections-Complex": [
        (1, K.SECTION, "Act 1"), (2, K.SYNOPSIS, "Synopsis 1"), (4, K.SCENE_HEADING, "INT. LOCATION - DAY"),
        (6, K.SECTION, "Act 2"), (7, K.SECTION, "Sequence 1"), (9, K.SCENE_HEADING, "INT. LOCATION - DAY"),
    ],
    "Simple": [
        (1, K.TITLE, "A Simple Script"), (2, K.TITLE, "Nima Yousefi"), (3, K.TITLE, "2/1/2012"),
        (6, K.ACTION, "FADE IN:"),
        (8, K.SCENE_HEADING, "INT. OFFICE - MORNING"),
        (10, K.ACTION, "A MAN sits alone at his desk."),
        (12, K.CHARACTER, "MAN"), (13, K.PARENTHETICAL, "passionately"), (14, K.DIALOGUE, "I'm writing."),
        (16, K.PAGE_BREAK, ""),
        (18, K.SCENE_HEADING, "ext. house - day"),
        (20, K.ACTION, "Another scene."),
        (22, K.TRANSITION, "Burn to White."),
        (24, K.CENTERED, "THE END"),
        (26, K.NOTE, "Comment"),
        (28, K.SYNOPSIS, "Synopsis"),
        (30, K.BONEYARD, "This text is in the boneyard."),
        (34, K.SECTION, "Section 1"),
        (36, K.ACTION, "This is in section one."),
        (38, K.SECTION, "Section 1-1"),
        (40, K.ACTION, "This should be at a higher depth than the previous section."),
        (42, K.SCENE_HEADING, "FORCED SCENE HEADING"),
        (44, K.ACTION, "... Not a forced scene heading"),
        (46, K.BONEYARD, "Boneyard 2"),
        (48, K.ACTION, "Scott exasperatedly throws down the card on the table and picks up the phone, hitting "
                       "speed dial #1..."),
        (50, K.NOTE, "The following should not be considered a transition because it ends with one or more spaces."),
        (52, K.ACTION, "CUT TO:"),
    ],
    "Synopses": [
        (1, K.SECTION, "Act One"), (3, K.SYNOPSIS, "This is the first act."),
        (5, K.SECTION, "Act Two"), (7, K.SYNOPSIS, "This is another act."),
        (9, K.SECTION, "Act Three"), (11, K.SYNOPSIS, "THE FINAL ACT"),
    ],
    "Transitions": [
        (1, K.TRANSITION, "CUT TO:"), (3, K.TRANSITION, "SMASH CUT TO:"), (5, K.ACTION, "FADE TO BLACK."),
        (7, K.TRANSITION, "NOT A STANDARD TRANSITION:"), (9, K.ACTION, "CUT TO:"), (11, K.TRANSITION, "GO TO:"),
        (13, K.TRANSITION, "TO:"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_classification(name: str) -> None:
    assert outline(read_fountain(corpus(name))) == EXPECTED[name]


def test_corpus_details_beyond_kind_and_text() -> None:
    dialogue = read_fountain(corpus("Dialogue"))
    cues = only(dialogue, K.CHARACTER)
    assert [(c.line, c.extension) for c in cues if c.extension] == [(4, "O.S."), (14, "cont'd")]
    assert [c.line for c in cues if c.dual] == [29]
    indented = cues[-1]
    assert indented.raw == "\t\tEVE" and indented.text == "EVE"
    assert only(dialogue, K.PARENTHETICAL)[-1].raw == "\t  (feeling cocky)"
    assert only(dialogue, K.DIALOGUE)[-1].raw == "\tWell, then I'll just indent!"
    # the "two spaces" line (46) keeps the speech whole
    assert [(d.line, d.end_line) for d in only(dialogue, K.DIALOGUE)][-2] == (40, 46)

    forced = read_fountain(corpus("ForcedElements"))
    assert [(e.kind, e.forced, e.raw) for e in forced.elements[:2]] == [
        (K.ACTION, True, "!BANG\nBANG\nBANG"), (K.CHARACTER, True, "@McDUCK")]

    numbers = read_fountain(corpus("SceneNumbers"))
    assert [h.scene_number for h in numbers.elements] == ["1", "1A", "1a", "A1", "I-1-A", "1.", "110A"]
    assert numbers.elements[-1].raw == "INT. HOUSE - DAY - FLASHBACK (1944) #110A#"

    headers = read_fountain(corpus("SceneHeaders"))
    assert [h.line for h in only(headers, K.SCENE_HEADING) if h.forced] == [29]
    assert headers.warnings == (f"{corpus('SceneHeaders')}:33: looks like a scene heading but has no blank line "
                                "after it; read as action",)

    sections = read_fountain(corpus("SectionHeaders"))
    assert [s.depth for s in sections.elements] == [1, 1, 1, 1, 1, 2, 3]
    complex_ = read_fountain(corpus("Sections-Complex"))
    assert [s.depth for s in only(complex_, K.SECTION)] == [1, 1, 2]

    simple = read_fountain(corpus("Simple"))
    assert simple.title_page == {"title": "A Simple Script", "author": "Nima Yousefi", "draft date": "2/1/2012"}
    assert [(e.line, e.end_line) for e in only(simple, K.BONEYARD)] == [(30, 32), (46, 46)]
    assert [e.forced for e in only(simple, K.TRANSITION)] == [True]
    assert [s.heading.text for s in simple.scenes] == ["INT. OFFICE - MORNING", "ext. house - day",
                                                      "FORCED SCENE HEADING"]

    centered = read_fountain(corpus("CenteredText"))
    assert [e.raw for e in centered.elements][-1] == ">      Lots of Space\t\t<"


# -- Brick & Steel: the README's counts ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brick() -> Screenplay:
    return read_fountain(corpus("Brick And Steel"))


def test_brick_and_steel_title_page(brick: Screenplay) -> None:
    assert brick.title_page == {
        "title": "BRICK & STEEL\nFULL RETIRED",
        "credit": "Written by",
        "author": "Stu Maschwitz",
        "source": "Story by KTM",
        "draft date": "1/27/2012",
        "contact": "Next Level Productions\n1588 Mission Dr.\nSolvang, CA 93463",
    }
    title = only(brick, K.TITLE)
    assert [(t.line, t.end_line) for t in title] == [(1, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 11)]
    assert title[0].raw == "Title:\n\t_**BRICK & STEEL**_\n\t_**FULL RETIRED**_"  # emphasis kept in raw
    assert brick.warnings == ()


def test_brick_and_steel_scene_headings(brick: Screenplay) -> None:
    headings = only(brick, K.SCENE_HEADING)
    assert len(headings) == 8
    assert sum(not h.forced and h.text.startswith(("INT.", "EXT.")) for h in headings) == 6
    assert [(h.line, h.text) for h in headings if h.forced] == [(80, "SNIPER SCOPE POV"), (95, "OPENING TITLES")]
    assert [h.line for h in headings] == [13, 53, 69, 80, 95, 105, 129, 144]


def test_brick_and_steel_centered_and_transitions(brick: Screenplay) -> None:
    assert [(c.line, c.text) for c in only(brick, K.CENTERED)] == [
        (97, "BRICK BRADDOCK"), (98, "& DICK STEEL IN"), (100, "BRICK & STEEL"), (101, "FULL RETIRED"),
        (160, "THE END")]
    transitions = only(brick, K.TRANSITION)
    assert len(transitions) == 7
    assert sum(t.text.endswith("TO:") for t in transitions) == 6
    assert [t.raw for t in transitions if t.raw != t.raw.lstrip()] == ["\t\t\t\tCUT TO:"]
    assert [(t.line, t.text) for t in transitions if t.forced] == [(158, "BURN TO PINK.")]


def test_brick_and_steel_dialogue(brick: Screenplay) -> None:
    dual = [c for c in only(brick, K.CHARACTER) if c.dual]
    assert [(c.line, c.text, c.raw) for c in dual] == [(48, "BRICK", "BRICK ^")]
    jack = next(c for c in only(brick, K.CHARACTER) if c.text == "JACK")
    block = brick.elements[brick.elements.index(jack) : brick.elements.index(jack) + 3]
    assert [(e.line, e.kind, e.text) for e in block] == [
        (57, K.CHARACTER, "JACK"),
        (58, K.PARENTHETICAL, "in Vietnamese, subtitled"),
        (59, K.DIALOGUE, "Did you know Brick and Steel are retired?"),
    ]
    assert block[2].raw == "\t*Did you know Brick and Steel are retired?*"
    assert brick.characters == ["STEEL", "BRICK", "JACK", "DAN", "COGNITO", "MINION", "HANDSOME MAN"]


def test_brick_and_steel_scenes_and_speeches(brick: Screenplay) -> None:
    scenes = brick.scenes
    assert [s.number for s in scenes] == list(range(1, 9))
    first = scenes[0]
    assert first.heading.text == "EXT. BRICK'S PATIO - DAY"
    speeches = [b for b in first.beats if isinstance(b, Speech)]
    assert [s.character for s in speeches] == ["STEEL", "BRICK", "STEEL", "STEEL", "BRICK", "STEEL", "BRICK"]
    assert speeches[3] == Speech("STEEL", None, False, 30, ("beer raised",), "To retirement.",
                                 (("parenthetical", "beer raised"), ("dialogue", "To retirement.")))
    assert speeches[-1].dual and speeches[-1].line == 48
    assert isinstance(first.beats[-1], Element) and first.beats[-1].kind is K.TRANSITION
    pool = scenes[2]
    phone = next(b for b in pool.beats if isinstance(b, Speech))
    assert phone.parentheticals == ("pause", "pause")
    assert phone.text == "They're coming out of the woodwork!\nNo, everybody we've put away!\nPoint Blank Sniper?"
    assert [k for k, _ in phone.lines] == ["dialogue", "parenthetical", "dialogue", "parenthetical", "dialogue"]
    titles = scenes[4]
    assert [b.kind for b in titles.beats if isinstance(b, Element)] == [K.CENTERED] * 4 + [K.TRANSITION]
    assert all(b.kind not in (K.NOTE, K.BONEYARD) for s in scenes for b in s.beats if isinstance(b, Element))


# -- Chinese scripts -------------------------------------------------------------------------------------------

ZH_SCRIPT = """\
Title: 晨光
    **第一稿**
Author: 王导
Contact：
\t北京市朝阳区

# 第一幕
## 相遇

INT. 咖啡馆 - 日 #1A#
= 林晓第一次见到老周。

林晓坐在窗边，*慢慢*搅动咖啡。
\t窗外下着雨。

@林晓（画外音）
那天早上，一切都变了。

@老周 (V.O.)
（低声）
你来晚了。
[[这里要加音效]]
我等了**很久**。

@林晓 ^
我知道。

> 切至：

===

.天台

~月亮代表我的心
~你问我爱你有多深

@林晓
（唱）
~我爱你有几分
  
~我的情也真

/* 删掉的一场戏
@老周
再见。 */

> 剧终 <
"""


def test_chinese_script_every_element_with_lines() -> None:
    play = parse_fountain(ZH_SCRIPT, source="晨光.fountain")
    assert play.title_page == {"title": "晨光\n第一稿", "author": "王导", "contact": "北京市朝阳区"}
    assert [(e.line, e.end_line, e.kind, e.text) for e in play.elements] == [
        (1, 2, K.TITLE, "晨光\n第一稿"),
        (3, 3, K.TITLE, "王导"),
        (4, 5, K.TITLE, "北京市朝阳区"),
        (7, 7, K.SECTION, "第一幕"),
        (8, 8, K.SECTION, "相遇"),
        (10, 10, K.SCENE_HEADING, "INT. 咖啡馆 - 日"),
        (11, 11, K.SYNOPSIS, "林晓第一次见到老周。"),
        (13, 14, K.ACTION, "林晓坐在窗边，慢慢搅动咖啡。\n窗外下着雨。"),
        (16, 16, K.CHARACTER, "林晓"),
        (17, 17, K.DIALOGUE, "那天早上，一切都变了。"),
        (19, 19, K.CHARACTER, "老周"),
        (20, 20, K.PARENTHETICAL, "低声"),
        (21, 23, K.DIALOGUE, "你来晚了。\n我等了很久。"),
        (22, 22, K.NOTE, "这里要加音效"),
        (25, 25, K.CHARACTER, "林晓"),
        (26, 26, K.DIALOGUE, "我知道。"),
        (28, 28, K.TRANSITION, "切至："),
        (30, 30, K.PAGE_BREAK, ""),
        (32, 32, K.SCENE_HEADING, "天台"),
        (34, 35, K.LYRICS, "月亮代表我的心\n你问我爱你有多深"),
        (37, 37, K.CHARACTER, "林晓"),
        (38, 38, K.PARENTHETICAL, "唱"),
        (39, 41, K.LYRICS, "我爱你有几分\n\n我的情也真"),
        (43, 45, K.BONEYARD, "删掉的一场戏\n@老周\n再见。"),
        (47, 47, K.CENTERED, "剧终"),
    ]
    assert play.warnings == ()
    cues = only(play, K.CHARACTER)
    assert [(c.forced, c.extension, c.dual) for c in cues] == [
        (True, "画外音", False), (True, "V.O.", False), (True, None, True), (True, None, False)]
    heading = only(play, K.SCENE_HEADING)
    assert [(h.scene_number, h.forced, h.raw) for h in heading] == [
        ("1A", False, "INT. 咖啡馆 - 日 #1A#"), (None, True, ".天台")]
    assert [s.depth for s in only(play, K.SECTION)] == [1, 2]
    assert only(play, K.ACTION)[0].raw == "林晓坐在窗边，*慢慢*搅动咖啡。\n\t窗外下着雨。"
    assert only(play, K.TRANSITION)[0].forced
    assert play.characters == ["林晓", "老周"]


def test_chinese_script_scenes_for_the_planner() -> None:
    cafe, roof = parse_fountain(ZH_SCRIPT).scenes
    assert (cafe.number, cafe.heading.scene_number, roof.number) == (1, "1A", 2)
    assert [type(b).__name__ for b in cafe.beats] == ["Element", "Speech", "Speech", "Speech", "Element"]
    zhou = cafe.beats[2]
    assert zhou == Speech(
        character="老周", extension="V.O.", dual=False, line=19, parentheticals=("低声",),
        text="你来晚了。\n我等了很久。", lines=(("parenthetical", "低声"), ("dialogue", "你来晚了。\n我等了很久。")),
    )
    assert isinstance(cafe.beats[3], Speech) and cafe.beats[3].dual
    song, singer, end = roof.beats
    assert isinstance(song, Element) and song.kind is K.LYRICS  # a song nobody sings on screen stays a beat
    assert isinstance(singer, Speech) and singer.text == "我爱你有几分\n\n我的情也真"
    assert singer.lines == (("parenthetical", "唱"), ("lyrics", "我爱你有几分\n\n我的情也真"))
    assert isinstance(end, Element) and end.kind is K.CENTERED


def test_chinese_names_need_the_at_sign() -> None:
    play = parse_fountain("林晓\n你好。\n\n@林晓\n你好。\n")
    assert outline(play) == [(1, K.ACTION, "林晓\n你好。"), (4, K.CHARACTER, "林晓"), (5, K.DIALOGUE, "你好。")]


def test_chinese_dual_dialogue_and_full_width_parentheses() -> None:
    play = parse_fountain("INT. 家 - 夜\n\n@林晓（画外音）\n（轻声）\n你在吗？\n\n@老周（电话）^\n在。\n")
    speeches = [b for b in play.scenes[0].beats if isinstance(b, Speech)]
    assert [(s.character, s.extension, s.dual, s.parentheticals) for s in speeches] == [
        ("林晓", "画外音", False, ("轻声",)), ("老周", "电话", True, ())]


# -- English details not in the corpus -------------------------------------------------------------------------


def test_emphasis_removed_from_text_kept_in_raw() -> None:
    text = "***bold italic*** **bold** *italic* _underline_ \\*not italic\\* file_name 2 * 3 * 4"
    (action,) = parse_fountain(text).elements
    assert action.text == "bold italic bold italic underline *not italic* file_name 2 * 3 * 4"
    assert action.raw == text


def test_extensions_and_forcing() -> None:
    play = parse_fountain(
        "BOB (V.O.) (CONT'D)\nHi.\n\n!INT. NOT A HEADING\n\n!CUT TO:\n\n@bob ^\nLower case.\n\n"
        "> CUT TO: <\n\n>\n\nEXT. PARK - DAY\n\nANNA\n(beat,\nthen softly)\nGo.\n"
    )
    assert [(e.line, e.kind, e.text, e.forced) for e in play.elements] == [
        (1, K.CHARACTER, "BOB", False), (2, K.DIALOGUE, "Hi.", False),
        (4, K.ACTION, "INT. NOT A HEADING", True),
        (6, K.ACTION, "CUT TO:", True),
        (8, K.CHARACTER, "bob", True), (9, K.DIALOGUE, "Lower case.", False),
        (11, K.CENTERED, "CUT TO:", False),
        (13, K.ACTION, ">", False),
        (15, K.SCENE_HEADING, "EXT. PARK - DAY", False),
        (17, K.CHARACTER, "ANNA", False), (18, K.PARENTHETICAL, "beat,\nthen softly", False),
        (20, K.DIALOGUE, "Go.", False),
    ]
    assert only(play, K.CHARACTER)[0].extension == "V.O., CONT'D"
    assert only(play, K.CHARACTER)[1].dual
    assert only(play, K.PARENTHETICAL)[0].end_line == 19


def test_title_page_needs_every_line_to_fit() -> None:
    assert parse_fountain("FADE IN:\n\nINT. HOUSE - DAY\n").title_page == {}
    loose = parse_fountain("Title: Night\nThis is not a key\n")
    assert loose.title_page == {} and loose.warnings == ("<string>:2: title page line is neither 'Key: value' nor "
                                                         "an indented continuation; the block is read as the script",)
    play = parse_fountain("\n\nTITLE: One\nNotes:\n   first\n   second\n\nACTION.\n")
    assert play.title_page == {"title": "One", "notes": "first\nsecond"}
    assert outline(play)[-1] == (8, K.ACTION, "ACTION.")


def test_notes_inside_dialogue_and_blocks() -> None:
    play = parse_fountain("BOB\n[[aside\nacross lines]]\nHello [[inline]] there.\n\nAfter.\n")
    assert outline(play) == [
        (1, K.CHARACTER, "BOB"),
        (2, K.NOTE, "aside\nacross lines"),
        (4, K.DIALOGUE, "Hello there."),
        (4, K.NOTE, "inline"),
        (6, K.ACTION, "After."),
    ]


def test_boneyard_keeps_later_line_numbers() -> None:
    with_boneyard = "A.\n\n/* gone\n\nINT. NOT - DAY\n\nBOB\nNope. */\n\nINT. HOUSE - DAY\n\nBOB\nHi. /* x */\n"
    play = parse_fountain(with_boneyard)
    assert outline(play) == [
        (1, K.ACTION, "A."),
        (3, K.BONEYARD, "gone\n\nINT. NOT - DAY\n\nBOB\nNope."),
        (10, K.SCENE_HEADING, "INT. HOUSE - DAY"),
        (12, K.CHARACTER, "BOB"),
        (13, K.DIALOGUE, "Hi."),
        (13, K.BONEYARD, "x"),
    ]
    assert only(play, K.BONEYARD)[0].end_line == 8
    # the same script with the boneyard simply absent reads the same, line for line
    blanked = "A.\n\n\n\n\n\n\n\n\nINT. HOUSE - DAY\n\nBOB\nHi.\n"
    def shape(elements: tuple[Element, ...]) -> list[tuple[Kind, int, int, str]]:
        return [(e.kind, e.line, e.end_line, e.text) for e in elements if e.kind is not K.BONEYARD]

    assert shape(play.elements) == shape(parse_fountain(blanked).elements)


def test_boneyard_corpus_keeps_line_numbers() -> None:
    play = read_fountain(corpus("Boneyard"))
    assert [(e.kind, e.line, e.end_line) for e in play.elements] == [
        (K.ACTION, 1, 1), (K.BONEYARD, 3, 3), (K.BONEYARD, 5, 9), (K.ACTION, 11, 11), (K.BONEYARD, 11, 11)]


def test_crlf_bom_and_lone_cr_read_like_lf(tmp_path: Path) -> None:
    lf = corpus("Simple").read_text(encoding="utf-8")
    expected = parse_fountain(lf).elements
    assert parse_fountain(lf.replace("\n", "\r\n")).elements == expected
    assert parse_fountain("\ufeff" + lf.replace("\n", "\r")).elements == expected
    path = tmp_path / "crlf.fountain"
    path.write_bytes(b"\xef\xbb\xbf" + ZH_SCRIPT.replace("\n", "\r\n").encode("utf-8"))
    assert read_fountain(path).elements == parse_fountain(ZH_SCRIPT).elements


def test_empty_documents_are_empty_screenplays() -> None:
    for text in ("", "\n\n", "  \t\r\n ", "\ufeff"):
        assert parse_fountain(text, source="x.fountain") == Screenplay("x.fountain", {}, (), ())
    assert Screenplay("x", {}, (), ()).scenes == () and Screenplay("x", {}, (), ()).characters == []


def test_tolerated_oddities_become_warnings() -> None:
    play = parse_fountain(
        "@林晓\n\nINT. HOUSE - DAY\nShe waits.\n\nCUT TO:\nEXT. YARD - DAY\n\nBOB\nHi.\n\nNothing.\n\nANN ^\nHa.\n",
        source="s.fountain",
    )
    assert [(e.line, e.kind) for e in play.elements if e.kind is K.ACTION] == [
        (1, K.ACTION), (3, K.ACTION), (6, K.ACTION), (12, K.ACTION)]
    assert play.warnings == (
        "s.fountain:1: character cue '@' has no dialogue after it; read as action",
        "s.fountain:3: looks like a scene heading but has no blank line after it; read as action",
        "s.fountain:6: looks like a transition but has no blank line after it; read as action",
        "s.fountain:14: dual-dialogue cue does not directly follow another speech; paired with nothing",
    )


# -- errors ----------------------------------------------------------------------------------------------------

_ERROR_FORMAT = re.compile(r"^(?P<file>.+):(?P<line>\d+): [^;]+; expected .+$")


def _assert_error(error: ScriptError, file: str, line: int, *words: str) -> None:
    match = _ERROR_FORMAT.match(error.message)
    assert match is not None, error.message
    assert (match["file"], int(match["line"])) == (file, line)
    assert error.context == {"file": file, "line": line}
    assert error.zh and error.zh.startswith(f"{file}:{line}: ")
    assert all(word in error.message for word in words), error.message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("A.\n\n/* never\nclosed\n", 3, ("'/*'", "'*/'")),
        ("A.\n\nSome [[unclosed\n\nnote\n", 3, ("'[['", "']]'")),
        ("[[ok]] /* x */\nB [[\n", 2, ("'[['",)),
        ("INT. 家 - 夜\n\n@林晓 ^\n你好。\n", 3, ("'@林晓 ^'", "'^'")),
        ("BOB\nHi.\n\nINT. HOUSE - DAY\n\nANN ^\nHa.\n", 6, ("'ANN ^'",)),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, words: tuple[str, ...]) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_fountain(text, source="film/script.fountain")
    _assert_error(caught.value, "film/script.fountain", line, *words)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.fountain"
    path.write_bytes("INT. 家 - 夜\r\n\r\n林晓".encode() + b"\xff\xfe\n")
    with pytest.raises(ScriptError) as caught:
        read_fountain(path)
    _assert_error(caught.value, str(path), 3, "UTF-8", "0xff", "column 7")


def test_read_fountain_reads_the_corpus_by_str_or_path() -> None:
    assert read_fountain(str(corpus("Simple"))).elements == read_fountain(corpus("Simple")).elements


# -- property ----------------------------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "\n", "\n\n", "\r\n", "\r", "  \n", " ", "\t", "\ufeff", "INT. ", "EXT ", ".", "..", "!", "@", "^", "~", ">",
    "<", "#", "=", "===", "*", "**", "_", "\\", "(", ")", "（", "）", "[[", "]]", "/*", "*/", "TO:", "CUT TO:",
    "BOB", "林晓", "Title: ", "  x", "#1A#", "(V.O.)", "Hello.",
])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_parse_raises_only_script_error_and_keeps_lines_in_order(text: str) -> None:
    try:
        play = parse_fountain(text)
    except ScriptError as error:
        assert _ERROR_FORMAT.match(error.message), error.message
        return
    total = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    previous = 1
    for element in play.elements:
        assert previous <= element.line <= element.end_line <= total
        previous = element.line
    for scene in play.scenes:
        assert isinstance(scene, Scene)
        assert all(scene.heading.line < beat.line for beat in scene.beats)
    assert len(play.characters) == len(set(play.characters))


def test_a_cue_needs_dialogue_not_just_a_following_line() -> None:
    play = parse_fountain("BOB\n# Act Two\n\n@林晓\n===\n", source="s.fountain")
    assert outline(play) == [
        (1, K.ACTION, "BOB"), (2, K.SECTION, "Act Two"), (4, K.ACTION, "@林晓"), (5, K.PAGE_BREAK, "")]
    assert play.warnings == ("s.fountain:4: character cue '@' has no dialogue after it; read as action",)
