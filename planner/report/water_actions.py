"""``water_actions.xlsx``: the village action list of :mod:`planner.propose.actions`, by sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.propose.actions import COLUMNS
from planner.report._xlsx import Book, write_table


def write_actions_xlsx(actions: pd.DataFrame, path: Path, *, title: str,
                       curve: list[dict[str, Any]] | None = None,
                       notes: list[tuple[str, str, str]] | None = None) -> None:
    """``water_actions.xlsx``: all actions by village, then the overdue-inspection list,
    the incomplete-kit list, the budget curve and how the risk score is made (``notes``,
    from :func:`planner.measure.risk.risk_explanation`), each on its own sheet."""
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
        _extra_sheets(book, curve=curve, notes=notes)


def _extra_sheets(book: Book, *, curve: list[dict[str, Any]] | None,
                  notes: list[tuple[str, str, str]] | None) -> None:
    """The budget curve and the risk-score notes, when there are any."""
    if curve:
        c = pd.DataFrame(curve).rename(columns={
            "max_kits": "点位上限", "kits": "点位数（新建+补齐）", "yuan": "费用（元）",
            "risk_covered": "覆盖风险（危险度×米）", "risk_covered_share": "覆盖风险占比",
            "status": "求解状态", "method": "方法", "gap": "最优性差距", "seconds": "用时（秒）"})
        write_table(book, book.sheet("预算曲线"), c, title="预算与覆盖风险")
    if notes:
        write_table(book, book.sheet("评分说明"),
                    pd.DataFrame(notes, columns=["因子", "含义", "取值"]),
                    title="水域溺水风险评分说明")
