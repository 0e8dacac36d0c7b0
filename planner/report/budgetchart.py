"""The budget table as a chart (``budget_curve.png``): risk covered against yuan.

Every row of :func:`planner.report.water_figures.budget_table` is a point, yuan in 万元 on a
linear axis: the left panel holds the points up to the dearest short of full coverage (the
range a budget is chosen in), the right one the whole range up to full coverage. Each point
is labelled with its kits and the share of risk it covers; the box under the plot gives each
row's solver result in words (最优 / 与最优差距 ≤ x%). The labels are also written into the
PNG's text chunks (``Labels``, one per line), so the figures can be read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from planner.report._fonts import cjk_rc
from planner.report._png import save_png
from planner.report.water_figures import (
    CHART_FILE,
    FIXED,
    NEW,
    PLAN,
    SHARE,
    SURE,
    YUAN,
    budget_table,
)

FILE = CHART_FILE
_STYLE = {"curve": ("#2b83ba", "o"), "optimal": ("#d7191c", "*"),
          "fix_first": ("#fdae61", "D"), "full_coverage": ("#1a9641", "s")}


def point_label(row: pd.Series) -> str:
    """"新建 244 + 修复 161 套，15.3%": a point's kits and share of the risk."""
    return f"新建 {int(row[NEW]):,} + 修复 {int(row[FIXED]):,} 套，{row[SHARE]:.1f}%"


def budget_chart(water: dict[str, Any], path: Path, *, title: str) -> Path:
    """Draw the budget table of ``water`` (run.json ``water``) to ``path`` (see module doc)."""
    table = budget_table(water)
    table = table[table[NEW].notna()].reset_index(drop=True)
    labels = [point_label(r) for _, r in table.iterrows()]
    x = table[YUAN].to_numpy(float) / 1e4
    y = table[SHARE].to_numpy(float)
    short = table["key"] != "full_coverage"
    near = float(x[short.to_numpy()].max()) if short.any() else float(x.max(initial=1.0))
    with mpl.rc_context(cjk_rc()):
        fig = Figure(figsize=(10.0, 6.3), dpi=150)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 2, width_ratios=(1.7, 1.0), height_ratios=(4.6, 1.0),
                                left=0.07, right=0.98, top=0.9, bottom=0.01, hspace=0.34,
                                wspace=0.16)
        left, right = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        tenk = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
        for ax in (left, right):
            curve = table["key"] == "curve"
            ax.plot(x[(curve | ~short).to_numpy()], y[(curve | ~short).to_numpy()],
                    color=_STYLE["curve"][0], lw=1.2, zorder=1)
            for key, (colour, marker) in _STYLE.items():
                pick = (table["key"] == key).to_numpy()
                if pick.any():
                    ax.scatter(x[pick], y[pick], color=colour, marker=marker,
                               s=90 if marker == "*" else 36, zorder=3,
                               label=_legend(table, key) if ax is left else None)
            ax.xaxis.set_major_formatter(tenk)
            ax.set_xlabel("费用（万元）")
            ax.grid(True, alpha=0.3)
        left.set_xlim(0, near * 1.12 if near > 0 else 1)
        left.set_ylim(0, max(float(y[short.to_numpy()].max(initial=0)) * 1.25, 5))
        left.set_ylabel("危险岸线风险覆盖（按危险度加权，%）")
        left.set_title("预算范围（本年预算附近）", fontsize=10)
        right.set_xlim(0, float(x.max(initial=1.0)) * 1.1)
        right.set_ylim(0, 108)
        right.set_title("直至全覆盖", fontsize=10)
        right.axvspan(0, near * 1.12, color="#eeeeee", zorder=0)
        for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
            key = table.at[i, "key"]
            if short.iloc[i]:  # above-left of the rising curve near the right edge
                above = key == "optimal" or xi > 0.7 * near
                dx, dy, ha = (-8, 8, "right") if above else (8, -4, "left")
                left.annotate(labels[i], (xi, yi), textcoords="offset points", xytext=(dx, dy),
                              ha=ha, va="center", fontsize=7.5)
            else:
                right.annotate(labels[i], (xi, yi), textcoords="offset points",
                               xytext=(-8, -12), ha="right", fontsize=7.5)
        left.legend(loc="upper left", fontsize=8)
        box = fig.add_subplot(grid[1, :])
        box.axis("off")
        rows = [f"{r[PLAN]}：{r[SURE]}" for _, r in table.iterrows()]
        half = (len(rows) + 1) // 2
        for col, part in enumerate((rows[:half], rows[half:])):
            box.text(0.01 + 0.5 * col, 1.0, "\n".join(part), va="top", ha="left", fontsize=7.5,
                     transform=box.transAxes, linespacing=1.5)
        box.set_title("求解结果（与 water_actions.xlsx 预算曲线表、report.html 相同）",
                      fontsize=8.5, loc="left")
        fig.suptitle(f"{title}防溺水“四个一”预算曲线", fontsize=13)
        save_png(fig, path, metadata={
            "Title": f"{title}防溺水“四个一”预算曲线",
            "Labels": "\n".join(f"{r[PLAN]}｜{lab}｜{r[YUAN]:.2f}｜{r[SURE]}"
                                for lab, (_, r) in zip(labels, table.iterrows(), strict=True))})
    return path


def _legend(table: pd.DataFrame, key: str) -> str:
    """The legend entry of a kind of point (the plan's name without the budget)."""
    if key == "curve":
        return "点位上限（新建+修复）"
    return str(table.loc[table["key"] == key, PLAN].iloc[0]).split("：")[-1]
