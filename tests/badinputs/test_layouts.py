"""Encodings, delimiters and spreadsheet layouts: read correctly, or one line with the fix."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from tests.badinputs.conftest import edit

CHILD_ROWS = [["320999001001", "100", "10", "1", "20"], ["320999001002", "200", "20", "2", "40"],
              ["320999002001", "300", "30", "3", "60"], ["320999002002", "400", "40", "4", "80"]]
HEADER = ["村代码", "儿童数", "留守儿童数", "困境儿童数", "5岁以下"]


def _children_input(res) -> dict:
    inputs = json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]
    return next(i for i in inputs if i["layer"] == "children")


def _balanced(res) -> None:
    for item in json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]:
        assert item["read"] == item["accepted"] + item["rejected"], item


@pytest.mark.parametrize(("sep", "encoding", "bom", "label"), [
    ("\t", "utf-16", b"", "utf-16, delimiter tab"),  # Excel "Unicode text"
    (";", "utf-8", b"", "utf-8, delimiter ';'"),
    ("\t", "utf-8", b"", "utf-8, delimiter tab"),
    ("|", "gb18030", b"", "gb18030, delimiter '|'"),
    (",", "utf-16-le", b"", "utf-16-le"),  # UTF-16 without its byte-order mark
    (",", "utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
])
@pytest.mark.slow  # a whole run of its own
def test_encodings_and_delimiters_are_read(mini, cli, sep, encoding, bom, label):
    text = "\r\n".join(sep.join(r) for r in [HEADER, *CHILD_ROWS]) + "\r\n"
    (mini / "children.csv").write_bytes(bom + text.encode(encoding))
    res = cli(mini)
    assert res.code == 0, res.err
    child = _children_input(res)
    assert (child["read"], child["accepted"], child["rejected"]) == (4, 4, 0)
    assert child["encoding"] == label
    _balanced(res)


def test_space_delimited_names_the_delimiter(mini, cli):
    text = "\n".join(" ".join(r) for r in [HEADER, *CHILD_ROWS]) + "\n"
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert "read as a single column: check its delimiter" in res.line


def test_ragged_csv_is_one_line(mini, cli):
    text = ",".join(HEADER) + "\n" + ",".join(CHILD_ROWS[0]) + ",x,y\n"
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.startswith("planner: 错误（error）：输入文件有误：")
    assert "children.csv: not a readable CSV" in res.line
    assert "as many fields as the header" in res.line


def test_duplicate_column_header(mini, cli):
    text = ",".join([*HEADER, "儿童数"]) + "\n" + "\n".join(
        ",".join([*r, "0"]) for r in CHILD_ROWS) + "\n"
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert ("children.csv: column '儿童数' appears twice in the header (columns 2 and 6) of "
            "layer 'children'") in res.line


def _xlsx(path, sheets: dict[str, list[list]]):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


@pytest.mark.slow  # a whole run of its own
def test_xlsx_title_row_hints_header(mini, cli):
    _xlsx(mini / "children.xlsx", {"Sheet1": [["测试县儿童人数统计表"], HEADER, *CHILD_ROWS]})
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "children.xlsx"')
    res = cli(mini, "check")
    assert res.code == 2
    assert ("row 1 of sheet 'Sheet1' is not the header (a title?); the column names are on "
            "row 2: set header = 2") in res.line
    edit(mini / "planner.toml", 'path = "children.xlsx"', 'path = "children.xlsx"\nheader = 2')
    res = cli(mini)
    assert res.code == 0
    assert _children_input(res)["accepted"] == 4


@pytest.mark.slow  # a whole run of its own
def test_xlsx_rows_numbered_below_a_title(mini, cli):
    rows = [r[:] for r in CHILD_ROWS]
    rows[2][1] = "很多"
    _xlsx(mini / "children.xlsx", {"Sheet1": [["测试县儿童人数统计表"], HEADER, *rows]})
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "children.xlsx"\nheader = 2')
    res = cli(mini)
    assert res.code == 0
    rej = pd.read_csv(res.out / "rejected.csv", dtype=str)
    assert rej.loc[rej["file"] == "children.xlsx", "row"].tolist() == ["5"]


def test_xlsx_data_on_another_sheet_hints_sheet(mini, cli):
    _xlsx(mini / "children.xlsx", {"说明": [["本表由民政局填报"]],
                                    "儿童": [HEADER, *CHILD_ROWS]})
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "children.xlsx"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "the columns are on sheet '儿童', not '说明': set sheet = \"儿童\"" in res.line


def test_xlsx_unknown_sheet_lists_sheets(mini, cli):
    _xlsx(mini / "children.xlsx", {"儿童": [HEADER, *CHILD_ROWS]})
    edit(mini / "planner.toml", 'path = "children.csv"',
         'path = "children.xlsx"\nsheet = "Sheet1"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "cannot read sheet 'Sheet1'" in res.line and "sheets are ['儿童']" in res.line


def test_not_really_a_workbook(mini, cli):
    (mini / "children.xlsx").write_text("村代码,儿童数\n", encoding="utf-8")
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "children.xlsx"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "children.xlsx: not a readable Excel workbook for layer 'children'" in res.line


def test_shapefile_without_dbf(mini, cli):
    gpd.read_file(mini / "villages.gpkg").to_file(mini / "villages.shp", encoding="utf-8")
    (mini / "villages.dbf").unlink()
    edit(mini / "planner.toml", 'path = "villages.gpkg"', 'path = "villages.shp"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "the shapefile's attribute table villages.dbf is missing beside it" in res.line


def test_osm_without_ways_names_the_file(mini, cli):
    (mini / "roads.osm").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="32.35" lon="120.52" version="1"/>\n</osm>\n', encoding="utf-8")
    (mini / "planner.toml").write_text((mini / "planner.toml").read_text(encoding="utf-8")
                                       + '\n[roads]\npath = "roads.osm"\n', encoding="utf-8")
    res = cli(mini)
    assert res.code == 2
    assert "roads.osm: no roads (OSM ways tagged highway=*) inside the county" in res.line


def test_osm_not_xml(mini, cli):
    (mini / "roads.osm").write_text("this is not xml", encoding="utf-8")
    (mini / "planner.toml").write_text((mini / "planner.toml").read_text(encoding="utf-8")
                                       + '\n[roads]\npath = "roads.osm"\n', encoding="utf-8")
    res = cli(mini)
    assert res.code == 2
    assert "cannot read OSM file" in res.line and "roads.osm" in res.line


def test_layer_path_is_a_folder(mini, cli):
    (mini / "kids").mkdir()
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "kids"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "kids: is a folder, not a file (layer 'children')" in res.line


def test_garbage_geojson_is_one_line(mini, cli):
    (mini / "county.geojson").write_text('{"type": "FeatureCollection", "feat', encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert "county.geojson: cannot read layer 'county'" in res.line


def test_layer_without_crs_in_metres(mini, cli):
    """GeoJSON without a crs member is read as degrees: metres there are caught."""
    towns = gpd.read_file(mini / "towns.geojson").to_crs(32651)
    path = mini / "towns_nocrs.geojson"
    data = json.loads(towns.to_json())
    data.pop("crs")
    path.write_text(json.dumps(data), encoding="utf-8")
    edit(mini / "planner.toml", 'path = "towns.geojson"', 'path = "towns_nocrs.geojson"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "towns_nocrs.geojson: coordinates are not degrees" in res.line


@pytest.mark.slow  # a whole run of its own
def test_csv_title_line_hints_header_and_header_reads_it(mini, cli):
    rows = [r[:] for r in CHILD_ROWS]
    rows[1][1] = "-5"
    text = "测试县儿童人数统计表\n" + "\n".join(",".join(r) for r in [HEADER, *rows]) + "\n"
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.endswith("row 1 looks like a title above the header: set header = 2 for "
                             "layer 'children' in planner.toml (or delete the title row)")
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "children.csv"\nheader = 2')
    res = cli(mini)
    assert res.code == 0
    assert _children_input(res)["accepted"] == 3
    rej = pd.read_csv(res.out / "rejected.csv", dtype=str)
    assert rej.loc[rej["file"] == "children.csv", "row"].tolist() == ["4"]
