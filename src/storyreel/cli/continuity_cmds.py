"""Continuity and keyframes: chain, grab, keyframe (upload, approve), keyframes, edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storyreel.cli.app import _console, _film, app
from storyreel.cli.i18n import t


def _drift(con, code: str, depth: int) -> None:
    con.print(f"[yellow]! {t(f'{code} is {depth} generations down a chain of frames; quality drifts along long chains. Consider --end-from NEXT@first (an approved keyframe) or a fresh start frame.', f'{code} 已是链式取帧的第 {depth} 代；长链会累积画质漂移。可考虑 --end-from 下一镜头@first（通过的关键帧）或重新生成首帧。')}[/]")


@app.command("chain")
def chain_cmd(
    code: Annotated[str, typer.Argument(help="Shot to chain, e.g. 3B. 要链接的镜头。")],
    from_: Annotated[str | None, typer.Option("--from", help="Start frame: SHOT@first|last|4.2s|96f. 起始帧来源。")] = None,
    end_from: Annotated[str | None, typer.Option("--end-from", help="End frame, e.g. 3C@first (its approved keyframe). 结束帧来源。")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the chain. 取消链接。")] = False,
) -> None:
    """Start (or end) a shot on a frame of another shot's selected take. 让镜头从另一镜头选定结果的某一帧开始（或结束）。"""
    from storyreel.services.continuity import chain

    with _film() as film:
        r = chain(film, code, from_=from_, end_from=end_from, clear=clear)
    con = _console()
    if not r.chain:
        con.print(t(f"{r.shot} is no longer chained.", f"{r.shot} 已取消链接。"))
        return
    parts = []
    if "first" in r.chain:
        src = r.chain["first"]
        parts.append(t(f"starts from {src['shot']}@{src['at']}", f"从 {src['shot']}@{src['at']} 开始"))
    if "last" in r.chain:
        src = r.chain["last"]
        parts.append(t(f"ends on {src['shot']}@{src['at']}", f"结束于 {src['shot']}@{src['at']}"))
    con.print(t(f"{r.shot} {' and '.join(parts)} (resolved from the selected take when it is shot).",
                f"{r.shot} {'，'.join(parts)}（拍摄时从选定结果取帧）。"))
    if r.drift_warning:
        _drift(con, r.shot, r.depth)


@app.command("grab")
def grab_cmd(
    ref: Annotated[str, typer.Argument(help="TAKE@FRAME, e.g. 3A-t002@4.2s. 结果@帧。")],
    to: Annotated[str | None, typer.Option("--to", help="Make it this shot's start frame (chain). 作为该镜头的首帧。")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="Decode the take itself, never its normalised copy. 始终从原片解码。")] = False,
) -> None:
    """Save one exact frame of a take as a keyframe. 把某条结果的某一帧存为关键帧。"""
    from storyreel.services.continuity import ChainError
    from storyreel.services.keyframes import grab

    label, sep, at = ref.partition("@")
    if not sep:
        raise ChainError(f"'{ref}': write TAKE@FRAME, e.g. 3A-t002@4.2s.", zh=f"“{ref}”：请写成 结果@帧，例如 3A-t002@4.2s。")
    with _film() as film:
        r = grab(film, label, at, to=to, exact=exact)
    k = r.keyframe
    con = _console()
    con.print(t(f"{k.label}: {k.source} ({k.width}x{k.height}) [path]{k.path}[/]",
                f"{k.label}：{k.source}（{k.width}x{k.height}）[path]{k.path}[/]"))
    if not r.exact:
        con.print(t("  read from the take's normalised copy (same frame, re-encoded); --exact decodes the take itself",
                    "  取自该结果的规范化副本（同一帧，经过重新编码）；加 --exact 从原片解码"))
    if r.chained:
        con.print(t(f"{k.shot} now starts from this frame of {label.rsplit('-t', 1)[0]}'s selected take.",
                    f"{k.shot} 现在从 {label.rsplit('-t', 1)[0]} 选定结果的这一帧开始。"))
        if not r.selected:
            con.print(f"[yellow]! {t(f'{label} is not the selected take; select it to start from exactly this frame.', f'{label} 不是选定结果；选定它才会正好从这一帧开始。')}[/]")


@app.command("keyframe")
def keyframe_cmd(
    code: Annotated[str, typer.Argument(help="Shot code. 镜头编号。")],
    upload: Annotated[Path | None, typer.Option("--upload", help="Image (keyframe) or video (take) to bring in. 上传图片或视频。")] = None,
    approve: Annotated[int | None, typer.Option("--approve", help="Approve keyframe N. 通过第 N 个关键帧。")] = None,
) -> None:
    """Bring in your own image or video, or approve a keyframe. 上传自己的图片/视频，或通过关键帧。"""
    from storyreel.errors import InvalidInput
    from storyreel.services.keyframes import approve_keyframe
    from storyreel.services.keyframes import upload as do_upload

    if upload is None and approve is None:
        raise InvalidInput("Say what to do: --upload FILE or --approve N.", zh="请指定操作：--upload 文件 或 --approve N。")
    con = _console()
    with _film() as film:
        if upload is not None:
            got = do_upload(film, code, upload)
            if isinstance(got, str):
                con.print(t(f"Uploaded video as take {got}.", f"视频已作为结果 {got} 导入。"))
            else:
                con.print(t(f"Uploaded image as keyframe {got.label} ({got.width}x{got.height}).",
                            f"图片已作为关键帧 {got.label} 导入（{got.width}x{got.height}）。"))
        if approve is not None:
            k = approve_keyframe(film, code, approve)
            con.print(t(f"{k.label} approved: {k.shot} starts from it unless the shot is chained.",
                        f"{k.label} 已通过：除非该镜头已链接，否则从它开始。"))


@app.command("keyframes")
def keyframes_cmd(code: Annotated[str, typer.Argument(help="Shot code. 镜头编号。")]) -> None:
    """List a shot's keyframes with origin and source. 列出镜头的关键帧及来源。"""
    from rich.table import Table

    from storyreel.services.continuity import chain_depth
    from storyreel.services.keyframes import list_keyframes

    with _film() as film:
        keys = list_keyframes(film, code)
        depth = chain_depth(film, code)
    con = _console()
    if not keys:
        con.print(t(f"No keyframes for {code} yet. Try: storyreel keyframe {code} --upload my.png",
                    f"{code} 还没有关键帧。可以：storyreel keyframe {code} --upload my.png"))
    else:
        table = Table(t("keyframe", "关键帧"), t("origin", "来源"), t("from", "出处"), t("size", "尺寸"),
                      t("approved", "通过"), t("prompt", "提示"))
        for k in keys:
            table.add_row(k.label, k.origin, k.source or "", f"{k.width}x{k.height}", "✓" if k.approved else "",
                          k.prompt)
        con.print(table)
    if depth >= 3:
        _drift(con, code, depth)


@app.command("edit")
def edit_cmd(
    ref: Annotated[str, typer.Argument(help="Keyframe, e.g. 3A@k2. 关键帧。")],
    prompt: Annotated[str, typer.Argument(help="What to change. 要修改的内容。")],
    provider: Annotated[str | None, typer.Option("--provider", "-p", help="Provider with image editing. 支持改图的服务。")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Editing model. 改图模型。")] = None,
) -> None:
    """Edit a keyframe with an image model; the result is a new keyframe. 用图像模型修改关键帧，结果为新关键帧。"""
    from storyreel.services.keyframes import edit_keyframe

    with _film() as film:
        k = edit_keyframe(film, ref, prompt, provider=provider, model=model)
    _console().print(t(f"{k.label}: edit of {k.source} ({k.width}x{k.height}). Approve it: storyreel keyframe {k.shot} --approve {k.number}",
                       f"{k.label}：由 {k.source} 修改而来（{k.width}x{k.height}）。通过：storyreel keyframe {k.shot} --approve {k.number}"))
