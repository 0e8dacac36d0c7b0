"""Issue 25 acceptance: the water figures read the same in the terminal, run.json,
report.html, water_actions.xlsx, budget_curve.png and the maps - read back from the files
of one run of the demo - and the sheets people read are Chinese, with coordinates to six
decimals."""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from PIL import Image

from planner.report.budgetchart import point_label
from planner.report.summary import print_summary
from planner.report.water_figures import (
    FIXED,
    NEW,
    OUT,
    PLAN,
    SHARE,
    SURE,
    YUAN,
    budget_table,
    headline,
    water_lines,
    yuan,
)


@pytest.fixture(scope="module")
def files(demo_result):
    out = demo_result.out
    water = json.loads((out / "run.json").read_text(encoding="utf-8"))["water"]
    terminal: list[str] = []
    print_summary(demo_result, echo=terminal.append)
    return {"out": out, "water": water, "terminal": terminal,
            "report": (out / "report.html").read_text(encoding="utf-8")}


def test_terminal_and_report_say_the_same_sentences(files) -> None:
    w = files["water"]
    lines = water_lines(w)
    assert lines and all(line in files["terminal"] for line in lines)
    page = files["report"]
    for line in lines[1:]:
        assert html.escape(line, quote=False) in page, line
    # what the budget buys and what full coverage needs, with the fixes, on page 1
    first = page[:page.index('id="details"')]
    b, full = w["budget"], w["budget"]["full_coverage"]
    assert html.escape(headline(w), quote=False) in first
    assert (f"可新建“四个一” {b['new_kits']:,} 套、补齐/更换救生绳 {b['fixed_kits']:,} 套"
            f"（{yuan(b['spend_yuan'])}）") in first
    assert (f"全覆盖需新建 {full['new_kits']:,} 套、补齐/更换救生绳 {full['fixed_kits']:,} 套，"
            f"{yuan(full['yuan'])}") in first
    details = page[page.index("巡查与检查</h2>"):]
    assert f"未安排 {w['patrol']['dropped_patrols']:,} 次" in details
    assert f"点位 {w['inspections']['overdue']:,} 处" in details
    assert f"截至 {w['inspections']['as_of']}" in details


def test_budget_table_reads_the_same_in_report_sheet_and_chart(files) -> None:
    w, out = files["water"], files["out"]
    table = budget_table(w)
    assert {"optimal", "fix_first", "full_coverage", "curve"} <= set(table["key"])
    opt = table[table["key"] == "optimal"].iloc[0]
    assert opt[NEW] == w["budget"]["new_kits"] and opt[FIXED] == w["budget"]["fixed_kits"]
    assert opt[YUAN] == w["budget"]["spend_yuan"]
    assert opt[OUT] == round(w["uncovered_risky_bank_m_after"] / 1000, 1)
    # report: each row with its yuan, percent and words; the chosen plan in bold
    page = files["report"]
    for _, r in table.iterrows():
        row = re.search(rf"<tr( class='total')?><td class=t>{re.escape(html.escape(r[PLAN]))}"
                        r"</td>(.*?)</tr>", page)
        assert row, r[PLAN]
        cells = re.findall(r"<td(?: class=t)?>(.*?)</td>", row.group(2))
        assert cells == [f"{int(r[NEW]):,}", f"{int(r[FIXED]):,}", yuan(r[YUAN]),
                         f"{r[SHARE]:.1f}%", f"{r[OUT]:,.1f}", html.escape(r[SURE])]
        assert bool(row.group(1)) == bool(r["chosen"])
    # the 预算曲线 sheet: the same rows, percent with a % format
    ws = load_workbook(out / "water_actions.xlsx")["预算曲线"]
    rows = list(ws.iter_rows(min_row=3, max_row=2 + len(table)))
    for cells, (_, r) in zip(rows, table.iterrows(), strict=True):
        values = [c.value for c in cells]
        assert values[0] == r[PLAN] and values[1:4] == [r[NEW], r[FIXED], r[YUAN]]
        assert round(values[4] * 100, 1) == r[SHARE] and cells[4].number_format == "0.0%"
        assert values[5] == r[OUT] and values[6] == r[SURE]
    # the chart: one labelled point per row, the same words
    labels = Image.open(out / "budget_curve.png").text["Labels"].splitlines()
    assert [line.split("｜") for line in labels] == [
        [r[PLAN], point_label(r), f"{r[YUAN]:.2f}", r[SURE]] for _, r in table.iterrows()]
    # the gap in words is the solver's gap of run.json, rounded up
    for s in w["scenarios"]:
        shown = table.loc[table["key"] == s["key"], SURE].item()
        if s["gap"] > 1e-7:
            assert float(re.search(r"≤ ([\d.]+)%", shown).group(1)) / 100 >= s["gap"]


def test_maps_and_layers_count_what_run_json_counts(files) -> None:
    w, out = files["water"], files["out"]
    desc = Image.open(out / "map_water_risk.png").text["Description"]
    shown = dict(re.findall(r"(一级|二级|三级) ([\d,]+) 处", desc))
    tiers = w["risky_waters_by_tier"]
    assert {k: int(v.replace(",", "")) for k, v in shown.items()} == {
        "一级": tiers["A"], "二级": tiers["B"], "三级": tiers["C"]}
    kits = gpd.read_file(out / "proposed_kits.geojson")
    assert (kits["status"] == "new").sum() == w["proposed_kits"] == w["budget"]["new_kits"]
    assert (kits["status"] != "new").sum() == w["completed_kits"] == w["budget"]["fixed_kits"]
    layer = gpd.read_file(out / "planner.gpkg", layer="proposed_kits")
    assert len(layer) == len(kits)
    assert kits["reason"].str.contains("[\u4e00-\u9fff]").all()
    assert not kits["reason"].str.contains("[A-Za-z]{3,} [A-Za-z]{2,}").any()


def _english(text: str) -> bool:
    """Whether ``text`` has English words (file names such as budget_curve.png aside)."""
    text = re.sub(r"[\w.]+\.(json|html|png|csv|xlsx|gpkg|geojson)\b", "", text)
    for proper in ("Injury Prevention", "BMC Public Health"):  # journals cited
        text = text.replace(proper, "")
    return bool(re.search(r"[A-Za-z]{3,}[ _][A-Za-z]{2,}", text))


#: what the solver calls things; never shown to people
SOLVER_WORDS = re.compile(r"within_gap|node_limit|time_limit|\bmilp\b|minimum_kits|"
                          r"full_coverage|cheapest_cover|\bgreedy\b|\btrivial\b|\boptimal\b")


def test_no_solver_words_in_the_report(files) -> None:
    page = files["report"]
    body = re.sub(r"<[^>]+>", " ", page[page.index("<body>"):])
    assert not SOLVER_WORDS.search(body), SOLVER_WORDS.search(body)


def test_sheets_are_chinese_with_six_decimal_coordinates(files) -> None:
    out = files["out"]
    checked = set()
    for name in ("water_actions.xlsx", "progress.xlsx", "patrol_sheets.xlsx"):
        book = load_workbook(out / name)  # not read-only: no file left open
        for ws in book.worksheets:
            rows = list(ws.iter_rows())
            header = next((r for r in rows[1:4] if any(c.value == "经度" for c in r)), None)
            skip = {i for i, c in enumerate(rows[1] if len(rows) > 1 else [])
                    if c.value == "记录内容"}  # a rejected record as it was read
            for row in rows:
                for i, c in enumerate(row):
                    if isinstance(c.value, str) and i not in skip:
                        assert not _english(c.value), (name, ws.title, c.value)
                        assert not SOLVER_WORDS.search(c.value), (name, ws.title, c.value)
            if header is None:
                continue
            cols = [i for i, c in enumerate(header) if c.value in ("经度", "纬度")]
            body = [r[i] for r in rows[header[0].row:] for i in cols
                    if isinstance(r[i].value, float)]
            assert body and {c.number_format for c in body} == {"0.000000"}, (name, ws.title)
            checked.add(ws.title)
    assert {"村级行动清单", "逾期检查", "器材不全", "建议选址"} <= checked
