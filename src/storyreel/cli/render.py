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
    for tk in takes:
        if tk.selected:
            status = f"[take.selected]● {t('selected', '已选')}[/]"
        elif tk.status == "rejected":
            status = f"[take.rejected]{t('rejected', '已否决')}[/]"
        elif tk.status == "good":
            status = t("good", "可用")
        else:
            status = f"[take.pending]{tk.status}[/]"
        table.add_row(tk.label, str(tk.seed), tk.provider + (f"/{tk.model}" if tk.model else ""),
                      f"{tk.seconds:.2f}", status)
    return table
