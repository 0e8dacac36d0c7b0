"""The budget curve as a chart (``budget_curve.png``): risk covered against yuan and kits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.report._fonts import cjk_rc
from planner.report._png import save_png

FILE = "budget_curve.png"


def budget_chart(curve: list[dict[str, Any]], path: Path, *, title: str,
                 chosen: dict[str, Any] | None = None) -> Path:
    """Plot the curve's points (yuan in 万元 against the share of risk covered, each
    labelled with its kit count) and the budgeted choice ``chosen`` (run.json
    ``water.budget``) if given."""
    with mpl.rc_context(cjk_rc()):
        fig = Figure(figsize=(8.0, 5.0), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        x = [p["yuan"] / 1e4 for p in curve]
        y = [100 * p["risk_covered_share"] for p in curve]
        ax.plot(x, y, marker="o", color="#2b83ba")
        for p, xi, yi in zip(curve, x, y, strict=True):
            mark = "" if p["status"] in ("optimal", "full_coverage") else \
                f"（差距 {p['gap']:.2%}）"
            ax.annotate(f"{p['kits']} 处{mark}", (xi, yi), textcoords="offset points",
                        xytext=(6, -12), fontsize=8)
        if chosen and chosen.get("budget_yuan") is not None:
            cx, cy = chosen["spend_yuan"] / 1e4, 100 * chosen["risk_covered_share"]
            ax.scatter([cx], [cy], color="#d7191c", zorder=3,
                       label=f"本年预算 ¥{chosen['budget_yuan'] / 1e4:,.0f} 万元")
            ax.legend(loc="lower right", fontsize=9)
        ax.set_xscale("log")
        ax.set_xlabel("费用（万元，对数刻度）")
        ax.set_ylabel("危险岸线覆盖（按危险度加权，%）")
        ax.set_ylim(0, 105)
        ax.grid(True, alpha=0.3)
        ax.set_title(f"{title}防溺水“四个一”预算曲线", fontsize=13)
        fig.tight_layout()
        save_png(fig, path)
    return path
