"""Review and editing commands: rate, note, tag, reject, lock, the board, the bin, and the edited cut (cutlist)."""

from __future__ import annotations

from typing import Annotated

import typer

from storyreel.cli.app import _console, _film, app
from storyreel.cli.i18n import t

cutlist_app = typer.Typer(help="The edited cut: list, add, move, trim, remove, effects, reset. 剪辑清单。",
                          invoke_without_command=True)
app.add_typer(cutlist_app, name="cutlist")

_CODE = Annotated[str, typer.Argument(help="Shot code, e.g. 3A. 镜头编号。")]
_TAKE = Annotated[int, typer.Argument(help="Take number. 条号。")]


def _label(code: str, take: int) -> str:
    return f"{code}-t{take:03d}"


def _frames(text: str, fps: int, what: str) -> int:
    """``36`` (frames) or ``1.5s`` (seconds, to the nearest frame): seconds live only at the edge."""
    from storyreel.services.review import InvalidEdit

    raw = text.strip().lower()
    try:
        value = round(float(raw[:-1]) * fps) if raw.endswith("s") else int(raw)
    except ValueError:
        raise InvalidEdit(f"{what}: '{text}' is neither frames (36) nor seconds (1.5s).",
                          zh=f"{what}：'{text}' 既不是帧数（36）也不是秒数（1.5s）。") from None
    if value < 0:
        raise InvalidEdit(f"{what}: '{text}' is negative.", zh=f"{what}：'{text}' 是负数。")
    return value


@app.command()
def rate(code: _CODE, take: _TAKE,
         stars: Annotated[int, typer.Argument(help="1–5 stars; 0 clears. 1–5 星；0 为清除。")]) -> None:
    """Rate a take 1–5 stars. 给一条结果打分（1–5 星）。"""
    from storyreel.services.review import rate_take

    with _film() as film:
        info = rate_take(film, _label(code, take), None if stars == 0 else stars)
    _console().print(t(f"{info.label}: {'★' * (info.rating or 0) or 'no rating'}",
                       f"{info.label}：{'★' * (info.rating or 0) or '无评分'}"))


@app.command()
def note(code: _CODE, take: _TAKE, text: Annotated[str, typer.Argument(help="The note (\"\" clears). 备注。")]) -> None:
    """Write a note on a take. 给一条结果写备注。"""
    from storyreel.services.review import note_take

    with _film() as film:
        info = note_take(film, _label(code, take), text)
    _console().print(t(f"{info.label}: note saved.", f"{info.label}：备注已保存。") if info.note
                     else t(f"{info.label}: note cleared.", f"{info.label}：备注已清除。"))


@app.command(context_settings={"ignore_unknown_options": True})
def tag(code: _CODE, take: _TAKE,
        changes: Annotated[list[str], typer.Argument(help="+tag adds, -tag removes (bare tag adds). +标签 添加，-标签 删除。")]) -> None:
    """Add or remove tags on a take: storyreel tag 3A 2 +rain -night. 增删标签。"""
    from storyreel.services.review import tag_take

    add = [c.removeprefix("+") for c in changes if not c.startswith("-")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    with _film() as film:
        info = tag_take(film, _label(code, take), add=add, remove=remove)
    _console().print(f"{info.label}: {', '.join(info.tags) or t('no tags', '无标签')}")


@app.command()
def reject(code: _CODE, take: _TAKE) -> None:
    """Reject a take (nothing is deleted; select it again to undo). 否决一条结果（不会删除）。"""
    from storyreel.services.review import reject_label

    with _film() as film:
        info = reject_label(film, _label(code, take))
    _console().print(t(f"Rejected [take.rejected]{info.label}[/].", f"已否决 [take.rejected]{info.label}[/]。"))


@app.command()
def lock(code: _CODE) -> None:
    """Lock a finished shot: shoot skips it. 锁定镜头：拍摄时跳过。"""
    from storyreel.services.review import lock_shot

    with _film() as film:
        lock_shot(film, code, True)
    _console().print(t(f"Shot {code} is locked; shoot will skip it.", f"镜头 {code} 已锁定，拍摄时将跳过。"))


@app.command()
def unlock(code: _CODE) -> None:
    """Unlock a shot. 解锁镜头。"""
    from storyreel.services.review import lock_shot

    with _film() as film:
        lock_shot(film, code, False)
    _console().print(t(f"Shot {code} is unlocked.", f"镜头 {code} 已解锁。"))


@app.command("board")
def board_cmd(
    scene: Annotated[int | None, typer.Option("--scene", help="Only this scene. 只看该场。")] = None,
    status: Annotated[str | None, typer.Option("--status", help="planned|shooting|has_takes|selected|stale|locked. 状态。")] = None,
    character: Annotated[str | None, typer.Option("--character", "-c", help="Only shots with this character. 角色。")] = None,
) -> None:
    """Every shot and where it stands. 镜头看板：每个镜头的进度。"""
    from rich.table import Table

    from storyreel.services.board import board, board_summary

    with _film() as film:
        cards = board(film, scene=scene, status=status, character=character)
    names = {"planned": t("planned", "待拍"), "shooting": t("shooting", "拍摄中"), "has_takes": t("has takes", "有结果"),
             "selected": t("selected", "已选"), "stale": t("stale", "需重拍"), "locked": t("locked", "已锁定")}
    styles = {"selected": "take.selected", "stale": "shot.stale", "shooting": "take.pending", "locked": "bold"}
    table = Table(title=t("Board", "镜头看板"))
    for col in (t("Shot", "镜头"), t("Sec", "秒"), t("Status", "状态"), t("Takes", "条数"), t("Good", "可用"),
                t("Cost", "费用"), t("Thumb", "缩略"), t("Characters", "角色")):
        table.add_column(col)
    for c in cards:
        st = names[c.status]
        table.add_row(f"[shot.code]{c.code}[/]" + (" ◇" if c.fragment else ""), f"{c.seconds:.1f}",
                      f"[{styles[c.status]}]{st}[/]" if c.status in styles else st, str(c.take_count),
                      str(c.good_count), f"{c.cost:.2f}", c.thumb_take or "–", ", ".join(c.characters))
    con = _console()
    con.print(table)
    con.print(" · ".join(f"{names[k]} {v}" for k, v in board_summary(cards).items() if v) or t("No shots.", "没有镜头。"))


@app.command("bin")
def bin_cmd(
    q: Annotated[str | None, typer.Option("--q", "-q", help="Words to find (prompt, note, tags, dialogue, names). 搜索词。")] = None,
    character: Annotated[str | None, typer.Option("--character", "-c", help="Takes with this character. 角色。")] = None,
    tag_: Annotated[str | None, typer.Option("--tag", help="Takes with this tag. 标签。")] = None,
    min_rating: Annotated[int | None, typer.Option("--min-rating", help="At least this many stars. 最低星级。")] = None,
    rejected: Annotated[bool, typer.Option("--rejected", help="Include rejected takes. 包括已否决的。")] = False,
) -> None:
    """Takes not in the cut, searchable. 素材箱：未进入剪辑的结果。"""
    from rich.table import Table

    from storyreel.services.bin import bin_takes

    with _film() as film:
        rows = bin_takes(film, q=q, character=character, tag=tag_, min_rating=min_rating, include_rejected=rejected)
    table = Table(title=t(f"Bin ({len(rows)} takes)", f"素材箱（{len(rows)} 条）"))
    for col in (t("Take", "条"), t("Sec", "秒"), t("Stars", "星"), t("Tags", "标签"), t("Note", "备注")):
        table.add_column(col, overflow="fold")
    for r in rows:
        label = f"[take.rejected]{r.label}[/]" if r.status == "rejected" else r.label
        table.add_row(label, f"{r.seconds:.1f}", "★" * (r.rating or 0), " ".join(r.tags), r.note)
    _console().print(table)


def _timecode(frame: int, fps: int) -> str:
    seconds, ff = divmod(frame, fps)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def _fx_summary(fx) -> str:
    parts = []
    if fx.handheld:
        parts.append(f"handheld {fx.handheld:g}")
    if fx.speed != 1.0:
        parts.append(f"speed ×{fx.speed:g}")
    if fx.freeze_at is not None:
        parts.append(f"freeze @{fx.freeze_at} +{fx.freeze_frames}f")
    if fx.hold_frames:
        parts.append(f"hold +{fx.hold_frames}f")
    if fx.transition_in.value != "cut":
        parts.append(f"{fx.transition_in.value} in {fx.transition_frames}f")
    if fx.fade_out_frames:
        parts.append(f"fade out {fx.fade_out_frames}f")
    if fx.ken_burns:
        parts.append("ken burns")
    return ", ".join(parts)


def _print_cutlist(clips, fps: int, edited: bool) -> None:
    from rich.table import Table

    title = t("Cut list (edited)", "剪辑清单（已编辑）") if edited else \
        t("Cut list (derived from the selected takes)", "剪辑清单（由选定结果自动生成）")
    table = Table(title=title)
    for col in ("#", t("Clip", "片段"), t("Take", "条"), t("In", "入点"), t("Out", "出点"), t("Record", "时间码"),
                t("Frames", "帧数"), t("Effects", "效果")):
        table.add_column(col)
    for c in clips:
        table.add_row(str(c.position), str(c.id) if c.id is not None else "–", c.take.label, str(c.source_in),
                      str(c.source_out), _timecode(c.record_start, fps), str(c.record_frames), _fx_summary(c.effects))
    con = _console()
    con.print(table)
    total = sum(c.record_frames for c in clips)
    con.print(t(f"{len(clips)} clips, {total} frames ({total / fps:.1f} s).",
                f"{len(clips)} 个片段，{total} 帧（{total / fps:.1f} 秒）。"))
    if not edited:
        con.print(t("Clip ids appear once the cut is edited: storyreel cutlist edit (or cutlist add TAKE).",
                    "剪辑被编辑后才有片段编号：storyreel cutlist edit（或 cutlist add 条号）。"))


@cutlist_app.callback()
def cutlist(ctx: typer.Context) -> None:
    """Show the cut clip by clip. 逐个片段显示剪辑。"""
    if ctx.invoked_subcommand:
        return
    from storyreel.services.timeline import is_edited, timeline

    with _film() as film:
        clips = timeline(film)
        _print_cutlist(clips, film.config.profile.fps, is_edited(film))


@cutlist_app.command("edit")
def cutlist_edit() -> None:
    """Turn the derived cut into editable clips (nothing changes on screen). 将自动剪辑转为可编辑片段。"""
    from storyreel.services.timeline import materialise

    with _film() as film:
        _print_cutlist(materialise(film), film.config.profile.fps, True)


@cutlist_app.command("add")
def cutlist_add(
    take: Annotated[str, typer.Argument(help="Take label, e.g. 3A-t002. 条号。")],
    at: Annotated[int | None, typer.Option("--at", help="Position (0 = first; default: the end). 位置。")] = None,
) -> None:
    """Place a take in the cut. 把一条结果放进剪辑。"""
    from storyreel.services.timeline import add_clip

    with _film() as film:
        c = add_clip(film, take, position=at)
    _console().print(t(f"Clip {c.id}: {c.take.label} at position {c.position}.",
                       f"片段 {c.id}：{c.take.label}，位置 {c.position}。"))


@cutlist_app.command("move")
def cutlist_move(clip_id: Annotated[int, typer.Argument(help="Clip id. 片段编号。")],
                 position: Annotated[int, typer.Argument(help="New position (0 = first). 新位置。")]) -> None:
    """Move a clip. 移动片段。"""
    from storyreel.services.timeline import move_clip

    with _film() as film:
        clips = move_clip(film, clip_id, position)
    pos = next(c.position for c in clips if c.id == clip_id)
    _console().print(t(f"Clip {clip_id} is now at position {pos}.", f"片段 {clip_id} 现在位于 {pos}。"))


@cutlist_app.command("trim")
def cutlist_trim(clip_id: Annotated[int, typer.Argument(help="Clip id. 片段编号。")],
                 in_: Annotated[str, typer.Argument(metavar="IN", help="First frame (or 1.5s). 入点。")],
                 out: Annotated[str, typer.Argument(metavar="OUT", help="End frame, exclusive (or 3s). 出点。")]) -> None:
    """Trim a clip to source frames [IN, OUT). 修剪片段。"""
    from storyreel.services.timeline import trim_clip

    with _film() as film:
        fps = film.config.profile.fps
        c = trim_clip(film, clip_id, _frames(in_, fps, "IN"), _frames(out, fps, "OUT"))
    _console().print(t(f"Clip {c.id} ({c.take.label}): frames {c.source_in}–{c.source_out}, {c.record_frames} in the cut.",
                       f"片段 {c.id}（{c.take.label}）：第 {c.source_in}–{c.source_out} 帧，剪辑中占 {c.record_frames} 帧。"))


@cutlist_app.command("remove")
def cutlist_remove(clip_id: Annotated[int, typer.Argument(help="Clip id. 片段编号。")]) -> None:
    """Take a clip out of the cut (its take goes back to the bin). 移除片段（结果回到素材箱）。"""
    from storyreel.services.timeline import remove_clip

    with _film() as film:
        remove_clip(film, clip_id)
    _console().print(t(f"Clip {clip_id} removed.", f"片段 {clip_id} 已移除。"))


@cutlist_app.command("reset")
def cutlist_reset() -> None:
    """Drop the edit; the cut follows the selected takes again. 放弃编辑，回到自动剪辑。"""
    from storyreel.services.timeline import reset_cut

    with _film() as film:
        reset_cut(film)
    _console().print(t("The cut is derived from the selected takes again.", "剪辑已恢复为由选定结果自动生成。"))


@cutlist_app.command("fx")
def cutlist_fx(
    clip_id: Annotated[int, typer.Argument(help="Clip id. 片段编号。")],
    handheld: Annotated[float | None, typer.Option("--handheld", help="Breathing camera 0–1. 手持晃动强度。")] = None,
    speed: Annotated[float | None, typer.Option("--speed", help="Playback speed 0.1–10. 播放速度。")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Hold the last frame (frames or 1s). 末帧停留。")] = None,
    fade_in: Annotated[str | None, typer.Option("--fade-in", help="Fade from black. 淡入。")] = None,
    dissolve: Annotated[str | None, typer.Option("--dissolve", help="Dissolve from the previous clip. 叠化。")] = None,
    fade_out: Annotated[str | None, typer.Option("--fade-out", help="Fade to black. 淡出。")] = None,
    freeze_at: Annotated[str | None, typer.Option("--freeze-at", help="Source frame to freeze on. 定格帧。")] = None,
    freeze: Annotated[str | None, typer.Option("--freeze", help="How long the freeze holds. 定格时长。")] = None,
    ken_burns: Annotated[bool | None, typer.Option("--ken-burns/--no-ken-burns", help="Slow push across the picture. 推拉摇移。")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Start from no effects. 清除全部效果。")] = False,
) -> None:
    """Set a clip's effects; options not given keep their value. 设置片段效果；未给出的选项保持不变。"""
    from storyreel.model import ClipEffects, KenBurns
    from storyreel.services.timeline import set_effects, timeline

    with _film() as film:
        fps = film.config.profile.fps
        current = next((c.effects for c in timeline(film) if c.id == clip_id), ClipEffects())
        data = {} if clear else current.model_dump()
        if handheld is not None:
            data["handheld"] = handheld
        if speed is not None:
            data["speed"] = speed
        if hold is not None:
            data["hold_frames"] = _frames(hold, fps, "--hold")
        if fade_in is not None:
            n = _frames(fade_in, fps, "--fade-in")
            data.update(transition_in="fade" if n else "cut", transition_frames=n)
        if dissolve is not None:
            n = _frames(dissolve, fps, "--dissolve")
            data.update(transition_in="dissolve" if n else "cut", transition_frames=n)
        if fade_out is not None:
            data["fade_out_frames"] = _frames(fade_out, fps, "--fade-out")
        if freeze_at is not None:
            data["freeze_at"] = _frames(freeze_at, fps, "--freeze-at")
        if freeze is not None:
            data["freeze_frames"] = _frames(freeze, fps, "--freeze")
        if ken_burns is not None:
            data["ken_burns"] = KenBurns().model_dump() if ken_burns else None
        c = set_effects(film, clip_id, data)
    _console().print(t(f"Clip {c.id} ({c.take.label}): {_fx_summary(c.effects) or 'no effects'}; "
                       f"{c.record_frames} frames in the cut.",
                       f"片段 {c.id}（{c.take.label}）：{_fx_summary(c.effects) or '无效果'}；剪辑中占 {c.record_frames} 帧。"))
