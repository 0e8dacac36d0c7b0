"""The water figures people read, made once from ``run.json`` ``water`` so that the terminal,
``report.html``, ``water_actions.xlsx`` and ``budget_curve.png`` say the same thing.

* :func:`budget_table` - the budget table (预算曲线 sheet, the report's table, the chart):
  one row per curve point, the configured budget's plans (:data:`WATER_SCENARIOS`) and
  full coverage, sorted by yuan; risk covered in percent (0-100), the solver's gap in words.
* :func:`water_lines` - the sentences of the terminal and of the report's page 1: what the
  budget buys, what full coverage needs and costs, patrols and overdue inspections.
* :func:`dropped_villages`, :func:`overdue_by_town` - the report's patrol and inspection
  lists.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.glossary import (
    TIERS,
    WATER_SCENARIOS,
    cost_gap_words,
    gap_words,
)

#: the budget table's columns (the people-facing labels)
PLAN, NEW, FIXED, YUAN, SHARE, OUT, SURE = (
    "方案", "新建（套）", "补齐/换绳（套）", "费用（元）", "风险覆盖（%）",
    "救援范围外危险岸线（公里）", "求解结果")
BUDGET_COLUMNS = (PLAN, NEW, FIXED, YUAN, SHARE, OUT, SURE)
#: the budget chart's file (planner.report.budgetchart), shown in the report's budget section
CHART_FILE = "budget_curve.png"
#: what the fixes are, in every sentence
FIX_WORDS = "补齐/更换救生绳"


def yuan(value: float) -> str:
    """Yuan as every output prints them: ``¥299,850`` (fen only when there are any)."""
    v = round(float(value), 2)
    return f"¥{v:,.0f}" if v.is_integer() else f"¥{v:,.2f}"


def km(metres: float | None) -> str:
    """Metres as kilometres with one decimal (``226.7``)."""
    return "—" if metres is None else f"{float(metres) / 1000:,.1f}"


def pct(share: float) -> float:
    """A share 0-1 as the percentage 0-100 every output shows (one decimal)."""
    return round(100.0 * float(share), 1)


def budget_label(budget: dict[str, Any]) -> str:
    """"本年预算 ¥300,000"."""
    return f"本年预算 {yuan(budget['budget_yuan'])}"


def plan_name(scenario: dict[str, Any]) -> str:
    """What a plan of ``water.scenarios`` is called (the budgeted choice says when the access
    points of high-consequence waters came first)."""
    key = scenario["key"]
    if key == "optimal" and str(scenario.get("method", "")).startswith("access_first"):
        return WATER_SCENARIOS["optimal_access"]
    return WATER_SCENARIOS[key]


def budget_table(water: dict[str, Any]) -> pd.DataFrame:
    """The budget table of ``run.json`` ``water`` (see module doc).

    Columns :data:`BUDGET_COLUMNS` plus ``key`` (``curve``, a scenario key or
    ``full_coverage``) and ``chosen`` (the plan the run buys), which callers drop or use
    to mark the row.
    """
    b = water.get("budget") or {}
    rows = []
    curve = list(water.get("budget_curve") or [])
    for p in curve:
        if p["status"] == "full_coverage":
            continue
        rows.append({"key": "curve", PLAN: f"点位上限 {p['max_kits']:,} 处",
                     NEW: p.get("new_kits"), FIXED: p.get("fixed_kits"), YUAN: p["yuan"],
                     SHARE: pct(p["risk_covered_share"]),
                     OUT: _km_value(p.get("risky_bank_m_out_of_reach")),
                     SURE: gap_words(p["gap"], method=p.get("method", ""))})
    for s in water.get("scenarios") or []:
        rows.append({"key": s["key"],
                     PLAN: f"{budget_label(b)}：{plan_name(s)}",
                     NEW: s["new_kits"], FIXED: s["fixed_kits"], YUAN: s["yuan"],
                     SHARE: pct(s["risk_covered_share"]),
                     OUT: _km_value(s["risky_bank_m_out_of_reach"]),
                     SURE: gap_words(s["gap"], method=s["method"])})
    full = b.get("full_coverage")
    if full:
        last = curve[-1] if curve and curve[-1]["status"] == "full_coverage" else {}
        rows.append({"key": "full_coverage", PLAN: WATER_SCENARIOS["full_coverage"],
                     NEW: full["new_kits"], FIXED: full["fixed_kits"], YUAN: full["yuan"],
                     SHARE: pct(last.get("risk_covered_share", 1.0)),
                     OUT: _km_value(full.get("risky_bank_m_out_of_reach")),
                     SURE: cost_gap_words(full["gap"])})
    table = pd.DataFrame(rows, columns=["key", *BUDGET_COLUMNS])
    order = {"curve": 0, **{k: i + 1 for i, k in enumerate(WATER_SCENARIOS)}}
    table = table.assign(_o=table["key"].map(order)).sort_values(
        [YUAN, "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    table["chosen"] = table["key"].eq("optimal") if b.get("budget_yuan") is not None \
        else table["key"].eq("full_coverage")
    return table


def _km_value(metres: float | None) -> float | None:
    return None if metres is None else round(float(metres) / 1000, 1)


def water_lines(water: dict[str, Any] | None) -> list[str]:
    """The water sentences of the terminal (and, but for the first, of the report); none
    without a water stage."""
    if not water:
        return []
    tiers = water.get("risky_waters_by_tier") or {}
    lines = [f"防溺水：水域 {water['water_bodies']:,} 处，"
             + "/".join(TIERS[t] for t in "ABC") + " "
             + "/".join(f"{tiers.get(t, 0):,}" for t in "ABC") + " 处；危险岸线 "
             f"{km(water['risky_bank_m'])} 公里，其中救援范围外 "
             f"{km(water['uncovered_risky_bank_m_before'])} 公里"]
    return lines + kit_lines(water) + patrol_lines(water)


def kit_lines(water: dict[str, Any]) -> list[str]:
    """What the budget buys (each plan), and what full coverage needs and costs."""
    b = water.get("budget") or {}
    lines = []
    scen = {s["key"]: s for s in water.get("scenarios") or []}
    before = water["uncovered_risky_bank_m_before"]
    for s in scen.values():
        head = f"“四个一”{budget_label(b)}（{plan_name(s)}）"
        sure = gap_words(s["gap"], method=s["method"])
        lines.append(f"{head}：新建 {s['new_kits']:,} 套、{FIX_WORDS} {s['fixed_kits']:,} 套，"
                     f"{yuan(s['yuan'])}（余 {yuan(s['remaining_yuan'])}），危险岸线风险覆盖 "
                     f"{pct(s['risk_covered_share'])}%，救援范围外危险岸线 {km(before)} → "
                     f"{km(s['risky_bank_m_out_of_reach'])} 公里（{sure}）")
    if not scen and b:  # placement = "full": the plan is full coverage
        lines.append(f"“四个一”全覆盖方案：新建 {b['new_kits']:,} 套、{FIX_WORDS} "
                     f"{b['fixed_kits']:,} 套，{yuan(b['spend_yuan'])}")
    full = b.get("full_coverage")
    if full:
        lines.append(f"全覆盖需：新建 {full['new_kits']:,} 套（精确最少 {full['min_new_kits']:,}"
                     f" 套）、{FIX_WORDS} {full['fixed_kits']:,} 套，{yuan(full['yuan'])}"
                     f"（{cost_gap_words(full['gap'])}），救援范围外危险岸线 {km(before)} → "
                     f"{km(full.get('risky_bank_m_out_of_reach', 0.0))} 公里")
    return lines


def headline(water: dict[str, Any]) -> str:
    """Page 1's one water sentence: the tiers, what the budget buys (new kits and fixes)
    and what full coverage needs and costs - both, never one as if it were the other."""
    tiers = water.get("risky_waters_by_tier") or {}
    text = (f"防溺水：{TIERS['A']}风险水域 {tiers.get('A', 0):,} 处、{TIERS['B']} "
            f"{tiers.get('B', 0):,} 处")
    b = water.get("budget") or {}
    opt = next((s for s in water.get("scenarios") or [] if s["key"] == "optimal"), None)
    if opt is not None:
        text += (f"；{budget_label(b)} 可新建“四个一” {opt['new_kits']:,} 套、{FIX_WORDS} "
                 f"{opt['fixed_kits']:,} 套（{yuan(opt['yuan'])}），危险岸线风险覆盖 "
                 f"{pct(opt['risk_covered_share'])}%")
    full = b.get("full_coverage")
    if full:
        text += (f"；全覆盖需新建 {full['new_kits']:,} 套、{FIX_WORDS} {full['fixed_kits']:,} 套，"
                 f"{yuan(full['yuan'])}")
    return text


def patrol_lines(water: dict[str, Any]) -> list[str]:
    """Patrols (routes, trips, hours, dropped) and overdue inspections."""
    lines = []
    p = water.get("patrol") or {}
    if p.get("routes") is not None:
        text = (f"{p['year']} 年巡查计划：路线 {p.get('distinct_routes', p['routes']):,} 条，"
                f"全季巡查 {p['routes']:,} 次")
        if "week_hours_cap" in p:
            text += (f"，每村每周最多 {p['max_week_hours']:g} 小时（中位 "
                     f"{p['median_week_hours']:g} 小时）；因每周 {p['week_hours_cap']:g} 小时上限"
                     f"未安排 {p['dropped_patrols']:,} 次")
        lines.append(text)
    ins = water.get("inspections")
    if ins:
        lines.append(f"截至 {ins['as_of']}，逾期未检查（超过 {ins['interval_days']} 天）的"
                     f"“四个一”点位 {ins['overdue']:,} 处")
    return lines


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The budget table as printed in the report: yuan with separators, percent with a %
    sign, kits with separators."""
    shown = table[list(BUDGET_COLUMNS)].copy().astype(object)
    shown[YUAN] = [yuan(v) for v in table[YUAN]]
    for col in (NEW, FIXED):
        shown[col] = ["—" if pd.isna(v) else f"{int(v):,}" for v in table[col]]
    shown[SHARE] = [f"{v:.1f}%" for v in table[SHARE]]
    shown[OUT] = ["—" if pd.isna(v) else f"{v:,.1f}" for v in table[OUT]]
    return shown


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """The budget's plans and full coverage side by side: one column per plan (printed)."""
    shown = printed(table[table["key"] != "curve"])
    items = [c for c in BUDGET_COLUMNS if c != PLAN]
    return pd.DataFrame({"项目": items, **{row[PLAN]: [row[c] for c in items]
                                          for _, row in shown.iterrows()}})


def patrol_items(water: dict[str, Any] | None, *, villages: pd.DataFrame | None,
                 actions: pd.DataFrame | None, top: int = 5) -> list[str]:
    """The report's patrol and inspection lines: :func:`patrol_lines`, the ``top``
    villages losing most patrols to the weekly cap, the towns with most overdue
    inspections."""
    if not water:
        return []
    items = list(patrol_lines(water))
    worst = dropped_villages(water.get("patrol") or {}, villages, top=top)
    if worst:
        items.append("因时长上限未安排巡查最多的村（居）：" + "、".join(
            f"{v}（{t}）{n:,} 次" if t else f"{v} {n:,} 次" for v, t, n in worst)
            + "（各村见 patrol_sheets.xlsx）")
    towns = overdue_by_town(actions)
    if len(towns):
        items.append("逾期未检查点位最多的镇（街道）：" + "、".join(
            f"{t} {n:,} 处" for t, n in towns.head(top).items())
            + "（逐点见 water_actions.xlsx 逾期检查表）")
    return items


def dropped_villages(patrol: dict[str, Any], villages: pd.DataFrame | None, *,
                     top: int = 5) -> list[tuple[str, str, int]]:
    """(village, town, dropped patrols) of the ``top`` villages losing most patrols to the
    weekly-hour cap (run.json ``water.patrol.dropped_by_village``)."""
    dropped = patrol.get("dropped_by_village") or {}
    names: dict[str, tuple[str, str]] = {}
    if villages is not None and "village_code" in villages:
        codes = villages["village_code"].astype(str)
        village = villages["village_name"] if "village_name" in villages else codes
        town = villages["town_name"] if "town_name" in villages else pd.Series("", codes.index)
        names = {c: (str(v), str(t)) for c, v, t in zip(codes, village, town, strict=True)}
    worst = sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [(*names.get(code, (code, "")), int(n)) for code, n in worst if n > 0]


def overdue_by_town(actions: pd.DataFrame | None) -> pd.Series:
    """Overdue inspections per town (the 逾期检查 rows of the actions), most first."""
    if actions is None or "action" not in actions:
        return pd.Series(dtype=int)
    rows = actions[actions["action"] == "inspect"]
    return rows.groupby("town_name").size().sort_values(ascending=False, kind="stable")
