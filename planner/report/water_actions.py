"""``water_actions.xlsx``: the village action list of :mod:`planner.propose.actions`, by sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.propose.actions import COLUMNS
from planner.report._xlsx import Book, write_table
from planner.report.water_figures import BUDGET_COLUMNS, SHARE, YUAN, budget_table

#: the notes under the 预算曲线 sheet
BUDGET_NOTES = (
    "注：1. 风险覆盖：按危险度加权的危险岸线中，在“四个一”救援范围内的比例（%）。",
    "2. 点位上限 N 处：不限费用、新建与修复（补齐/更换救生绳）合计不超过 N 处时风险覆盖最多的方案；"
    "本年预算两行：按风险效益最优（有重要水域可达点时先配可达点），及先修复全部现有不全或救生绳"
    "过短的器材、余款再新建；"
    "全覆盖：每一米危险岸线都在救援范围内的最省方案。",
    "3. 求解结果：最优，或与最优差距不超过所列百分比（全覆盖行为费用与最省方案的差距）；"
    "同一数字见 run.json、report.html 与 budget_curve.png。",
)


def write_actions_xlsx(actions: pd.DataFrame, path: Path, *, title: str,
                       water: dict[str, Any] | None = None,
                       notes: list[tuple[str, str, str]] | None = None) -> None:
    """``water_actions.xlsx``: all actions by village, then the overdue-inspection list,
    the incomplete-kit list, the budget table of ``water`` (run.json ``water``,
    :func:`planner.report.water_figures.budget_table`) and how the risk score is made
    (``notes``, from :func:`planner.measure.risk.risk_explanation`), each on its own
    sheet."""
    table = pd.DataFrame(actions.drop(columns="geometry")).copy()
    table["funded"] = np.where(table["funded"].astype(bool), "是", "否（待后续预算）")
    # people find a water by its locator (水域名称), not by an id
    show = table.drop(columns=["action", "water_id"]).rename(columns=COLUMNS)
    sheets = {
        "村级行动清单": (show, f"{title}防溺水村级行动清单"),
        "逾期检查": (show[table["action"].eq("inspect").to_numpy()], "逾期未检查的“四个一”点位"),
        "器材不全": (show[table["action"].isin(["complete", "repair_rope"]).to_numpy()],
                     "器材不全或救生绳过短的点位"),
    }
    with Book(path) as book:
        for name, (frame, head) in sheets.items():
            write_table(book, book.sheet(name), frame.reset_index(drop=True), title=head)
        _extra_sheets(book, title=title, water=water, notes=notes)


def _extra_sheets(book: Book, *, title: str, water: dict[str, Any] | None,
                  notes: list[tuple[str, str, str]] | None) -> None:
    """The budget table and the risk-score notes, when there are any."""
    table = budget_table(water) if water and water.get("budget") else None
    if table is not None and len(table):
        write_table(book, book.sheet("预算曲线"), table[list(BUDGET_COLUMNS)],
                    title=f"{title}防溺水“四个一”预算与风险覆盖", percent_cols=[SHARE],
                    emphasis=table["chosen"].tolist(), number_formats={YUAN: "#,##0"},
                    notes=BUDGET_NOTES)
    if notes:
        write_table(book, book.sheet("评分说明"),
                    pd.DataFrame(notes, columns=["因子", "含义", "取值"]),
                    title="水域溺水风险评分说明")
