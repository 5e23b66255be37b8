"""Rich renderables for the CLI. The model never imports Rich; these wrap model values for display."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.theme import Theme

from storyreel.cli.i18n import t
from storyreel.model import Shot

THEME = Theme({
    "shot.code": "bold cyan",
    "shot.stale": "yellow",
    "take.selected": "bold green",
    "take.rejected": "dim strike",
    "take.pending": "magenta",
    "error": "bold red",
    "path": "underline",
})


def shot_table(shots: Sequence[Shot], *, fps: int) -> Table:
    table = Table(title=t("Shot list", "分镜表"), show_lines=False, expand=False)
    table.add_column(t("Shot", "镜头"), style="shot.code", no_wrap=True)
    table.add_column(t("Sec", "秒"), justify="right")
    table.add_column(t("Framing", "景别"))
    table.add_column(t("Camera", "运镜"))
    table.add_column(t("Characters", "角色"))
    table.add_column(t("What happens", "内容"), overflow="fold", ratio=1)
    for s in shots:
        who = ", ".join(
            b.character + f" ({b.position.value}{' →' + b.exits.value if b.exits else ''}"
            f"{', looks ' + b.look.value if b.look else ''})"
            for b in s.blocking
        )
        text = s.description if not s.dialogue else " / ".join(f"{d.character}: {d.text}" for d in s.dialogue)
        code = f"[shot.stale]{s.code}*[/]" if s.stale else s.code
        table.add_row(code, f"{s.frames / fps:.1f}", s.framing.value, s.camera.value, who, text)
    return table


def take_table(code: str, takes: Sequence) -> Table:
    table = Table(title=t(f"Takes of {code}", f"镜头 {code} 的拍摄结果"))
    table.add_column(t("Take", "条"), no_wrap=True)
    table.add_column(t("Seed", "种子"), justify="right")
    table.add_column(t("Provider", "生成服务"))
    table.add_column(t("Sec", "秒"), justify="right")
    table.add_column(t("Status", "状态"))
    table.add_column(t("Stars", "星"))
    table.add_column(t("Note", "备注"), overflow="fold")
    for tk in takes:
        if tk.selected:
            status = f"[take.selected]● {t('selected', '已选')}[/]"
        elif tk.status == "rejected":
            status = f"[take.rejected]{t('rejected', '已否决')}[/]"
        elif tk.status == "good":
            status = t("good", "可用")
        else:
            status = f"[take.pending]{tk.status}[/]"
        origin = "" if getattr(tk, "origin", "generated") == "generated" else f" ({tk.origin})"
        extras = " ".join(f"#{x}" for x in getattr(tk, "tags", ()))
        table.add_row(tk.label + origin, str(tk.seed), tk.provider + (f"/{tk.model}" if tk.model else ""),
                      f"{tk.seconds:.2f}", status, "★" * (getattr(tk, "rating", None) or 0),
                      " ".join(x for x in (getattr(tk, "note", ""), extras) if x))
    return table


def estimate_table(report) -> Table:
    table = Table(title=t("Estimate (dry run: nothing sent)", "费用估算（演练：未提交任何任务）"))
    table.add_column(t("Shot", "镜头"), style="shot.code")
    table.add_column(t("New takes", "新条数"), justify="right")
    table.add_column(t("Each", "单价"), justify="right")
    table.add_column(t("Subtotal", "小计"), justify="right")
    currency = ""
    for e in report.estimates:
        currency = e.currency
        table.add_row(e.shot, str(e.takes), f"{e.each:.2f}", f"{e.total:.2f}")
    table.add_section()
    table.add_row(t("Total", "合计"), str(sum(e.takes for e in report.estimates)), "",
                  f"[bold]{report.estimated_total:.2f} {currency}[/]")
    return table


def job_table(rows) -> Table:
    table = Table(title=t("Jobs", "任务"))
    for col in (t("Id", "编号"), t("Take", "条"), t("Provider", "服务"), t("State", "状态"), t("Error", "错误"),
                t("Tries", "次数"), t("Remote id", "远端 ID")):
        table.add_column(col)
    for j in rows:
        style = {"failed": "error", "reconcile": "yellow", "done": "take.selected"}.get(j.state, "")
        err = f"{j.error_class}: {j.error}" if j.error_class else ""
        table.add_row(str(j.id), j.take, j.provider + (f"/{j.model}" if j.model else ""),
                      f"[{style}]{j.state}[/]" if style else j.state, err, str(j.attempts), j.remote_id or "")
    return table


def ledger_view(report, *, budget: float | None) -> Table:
    table = Table(title=t(f"Ledger ({report.currency})", f"账目（{report.currency}）"), show_header=False)
    table.add_column()
    table.add_column(justify="right")
    table.add_row(t("Spent (settled)", "已结算"), f"{report.spent:.2f}")
    for unit, amount in sorted(report.unconverted.items()):
        table.add_row(t(f"Also spent in {unit} (no rate in film.toml [rates])",
                        f"另以 {unit} 计（film.toml [rates] 中无汇率）"), f"{amount:.2f} {unit}")
    table.add_row(t("Reserved (in flight)", "预留中"), f"{report.reserved:.2f}")
    if budget is not None:
        table.add_row(t("Budget left", "剩余预算"), f"{budget - report.spent - report.reserved:.2f}")
    table.add_row(t("Takes / seconds generated", "生成条数 / 秒数"), f"{report.takes} / {report.generated_seconds:.1f}")
    table.add_row(t("Seconds in the cut", "成片秒数"), f"{report.used_seconds:.1f}")
    ratio = report.usage_ratio
    table.add_row(t("Usage ratio", "素材使用率"), f"{ratio:.0%}" if ratio is not None else "–")
    cps = report.cost_per_used_second
    table.add_row(t("Cost per used second", "每秒成片成本"), f"{cps:.2f}" if cps is not None else "–")
    for title, data in ((t("by shot", "按镜头"), report.by_shot), (t("by provider", "按服务"), report.by_provider)):
        table.add_section()
        for k, v in sorted(data.items()):
            table.add_row(f"{title}: {k}", f"{v:.2f}")
    return table


def provider_table(rows) -> Table:
    table = Table(title=t("Providers", "生成服务"))
    for col in (t("Provider", "服务"), t("Models", "模型"), t("Kinds", "类型"), t("Durations (s)", "时长（秒）"),
                t("Resolutions", "分辨率"), t("Refs", "参考图"), t("Key", "密钥")):
        table.add_column(col, overflow="fold")
    for name, caps, key in rows:
        for i, m in enumerate(caps.models or ()):
            table.add_row(name if i == 0 else "", m.name + (f" (draft of {m.draft_of})" if m.draft_of else ""),
                          ", ".join(m.kinds), ", ".join(f"{d:g}" for d in m.durations) or "–",
                          ", ".join(m.resolutions) or "–", str(m.max_references), key if i == 0 else "")
    return table
