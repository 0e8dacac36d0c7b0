"""What a write produces: the files of a run (each documented in docs/outputs.md), the tables
as the run holds them, the GeoPackage layers and the workbook's sheets."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from planner.records.outputs import MANIFEST
from planner.report.annex import coverage_sheet, task_notes
from planner.report.write import write_tables

DOCS = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"

#: a run's files besides the tables: maps, report, run.json and the manifest
MAPS = {"map.html", "map_quota.png", "map_coverage.png", "report.html", "run.json", MANIFEST}


def documented_files() -> set[str]:
    """File names in the "every output file" table of docs/outputs.md."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## 文件一览", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([^`/ ]+\.(?:csv|xlsx|geojson|gpkg|qgs|html|json|png))`", table))


def _expected_tables(result) -> set[str]:
    """The files write_tables makes for ``result``, by what the run holds."""
    files = {"progress.csv", "villages.csv", "rejected.csv", "repairs.csv", "facilities.csv",
             "planner.gpkg", "planner.qgs", "progress.xlsx"}
    if result.access is not None:
        files.add("coverage.csv")
    if result.proposals is not None:
        files.add("proposed_sites.geojson")
    if result.quota is not None and result.quota.vintages is not None:
        files.add("town_matching.csv")
    if result.water is not None:
        files |= {"water_risk.csv", "requisition.csv", "patrol_plan.csv",
                  "proposed_kits.geojson"}
        if result.water.route_table is not None:
            files |= {"patrol_routes.csv", "patrol_sheets.xlsx"}
        if result.water.actions is not None:
            files.add("water_actions.xlsx")
    return files


@pytest.fixture(scope="module")
def tables(mini_result, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tables")
    write_tables(mini_result, out)
    return out


def test_write_tables_writes_the_tables_only(mini_result, tables):
    assert mini_result.water is None and mini_result.proposals is not None
    assert {p.name for p in tables.iterdir()} == _expected_tables(mini_result)


def test_a_run_writes_tables_maps_and_run_json(mini_result):
    written = {p.name for p in mini_result.out.iterdir()}
    assert written == _expected_tables(mini_result) | MAPS


def test_every_file_of_a_run_is_documented(mini_result):
    documented = documented_files()
    assert {"run.json", "progress.xlsx", "rejected.csv", "water_risk.csv", MANIFEST} <= documented
    assert {p.name for p in mini_result.out.iterdir()} - documented == set()


def test_tables_hold_what_the_run_holds(mini_result, tables):
    def read(name):
        return pd.read_csv(tables / name, dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")

    ledger = mini_result.workspace.ledger
    rejected = read("rejected.csv")
    assert list(rejected.columns) == ["layer", "file", "row", "reason", "record"]
    expected = ledger.rejected_frame().astype(str)
    assert rejected.to_dict("records") == expected.to_dict("records")
    assert len(read("repairs.csv")) == len(ledger.repairs)
    progress = read("progress.csv")
    assert progress["town_code"].tolist() == mini_result.progress["town_code"].astype(str).tolist()
    assert list(progress.columns) == [str(c) for c in mini_result.progress.columns]
    assert len(read("villages.csv")) == len(mini_result.villages)
    fac = read("facilities.csv")
    sites = mini_result.workspace.facilities
    assert not [c for c in fac.columns if c.startswith("_")]
    assert {"file", "row", "datum", "lon", "lat"} <= set(fac.columns)
    assert fac["lon"].astype(float).tolist() == sites.geometry.x.round(6).tolist()
    assert fac["lat"].astype(float).tolist() == sites.geometry.y.round(6).tolist()
    assert fac["row"].astype(int).tolist() == sites["_row"].tolist()
    proposed = gpd.read_file(tables / "proposed_sites.geojson")
    assert len(proposed) == len(mini_result.proposals)
    assert sorted(proposed["village_code"].astype(str)) == sorted(
        mini_result.proposals["village_code"].astype(str))


def test_geopackage_layers(mini_result, tables):
    layers = dict(pyogrio.list_layers(tables / "planner.gpkg"))
    ws = mini_result.workspace
    # one geometry type per layer, areas multi-part (issue 27)
    expected = {"towns": "MultiPolygon", "villages": "MultiPolygon", "facilities": "Point",
                "proposed_sites": "Point"}
    assert {k: v for k, v in layers.items() if k in expected} == expected
    # the QGIS styles table, and the county and its roads
    assert set(layers) - set(expected) <= {"layer_styles", "county", "roads"}
    assert "layer_styles" in layers
    for name, frame in {"towns": ws.towns, "villages": ws.villages,
                        "facilities": ws.facilities,
                        "proposed_sites": mini_result.proposals}.items():
        assert pyogrio.read_info(tables / "planner.gpkg", layer=name)["features"] == len(frame)


def test_writing_again_replaces_the_geopackage(mini_result, tables):
    before = pyogrio.read_info(tables / "planner.gpkg", layer="towns")["features"]
    write_tables(mini_result, tables)
    assert pyogrio.read_info(tables / "planner.gpkg", layer="towns")["features"] == before
    assert {p.name for p in tables.iterdir()} == _expected_tables(mini_result)


def test_workbook_sheets_follow_the_run(mini_result, tables):
    book = openpyxl.load_workbook(tables / "progress.xlsx", read_only=True)
    try:
        sheets = book.sheetnames
    finally:
        book.close()
    assert {"村（居）", "位置与申报不符", "被拒记录"} <= set(sheets)
    assert ("可达性" in sheets) == (mini_result.access is not None)
    assert ("建议选址" in sheets) == ("建成后进度" in sheets) == (
        mini_result.proposals is not None)
    assert ("覆盖情况" in sheets) == bool(mini_result.run.get("coverage"))
    assert ("儿童工作队伍" in sheets) == bool(mini_result.run.get("staff"))
    assert "物资需求" not in sheets and "防溺水缺口" not in sheets   # no water in the mini


def test_demo_writes_the_water_files(demo_result):
    assert demo_result.water is not None
    written = {p.name for p in demo_result.out.iterdir()}
    assert _expected_tables(demo_result) | MAPS | {"map_water_risk.png"} <= written
    assert written - documented_files() == set()


def _story(reach: bool) -> dict:
    own = {"name": "本村有站点", "villages": 3, "villages_total": 4, "share_villages": 75.0,
           "children": 600, "children_total": 1000, "share_children": 60.0}
    s = {"own_site": own}
    if reach:
        s["within_reach"] = {"name": "服务半径内", "children": 500, "children_total": 1000,
                             "share_children": 50.0, "method": "straight_line",
                             "threshold_m": 1000.0}
    return s


def test_coverage_sheet_one_row_per_measure():
    sheet = coverage_sheet({"care_point": _story(True), "care_home": _story(False)})
    assert len(sheet) == 3
    assert sheet["村（居）"].iat[0] == "3/4" and pd.isna(sheet["村（居）"].iat[1])
    assert sheet["儿童（人）"].tolist() == [600, 500, 600]
    assert sheet["说明"].iat[1] == ("住处到最近村（居）儿童关爱站点的直线距离不超过 1000 米的儿童"
                                    "占全部儿童的比例")


def test_task_notes_state_the_county_coverage():
    assert len(task_notes({})) == 1
    notes = task_notes({"coverage": {"care_point": _story(True)}})
    assert "村（居）覆盖率 75.0%（3/4）" in notes[1] and "50.0%（500/1,000 人）" in notes[1]
