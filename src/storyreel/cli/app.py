"""``storyreel`` commands. Each parses its options, calls one service and shows the result.

Services and heavy libraries (SQLAlchemy, PyAV, Pillow) are imported inside the commands so ``storyreel --help``
starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from storyreel.cli.i18n import set_lang, t

app = typer.Typer(
    name="storyreel",
    help="storyreel — script → shots → takes → rough cut, for films made with generative video. "
    "剧本 → 分镜 → 抽卡 → 初剪。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
shots_app = typer.Typer(help="Show, export or import the shot list. 查看、导出、导入分镜表。", invoke_without_command=True)
app.add_typer(shots_app, name="shots")

_state: dict[str, object] = {"film": Path("."), "debug": False}


def _console():
    from rich.console import Console

    from storyreel.cli.render import THEME

    return Console(theme=THEME, highlight=False)


def _film():
    from storyreel.services.film import open_film

    return open_film(_state["film"])  # type: ignore[arg-type]


@app.callback()
def _root(
    film: Annotated[Path, typer.Option("--film", "-C", help="Film folder (default: current). 影片文件夹。")] = Path("."),
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh (default: from the locale). 界面语言。")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks. 显示完整错误堆栈。")] = False,
) -> None:
    _state["film"] = film
    _state["debug"] = debug
    if lang:
        if lang not in ("en", "zh"):
            raise typer.BadParameter("use 'en' or 'zh'", param_hint="--lang")
        set_lang(lang)


@app.command()
def new(
    path: Annotated[Path, typer.Argument(help="Folder to create. 新建的文件夹。")],
    language: Annotated[str, typer.Option("--language", "-l", help="Script language: zh or en. 剧本语言。")] = "zh",
    title: Annotated[str | None, typer.Option(help="Film title (default: folder name). 片名。")] = None,
) -> None:
    """Scaffold a film folder: film.toml, script.fountain, bible/. 新建影片文件夹。"""
    from storyreel.errors import FilmConfigError
    from storyreel.services.film import new_film

    if language not in ("zh", "en"):
        raise FilmConfigError(f"--language must be zh or en, got '{language}'.", zh=f"--language 只能是 zh 或 en，而不是 '{language}'。")
    root = new_film(path, language=language, title=title)
    _console().print(t(f"Created film [path]{root}[/]. Next: cd {path} && storyreel plan",
                       f"已创建影片 [path]{root}[/]。下一步：cd {path} && storyreel plan"))


@app.command()
def plan() -> None:
    """Parse script.fountain and write the shot list. 解析剧本并生成分镜表。"""
    from storyreel.services.plan import plan_film

    with _film() as film:
        report = plan_film(film)
    con = _console()
    for w in report.warnings:
        con.print(f"[yellow]! {w}[/]")
    con.print(t(
        f"Planned {report.total} shots: {len(report.added)} new, {len(report.changed)} changed "
        f"({len(report.stale)} now stale), {len(report.omitted)} omitted. See: storyreel shots",
        f"已生成 {report.total} 个镜头：新增 {len(report.added)}，修改 {len(report.changed)}"
        f"（其中 {len(report.stale)} 个需重拍），移除 {len(report.omitted)}。查看：storyreel shots",
    ))


@shots_app.callback()
def shots(ctx: typer.Context) -> None:
    """Print the shot list as a table. 打印分镜表。"""
    if ctx.invoked_subcommand:
        return
    from storyreel.cli.render import shot_table
    from storyreel.services.plan import list_shots

    with _film() as film:
        _console().print(shot_table(list_shots(film), fps=film.config.profile.fps))


@shots_app.command("export")
def shots_export(path: Annotated[Path, typer.Argument(help="CSV file to write. 导出的 CSV 文件。")]) -> None:
    """Write the shot list as CSV (UTF-8, opens in Excel). 导出分镜表为 CSV。"""
    from storyreel.services.shotlist import export_csv

    with _film() as film:
        n = export_csv(film, path)
    _console().print(t(f"Wrote {n} shots to [path]{path}[/].", f"已导出 {n} 个镜头到 [path]{path}[/]。"))


@shots_app.command("import")
def shots_import(path: Annotated[Path, typer.Argument(help="CSV file to read. 要导入的 CSV 文件。")]) -> None:
    """Replace the shot list with a CSV table, keeping shots by code. 用 CSV 表替换分镜表（按编号保留镜头）。"""
    from storyreel.services.shotlist import import_csv

    with _film() as film:
        r = import_csv(film, path)
    _console().print(t(
        f"Imported {r.total} shots: {len(r.added)} new, {len(r.changed)} changed ({len(r.stale)} stale), "
        f"{len(r.omitted)} omitted.",
        f"已导入 {r.total} 个镜头：新增 {len(r.added)}，修改 {len(r.changed)}（{len(r.stale)} 个需重拍），移除 {len(r.omitted)}。",
    ))


@app.command()
def shoot(
    takes: Annotated[int, typer.Option("--takes", "-n", min=1, max=64, help="Takes per shot (a target). 每个镜头的条数。")] = 1,
    shots: Annotated[str | None, typer.Option("--shots", help="Only these shots, e.g. 3A,3B. 只拍这些镜头。")] = None,
    provider: Annotated[str | None, typer.Option("--provider", "-p", help="Provider name (default: film.toml). 生成服务。")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model (default: the provider's). 模型。")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Cheap tier, same seed and inputs; upgrade later. 草稿质量。")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the estimate only. 只估算费用。")] = False,
    budget: Annotated[float | None, typer.Option("--budget", min=0, help="Spend cap for this command. 本次花费上限。")] = None,
    free: Annotated[str | None, typer.Option("--free", help="Story-later: a new fragment shot from this prompt. 按描述拍一个碎片镜头。")] = None,
    character: Annotated[list[str] | None, typer.Option("--character", "-c", help="Bible character in the fragment (repeatable). 碎片中的角色。")] = None,
) -> None:
    """Generate takes; re-running continues where it stopped. 生成镜头（抽卡）；可断点续拍。"""
    codes = [c.strip() for c in shots.split(",") if c.strip()] if shots else None
    options = dict(takes=takes, shots=codes, provider=provider, model=model, draft=draft, budget=budget)
    if (free is None and character) or (free is not None and codes):
        from storyreel.services.review import InvalidEdit

        raise InvalidEdit("--character needs --free; --free makes a new fragment shot, so it takes no --shots.",
                          zh="--character 需与 --free 一起使用；--free 新建碎片镜头，不能与 --shots 同用。")
    with _film() as film:
        if free is not None:
            from storyreel.cli.render import estimate_table
            from storyreel.services.fragments import shoot_free

            frag = shoot_free(film, free, takes=takes, characters=character or (), provider=provider, model=model,
                              draft=draft, dry_run=dry_run, budget=budget)
            if dry_run:
                _console().print(estimate_table(frag.report))
                return
            _console().print(t(f"Fragment [shot.code]{frag.shot.code}[/]: {frag.shot.description}",
                               f"碎片镜头 [shot.code]{frag.shot.code}[/]：{frag.shot.description}"))
            report = frag.report
        elif dry_run:
            from storyreel.cli.render import estimate_table
            from storyreel.services.shoot import shoot as run_shoot

            report = run_shoot(film, dry_run=True, **options)
            _console().print(estimate_table(report))
            return
        else:
            report = _shoot_with_progress(film, **options)
    s = report.summary
    con = _console()
    if report.locked:
        con.print(f"[yellow]! {t('locked, not shot', '已锁定，未拍摄')}: {', '.join(report.locked)}[/]")
    con.print(t(f"{s.done} takes done, {s.failed} failed, {s.reconcile} to reconcile, {s.not_started} not started "
                f"({report.planned} new jobs, {report.resumed} resumed).",
                f"完成 {s.done} 条，失败 {s.failed} 条，待核对 {s.reconcile} 条，未开始 {s.not_started} 条"
                f"（新任务 {report.planned}，续拍 {report.resumed}）。"))
    for why in s.stopped_by:
        con.print(f"[yellow]! {t('stopped early', '提前停止')}: {why}[/]")
    for code, why in report.skipped.items():
        con.print(f"[yellow]! {t('skipped', '已跳过')} {code}: {t(why.message, why.zh or why.message)}[/]")
    if s.failed or s.reconcile:
        con.print(t("See: storyreel jobs", "查看：storyreel jobs"))
        raise typer.Exit(1)


@app.command()
def upgrade(
    code: Annotated[str, typer.Argument(help="Shot code. 镜头编号。")],
    take: Annotated[int, typer.Argument(help="Draft take number. 草稿条号。")],
) -> None:
    """Re-render a draft take at final quality, linked to it. 将草稿升级为正式质量。"""
    from storyreel.services.shoot import upgrade_take

    with _film() as film:
        report = upgrade_take(film, code, take)
    s = report.summary
    _console().print(t(f"Upgrade of {code}-t{take:03d}: {s.done} done, {s.failed} failed, {s.reconcile} to reconcile.",
                       f"{code}-t{take:03d} 升级：完成 {s.done}，失败 {s.failed}，待核对 {s.reconcile}。"))
    if s.failed or s.reconcile:
        raise typer.Exit(1)


def _shoot_with_progress(film, **options):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from storyreel.services.shoot import shoot as run_shoot

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_console()) as bar:
        task = bar.add_task(t("Shooting", "拍摄中"), total=None)

        def on_event(ev) -> None:
            if ev.type == "take:new" or ev.state in ("failed", "reconcile", "canceled"):
                bar.advance(task)
                bar.update(task, description=t(f"Shooting · {ev.shot}-t{ev.take:03d}", f"拍摄中 · {ev.shot}-t{ev.take:03d}"))

        return run_shoot(film, listener=on_event, on_plan=lambda n: bar.update(task, total=n), **options)


jobs_app = typer.Typer(help="The job queue: list, retry, cancel, resolve. 任务队列。", invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    reconcile: Annotated[bool, typer.Option("--reconcile", help="Only jobs waiting for you to reconcile. 只看待核对任务。")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Include finished jobs. 包括已完成任务。")] = False,
) -> None:
    """List queued, running, failed and reconcile jobs with their error class. 列出任务及错误类型。"""
    if ctx.invoked_subcommand:
        return
    from storyreel.cli.render import job_table
    from storyreel.services.jobs import list_jobs

    states = {"reconcile"} if reconcile else None
    with _film() as film:
        rows = list_jobs(film, states=states)
    if not all_ and not reconcile:
        rows = [j for j in rows if j.state != "done"]
    _console().print(job_table(rows))
    if reconcile and rows:
        _console().print(t(
            "Check each in the provider's console, then: storyreel jobs resolve ID --remote-id TASK "
            "(it exists) or --not-created (it does not; it will be sent on the next shoot).",
            "请在服务商控制台核对每一项，然后运行：storyreel jobs resolve ID --remote-id 任务ID（存在）"
            "或 --not-created（不存在；下次 shoot 时会重新提交）。"))


@jobs_app.command("retry")
def jobs_retry(ids: Annotated[list[int], typer.Argument(help="Job ids. 任务编号。")]) -> None:
    """Send failed or canceled jobs again on the next shoot. 重试失败的任务。"""
    from storyreel.services.jobs import retry_job

    with _film() as film:
        for i in ids:
            j = retry_job(film, i)
            _console().print(t(f"Job {j.id} ({j.take}) will be sent again: storyreel shoot",
                               f"任务 {j.id}（{j.take}）将重新提交：storyreel shoot"))


@jobs_app.command("cancel")
def jobs_cancel(ids: Annotated[list[int], typer.Argument(help="Job ids. 任务编号。")]) -> None:
    """Cancel jobs (at the provider too, where it can). 取消任务。"""
    from storyreel.services.jobs import cancel_job

    with _film() as film:
        for i in ids:
            j = cancel_job(film, i)
            _console().print(t(f"Job {j.id} ({j.take}) canceled.", f"任务 {j.id}（{j.take}）已取消。"))


@jobs_app.command("resolve")
def jobs_resolve(
    job_id: Annotated[int, typer.Argument(help="Job id. 任务编号。")],
    remote_id: Annotated[str | None, typer.Option("--remote-id", help="The task id the console shows. 控制台中的任务 ID。")] = None,
    not_created: Annotated[bool, typer.Option("--not-created", help="The console shows no such task. 控制台没有该任务。")] = False,
) -> None:
    """Settle a job whose submit outcome was unknown. 核对提交结果未知的任务。"""
    from storyreel.services.jobs import resolve_job

    with _film() as film:
        j = resolve_job(film, job_id, remote_id=remote_id, not_created=not_created)
    _console().print(t(f"Job {j.id} is now {j.state}; run storyreel shoot to continue.",
                       f"任务 {j.id} 现为 {j.state}；运行 storyreel shoot 继续。"))


@app.command()
def ledger() -> None:
    """Spend per shot and provider, cost per used second, usage ratio. 费用报告。"""
    from storyreel.cli.render import ledger_view
    from storyreel.services.ledger import ledger_report

    with _film() as film:
        report = ledger_report(film)
        budget = film.config.budget
    _console().print(ledger_view(report, budget=budget))


@app.command()
def takes(code: Annotated[str, typer.Argument(help="Shot code, e.g. 3A. 镜头编号。")]) -> None:
    """List the takes of a shot. 列出某个镜头的所有结果。"""
    from storyreel.cli.render import take_table
    from storyreel.services.review import list_takes

    with _film() as film:
        rows = list_takes(film, code)
    _console().print(take_table(code, rows))


@app.command("select")
def select_cmd(
    code: Annotated[str, typer.Argument(help="Shot code. 镜头编号。")],
    take: Annotated[int | None, typer.Argument(help="Take number (default: first good take). 条号。")] = None,
) -> None:
    """Circle a take for the cut. 为剪辑选定一条。"""
    from storyreel.services.review import select_take

    with _film() as film:
        info = select_take(film, code, take)
    _console().print(t(f"Selected [take.selected]{info.label}[/] for shot {info.shot}.",
                       f"镜头 {info.shot} 已选定 [take.selected]{info.label}[/]。"))


@app.command()
def cut(
    preview: Annotated[bool, typer.Option("--preview", help="Fast stream-copy preview with soft subtitles: renders/preview.mp4. 快速预览（不重新编码，软字幕）。")] = False,
) -> None:
    """Render the rough cut: renders/cut.mp4 + renders/cut.srt. 渲染初剪。"""
    with _film() as film:
        if preview:
            from storyreel.services.preview import preview_cut

            _print_preview(preview_cut(film))
            return
        result = _render_cut(film)
    _print_cut(result)


def _print_preview(r) -> None:
    _console().print(t(
        f"Preview: [path]{r.video}[/] ({r.clips} clips, {r.seconds:.1f} s; {r.copied} copied, {r.reencoded} "
        f"re-encoded)\nSubtitles: [path]{r.srt}[/] ({r.cues} lines, also inside the video as a soft track)",
        f"预览：[path]{r.video}[/]（{r.clips} 个片段，{r.seconds:.1f} 秒；直接拷贝 {r.copied} 个，重新编码 {r.reencoded} 个）"
        f"\n字幕：[path]{r.srt}[/]（{r.cues} 句，视频内另有软字幕轨）",
    ))


def _render_cut(film):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from storyreel.services.cut import render_rough_cut

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=_console()) as bar:
        task = bar.add_task(t("Rendering cut", "渲染初剪"), total=None)
        return render_rough_cut(film, progress=lambda done, total: bar.update(task, completed=done, total=total))


def _print_cut(result) -> None:
    seconds = result.frames / result.fps
    _console().print(t(
        f"Rough cut: [path]{result.video}[/] ({len(result.entries)} shots, {seconds:.1f} s)\nSubtitles: [path]{result.srt}[/]",
        f"初剪：[path]{result.video}[/]（{len(result.entries)} 个镜头，{seconds:.1f} 秒）\n字幕：[path]{result.srt}[/]",
    ))


@app.command()
def export(
    to: Annotated[str, typer.Option("--to", "-t", help="otio (DaVinci Resolve), fcp7 (Premiere XML), edl, or jianying (剪映 draft folder). 导出格式。")] = "otio",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: renders/cut.<ext>; for jianying a folder, default renders/jianying/<title>). 输出文件（剪映为文件夹）。")] = None,
) -> None:
    """Export the rough cut for an editor: .otio, FCP7 .xml or .edl, with an .srt beside. 导出初剪给剪辑软件。"""
    from storyreel.services.export import export_cut, subtitles_beside
    from storyreel.timeline import find_format

    with _film() as film:
        path = export_cut(film, to=to, path=out)
    lines = [t(f"Exported [path]{path}[/]", f"已导出 [path]{path}[/]")]
    if not find_format(to).subtitles:
        lines.append(t(f"Subtitles: [path]{subtitles_beside(path)}[/]", f"字幕：[path]{subtitles_beside(path)}[/]"))
    _console().print("\n".join(lines))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to put the demo film. 演示影片目录。")] = Path("storyreel-demo"),
    example: Annotated[str, typer.Option(help="Bundled film to use. 使用哪个内置影片。")] = "night-ferry",
    takes: Annotated[int, typer.Option("--takes", "-n", min=1, max=8, help="Takes per shot. 每个镜头的条数。")] = 2,
) -> None:
    """Copy a bundled example film and render it end to end. 复制内置示例影片并完整渲染。"""
    from storyreel.services.demo import copy_demo
    from storyreel.services.film import open_film
    from storyreel.services.plan import plan_film

    con = _console()
    root = copy_demo(out, example=example)
    con.print(t(f"Demo film → [path]{root}[/]", f"演示影片 → [path]{root}[/]"))
    with open_film(root) as film:
        report = plan_film(film)
        con.print(t(f"· planned {report.total} shots", f"· 已生成 {report.total} 个镜头"))
        shot = _shoot_with_progress(film, takes=takes)
        con.print(t(f"· {shot.summary.done} takes with previz ({takes} per shot)",
                    f"· 已用 previz 拍摄 {shot.summary.done} 条（每个镜头 {takes} 条）"))
        result = _render_cut(film)
    _print_cut(result)
    con.print(t(f"Keyframes and takes: [path]{root / '.storyreel' / 'media'}[/]\nNext: storyreel -C {out} takes 1B",
                f"关键帧与镜头素材：[path]{root / '.storyreel' / 'media'}[/]\n下一步：storyreel -C {out} takes 1B"))


@app.command()
def providers() -> None:
    """List the generators, their models and capabilities, and whether a key is set. 列出生成服务。"""
    from storyreel.cli.render import provider_table
    from storyreel.providers import get_provider, provider_names

    from storyreel.errors import ProviderUnavailable

    rows = []
    for name in provider_names():
        try:
            caps = get_provider(name, workdir=Path(".")).capabilities()
        except ProviderUnavailable as exc:
            _console().print(f"[yellow]{name}: {exc}[/]")
            continue
        rows.append((name, caps, _key_state(name, caps.key_env)))
    _console().print(provider_table(rows))


def _key_state(name: str, env: str | None) -> str:
    import os

    if env is None:
        return t("not needed", "无需")
    if any(os.environ.get(v) for v in env.split(",")):
        return t(f"set ({env})", f"已设置（{env}）")
    from storyreel.errors import AuthFailed
    from storyreel.providers.net import api_key

    try:
        api_key(name, env.split(",")[0])
        return t("set (keyring)", "已设置（钥匙串）")
    except AuthFailed:
        return t(f"missing: set {env}", f"缺失：请设置 {env}")


def _report(exc: BaseException) -> int:
    from storyreel.cli.i18n import lang
    from storyreel.errors import StoryreelError

    if isinstance(exc, StoryreelError):
        msg = exc.zh if (lang() == "zh" and exc.zh) else exc.message
        print(f"storyreel: {t('error', '错误')}: {msg}", file=sys.stderr)
        return exc.exit_code
    print(f"storyreel: {t('internal error', '内部错误')}: {type(exc).__name__}: {exc} "
          f"({t('run again with --debug for details', '加 --debug 重新运行可查看详情')})", file=sys.stderr)
    return 70


# Commands kept in their own modules register on ``app`` when imported (each imports only typer at load time).
from storyreel.cli import continuity_cmds, delivery_cmd, review_cmds, studio_cmd  # noqa: E402, F401


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except KeyboardInterrupt:
        print(t("storyreel: interrupted; run the same command again to continue.",
                "storyreel：已中断；再次运行同一命令即可继续。"), file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except BaseException as exc:  # one clear line for the director; the traceback only on request
        if debug:
            raise
        sys.exit(_report(exc))
