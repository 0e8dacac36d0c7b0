"""``progress.xlsx``: the annex tables (任务进度, 社会组织任务) of the reporting period with
their notes, 备注 and the change since an earlier run, then the detail sheets (村（居）,
儿童工作队伍, 覆盖情况, 可达性, 建成后进度, 建议选址, 物资需求, 防溺水缺口, 位置与申报不符,
被拒记录, 进度对比, 发现的问题)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.glossary import (
    SHORT_LABELS,
    SOLVER_LABELS,
    kind_label,
    period_label,
)
from planner.measure.coverage import children_within_reach, definitions, village_coverage
from planner.measure.history import compare, compare_sheet
from planner.report._labels import for_people
from planner.report.tables import incomplete_notice, outside_quota, write_progress_xlsx
from planner.results import RunResult


def heading(result: RunResult) -> str:
    """The county and reporting period every title starts with: ``如皋市2026年第四季度``."""
    return f"{result.workspace.settings.name}{period_label(result.as_of)}"


def write_annex(result: RunResult, path: Path) -> None:
    """``progress.xlsx`` of a run (see the module docstring)."""
    run = result.run
    write_progress_xlsx(path, title=heading(result), progress=result.progress,
                        kinds=result.kinds, sheets=detail_sheets(result),
                        findings=run["findings"], unit=run.get("issuing_unit", ""),
                        date=result.as_of, filed=dt.date.today(),
                        notes=[*task_notes(run), *since_notes(run)],
                        outside=outside_quota(run, result.progress),
                        remarks=town_remarks(result),
                        notice=incomplete_notice(result.workspace.ledger.incomplete()),
                        staff_notes=staff_notes(run) if run.get("staff") else None)


def detail_sheets(result: RunResult) -> dict[str, pd.DataFrame]:
    """The sheets after the annex tables, by name."""
    ws, run = result.workspace, result.run
    sheets = {"村（居）": for_people(result.villages[
        [c for c in _VILLAGE_SHEET if c in result.villages.columns]])}
    if run.get("coverage"):
        sheets["覆盖情况"] = coverage_sheet(run["coverage"])
    if result.access is not None:
        sheets["可达性"] = for_people(result.access.coverage)
    if result.proposals is not None:
        sheets["建成后进度"] = _after_sheet(result.progress, kinds=result.kinds)
        sheets["建议选址"] = _proposal_sheet(result.proposals)
    if result.water is not None:
        sheets["物资需求"] = for_people(result.water.requisition)
        sheets["防溺水缺口"] = for_people(result.water.gaps_by_town)
    sheets["位置与申报不符"] = for_people(result.tables["disagreements"])
    if result.quota is not None and result.quota.vintages is not None:
        sheets["镇名对照"] = result.quota.vintages
    sheets["被拒记录"] = for_people(ws.ledger.rejected_frame())
    if run.get("since") and result.earlier is not None:
        kinds = list(run["since"]["kinds"])
        sheets["进度对比"] = compare_sheet(
            compare(result.earlier.progress, result.progress, kinds=kinds), kinds=kinds)
    return sheets


#: the people-facing columns of the "村（居）" sheet (every column is in villages.csv)
_VILLAGE_SHEET = ("village_code", "village_name", "town_name", "children", "left_behind",
                  "vulnerable", "under5", "sites_care_point", "sites_care_home",
                  "has_care_point", "dist_m_care_point", "covshare_care_point",
                  "dist_m_care_home", "unmet_need", "unmet_rank")


def task_notes(run: dict) -> list[str]:
    """The notes under the task sheets: how built is counted; the quotas the law sets; the
    county's coverage."""
    notes = ["注：1. 已建：村（居）儿童关爱站点按有站点的村（居）计（同一村（居）多个站点"
             "计 1 个），其他阵地按达到任务标准的个数计；超过任务数的部分列入“超额”，不计入完成率；"
             "缺口 = 任务数 − 已建，完成率 = 已建 ÷ 任务数（表中缺口、完成率、合计为公式，"
             "手工更正已建后自动重算）。"]
    for kind, rule in (run.get("quota_defaults") or {}).items():
        notes.append(f"{len(notes) + 1}. 任务表未列{kind_label(kind)}，任务数按法定标准每镇（街道）"
                     f"{rule['per_town']} 个计：{rule['source']}。")
    story = (run.get("coverage") or {}).get("care_point")
    if story:
        meaning = definitions("care_point", story)
        text = (f"{len(notes) + 1}. {village_coverage(story['own_site'])}：{meaning[0]}")
        if story.get("within_reach"):
            text += f"。{children_within_reach(story['within_reach'])}：{meaning[1]}"
        notes.append(text + "。")
    return notes


def staff_notes(run: dict) -> list[str]:
    """The notes under the staff annex: what each figure counts."""
    per = (run.get("staff") or {}).get("children_per_director")
    need = ("每村（居）1 名" if not per else
            f"每村（居）1 名，儿童超过 {per} 人的村（居）每多 {per} 人增配 1 名")
    return [f"注：1. 儿童主任应配{need}，儿童督导员每镇（街道）1 名（2019、2021 年国家关爱服务"
            "意见）；已配按各村（居）、镇（街道）应配数封顶计，超配的人员计入在岗人数。",
            "2. 配备率 = 已配 ÷ 应配，培训占比 = 已培训 ÷ 在岗人数（表中缺口、配备率、培训占比、"
            "合计为公式）。只统计人数，不含姓名、身份证号、电话。"]


def since_notes(run: dict) -> list[str]:
    """The annex's line on the change since the earlier run (``run.json`` ``since``)."""
    since = run.get("since")
    if not since:
        return []
    return [f"与上期（{since.get('period') or Path(since['folder']).name}）相比："
            + "；".join(change_text(kind, c) for kind, c in since["kinds"].items()) + "。"]


def change_text(kind: str, change: dict) -> str:
    """``村居关爱站点新建 3 个，完成率 +0.9 个百分点`` (one kind's change since)."""
    text = f"{SHORT_LABELS.get(kind, kind_label(kind))}新建 {change['built_since']} 个"
    if change.get("percent_change") is not None:
        text += f"，完成率 {change['percent_change']:+.1f} 个百分点"
    return text


def town_remarks(result: RunResult) -> dict[str, list[str]]:
    """备注 per town_code: sites whose declared town is another town (where they were counted
    and where they were declared)."""
    table = result.tables.get("disagreements")
    progress = result.progress
    if table is None or not len(table) or "town_code" not in progress.columns:
        return {}
    code_of = dict(zip(progress["town_name"].astype(str), progress["town_code"].astype(str),
                       strict=False))
    if "quota_town" in progress.columns:
        code_of |= dict(zip(progress["quota_town"].astype(str),
                            progress["town_code"].astype(str), strict=False))
    out: dict[str, list[str]] = {}
    for row in table.itertuples():
        located, declared = str(row.town_name), str(row.declared_town)
        if located in code_of:
            out.setdefault(code_of[located], []).append(
                f"{row.name}申报属{declared}，按位置计入本镇")
        if declared in code_of:
            out.setdefault(code_of[declared], []).append(
                f"{row.name}申报属本镇，位于{located}，未计入")
    return out


def coverage_sheet(story: dict) -> pd.DataFrame:
    """The "覆盖情况" sheet: the two coverage measures of ``run.json["coverage"]``, each with
    the figure as every output prints it and what it means."""
    rows = []
    for kind, s in story.items():
        own, reach = s["own_site"], s.get("within_reach")
        meaning = definitions(kind, s)
        rows.append({"类型": kind_label(kind), "口径": own["name"],
                     "数值": village_coverage(own),
                     "村（居）": f"{own['villages']}/{own['villages_total']}",
                     "村（居）占比": own["share_villages"], "儿童（人）": own["children"],
                     "儿童总数（人）": own["children_total"],
                     "儿童占比": own["share_children"], "说明": meaning[0]})
        if reach:
            rows.append({"类型": kind_label(kind), "口径": reach["name"],
                         "数值": children_within_reach(reach), "村（居）": None,
                         "村（居）占比": None, "儿童（人）": reach["children"],
                         "儿童总数（人）": reach["children_total"],
                         "儿童占比": reach["share_children"], "说明": meaning[1]})
    return pd.DataFrame(rows)


def _after_sheet(progress: pd.DataFrame, *, kinds: list[str]) -> pd.DataFrame:
    """Quota progress as it would be with every proposal built (sheet 建成后进度)."""
    cols = {"镇（区、街道）": progress["town_name"]}
    for kind in kinds:
        if f"proposed_{kind}" not in progress.columns:
            continue
        label = SHORT_LABELS.get(kind, kind)
        cols[f"{label}任务数"] = progress[f"required_{kind}"]
        cols[f"{label}已建"] = progress[f"built_{kind}"]
        cols[f"{label}拟新建/升级"] = progress[f"proposed_{kind}"]
        cols[f"{label}建成后缺口"] = progress[f"missing_after_{kind}"]
        cols[f"{label}建成后完成率"] = progress[f"pct_after_{kind}"]
    return pd.DataFrame(cols)


def _proposal_sheet(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The "建议选址" sheet: proposals with Chinese headers and coordinates."""
    return pd.DataFrame({
        "类型": sites["kind"].map(kind_label), "镇（街道）": sites["town_name"],
        "村（居）": sites["village_name"], "新增服务半径内儿童": sites["children_newly_covered"],
        "排序": sites["rank"], "理由": sites["reason"],
        "方法": sites["method"].map(lambda m: SOLVER_LABELS.get(m, m)),
        "经度": sites.geometry.x.round(6), "纬度": sites.geometry.y.round(6),
    })


