"""A scenario's annex workbook: the official task sheets (任务数 / 已建 / 缺口 / 完成率) of the
scenario's sites, written by the same writer as ``progress.xlsx``
(:func:`planner.report.tables.write_progress_xlsx`), its title and notes saying that it is a
plan's estimate and not the progress achieved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from planner.glossary import KINDS, period_label
from planner.records.outputs import safe_name
from planner.records.scenario import read_scenario
from planner.report.tables import incomplete_notice, write_progress_xlsx
from planner.studio.session import Session


def annex_workbook(session: Session, name: str, *, folder: Path) -> Path:
    """Write saved scenario ``name``'s annex into ``folder`` (a folder of the studio's own);
    its path."""
    engine = session.engine
    scenario = read_scenario(engine.root, name)
    ev = engine.evaluate(scenario)
    settings = ev.settings
    as_of = settings.as_of or dt.date.today()
    path = folder / f"{safe_name(settings.name)}-{safe_name(scenario.name)}-任务附表.xlsx"
    added = ", ".join(f"{k} {n}" for k, n in _counts(scenario).items()) or "无"
    write_progress_xlsx(
        path, title=f"{settings.name}{period_label(as_of)}（规划方案“{scenario.name}”）",
        progress=ev.measured.progress, kinds=engine.kinds, unit=f"{settings.name}民政局",
        date=as_of, filed=dt.date.today(),
        notice=incomplete_notice(engine.base.ledger.incomplete()),
        notes=[f"本表为规划方案“{scenario.name}”的测算：方案新增阵地（{added}）按已建计，"
               f"撤销 {len(scenario.removed)} 处、移动 {len(scenario.moved)} 处；不是实际完成"
               "情况，上报前请核实。由 planner studio 生成，planner run --scenario "
               f"{scenario.name} 可重现。"])
    return path


def _counts(scenario) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in scenario.added:
        label = KINDS.get(e.kind, (e.kind,))[0]
        out[label] = out.get(label, 0) + 1
    return out
