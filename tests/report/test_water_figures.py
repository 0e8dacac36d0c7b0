"""The water figures people read: the budget table, the sentences of terminal and report,
the per-town lists - made from run.json's ``water`` alone."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from planner.glossary import cost_gap_words, gap_percent, gap_words
from planner.report.htmlreport import write_report
from planner.report.water_figures import (
    BUDGET_COLUMNS,
    OUT,
    PLAN,
    SHARE,
    SURE,
    YUAN,
    budget_table,
    dropped_villages,
    overdue_by_town,
    water_lines,
)

#: run.json "water" of a small run (the figures are made up but consistent)
WATER = {
    "water_bodies": 120, "risky_waters_by_tier": {"A": 6, "B": 18, "C": 36},
    "risky_bank_m": 40_000.0, "uncovered_risky_bank_m_before": 38_500.0,
    "uncovered_risky_bank_m_after": 30_100.0,
    "budget": {
        "budget_yuan": 30_000.0, "spend_yuan": 29_880.0, "remaining_yuan": 120.0,
        "new_kits": 20, "fixed_kits": 9, "risk_covered_share": 0.2134, "status": "within_gap",
        "method": "milp", "gap": 0.000988,
        "full_coverage": {"new_kits": 410, "fixed_kits": 12, "yuan": 428_000.0,
                          "status": "within_gap", "gap": 0.000296, "min_new_kits": 407,
                          "risky_bank_m_out_of_reach": 0.0}},
    "budget_curve": [
        {"max_kits": 10, "kits": 10, "new_kits": 9, "fixed_kits": 1, "yuan": 9_900.0,
         "risk_covered_share": 0.0712, "status": "optimal", "method": "milp", "gap": 0.0,
         "risky_bank_m_out_of_reach": 35_600.0},
        {"max_kits": 50, "kits": 50, "new_kits": 45, "fixed_kits": 5, "yuan": 49_300.0,
         "risk_covered_share": 0.3301, "status": "node_limit", "method": "milp",
         "gap": 0.000177, "risky_bank_m_out_of_reach": 25_200.0},
        {"max_kits": 422, "kits": 422, "new_kits": 410, "fixed_kits": 12, "yuan": 428_000.0,
         "risk_covered_share": 1.0, "status": "full_coverage", "method": "cheapest_cover",
         "gap": 0.0, "risky_bank_m_out_of_reach": 0.0}],
    "scenarios": [
        {"key": "optimal", "new_kits": 20, "fixed_kits": 9, "yuan": 29_880.0,
         "remaining_yuan": 120.0, "risk_covered_share": 0.2134,
         "risky_bank_m_out_of_reach": 30_100.0, "status": "within_gap", "method": "milp",
         "gap": 0.000988},
        {"key": "fix_first", "new_kits": 12, "fixed_kits": 30, "yuan": 29_990.0,
         "remaining_yuan": 10.0, "risk_covered_share": 0.1501,
         "risky_bank_m_out_of_reach": 32_000.0, "status": "optimal", "method": "milp",
         "gap": 0.0}],
    "patrol": {"routes": 5_000, "distinct_routes": 80, "year": 2027, "week_hours_cap": 10.0,
               "max_week_hours": 10.0, "median_week_hours": 7.5, "dropped_patrols": 1_234,
               "dropped_by_village": {"V1": 30, "V2": 300, "V3": 0}},
    "inspections": {"as_of": "2027-06-01", "interval_days": 7, "overdue": 17},
}


def test_gap_words_never_understate_the_gap() -> None:
    assert gap_words(0.0) == "最优" and cost_gap_words(0.0) == "费用最省"
    assert gap_words(0.000177) == "与最优差距 ≤ 0.02%"
    assert gap_words(0.000988) == "与最优差距 ≤ 0.10%"
    assert gap_words(0.0001) == "与最优差距 ≤ 0.01%"  # exactly 0.01 % is not rounded up
    assert gap_words(0.02, method="greedy") == "启发式，与最优差距 ≤ 2.00%"
    assert cost_gap_words(0.000296) == "费用与最省差距 ≤ 0.03%"
    for gap in (1e-6, 0.000123, 0.004999, 0.0321):
        assert float(gap_percent(gap).rstrip("%")) / 100 >= gap


def test_budget_table_rows_by_yuan_with_the_chosen_plan() -> None:
    table = budget_table(WATER)
    assert list(table.columns) == ["key", *BUDGET_COLUMNS, "chosen"]
    assert table[YUAN].tolist() == sorted(table[YUAN])
    assert table["key"].tolist() == ["curve", "optimal", "fix_first", "curve",
                                     "full_coverage"]
    chosen = table[table["chosen"]]
    assert chosen["key"].tolist() == ["optimal"] and chosen[YUAN].item() == 29_880.0
    assert chosen[PLAN].item() == "本年预算 ¥30,000：按风险效益最优"
    assert table[SHARE].tolist() == [7.1, 21.3, 15.0, 33.0, 100.0]  # percent, not shares
    assert table[OUT].tolist() == [35.6, 30.1, 32.0, 25.2, 0.0]
    assert table[SURE].tolist() == ["最优", "与最优差距 ≤ 0.10%", "最优",
                                    "与最优差距 ≤ 0.02%", "费用与最省差距 ≤ 0.03%"]
    words = " ".join(table.drop(columns="key").astype(str).to_numpy().ravel())
    assert not re.search(r"within_gap|milp|full_coverage|node_limit|minimum_kits", words)


def test_water_lines_say_what_the_budget_buys_and_what_full_coverage_needs() -> None:
    lines = water_lines(WATER)
    text = "\n".join(lines)
    assert "危险岸线 40.0 公里，其中救援范围外 38.5 公里" in lines[0]
    assert ("“四个一”本年预算 ¥30,000（按风险效益最优）：新建 20 套、补齐/更换救生绳 9 套，"
            "¥29,880（余 ¥120），危险岸线风险覆盖 21.3%，救援范围外危险岸线 38.5 → 30.1 公里"
            "（与最优差距 ≤ 0.10%）") in text
    assert "（先修复现有器材）：新建 12 套、补齐/更换救生绳 30 套" in text
    assert ("全覆盖需：新建 410 套（精确最少 407 套）、补齐/更换救生绳 12 套，¥428,000"
            "（费用与最省差距 ≤ 0.03%）") in text
    assert "路线 80 条，全季巡查 5,000 次" in text and "未安排 1,234 次" in text
    assert "截至 2027-06-01，逾期未检查（超过 7 天）的“四个一”点位 17 处" in text
    assert not re.search(r"[A-Za-z]{3,}", text)


def test_dropped_villages_and_overdue_by_town() -> None:
    villages = pd.DataFrame({"village_code": ["V1", "V2", "V3"],
                             "village_name": ["甲村", "乙村", "丙村"],
                             "town_name": ["甲镇", "乙镇", "乙镇"]})
    assert dropped_villages(WATER["patrol"], villages, top=5) == [("乙村", "乙镇", 300),
                                                                 ("甲村", "甲镇", 30)]
    actions = pd.DataFrame({"action": ["inspect", "new", "inspect", "inspect"],
                            "town_name": ["甲镇", "甲镇", "乙镇", "乙镇"]})
    assert overdue_by_town(actions).to_dict() == {"乙镇": 2, "甲镇": 1}


@pytest.fixture
def page(tmp_path) -> str:
    run = {"workspace": "测试县", "quota": {}, "coverage": {}, "water": WATER,
           "inputs": [], "findings": []}
    table = pd.DataFrame({"序号": [1], "镇（区、街道）": ["甲镇"]})
    villages = pd.DataFrame({"village_code": ["V2"], "village_name": ["乙村"],
                             "town_name": ["乙镇"]})
    return write_report(tmp_path / "r.html", title="测试县", progress_table=table, run=run,
                        villages=villages).read_text(encoding="utf-8")


def test_report_page_one_states_budget_and_full_coverage(page) -> None:
    first = page[:page.index("id=\"details\"")]
    assert ("防溺水：一级风险水域 6 处、二级 18 处；本年预算 ¥30,000 可新建“四个一” 20 套、"
            "补齐/更换救生绳 9 套（¥29,880），危险岸线风险覆盖 21.3%；全覆盖需新建 410 套、"
            "补齐/更换救生绳 12 套，¥428,000") in first
    # patrols and overdue inspections in the details
    details = page[page.index("巡查与检查</h2>"):]
    assert "未安排 1,234 次" in details and "逾期未检查（超过 7 天）" in details


def test_report_water_section_side_by_side_and_patrols(page) -> None:
    details = page[page.index("本年预算与全覆盖</h2>"):]
    # side by side: one column per plan
    assert re.search(r"<th>本年预算 ¥30,000：按风险效益最优</th><th>本年预算 ¥30,000：先修复现有"
                     r"器材</th><th>全覆盖</th>", details)
    assert "<td class=t>费用（元）</td><td>¥29,880</td><td>¥29,990</td><td>¥428,000</td>" \
        in details
    # the budget table: the chosen plan in bold, percent with %, the gap in words
    assert re.search(r"<tr class='total'><td class=t>本年预算 ¥30,000：按风险效益最优</td>"
                     r"<td>20</td><td>9</td><td>¥29,880</td><td>21.3%</td><td>30.1</td>"
                     r"<td class=t>与最优差距 ≤ 0.10%</td></tr>", details)
    assert "因时长上限未安排巡查最多的村（居）：乙村（乙镇）300 次、V1 30 次" in details
    assert not re.search(r"within_gap|milp|full_coverage|node_limit", page)


def test_the_budgeted_plan_says_when_access_points_came_first() -> None:
    from planner.report.water_figures import plan_name

    assert plan_name({"key": "optimal", "method": "milp"}) == "按风险效益最优"
    assert plan_name({"key": "optimal", "method": "access_first+milp"}) == \
        "重要水域可达点优先、其余按风险效益最优"
    assert plan_name({"key": "fix_first", "method": "access_first+milp"}) == "先修复现有器材"
    water = dict(WATER, scenarios=[dict(WATER["scenarios"][0], method="access_first+milp")])
    assert budget_table(water)[PLAN].tolist()[1] == \
        "本年预算 ¥30,000：重要水域可达点优先、其余按风险效益最优"
