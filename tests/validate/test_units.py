"""Towns with names only, villages as points or a bare list, the county outline a check."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.pipeline import check
from planner.settings import load_settings
from planner.validate.town_codes import generated_code
from tests.conftest import DEMO, MINI


def _toml(folder, villages: str, extra: str = "") -> None:
    (folder / "planner.toml").write_text(f"""
[workspace]
name = "测试"
{extra}
[layers.towns]
path = "towns.geojson"
fields = {{ town_name = "镇名称" }}
[layers.villages]
{villages}
""", encoding="utf-8")


@pytest.fixture
def rugao(tmp_path):
    """Three real towns of 如皋 as a names-only layer (one under a local name), and the NBS
    village list of those towns."""
    towns = gpd.read_file(DEMO / "boundaries" / "towns.geojson")
    towns = towns[towns["town_code"].isin(["320682103", "320682104", "320682400"])]
    gpd.GeoDataFrame({"镇名称": towns["town_name"].replace({"如皋市经济开发区": "城北街道"})},
                     geometry=towns.geometry.to_numpy(), crs=4326).to_file(
        tmp_path / "towns.geojson")
    nbs = pd.read_csv(DEMO / "reference" / "jiangsu_divisions.csv", dtype=str)
    nbs = nbs[nbs["town_code"].isin(towns["town_code"])]
    nbs[["village_code", "village_name", "town_name"]].to_csv(
        tmp_path / "villages.csv", index=False)
    return tmp_path, towns, nbs


def test_names_only_towns_get_reference_or_stable_codes(rugao):
    folder, towns, nbs = rugao
    _toml(folder, 'path = "villages.csv"', extra='county_code = "320682"')
    ws, _quota = check(load_settings(folder))
    codes = dict(zip(ws.towns["town_name"], ws.towns["town_code"], strict=True))
    assert codes["东陈镇"] == "320682103" and codes["丁堰镇"] == "320682104"
    assert codes["城北街道"] == generated_code("城北街道", "320682")  # stable, not a guess
    assert ws.derived["town_codes"]["generated"] == 1
    assert any("没有镇代码" in f and "城北街道" in f for f in ws.findings)
    # the bare list: every village kept without geometry, under its town
    assert len(ws.villages) == len(nbs) - (nbs["town_code"] == "320682400").sum()
    assert ws.villages.geometry.isna().all()
    assert set(ws.villages["geometry_source"]) == {"none"}
    gone = ws.ledger.rejected_frame()
    assert (gone["layer"] == "villages").sum() == (nbs["town_code"] == "320682400").sum()
    assert ws.ledger.reconcile() == []


def test_village_list_resolved_by_aliases_of_local_names(rugao):
    folder, _towns, nbs = rugao
    _toml(folder, 'path = "villages.csv"\nfields = { town_name = "town_name" }',
          extra='county_code = "320682"\n[aliases]\n"如皋市经济开发区" = "城北街道"\n')
    ws, _quota = check(load_settings(folder))
    assert len(ws.villages) == len(nbs)  # the zone's villages found their town by its alias


def test_villages_as_points_get_cells_clipped_to_their_town(tmp_path):
    import shutil

    shutil.copytree(MINI, tmp_path / "w")
    folder = tmp_path / "w"
    vil = gpd.read_file(folder / "villages.gpkg")
    pts = vil.assign(geometry=shapely.centroid(vil.geometry.to_numpy()))
    pts.geometry = pts.geometry.translate(0.004, -0.003)
    pts.to_file(folder / "villages.gpkg", driver="GPKG")
    ws, _quota = check(load_settings(folder))
    assert set(ws.villages["geometry_source"]) == {"voronoi"}
    metric = ws.villages.to_crs(ws.crs)
    towns = ws.towns.to_crs(ws.crs).set_index("town_code")
    for code, group in metric.groupby("town_code"):  # cells tile their town exactly
        town = towns.loc[code, "geometry"]
        assert group.geometry.area.sum() == pytest.approx(town.area, rel=1e-9)
        assert all(town.buffer(1e-6).contains(g) for g in group.geometry)
    # each cell holds its own committee point
    seats = shapely.points(ws.villages["seat_lon"], ws.villages["seat_lat"])
    assert all(shapely.contains(ws.villages.geometry.to_numpy(), seats))
    assert ws.ledger.reconcile() == []


def test_county_outline_is_a_check_not_a_reason_to_reject(mini):
    county = gpd.read_file(mini / "county.geojson")
    county.geometry = county.geometry.scale(0.9, 0.9)  # narrower than the towns
    county.to_file(mini / "county.geojson")
    ws, _quota = check(load_settings(mini))
    assert any("镇界超出县界参考轮廓" in f for f in ws.findings)
    outside = [r for r in ws.ledger.rejected if "县域外" in r["reason"]]
    assert [r["row"] for r in outside] == [8]  # only the site truly outside every town
    assert ws.county.contains(ws.towns.union_all().buffer(-1e-9))


def test_without_an_outline_the_county_is_the_towns(mini):
    text = (mini / "planner.toml").read_text(encoding="utf-8")
    (mini / "planner.toml").write_text(text.replace('[layers.county]\npath = "county.geojson"\n',
                                                    ""), encoding="utf-8")
    ws, _quota = check(load_settings(mini))
    assert ws.derived["county"]["how"] == "union_of_towns"
    assert np.isclose(ws.county.area, ws.towns.union_all().area)
