"""Camera and blocking intent read from plain screenplay text, by rule (no LLM), in Chinese and English.

``read_directions("林晓在画面左侧，老周从画面右侧入画，看向林晓。", characters=["林晓", "老周"])`` gives 林晓 on the
left, 老周 entering from the right and looking left at her. The phrase tables below are data: one row per decision,
regexes per language. Reading works in four steps:

1. Find character mentions (aliases included) and every phrase match. Overlapping matches are resolved longest-first
   at the earliest start ("从画面右侧入画" is one *enters* cue, not also a *position* cue for "画面右侧"), and a match
   that swallows a character name is discarded (it spans two people's business).
2. Drop negated cues ("doesn't look at the camera", "没有看镜头"). They still mask the shorter phrases inside them,
   so "没有从左边出画" does not turn into "on the left".
3. Attribute each blocking cue to a character: the nearest mention before it in its clause, else in its sentence;
   a position phrase with nobody before it in the clause goes to the mention after it ("画面左侧站着林晓"), and a
   modifier "左边的" always does ("老周看向左边的林晓" puts 林晓 left); then the first mention after it in the sentence; then the last character mentioned before it anywhere; then the
   first mentioned after it; then, when exactly one character is known, that one ("She looks at the camera.").
4. Settle defaults: unstated positions spread LEFT, RIGHT, CENTER over the free sides; a lone character is CENTER.

Decisions (documented here because the text is ambiguous):
- 仰拍/俯拍 (low/high angle) and "low angle"/"high angle" are camera *angles*, not moves; they set no camera move.
  Mapping them to TILT_UP/DOWN would make previz animate a movement nobody asked for.
- 近景 (chest-up, "medium close") maps to CLOSE, the nearest framing we have; 空镜 (a shot with no people, usually
  scenery between scenes) maps to ESTABLISHING; 全景/远景 map to WIDE; 大远景 to ESTABLISHING.
- 拉近 ("pull closer") is a push in; 拉远/拉开 a pull out. Bare 手持 counts as handheld only standing alone
  ("（手持）", "手持。") or with a camera word (手持摄影/镜头/跟拍), because "他手持长剑" means holding a sword.
- English "pull out/back" counts as a camera move only with a camera subject ("the camera pulls back"), as a
  clause-initial direction ("Pull back to reveal…"), or as a noun ("a slow pull-back"): "She pulls out a gun" is not.
  Likewise "moves in" needs a camera subject ("The camera moves in"; "CAMERA MOVES IN ON…").
- A shot has one move and one framing, so the first camera phrase and the first framing phrase in the text win.
  "镜头推至特写" / "push in to a close-up" yields both PUSH_IN and CLOSE (the framing the move ends on).
- Per character the first stated position, entrance, exit and look win: ``position`` is where the shot starts, so
  "走到左边"/"moves to the left" (a destination) is not read as a position.
  A sided exit/entrance beats an unsided one wherever it appears. An explicit look beats "looks at <someone>".
- An entrance side with no stated position puts the character on that side (they come in from the nearest edge).
- Plain "exits"/"出画"/"离开" with no side: the edge opposite their position, RIGHT when they are CENTER (people on
  screen conventionally travel left to right). Plain "enters"/"入画": the edge on their own side, LEFT when CENTER
  (the same left-to-right travel).
- "looks at <character>" becomes look LEFT/RIGHT toward that character's position, or nothing when they share it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

from storyreel.model.shot import Blocking, CameraMove, Framing, Look, Side

__all__ = ["Directions", "read_directions"]


@dataclass(frozen=True)
class Directions:
    camera: CameraMove | None  # None = nothing said
    framing: Framing | None
    blocking: tuple[Blocking, ...]  # one per character mentioned in the text (in order of first mention)
    matched: tuple[str, ...]  # the phrases that triggered each decision, for provenance/debug


_Kind = Literal["camera", "framing", "position", "enters", "exits", "look", "look_at"]
# A row: what it decides, the value (or {LEFT: v, RIGHT: v} to expand the <s>/<S>/<o> templates per side), patterns.
_Row = tuple[_Kind, object, tuple[str, ...]]

_L, _R = Side.LEFT, Side.RIGHT
_SIDES = {_L: _L, _R: _R}
_LOOKS = {_L: Look.LEFT, _R: Look.RIGHT}
_PANS = {_L: CameraMove.PAN_LEFT, _R: CameraMove.PAN_RIGHT}

# ---------------------------------------------------------------------------------------------------------- Chinese
# Template tokens: <s> the side character (左/右), <o> the opposite one, <S> a side phrase (画面左侧, 左边, 左…).
_ZH_WORD = {_L: "左", _R: "右"}
_ZH_SIDE = r"(?:画面|画框|画|屏幕)?的?<s>(?:侧|边|方|面|半边|手边)?"
_ZH_STOP = r"[，。；！？,.!?;\s]"  # a clause or sentence boundary
_ZH_ADV = r"(?:缓缓|缓慢|慢慢|徐徐|轻轻|快速|迅速|猛地|猛然|急速|逐渐|渐渐|一直|继续|剧烈|微微|轻微|不停)?地?"
_ZH_YAO = r"摇(?![头晃摆手铃扇曳])"  # 摇 as a camera pan, not 摇头 (shake the head) or 摇晃 (sway)
_ZH_AT_CLAUSE_START = r"(?<![^，。；！？,.!?;\s（(【\[：:])"  # preceded by a boundary or the start of text
_ZH_NOT_MOVING_TO = r"(?<![向往朝从到])"  # "走到左边" is a move, not where the shot starts
_ZH_LOOK = r"(?:看|望|瞥|瞟|瞄|盯|瞪|注视|凝视|张望|扫视|转头|扭头|回头|侧头|侧目|偏头)"
_ZH_AT = r"(?:在|站在|坐在|位于|处于|立于|躺在|蹲在|靠在)?"

_ZH: tuple[_Row, ...] = (
    ("camera", CameraMove.PUSH_IN, (
        r"推镜头", r"推近", _ZH_ADV + r"推进", r"(?:镜头)?" + _ZH_ADV + r"拉近",
        r"镜头" + _ZH_ADV + r"(?:向前|往前)?推(?:向|近|进|上|至|到|(?=" + _ZH_STOP + r"|$))",
    )),
    ("camera", CameraMove.PULL_OUT, (
        r"拉镜头", r"后拉镜头", _ZH_ADV + r"拉远",
        r"镜头" + _ZH_ADV + r"(?:向后|往后)?(?:拉(?:开|远|出|回)|后拉|后退|拉(?=" + _ZH_STOP + r"|$))",
    )),
    ("camera", _PANS, (
        r"摇镜头(?:向|往|到)?<s>",
        r"镜头" + _ZH_ADV + r"(?:向|往)?<s>(?:横移|横" + _ZH_YAO + r"|" + _ZH_YAO + r"|移)",
        r"(?:向|往)<s>" + _ZH_YAO, _ZH_YAO + r"(?:向|到|至)" + _ZH_SIDE,
        r"(?<!<o>)<s>" + _ZH_YAO + r"(?!<o>)",  # 左摇, but not 左摇右晃 / 左右摇摆
    )),
    ("camera", CameraMove.TILT_UP, (
        r"镜头" + _ZH_ADV + r"(?:向|往)?上(?:" + _ZH_YAO + r"|移|抬)",
        r"(?:向|往)上" + _ZH_YAO,
        _ZH_AT_CLAUSE_START + r"上" + _ZH_YAO,  # bare 上摇 only as a direction: "马上摇了摇头" is not a tilt
    )),
    ("camera", CameraMove.TILT_DOWN, (
        r"镜头" + _ZH_ADV + r"(?:向|往)?下(?:" + _ZH_YAO + r"|移|压)",
        r"(?:向|往)下" + _ZH_YAO, _ZH_AT_CLAUSE_START + r"下" + _ZH_YAO,
    )),
    ("camera", CameraMove.HANDHELD, (
        r"手持(?:摄影|拍摄|镜头|跟拍|摄像|跟随|晃动)",
        _ZH_AT_CLAUSE_START + r"手持(?=[，。；！？,.!?;\s）)】\]]|$)",
        r"(?:晃动|摇晃|抖动|颤动)(?:着)?的镜头", r"镜头" + _ZH_ADV + r"(?:晃动|摇晃|抖动|颤动)",
    )),
    ("camera", CameraMove.STATIC, (r"固定(?:镜头|机位)", r"镜头(?:固定|不动|静止)")),
    ("framing", Framing.EXTREME_CLOSE, (r"(?:大|超|极)特写",)),
    ("framing", Framing.INSERT, (r"插入镜头", r"(?:道具|细节)(?:镜头|特写)")),
    ("framing", Framing.CLOSE, (r"特写", r"(?:中)?近景")),
    ("framing", Framing.MEDIUM, (r"中景", r"过肩(?:镜头)?", r"双人镜头")),
    ("framing", Framing.ESTABLISHING, (r"大远景", r"(?:建立|定场|交代)镜头", r"空镜(?:头)?", r"航拍")),
    ("framing", Framing.WIDE, (r"(?:大)?全景", r"远景")),
    ("enters", _SIDES, (
        r"(?:从|由|自)" + _ZH_SIDE + r"[^，。；！？,.!?;\s]{0,6}?"
        r"(?:进入画面|走进画面|走入画面|入画|进画|进入|走进|走入|出现|走来|跑来|跑进|闯入|进来|走过来|跑过来)",
        _ZH_SIDE + r"入画",
        r"(?:走进|进入|走入|跑进)了?(?:画面|画)的?<s>(?:侧|边|方)",
    )),
    ("enters", None, (r"(?:走|跑|进|闯|冲)(?:进|入)了?画(?:面|框)?", r"入画")),
    ("exits", _SIDES, (
        r"(?:从|由|自|向|往|朝)" + _ZH_SIDE + r"[^，。；！？,.!?;\s]{0,6}?"
        r"(?:走出画面|跑出画面|离开画面|出画|离开|走出|离去|退出|消失|跑出|跑开|走开|走掉|跑掉)",
        r"(?:走出|跑出|退出|离开|出)了?(?:画面|画框|画)的?<s>(?:侧|边|方)",
        _ZH_SIDE + r"出画",
    )),
    ("exits", None, (
        r"(?:走|跑|退|离)出了?(?:画面|画框|镜头)", r"(?:走|跑|退)了?出去", r"出画", r"离开了?(?:画面)?", r"离去",
    )),
    ("look", Look.CAMERA, (
        r"(?:看|望|盯|瞪|瞥|瞟|瞄|注视|凝视|直视|正视|对视)(?:向|着|了|住|进|入)?(?:一眼)?镜头", r"与镜头对视",
    )),
    ("look", _LOOKS, (
        _ZH_LOOK + r"(?:了一眼)?(?:向|着|往|朝)?" + _ZH_SIDE + r"(?![侧边方面]?的)",  # not 看向左边的林晓
        r"(?:向|往|朝)" + _ZH_SIDE + r"(?:看|望|瞥|瞟|瞄|张望)",
    )),
    ("position", _SIDES, (
        r"(?:画面|画框|画|屏幕)?的?<s>(?:侧|边|方)的",  # "(看向)左边的林晓": modifies the name that follows
        _ZH_NOT_MOVING_TO + _ZH_AT + r"(?:画面|画框|画|屏幕)的?<s>(?:侧|边|方|面|半边|手边)?",
        _ZH_NOT_MOVING_TO + _ZH_AT + r"<s>(?:侧|边|方|半边|手边)",
    )),
    ("position", Side.CENTER, (
        _ZH_NOT_MOVING_TO + _ZH_AT + r"(?:画面|画框|屏幕)的?(?:正)?(?:中间|中央|中心|正中)",
        _ZH_NOT_MOVING_TO + _ZH_AT + r"(?:正)?(?:中间|中央)", r"(?:画面)?居中",
    )),
)

# ---------------------------------------------------------------------------------------------------------- English
_EN_WORD = {_L: "left", _R: "right"}
_EN_SIDE = r"(?:to(?:wards?)?\s+)?(?:the\s+)?(?:far\s+)?(?:(?:frame|screen|camera)[\s-]+)?<s>\b"
_EN_FRAME = r"(?:\s+(?:the\s+)?(?:frame|shot|screen|picture|view))?"
_EN_CLAUSE_START = r"(?<![^.!?;:\n(（])\s*"  # start of text or right after a boundary
_EN_CAMERA_SUBJECT = r"\b(?:camera|we|lens)\b[^.!?;,\n]{0,20}?\b"
_EN_ENTER = (
    r"\b(?:enter(?:s|ed|ing)?|(?:come|comes|coming|came|walk|step|run|ran|burst|rush|hurr|slip|stride|strode|wander)"
    r"\w*\s+in(?:to)?)"
)
_EN_EXIT = (
    r"\b(?:exit(?:s|ed|ing)?|leav(?:e|es|ing)|disappear(?:s|ed|ing)?|(?:walk|step|run|ran|head|mov|go|went|slip"
    r"|storm|hurr|rush|back|stride|strode|wander|limp|dart|crawl)\w*\s+(?:out|off|away))"
)
_EN_LOOK = (
    r"\b(?:look(?:s|ed|ing)?|glanc(?:e|es|ed|ing)|gaz(?:e|es|ed|ing)|star(?:e|es|ed|ing)|peer(?:s|ed|ing)?"
    r"|peek(?:s|ed|ing)?)"
)
_NOT_OBJECT = r"(?!\s+(?:the|a|an|his|her|their|its|my|your|our)\b)"  # "pushes in the door" is not a camera move

_EN: tuple[_Row, ...] = (
    ("camera", CameraMove.PUSH_IN, (
        r"\bpush(?:es|ing|ed)?[\s-]+in\b" + _NOT_OBJECT, r"\bslow\s+push\b", r"\bzoom(?:s|ed|ing)?\s+in\b",
        r"\b(?:doll(?:y|ies|ied|ying)|track(?:s|ed|ing)?|truck(?:s|ed|ing)?)\s+(?:in|forward|closer)\b",
        _EN_CAMERA_SUBJECT + r"(?:move|moves|moved|moving|creep|drift|glide|glid)\w*\s+(?:in|closer|forward)\b",
    )),
    ("camera", CameraMove.PULL_OUT, (
        _EN_CAMERA_SUBJECT + r"(?:pull|draw|move|moving|creep|drift|glide|glid)\w*\s+(?:out|back|away)\b",
        _EN_CLAUSE_START + r"(?:slow(?:ly)?\s+)?pull(?:s|ing)?[\s-]+(?:out|back)\b",
        r"\bpull(?:s|ing)?[\s-]+(?:out|back)\s+to\s+(?:reveal|show|wide|a\s+wide)\b",
        r"\b(?:a|the|slow)\s+pull[\s-]?(?:back|out)\b",
        r"\b(?:doll(?:y|ies|ied|ying)|track(?:s|ed|ing)?|truck(?:s|ed|ing)?)\s+(?:out|back|backwards?)\b",
        r"\bzoom(?:s|ed|ing)?\s+out\b", r"\bwiden(?:s|ed|ing)?\s+(?:out|to\s+(?:a\s+)?wide)\b",
    )),
    ("camera", _PANS, (
        r"\b(?:whip[\s-]+)?pan(?:s|ned|ning)?\s+(?:over\s+|across\s+|quickly\s+|slowly\s+)?" + _EN_SIDE,
        r"\btruck(?:s|ed|ing)?\s+" + _EN_SIDE,
    )),
    ("camera", CameraMove.TILT_UP, (r"\btilt(?:s|ed|ing)?\s+up(?:wards?)?\b", r"\b(?:crane|pedestal)[sd]?\s+up\b")),
    ("camera", CameraMove.TILT_DOWN, (r"\btilt(?:s|ed|ing)?\s+down(?:wards?)?\b", r"\b(?:crane|pedestal)[sd]?\s+down")),
    ("camera", CameraMove.HANDHELD, (
        r"\bhand[\s-]?held\b", r"\bshaky[\s-]?cam(?:era)?\b",
        r"\b(?:camera|frame|image)\s+(?:shakes|shaking|jitters|wobbles|trembles)\b",
    )),
    ("camera", CameraMove.STATIC, (
        r"\bstatic\s+(?:shot|camera|frame|wide)\b", r"\blocked[\s-]off\b", r"\bon\s+(?:a\s+)?tripod\b",
    )),
    ("framing", Framing.EXTREME_CLOSE, (r"\b(?:extreme|big|very)\s+close[\s-]?(?:ups?|on)\b", r"\b(?-i:[EXB]CU)\b")),
    ("framing", Framing.CLOSE, (
        r"\b(?:medium\s+)?close[\s-]?ups?\b", r"\bclose\s+(?:shot|on)\b", r"\btight\s+on\b", r"\b(?-i:CU|MCU)\b",
    )),
    ("framing", Framing.MEDIUM, (
        r"\b(?:medium|mid)[\s-]+(?:shot|on)\b", r"\bmid[\s-]?shot\b", r"\btwo[\s-]shot\b", r"\b(?-i:MS|OTS)\b",
        r"\bover[\s-]the[\s-]shoulder\b", r"\bcowboy\s+shot\b",
    )),
    ("framing", Framing.ESTABLISHING, (
        r"\bestablishing(?:[\s-]+shot)?\b", r"\bextreme\s+(?:wide|long)(?:[\s-]+shot)?\b",
        r"\baerial\s+(?:shot|view)\b", r"\b(?-i:EWS|ELS|XLS|EST)\b",
    )),
    ("framing", Framing.WIDE, (r"\b(?:wide|long|full)[\s-]+(?:shot|on|angle)\b", r"\b(?-i:WS|LS|FS|WIDE)\b")),
    ("framing", Framing.INSERT, (
        r"\binsert(?:[\s-]+shot)?(?=\s*[:\-–—]|\s+(?:shot|on|of)\b)", r"\b(?-i:INSERT)\b", r"\bcutaway\b",
    )),
    ("enters", _SIDES, (_EN_ENTER + _EN_FRAME + r"\s+(?:from\s+)?" + _EN_SIDE,)),
    ("enters", None, (
        _EN_ENTER + r"\s+(?:the\s+)?(?:frame|shot|view)\b", r"\benter(?:s|ed|ing)?\b", r"\binto\s+(?:the\s+)?frame\b",
    )),
    ("exits", _SIDES, (
        _EN_EXIT + r"(?:\s+out)?(?:\s+of)?" + _EN_FRAME + r"(?:\s+off)?\s+" + _EN_SIDE,
        r"\bout\s+of" + _EN_FRAME + r"\s+" + _EN_SIDE,
    )),
    ("exits", None, (
        _EN_EXIT + r"\s+(?:of\s+)?(?:the\s+)?(?:frame|shot|screen|view)\b",
        r"\bexit(?:s|ed|ing)?\b", r"\bleav(?:es|ing)\s+(?:the\s+)?(?:frame|shot|screen|room|scene)\b",
        r"\b(?:walk|storm|head|hurr|rush|slip)\w*\s+out\b", r"\bout\s+of\s+(?:the\s+)?frame\b",
    )),
    ("look", Look.CAMERA, (
        _EN_LOOK + r"(?:\s+(?:straight|directly|right|up|back|down|dead|out))*\s+(?:at|into|to(?:wards?)?|down)"
        r"\s+(?:the\s+)?(?:camera|lens)\b",
        r"\b(?:address(?:es|ed|ing)?|(?:speak|talk)\w*\s+(?:directly\s+)?to)\s+(?:the\s+)?(?:camera|lens|audience)\b",
        r"\bbreak(?:s|ing)?\s+the\s+fourth\s+wall\b", r"\(\s*to\s+camera\s*\)",
    )),
    ("look", _LOOKS, (_EN_LOOK + r"(?:\s+(?:over|off|away|out|back))?\s+" + _EN_SIDE,)),
    ("position", _SIDES, (
        r"\b(?:on|at|in)\s+(?:the\s+)?(?:far\s+)?<s>(?:[\s-]+(?:hand\s+)?side)?"
        r"(?:\s+of\s+(?:the\s+)?(?:frame|screen|shot|picture))?\b",
        r"\b(?:frame|screen|camera)[\s-]+<s>\b", r"\b<s>[\s-]+(?:of\s+)?(?:the\s+)?(?:frame|screen)\b",
    )),
    ("position", Side.CENTER, (
        r"\b(?:in\s+the\s+)?(?:center|centre|middle)\s+of\s+(?:the\s+)?(?:frame|screen|shot|picture)\b",
        r"\b(?:frame|screen)[\s-]+(?:center|centre)\b", r"\b(?:center|centre)[\s-]+(?:frame|screen)\b",
        r"\b(?:in|at)\s+the\s+(?:center|centre|middle)\b",
    )),
)

# A cue preceded (in its clause) by one of these is negated: "doesn't look", "never once looks", "没有看", "不敢看".
_NEGATION = (
    re.compile(r"(?:\bnot|\bnever|n[’']t|\bno\s+longer|\bwithout|\bavoid\w*|\brefus\w*\s+to|\bfail\w*\s+to)"
               r"\s+(?:\w+\s+)?$", re.IGNORECASE),
    re.compile(r"(?:没|不|未|别|无法|避免|拒绝)有?(?:再|敢|会|去|要|曾|肯|愿意?)?地?\s*$"),
)
# "looks at <name>" / "看向<name>": matched against the text just before a character mention.
_LOOK_AT = (
    re.compile(_EN_LOOK + r"(?:\s+(?:over|back|up|down|across|straight|directly))*\s+(?:at|to(?:wards?)?)\s+$"
               r"|\bturn(?:s|ed|ing)?\s+to(?:wards?)?\s+$", re.IGNORECASE),
    re.compile(r"(?:看|望|盯|瞪|瞥|瞟|瞄|注视|凝视|打量|转向)(?:向|着|了一眼|了|住)?\s*$"),
)
_SENTENCE_END = re.compile(r"[。！？；.!?;\n]+")
_CLAUSE_END = re.compile(r"[，,：:]+")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class _Rule:
    kind: _Kind
    value: object
    pattern: re.Pattern[str]


def _compile(rows: tuple[_Row, ...], words: Mapping[Side, str], side_phrase: str, flags: int) -> list[_Rule]:
    rules: list[_Rule] = []
    for kind, value, patterns in rows:
        if isinstance(value, Mapping):  # one rule per side, templates filled in
            for side, side_value in value.items():
                other = words[_R if side is _L else _L]
                for p in patterns:
                    text = p.replace("<S>", side_phrase).replace("<s>", words[side]).replace("<o>", other)
                    rules.append(_Rule(kind, side_value, re.compile(text, flags)))
        else:
            rules.extend(_Rule(kind, value, re.compile(p, flags)) for p in patterns)
    return rules


_RULES: tuple[_Rule, ...] = (
    *_compile(_ZH, _ZH_WORD, _ZH_SIDE, 0),
    *_compile(_EN, _EN_WORD, _EN_SIDE, re.IGNORECASE),
)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    who: str


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    kind: _Kind
    value: object
    phrase: str
    negated: bool = False


class _Units:
    """Sentence and clause index of any offset in the text."""

    def __init__(self, text: str) -> None:
        self.sentences = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
        self.clauses = sorted(set(self.sentences) | {m.end() for m in _CLAUSE_END.finditer(text)})

    def sentence(self, offset: int) -> int:
        return bisect_right(self.sentences, offset) - 1

    def clause(self, offset: int) -> int:
        return bisect_right(self.clauses, offset) - 1

    def clause_start(self, offset: int) -> int:
        return self.clauses[self.clause(offset)]


_T = TypeVar("_T", _Mention, _Cue)


def _non_overlapping(spans: list[_T]) -> list[_T]:
    """Longest match at the earliest start wins; anything overlapping an accepted span is dropped."""
    accepted: list[_T] = []
    end = -1
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.start >= end:
            accepted.append(span)
            end = span.end
    return accepted


def _find_mentions(text: str, characters: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> list[_Mention]:
    found: list[_Mention] = []
    for who in characters:
        for name in {who, *aliases.get(who, ())}:
            if not name:
                continue
            if _LATIN.search(name):  # Latin names: whole word, any case ("Maya", "MAYA")
                pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", re.IGNORECASE)
            else:  # Chinese names have no word boundaries: literal match
                pattern = re.compile(re.escape(name))
            found.extend(_Mention(m.start(), m.end(), who) for m in pattern.finditer(text))
    return _non_overlapping(found)


def _find_cues(text: str, mentions: list[_Mention], units: _Units) -> list[_Cue]:
    def overlaps_mention(start: int, end: int) -> bool:
        return any(m.start < end and start < m.end for m in mentions)

    cues = [
        _Cue(m.start(), m.end(), rule.kind, rule.value, m.group(0).strip())
        for rule in _RULES
        for m in rule.pattern.finditer(text)
        if m.end() > m.start() and not overlaps_mention(m.start(), m.end())
    ]
    for mention in mentions:  # "looks at THEO": the cue spans the verb and the name; its value is who is looked at
        before = text[units.clause_start(mention.start) : mention.start]
        for pattern in _LOOK_AT:
            if m := pattern.search(before):
                start = units.clause_start(mention.start) + m.start()
                cues.append(_Cue(start, mention.end, "look_at", mention.who, text[start : mention.end]))
                break
    accepted = _non_overlapping(cues)
    # Negated cues are judged after overlap resolution so they still mask the phrases inside them.
    result = []
    for cue in accepted:
        prefix = text[max(units.clause_start(cue.start), cue.start - 24) : cue.start]
        result.append(_Cue(cue.start, cue.end, cue.kind, cue.value, cue.phrase,
                           negated=any(p.search(prefix) for p in _NEGATION)))
    return result


def _attribute(cue: _Cue, mentions: list[_Mention], units: _Units, characters: Sequence[str]) -> str | None:
    """Which character a blocking cue is about; see the module docstring, step 3."""
    target = cue.value if cue.kind == "look_at" else None
    candidates = [m for m in mentions if m.who != target]
    before = [m for m in candidates if m.end <= cue.start]
    after = [m for m in candidates if m.start >= cue.end]
    sentence, clause = units.sentence(cue.start), units.clause(cue.start)
    in_clause_before = [m for m in before if units.clause(m.start) == clause]
    in_clause_after = [m for m in after if units.clause(m.start) == clause]
    in_sentence_before = [m for m in before if units.sentence(m.start) == sentence]
    in_sentence_after = [m for m in after if units.sentence(m.start) == sentence]
    if cue.kind == "position" and cue.phrase.endswith("的") and in_clause_after:  # "左边的林晓" names who follows
        return in_clause_after[0].who
    if in_clause_before:
        return in_clause_before[-1].who
    if cue.kind == "position" and in_clause_after:  # "画面左侧站着林晓", "Frame left MAYA sits"
        return in_clause_after[0].who
    for group, pick in ((in_sentence_before, -1), (in_sentence_after, 0), (before, -1), (after, 0)):
        if group:
            return group[pick].who
    known = [c for c in characters if c != target]
    return known[0] if len(known) == 1 else None


def _record(state: dict[_Kind, _Cue], cue: _Cue) -> None:
    """Keep the first cue per kind, except that a sided entrance/exit replaces an unsided one."""
    current = state.get(cue.kind)
    if current is None or (cue.kind in ("enters", "exits") and current.value is None and cue.value is not None):
        state[cue.kind] = cue


def _spread(order: list[str], stated: dict[str, Side]) -> dict[str, Side]:
    """Positions for everyone: stated ones kept; the rest take free sides LEFT, RIGHT, CENTER in order of mention."""
    if len(order) == 1 and not stated:
        return {order[0]: Side.CENTER}
    positions = dict(stated)
    taken = set(stated.values())
    overflow = 0
    for who in order:
        if who in positions:
            continue
        free = [s for s in (Side.LEFT, Side.RIGHT, Side.CENTER) if s not in taken]
        if free:
            positions[who] = free[0]
        else:  # more people than sides: cycle
            positions[who] = (Side.LEFT, Side.RIGHT, Side.CENTER)[overflow % 3]
            overflow += 1
        taken.add(positions[who])
    return positions


_RANK = {Side.LEFT: 0, Side.CENTER: 1, Side.RIGHT: 2}
_OPPOSITE = {Side.LEFT: Side.RIGHT, Side.RIGHT: Side.LEFT, Side.CENTER: Side.RIGHT}  # centre walks off right
_ENTRY = {Side.LEFT: Side.LEFT, Side.RIGHT: Side.RIGHT, Side.CENTER: Side.LEFT}  # centre came in from the left


def read_directions(
    text: str, *, characters: Sequence[str], aliases: Mapping[str, Sequence[str]] = {},
    stage: Mapping[str, Side] = {},
) -> Directions:
    """Camera move, framing and per-character blocking stated in ``text`` (action lines or a parenthetical)."""
    units = _Units(text)
    mentions = _find_mentions(text, characters, aliases)
    cues = [c for c in _find_cues(text, mentions, units) if not c.negated]
    camera = next((c for c in cues if c.kind == "camera"), None)
    framing = next((c for c in cues if c.kind == "framing"), None)

    order = list(dict.fromkeys(m.who for m in mentions))  # order of first mention; fallback-only ones appended
    said: dict[str, dict[_Kind, _Cue]] = {who: {} for who in order}  # per character, the cue deciding each kind
    for cue in cues:
        if cue.kind in ("camera", "framing") or (who := _attribute(cue, mentions, units, characters)) is None:
            continue
        if who not in said:
            order.append(who)
            said[who] = {}
        _record(said[who], cue)

    stated: dict[str, Side] = {}
    for who, st in said.items():
        if (where := st.get("position") or st.get("enters")) is not None and where.value is not None:
            stated[who] = cast(Side, where.value)  # an entrance side with no stated position: they came in there
    for who in order:
        # Someone already on stage keeps the side the audience saw unless the text moves them (180° rule).
        if who not in stated and who in stage:
            stated[who] = stage[who]
    positions = _spread(order, stated)

    used = [c for c in (camera, framing) if c is not None]
    blocking: list[Blocking] = []
    for who in order:
        st, pos = said[who], positions[who]
        enters, exits, look = st.get("enters"), st.get("exits"), st.get("look")
        used += [c for c in (st.get("position"), enters, exits, look) if c is not None]
        look_value = cast(Look, look.value) if look is not None else None
        if look is None and (at := st.get("look_at")) is not None:
            there = positions[cast(str, at.value)]
            if there != pos:  # turn toward the person looked at; nothing to show when they share a side
                look_value = Look.LEFT if _RANK[there] < _RANK[pos] else Look.RIGHT
                used.append(at)
        blocking.append(Blocking(
            character=who,
            position=pos,
            look=look_value,
            enters=None if enters is None else cast(Side, enters.value or _ENTRY[pos]),
            exits=None if exits is None else cast(Side, exits.value or _OPPOSITE[pos]),
        ))

    return Directions(
        camera=cast(CameraMove, camera.value) if camera else None,
        framing=cast(Framing, framing.value) if framing else None,
        blocking=tuple(blocking),
        matched=tuple(c.phrase for c in sorted(used, key=lambda c: c.start)),
    )
