"""``planner init``: a workspace for a county of the reference data, filled in as a bureau
would (Gauss-Krüger shapefiles, one without .prj), then checked and run."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from planner import datasets
from planner._errors import ConfigError, WorkspaceFolderError
from planner.cli import main
from planner.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from planner.init import CHILD_HEADERS, FACILITY_HEADERS, find_county, init_workspace

GK = "EPSG:4528"  # CGCS2000 3-degree Gauss-Krüger zone 40 (eastings 40xxxxxx), 扬中 ~119.8°E


@pytest.fixture(scope="module")
def divisions():
    return pd.read_csv(datasets.reference("divisions"), dtype=str)


def _headers(path, sheet=0):
    wb = load_workbook(path, read_only=True)
    ws = wb.worksheets[sheet]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    return list(rows[0]), rows[1:]


def test_find_county(divisions):
    assert find_county("启东市", divisions=divisions)["county_code"].iloc[0] == "320681"
    assert len(find_county("320681", divisions=divisions)) == (
        divisions["county_code"] == "320681").sum()
    with pytest.raises(ConfigError, match="shared by 320106"):
        find_county("鼓楼区", divisions=divisions)
    with pytest.raises(ConfigError, match="not in the Jiangsu reference data"):
        find_county("海淀区", divisions=divisions)


def test_init_writes_templates(tmp_path, divisions):
    toml = init_workspace("灌云县", tmp_path / "gy")
    root = toml.parent
    mine = divisions[divisions["county_name"] == "灌云县"]
    towns = mine.drop_duplicates("town_code")
    assert _headers(root / "facilities" / "facilities.xlsx")[0] == FACILITY_HEADERS
    head, rows = _headers(root / "children" / "children.xlsx")
    assert head == CHILD_HEADERS and len(rows) == len(mine)
    assert sorted(r[0] for r in rows) == sorted(mine["village_code"])
    head, rows = _headers(root / "quota" / "quota.xlsx")
    assert len(rows) == len(towns) == mine["town_code"].nunique()
    per_town = mine.groupby("town_name").size()
    idle = {"五图河农场", "灌西盐场"}  # a farm and a salt works: no quota by default, said so
    quotas = {r[0]: r[2] for r in rows}
    assert {t: quotas[t] for t in per_town.index if t not in idle} == \
        per_town.drop(list(idle)).to_dict()  # one care point per village
    assert all(r[1] == 1 and r[3] == 1 for r in rows if r[0] not in idle)
    assert all(r[1:5] == (0, 0, 0, 0) and "非居住单位" in r[5] for r in rows if r[0] in idle)
    assert "五图河农场" in (root / "填报说明.txt").read_text(encoding="utf-8")
    head, rows = _headers(root / "staff" / "staff.xlsx")
    assert len(rows) == len(towns) + len(mine)
    assert {"村居或镇代码", "岗位", "人数", "已培训"} <= set(head)
    assert "达省标" in [r[2] for r in _headers(root / "facilities" / "facilities.xlsx", 1)[1]]
    text = toml.read_text(encoding="utf-8")
    assert 'name = "灌云县"' in text and "[layers.kits.fields]" in text
    assert (root / "填报说明.txt").read_text(encoding="utf-8").count("\n") > 10
    assert (root / "boundaries" / "county.geojson").is_file()
    assert not [p for p in root.iterdir() if p.name.startswith(".planner-init-")]


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_init_never_replaces_a_filled_sheet(tmp_path):
    root = tmp_path / "gy"
    init_workspace("灌云县", root)
    init_workspace("灌云县", root)  # its own files, unchanged: written again
    sheet = root / "facilities" / "facilities.xlsx"
    frame = pd.read_excel(sheet, dtype=str)
    frame.loc[0] = ["城东关爱站", "村（居）儿童关爱站点", "119.1", "34.3", "GCJ-02", "伊山镇", ""]
    frame.to_excel(sheet, index=False)
    before = _tree(root)
    with pytest.raises(WorkspaceFolderError, match="facilities.xlsx") as err:
        init_workspace("灌云县", root)
    assert "\n" not in str(err.value)
    assert _tree(root) == before


@pytest.mark.parametrize("user_files", [
    {"facilities.xlsx": b"filled", "children.xlsx": b"filled", "填报说明.txt": b"mine"},
    {"facilities/facilities.xlsx": b"filled"},
    {"notes.docx": b"mine"},
])
def test_init_writes_only_into_an_empty_folder(tmp_path, user_files):
    """A bureau's folder without planner.toml, holding its own sheets: left alone."""
    root = tmp_path / "mine"
    for rel, data in user_files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    with pytest.raises(WorkspaceFolderError):
        init_workspace("灌云县", root)
    assert _tree(root) == user_files
    code = main(["init", "灌云县", str(root)])
    assert code == 2 and _tree(root) == user_files


def test_init_into_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "ws.txt"
    target.write_text("a file", encoding="utf-8")
    for folder in (target, target / "sub"):
        assert main(["init", "灌云县", str(folder)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and "ws.txt" in err
    assert target.read_text(encoding="utf-8") == "a file"


def _fill(root, divisions):
    """Boundaries as Gauss-Krüger shapefiles, child counts and a few facilities."""
    mine = divisions[divisions["county_name"] == "扬中市"].sort_values("village_code")
    county = gpd.read_file(root / "boundaries" / "county.geojson").geometry.iloc[0]
    wgs = shapely.transform(county, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))
    inner = gpd.GeoSeries([wgs], crs=4326).to_crs(GK).buffer(-400).iloc[0]
    x0, y0, x1, y1 = inner.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, 450.0), np.arange(y0, y1, 450.0))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts = pts[shapely.contains_xy(inner, pts[:, 0], pts[:, 1])][: len(mine)]
    assert len(pts) == len(mine)
    squares = shapely.box(pts[:, 0] - 150, pts[:, 1] - 150, pts[:, 0] + 150, pts[:, 1] + 150)
    villages = gpd.GeoDataFrame({"村代码": mine["village_code"].to_numpy(),
                                 "村名称": mine["village_name"].to_numpy(),
                                 "镇代码": mine["town_code"].to_numpy()},
                                geometry=squares, crs=GK)
    assert villages.total_bounds[0] > 40_000_000  # zone number in the easting
    villages.to_file(root / "boundaries" / "villages.shp", encoding="utf-8")
    towns = villages.dissolve("镇代码").reset_index()[["镇代码", "geometry"]]
    towns["镇名称"] = towns["镇代码"].map(mine.drop_duplicates("town_code").set_index(
        "town_code")["town_name"])
    towns.to_file(root / "boundaries" / "towns.shp", encoding="utf-8")
    wb = load_workbook(root / "children" / "children.xlsx")
    ws = wb.active
    for i, row in enumerate(ws.iter_rows(min_row=2), start=1):
        for cell, value in zip(row[3:], [40 + i, 5, 2, 0, 1, 1, 0, 8], strict=True):
            cell.value = value
    wb.save(root / "children" / "children.xlsx")
    centre = villages.geometry.centroid.to_crs(4326)
    lon, lat = wgs84_to_gcj02(centre.x.to_numpy()[:3], centre.y.to_numpy()[:3])
    wb = load_workbook(root / "facilities" / "facilities.xlsx")
    ws = wb.worksheets[0]
    town = mine["town_name"].to_numpy()
    ws.append([f"{mine['village_name'].iloc[0]}儿童之家", "儿童之家", lon[0], lat[0], "GCJ-02",
               town[0], ""])
    ws.append([f"{town[1]}关爱之家", "儿童关爱之家", lon[1], lat[1], "GCJ-02", town[1], "达省标"])
    ws.append([f"{town[2]}未保站", "未成年人保护工作站", lon[2], lat[2], "GCJ-02", town[2], ""])
    wb.save(root / "facilities" / "facilities.xlsx")
    return mine


@pytest.mark.slow  # a whole run of its own
def test_init_fill_check_and_run(tmp_path, divisions, capsys):
    root = tmp_path / "yz"
    assert main(["init", "扬中市", str(root)]) == 0
    mine = _fill(root, divisions)
    (root / "boundaries" / "villages.prj").unlink()
    assert main(["check", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and 'crs = "EPSG:4528"' in err and "[layers.villages]" in err
    toml = root / "planner.toml"
    text = toml.read_text(encoding="utf-8")
    head, tail = text.split("[layers.villages]", 1)
    toml.write_text(head + "[layers.villages]" + tail.replace('# crs = "EPSG:4549"',
                                                              f'crs = "{GK}"', 1),
                    encoding="utf-8")
    wb = load_workbook(root / "staff" / "staff.xlsx")
    ws = wb.active
    head = [c.value for c in ws[1]]
    for i, row in enumerate(ws.iter_rows(min_row=2)):
        row[head.index("人数")].value = 1
        row[head.index("已培训")].value = i % 2
    wb.save(root / "staff" / "staff.xlsx")
    text = toml.read_text(encoding="utf-8")
    start = text.index("# [layers.staff]")
    block = text[start:text.index("\n\n", start)]
    toml.write_text(text.replace(block, "\n".join(line[2:] for line in block.splitlines())),
                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(root), "--out", str(out), "-q"]) == 0
    assert capsys.readouterr().out == ""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["villages"] == len(mine) and run["towns"] == mine["town_code"].nunique()
    assert run["quota"]["care_point"]["required"] == len(mine)
    assert run["quota"]["care_point"]["built"] == 1
    assert run["quota"]["care_home"]["built"] == 1 and run["rejected"] == 0
    staff = run["staff"]
    n_towns = mine["town_code"].nunique()
    assert staff["staff"] == len(mine) + n_towns
    assert staff["trained"] == (len(mine) + n_towns) // 2
