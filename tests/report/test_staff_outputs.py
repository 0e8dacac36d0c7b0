"""The demo's staff table (儿童主任 per village, 儿童督导员 per town, trained; counts only):
its figures read the same in run.json, the annex (live formulas), the report and the
terminal, and the table is regenerated the same by ``scripts/synth/staff.py``."""

from __future__ import annotations

import html

import pandas as pd
from openpyxl import load_workbook

from planner.report.summary import print_summary
from scripts.synth.staff import staff_table
from tests.conftest import DEMO
from tests.report.test_tables import _calculate


def test_staff_figures_in_every_output(demo_result):
    staff = demo_result.run["staff"]
    assert staff is not None and staff["directors_required"] > staff["directors"] > 0
    rate = round(100 * staff["directors"] / staff["directors_required"], 1)
    path = demo_result.out / "progress.xlsx"
    ws, cached = load_workbook(path)["儿童工作队伍"], load_workbook(path, data_only=True)
    wv = cached["儿童工作队伍"]
    heads = [ws.cell(4, c).value or ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    total = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    got: dict = {}  # the first column of each label: the directors' (the supervisors' after)
    for c, head in enumerate(heads, start=1):
        got.setdefault(head, wv.cell(total, c).value)
    assert [got["应配"], got["已配"], got["缺口"]] == [
        staff["directors_required"], staff["directors"], staff["directors_missing"]]
    assert got["无儿童主任的村（居）"] == staff["villages_without_director"]
    assert (got["在岗人数"], got["已培训"]) == (staff["staff"], staff["trained"])
    assert got["培训占比"] == round(staff["pct_trained"] / 100, 6)
    calc = _calculate(ws)  # the formulas give the cached figures
    for c in range(3, ws.max_column + 1):
        cell = ws.cell(total, c)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            assert abs(calc[cell.coordinate] - wv[cell.coordinate].value) < 6e-4, cell.coordinate
    page = html.unescape((demo_result.out / "report.html").read_text(encoding="utf-8"))
    summary = page[:page.index('<section id="details"')]
    assert "儿童主任配备率" in summary and f"{rate:.1f}%" in summary
    assert f"{staff['villages_without_director']} 个村（居）无" in summary
    lines: list[str] = []
    print_summary(demo_result, echo=lines.append)
    line = next(x for x in lines if x.startswith("儿童工作队伍："))
    assert (f"儿童主任应配 {staff['directors_required']} 名，已配 {staff['directors']} 名，"
            f"缺口 {staff['directors_missing']} 名（配备率 {rate:.1f}%）") in line
    assert f"已培训 {staff['trained']} 人" in line


def test_demo_staff_table_is_regenerated_the_same():
    """``scripts/synth/staff.py`` with the demo's seed writes the table the demo ships."""
    import geopandas as gpd

    shipped = pd.read_excel(DEMO / "staff" / "staff.xlsx", dtype={"村居或镇代码": str})
    assert list(shipped.columns) == ["村居或镇代码", "名称", "所属镇", "岗位", "人数", "已培训"]
    villages = gpd.read_file(DEMO / "boundaries" / "villages.shp", encoding="GBK")
    towns = gpd.read_file(DEMO / "boundaries" / "towns.geojson")
    kids = pd.read_excel(DEMO / "children" / "children.xlsx", dtype={"村代码": str})
    kids = kids.drop_duplicates("村代码").set_index("村代码")["儿童数"]
    frame = pd.DataFrame({"village_code": villages["XZQDM"].astype(str),
                          "village_name": villages["XZQMC"],
                          "town_name": villages["SSXZDM"].map(
                              dict(zip(towns["town_code"], towns["town_name"], strict=True))),
                          "children": villages["XZQDM"].astype(str).map(kids).to_numpy()})
    again = staff_table(frame, towns, seed=2021)
    cols = ["村居或镇代码", "岗位", "人数", "已培训"]
    assert again[cols].equals(shipped[cols])
