"""Director mode: the shot list as a CSV table a person can edit in a spreadsheet and import back.

Columns (header required, order free): code, scene, seconds, framing, camera, description, characters, dialogue,
prompt. ``characters`` is ``name@side`` items separated by ``;`` (``林晓@left; 老周@right``, side optional,
``name@left>exits-left`` for an exit, ``<enters-right`` for an entrance, ``^looks-camera`` for an eyeline);
``dialogue`` is ``name (parenthetical): line`` items separated by `` | ``. Rows keep
their order as the film order; shot identity is the code, so an edited row updates that shot (marking it stale
when it has takes) and a removed row omits the shot without losing its takes.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from pydantic import ValidationError

from storyreel.errors import OutputNotWritable, ShotListError
from storyreel.model import Blocking, CameraMove, DialogueLine, Framing, Look, Shot, Side
from storyreel.script.timing import seconds_to_frames
from storyreel.services.film import Film
from storyreel.services.plan import PlanReport, apply_plan, compose_prompt, list_shots

COLUMNS = ["code", "scene", "seconds", "framing", "camera", "description", "characters", "dialogue", "prompt"]
REQUIRED = ["code", "seconds", "description"]


def _blocking_cell(shot: Shot) -> str:
    parts = []
    for b in shot.blocking:
        item = f"{b.character}@{b.position.value}"
        if b.exits:
            item += f">exits-{b.exits.value}"
        if b.enters:
            item += f"<enters-{b.enters.value}"
        if b.look:
            item += f"^looks-{b.look.value}"
        parts.append(item)
    return "; ".join(parts)


def export_csv(film: Film, path: Path) -> int:
    shots = list_shots(film)
    fps = film.config.profile.fps
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for s in shots:
        dialogue = " | ".join(
            f"{d.character}{f' ({d.parenthetical})' if d.parenthetical else ''}: {d.text}" for d in s.dialogue)
        w.writerow([s.code, s.scene, f"{s.frames / fps:.3f}".rstrip("0").rstrip("."), s.framing.value,
                    s.camera.value, s.description, _blocking_cell(s), dialogue, s.prompt])
    tmp = path.with_name(f".{path.name}.part")
    try:
        # utf-8-sig so Excel opens Chinese text correctly.
        tmp.write_text(buf.getvalue(), encoding="utf-8-sig")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputNotWritable(f"Cannot write {path}: {exc.strerror or exc}.", zh=f"无法写入 {path}：{exc.strerror or exc}。") from exc
    return len(shots)


def _enum(value: str, enum: type, where: str, column: str):
    v = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum(v)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise ShotListError(f"{where}: column '{column}': '{value}' is not one of: {choices}.",
                            zh=f"{where}：'{column}' 列的值 '{value}' 无效，可选：{choices}。") from None


def _parse_blocking(cell: str, where: str) -> list[Blocking]:
    out = []
    for item in filter(None, (p.strip() for p in cell.split(";"))):
        exits = enters = look = None
        if "^looks-" in item:
            item, _, side = item.partition("^looks-")
            look = _enum(side, Look, where, "characters")
        if ">exits-" in item:
            item, _, side = item.partition(">exits-")
            exits = _enum(side, Side, where, "characters")
        if "<enters-" in item:
            item, _, side = item.partition("<enters-")
            enters = _enum(side, Side, where, "characters")
        name, _, side = item.partition("@")
        position = _enum(side, Side, where, "characters") if side.strip() else Side.CENTER
        out.append(Blocking(character=name.strip(), position=position, exits=exits, enters=enters, look=look))
    return out


_PAREN = re.compile(r"(.+?)\s*[(（](.*)[)）]")


def _parse_dialogue(cell: str, where: str) -> list[DialogueLine]:
    out = []
    for item in filter(None, (p.strip() for p in cell.split(" | "))):
        sep = "：" if "：" in item and (":" not in item or item.index("：") < item.index(":")) else ":"
        name, found, text = item.partition(sep)
        if not found or not name.strip() or not text.strip():
            raise ShotListError(f"{where}: column 'dialogue': expected 'name: line', got '{item}'.",
                                zh=f"{where}：'dialogue' 列应为 '角色：台词'，实际是 '{item}'。")
        name, paren = name.strip(), None
        m = _PAREN.fullmatch(name)
        if m:
            name, paren = m.group(1).strip(), m.group(2).strip()
        out.append(DialogueLine(character=name, text=text.strip(), parenthetical=paren))
    return out


def read_csv(film: Film, path: Path) -> list[Shot]:
    """Parse and validate the whole table before anything is written; errors name file:line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ShotListError(f"{path}: no such file.", zh=f"{path}：文件不存在。") from None
    except UnicodeDecodeError as exc:
        raise ShotListError(f"{path}: not UTF-8 text (save the CSV as UTF-8).", zh=f"{path}：不是 UTF-8 文本（请另存为 UTF-8）。") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ShotListError(f"{path}:1: missing column(s) {', '.join(missing)}; expected a header with {', '.join(COLUMNS)}.",
                            zh=f"{path}:1：缺少列 {'、'.join(missing)}；表头应包含 {', '.join(COLUMNS)}。")
    reader.fieldnames = header
    fps, limits = film.config.profile.fps, film.config.limits
    shots: list[Shot] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        where = f"{path}:{line}"
        get = lambda k: (row.get(k) or "").strip()  # noqa: E731
        code = get("code")
        if not code:
            raise ShotListError(f"{where}: empty shot code.", zh=f"{where}：镜头编号为空。")
        if code in seen:
            raise ShotListError(f"{where}: shot {code} already appears on line {seen[code]}.",
                                zh=f"{where}：镜头 {code} 已在第 {seen[code]} 行出现。")
        seen[code] = line
        try:
            seconds = float(get("seconds").replace(",", "."))
        except ValueError:
            raise ShotListError(f"{where}: column 'seconds': '{get('seconds')}' is not a number.",
                                zh=f"{where}：'seconds' 列的 '{get('seconds')}' 不是数字。") from None
        if not (0 < seconds <= limits.max_seconds):
            raise ShotListError(f"{where}: column 'seconds': {seconds:g} is out of range (0, {limits.max_seconds:g}].",
                                zh=f"{where}：'seconds' 列的 {seconds:g} 超出范围 (0, {limits.max_seconds:g}]。")
        scene_txt = get("scene") or "".join(ch for ch in code if ch.isdigit()) or "1"
        try:
            scene = int(scene_txt)
        except ValueError:
            raise ShotListError(f"{where}: column 'scene': '{scene_txt}' is not a whole number.",
                                zh=f"{where}：'scene' 列的 '{scene_txt}' 不是整数。") from None
        try:
            shot = Shot(
                code=code, scene=scene, order=len(shots) + 1, description=get("description"),
                framing=_enum(get("framing"), Framing, where, "framing") if get("framing") else Framing.MEDIUM,
                camera=_enum(get("camera"), CameraMove, where, "camera") if get("camera") else CameraMove.STATIC,
                blocking=_parse_blocking(get("characters"), where), dialogue=_parse_dialogue(get("dialogue"), where),
                frames=seconds_to_frames(seconds, fps), prompt=get("prompt"), line=line,
            )
        except ValidationError as exc:
            raise ShotListError(f"{where}: {exc.errors()[0]['msg']}.", zh=f"{where}：{exc.errors()[0]['msg']}。") from exc
        if not shot.prompt:
            shot.prompt = compose_prompt(shot, bible=film.bible, config=film.config)
        shots.append(shot)
    if not shots:
        raise ShotListError(f"{path}: the table has no shots.", zh=f"{path}：表中没有镜头。")
    return shots


def import_csv(film: Film, path: Path) -> PlanReport:
    shots = read_csv(film, path)
    # Keep the scene headings the script gave, where the code is known.
    existing = {s.code: s for s in list_shots(film, include_omitted=True)}
    out = []
    for shot in shots:
        old = existing.get(shot.code)
        if old is not None:
            shot = shot.model_copy(update={"heading": old.heading})
            # An untouched prompt cell follows the row's edits; a prompt the director rewrote is kept as written.
            if shot.prompt == old.prompt:
                shot.prompt = compose_prompt(shot, bible=film.bible, config=film.config)
        out.append(shot)
    return apply_plan(film, out)
