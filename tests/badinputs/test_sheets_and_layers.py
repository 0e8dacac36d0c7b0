"""A workbook with several sheets, a GeoPackage with several layers: the first one is never
taken silently -- a hidden sheet never over a visible one, a finding names what was left
unread, and a GeoPackage whose layer cannot be told stops in one line asking for it."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook

from tests.badinputs.conftest import edit


def _children_workbook(mini, *, hidden_first: bool):
    """children.csv as a workbook: last year's figures on a first sheet (hidden or not),
    this year's on the next."""
    frame = pd.read_csv(mini / "children.csv", dtype=str)
    book = Workbook()
    old = book.active
    old.title = "2023年"
    old.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        old.append([row[0], "1", "0", "0", "0"])  # last year's: 1 child each
    if hidden_first:
        old.sheet_state = "hidden"
    new = book.create_sheet("2024年")
    new.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        new.append(list(row))
    book.active = 1
    book.save(mini / "children.xlsx")
    edit(mini / "planner.toml", '"children.csv"', '"children.xlsx"')
    return int(pd.to_numeric(frame["儿童数"]).sum())


def _run_json(res):
    return json.loads((res.out / "run.json").read_text(encoding="utf-8"))


def test_a_hidden_first_sheet_is_not_read(mini, cli):
    children = _children_workbook(mini, hidden_first=True)
    res = cli(mini)
    assert res.code == 0, res.err
    run = _run_json(res)
    vill = pd.read_csv(res.out / "villages.csv", dtype={"village_code": str})
    assert int(vill["children"].sum()) == children  # this year's sheet, not the hidden one
    note = [f for f in run["findings"] if "children.xlsx" in f and "2024年" in f]
    assert note and "隐藏" in note[0] and "2023年" in note[0]


def test_two_visible_sheets_the_first_is_read_and_the_other_named(mini, cli):
    _children_workbook(mini, hidden_first=False)
    res = cli(mini, "check")
    assert res.code == 0, res.err
    assert "sheet = " in res.stdout and "2024年" in res.stdout and "2023年" in res.stdout


def test_a_geopackage_with_several_layers_asks_which(mini, cli):
    villages = gpd.read_file(mini / "villages.gpkg")
    villages.to_file(mini / "boundaries.gpkg", layer="村界2023")
    villages.to_file(mini / "boundaries.gpkg", layer="村界2024")
    edit(mini / "planner.toml", '"villages.gpkg"', '"boundaries.gpkg"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "layer = " in res.line and "村界2023" in res.line and "村界2024" in res.line
    edit(mini / "planner.toml", 'path = "boundaries.gpkg"',
         'path = "boundaries.gpkg"\nlayer = "村界2024"')
    assert cli(mini, "check").code == 0


def test_the_layer_named_like_the_planners_is_read_with_a_finding(mini, cli):
    villages = gpd.read_file(mini / "villages.gpkg")
    villages.iloc[:1].to_file(mini / "villages.gpkg", layer="old_copy")  # a second layer
    res = cli(mini)
    assert res.code == 0, res.err
    run = _run_json(res)
    assert run["villages"] == len(villages)
    assert any("villages.gpkg" in f and "old_copy" in f for f in run["findings"])
