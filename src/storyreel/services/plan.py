"""Planning: screenplay → shot list, by rules a director can predict (no LLM).

- Each scene heading opens with an establishing shot (``3A``).
- Each action paragraph becomes one shot; its camera, framing and blocking come from plain directions in the text
  ("推镜头", "exits frame left", "一直看向镜头").
- Each speech becomes a dialogue shot on the speaker. Characters keep the screen side they were last given in the
  scene, and look towards whoever else is on stage, so coverage respects the 180° line.
- Durations come from text length (Chinese characters and English words read at different speeds), clamped to the
  film's per-shot limits; the film-level caps on shot count and total seconds stop the plan with a warning.

Re-planning keeps shot identity by code: changed shots are marked stale, vanished ones are omitted, takes are
never dropped (``apply_plan``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storyreel.errors import ScriptError
from storyreel.model import Bible, Blocking, CameraMove, DialogueLine, FilmConfig, Framing, Look, Shot, Side
from storyreel.script import Element, Kind, Screenplay, Speech, read_fountain
from storyreel.script.directions import read_directions
from storyreel.script.timing import action_seconds, clamp_seconds, reading_seconds, seconds_to_frames
from storyreel.services.film import Film
from storyreel.store import ShotRow, TakeRow
from storyreel.store.tables import EventRow

ESTABLISHING_SECONDS = 3.0

_FRAMING_WORDS = {
    "zh": {Framing.ESTABLISHING: "大远景", Framing.WIDE: "全景", Framing.MEDIUM: "中景", Framing.CLOSE: "近景特写",
           Framing.EXTREME_CLOSE: "大特写", Framing.INSERT: "道具特写"},
    "en": {Framing.ESTABLISHING: "establishing shot", Framing.WIDE: "wide shot", Framing.MEDIUM: "medium shot",
           Framing.CLOSE: "close-up", Framing.EXTREME_CLOSE: "extreme close-up", Framing.INSERT: "insert shot"},
}
_CAMERA_WORDS = {
    "zh": {CameraMove.PUSH_IN: "镜头缓慢推近", CameraMove.PULL_OUT: "镜头缓慢拉远", CameraMove.PAN_LEFT: "镜头向左摇",
           CameraMove.PAN_RIGHT: "镜头向右摇", CameraMove.TILT_UP: "镜头上摇", CameraMove.TILT_DOWN: "镜头下摇",
           CameraMove.HANDHELD: "手持摄影，轻微晃动"},
    "en": {CameraMove.PUSH_IN: "slow push in", CameraMove.PULL_OUT: "slow pull out", CameraMove.PAN_LEFT: "pan left",
           CameraMove.PAN_RIGHT: "pan right", CameraMove.TILT_UP: "tilt up", CameraMove.TILT_DOWN: "tilt down",
           CameraMove.HANDHELD: "handheld camera, subtle shake"},
}


@dataclass
class Plan:
    shots: list[Shot]
    warnings: list[str] = field(default_factory=list)


@dataclass
class PlanReport:
    """What ``apply_plan`` changed, for the CLI and the studio to show."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.changed) + len(self.unchanged)


def shot_letters(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA: shot suffixes as script supervisors write them."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(ord("A") + r) + s
    return s


def _canonical(cue: str, bible: Bible) -> str:
    c = bible.character(cue)
    return c.name if c else cue.strip()


def _known_characters(screenplay: Screenplay, bible: Bible) -> tuple[list[str], dict[str, list[str]]]:
    names = [c.name for c in bible.characters]
    for cue in screenplay.characters:
        name = _canonical(cue, bible)
        if name not in names:
            names.append(name)
    aliases = {c.name: list(c.aliases) for c in bible.characters}
    return names, aliases


def compose_prompt(shot: Shot, *, bible: Bible, config: FilmConfig) -> str:
    """The generator prompt: framing, place, action, who is in it (from the bible), camera, style."""
    lang = config.language
    sep = "，" if lang == "zh" else ", "
    end = "。" if lang == "zh" else ". "
    parts = [_FRAMING_WORDS[lang][shot.framing]]
    if shot.heading:
        parts.append(shot.heading)
    if shot.camera in _CAMERA_WORDS[lang]:
        parts.append(_CAMERA_WORDS[lang][shot.camera])
    text = sep.join(parts) + end
    if shot.description:
        text += shot.description.rstrip("。. ") + end
    for b in shot.blocking:
        c = bible.character(b.character)
        if c and c.description:
            text += f"{c.name}：{c.description}" if lang == "zh" else f"{c.name}: {c.description}"
            text += end
    style = bible.style(config.style)
    if style.description:
        text += ("风格：" if lang == "zh" else "Style: ") + style.description
    return text.strip()


def _looks_at(speaker: str, stage: dict[str, Side]) -> Look | None:
    """Eyeline for a speaker: towards whoever else is on stage, from the speaker's side of the line."""
    mine = stage.get(speaker, Side.CENTER)
    others = [s for name, s in stage.items() if name != speaker]
    if not others:
        return None
    other = others[-1]
    if mine == Side.LEFT or (mine == Side.CENTER and other == Side.RIGHT):
        return Look.RIGHT
    if mine == Side.RIGHT or (mine == Side.CENTER and other == Side.LEFT):
        return Look.LEFT
    return None


def _update_stage(stage: dict[str, Side], blocking: Iterable[Blocking]) -> None:
    for b in blocking:
        if b.exits is not None:
            stage.pop(b.character, None)
        else:
            stage[b.character] = b.position


def _action_shot(el: Element, *, names: list[str], aliases: dict[str, list[str]], stage: dict[str, Side]) -> Shot:
    d = read_directions(el.text, characters=names, aliases=aliases, stage=stage)
    blocking = list(d.blocking)
    if d.framing:
        framing = d.framing
    elif len(blocking) == 1:
        framing = Framing.MEDIUM
    else:
        framing = Framing.WIDE  # nobody (a place) or several people: show the space
    return Shot(code="", scene=0, order=0, description=el.text, framing=framing,
                camera=d.camera or CameraMove.STATIC, blocking=blocking, frames=1, line=el.line)


def _speech_shot(sp: Speech, *, bible: Bible, stage: dict[str, Side], names: list[str],
                 aliases: dict[str, list[str]]) -> Shot:
    speaker = _canonical(sp.character, bible)
    hint = " ".join(sp.parentheticals)
    side = stage.get(speaker, Side.CENTER)
    look = _looks_at(speaker, stage)
    d = read_directions(f"{speaker}：{hint}", characters=names, aliases=aliases,
                        stage={**stage, speaker: side}) if hint else None
    mine = next((b for b in d.blocking if b.character == speaker), None) if d else None
    if mine and mine.look:
        look = mine.look
    blocking = [Blocking(character=speaker, position=mine.position if mine else side, look=look,
                         exits=mine.exits if mine else None, enters=mine.enters if mine else None)]
    stage.setdefault(speaker, blocking[0].position)
    lines = [DialogueLine(character=speaker, text=sp.text, parenthetical=hint or None, line=sp.line)]
    framing = d.framing if d and d.framing else Framing.MEDIUM
    camera = d.camera if d and d.camera else CameraMove.STATIC
    return Shot(code="", scene=0, order=0, description=sp.text, framing=framing, camera=camera,
                blocking=blocking, dialogue=lines, frames=1, line=sp.line)


def plan_screenplay(screenplay: Screenplay, *, config: FilmConfig, bible: Bible) -> Plan:
    if not screenplay.scenes:
        raise ScriptError(
            f"{screenplay.source}:1: no scene heading found; expected a line such as 'INT. KITCHEN - NIGHT' "
            "or a forced heading '.茶馆 - 夜'.",
            zh=f"{screenplay.source}:1：没有找到场景标题；应有如 'INT. 茶馆 - 夜' 或强制标题 '.茶馆 - 夜' 的行。",
        )
    limits, fps = config.limits, config.profile.fps
    names, aliases = _known_characters(screenplay, bible)
    plan = Plan(shots=[])
    total = 0.0
    for scene in screenplay.scenes:
        stage: dict[str, Side] = {}
        heading = scene.heading.text
        candidates: list[tuple[Shot, float]] = []
        est = Shot(code="", scene=0, order=0, description=heading, framing=Framing.ESTABLISHING,
                   camera=CameraMove.STATIC, frames=1, line=scene.heading.line)
        candidates.append((est, ESTABLISHING_SECONDS))
        for beat in scene.beats:
            if isinstance(beat, Speech):
                if not beat.text.strip():
                    continue
                shot = _speech_shot(beat, bible=bible, stage=stage, names=names, aliases=aliases)
                seconds = reading_seconds(beat.text)
            elif beat.kind == Kind.ACTION and beat.text.strip():
                shot = _action_shot(beat, names=names, aliases=aliases, stage=stage)
                _update_stage(stage, shot.blocking)
                seconds = action_seconds(beat.text)
            else:
                continue  # centered text and transitions are editorial, not camera setups
            candidates.append((shot, seconds))
        for i, (shot, seconds) in enumerate(candidates):
            seconds = clamp_seconds(seconds, minimum=limits.min_shot_seconds, maximum=limits.max_shot_seconds)
            if len(plan.shots) >= limits.max_shots or total + seconds > limits.max_seconds + 1e-9:
                left = sum(1 for s in screenplay.scenes if s.number > scene.number)
                plan.warnings.append(
                    f"{screenplay.source}:{shot.line}: plan stopped at the film's limit "
                    f"({limits.max_shots} shots / {limits.max_seconds:g} s; raise [limits] in film.toml); "
                    f"{len(candidates) - i} shot(s) of scene {scene.number} and {left} later scene(s) not planned."
                )
                return plan
            total += seconds
            shot = shot.model_copy(update={
                "code": f"{scene.number}{shot_letters(i)}", "scene": scene.number, "order": len(plan.shots) + 1,
                "heading": heading, "frames": seconds_to_frames(seconds, fps),
            })
            shot.prompt = compose_prompt(shot, bible=bible, config=config)
            plan.shots.append(shot)
    return plan


def _content_key(shot: Shot) -> str:
    """What a generator sees of a shot; a change here makes existing takes stale."""
    data = shot.model_dump(mode="json", exclude={"order": True, "line": True, "stale": True, "scene": True,
                                                  "dialogue": {"__all__": {"line"}}})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def apply_plan(film: Film, shots: Sequence[Shot], *, warnings: Sequence[str] = ()) -> PlanReport:
    """Write a shot list into the film, keeping identity by code. Never deletes a shot that has takes."""
    report = PlanReport(warnings=list(warnings))
    incoming = {s.code: s for s in shots}
    with film.store.session() as s:
        rows = {r.code: r for r in s.scalars(select(ShotRow))}
        has_takes = set(s.scalars(select(TakeRow.shot_code).distinct()))
        for shot in shots:
            row = rows.get(shot.code)
            data = shot.model_dump(mode="json", by_alias=True)
            if row is None:
                s.add(ShotRow(code=shot.code, scene=shot.scene, ord=shot.order, data=data, stale=False, omitted=False))
                report.added.append(shot.code)
                continue
            old = Shot.model_validate(row.data)
            # The director's own prompt (studio "edit prompt and re-roll") is a decision, not plan output: keep it.
            if "prompt_override" in row.data:
                data["prompt_override"] = row.data["prompt_override"]
            row.ord, row.scene = shot.order, shot.scene
            if row.omitted:
                row.omitted = False
            if _content_key(old) != _content_key(shot):
                row.data = data
                report.changed.append(shot.code)
                if shot.code in has_takes:
                    row.stale = True
                    report.stale.append(shot.code)
                    s.add(EventRow(type="shot:stale", payload={"shot": shot.code}))
            else:
                row.data = data | {"stale": row.stale}
                report.unchanged.append(shot.code)
        for code, row in rows.items():
            if code not in incoming and not row.omitted and not row.fragment:  # fragments are not in the script
                if code in has_takes:
                    row.omitted = True  # keep the shot and its takes; it just leaves the cut
                else:
                    s.delete(row)
                report.omitted.append(code)
    return report


def plan_film(film: Film) -> PlanReport:
    """Parse the film's screenplay and write its shot list (``storyreel plan``)."""
    if not film.script_path.is_file():
        raise ScriptError(f"{film.script_path}: no screenplay; expected a Fountain file here.",
                          zh=f"{film.script_path}：没有剧本；这里应有一个 Fountain 文件。")
    screenplay = read_fountain(film.script_path)
    plan = plan_screenplay(screenplay, config=film.config, bible=film.bible)
    return apply_plan(film, plan.shots, warnings=[*screenplay.warnings, *plan.warnings])


def list_shots(film: Film, *, include_omitted: bool = False, include_fragments: bool = False) -> list[Shot]:
    """Shots in film order. Story-later fragments (``F001``) are not part of the plan unless asked for."""
    with film.store.session() as s:
        q = select(ShotRow).order_by(ShotRow.fragment, ShotRow.ord)
        if not include_omitted:
            q = q.where(ShotRow.omitted.is_(False))
        if not include_fragments:
            q = q.where(ShotRow.fragment.is_(False))
        return [Shot.model_validate(r.data | {"stale": r.stale}) for r in s.scalars(q)]
