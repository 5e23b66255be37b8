"""``storyreel render``: delivery renders (profiles, effects, sound) and their checks; ``storyreel focus``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storyreel.cli.app import _console, _film, app
from storyreel.cli.i18n import t


@app.command()
def render(
    profile: Annotated[str | None, typer.Option(
        "--profile", "-p",
        help="douyin, kuaishou, bilibili, youtube, xiaohongshu or scope (default: film.toml 'delivery', else the "
             "film's aspect). 交付平台。")] = None,
    fit: Annotated[str, typer.Option(
        "--fit", help="crop (around each shot's focus point) or pad (keep the whole picture). 裁切或加黑边。")] = "crop",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (default: renders/<profile>.mp4). 输出文件。")] = None,
) -> None:
    """Render the cut for a platform, then check it: renders/<profile>.mp4 + .srt + .report.json. 渲染交付版本并检查。"""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from storyreel.services.cut import render_delivery

    con = _console()
    with _film() as film, Progress(TextColumn("{task.description}"), BarColumn(),
                                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                   console=con, transient=True) as bar:
        task = bar.add_task(t("Rendering delivery", "渲染交付版本"), total=None)
        result = render_delivery(film, profile, fit=fit, out=out,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    con.print(_report_table(result))
    seconds = result.frames / result.fps
    con.print(t(
        f"{result.profile.title}: [path]{result.video}[/] ({result.profile.width}x{result.profile.height}, "
        f"{seconds:.1f} s)\nSubtitles: [path]{result.srt}[/]\nReport: [path]{result.report}[/]",
        f"{result.profile.title}：[path]{result.video}[/]（{result.profile.width}x{result.profile.height}，"
        f"{seconds:.1f} 秒）\n字幕：[path]{result.srt}[/]\n检查报告：[path]{result.report}[/]",
    ))
    if not result.passed:
        failed = sum(not r.passed for r in result.rules)
        con.print(t(f"[red]{failed} check(s) failed.[/] The file was kept; see the report for what to fix.",
                    f"[red]{failed} 项检查未通过。[/]文件已保留；请查看报告了解需要修正的地方。"))
        raise typer.Exit(1)


def _report_table(result):
    from rich.table import Table

    table = Table(title=t(f"Checks · {result.profile.name}", f"检查 · {result.profile.name}"), title_justify="left")
    table.add_column(t("Rule", "规则"))
    table.add_column(t("Expected", "要求"))
    table.add_column(t("Actual", "实际"))
    table.add_column(t("Result", "结果"))
    for r in result.rules:
        table.add_row(r.rule, r.expected, r.actual, "[green]pass[/]" if r.passed else "[red]FAIL[/]")
    return table


@app.command()
def focus(
    code: Annotated[str, typer.Argument(help="Shot code. 镜头编号。")],
    x: Annotated[float | None, typer.Argument(min=0, max=1, help="0 = left edge, 1 = right edge. 水平位置。")] = None,
    y: Annotated[float | None, typer.Argument(min=0, max=1, help="0 = top, 1 = bottom. 垂直位置。")] = None,
) -> None:
    """Set the point a reframing crop keeps in view (no x/y: back to the centre). 设置重新构图的焦点。"""
    from storyreel.services.cut import set_focus

    if (x is None) != (y is None):
        raise typer.BadParameter("give both x and y, or neither", param_hint="x y")
    with _film() as film:
        set_focus(film, code, None if x is None else (x, y))  # type: ignore[arg-type]
    _console().print(t(f"Shot {code}: focus {'centre' if x is None else f'({x:g}, {y:g})'}.",
                       f"镜头 {code}：焦点 {'居中' if x is None else f'({x:g}, {y:g})'}。"))
