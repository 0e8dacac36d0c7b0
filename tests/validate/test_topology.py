"""Checks across features: zero-area units rejected, overlapping villages, villages inside no
town or another town, towns sharing a name, aliases pointing nowhere — each against a
brute-force pairwise computation on a few squares drawn in metres."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import box

from planner._errors import ConfigError
from planner.glossary import clean_text
from planner.records.ledger import Ledger
from planner.settings import LayerSpec
from planner.validate.topology import (
    MIN_AREA_M2,
    OVERLAP_SHARE,
    check_aliases,
    orphan_findings,
    overlap_findings,
    reject_zero_area,
    same_name_findings,
    same_name_towns,
)

#: UTM zone 51N, the metric CRS of a county near 如皋 (120.6 E, 32.4 N)
UTM = CRS.from_epsg(32651)
X0, Y0 = 340_000.0, 3_585_000.0  # a corner inside the county, in metres


def _wgs84(names: list[str], geoms: list, **columns) -> gpd.GeoDataFrame:
    """A layer as the planner holds it: WGS-84, drawn in metres."""
    frame = gpd.GeoDataFrame({"village_name": names, **columns}, geometry=geoms, crs=UTM)
    return frame.to_crs(4326)


def _square(col: float, row: float, size: float = 1000.0, dx: float = 0.0):
    x, y = X0 + col * 1000.0 + dx, Y0 + row * 1000.0
    return box(x, y, x + size, y + size)


def _named_pairs(findings: list[str]) -> dict[frozenset, float]:
    """{village pair: overlap m²} named by the one overlap finding."""
    assert len(findings) <= 1
    if not findings:
        return {}
    return {frozenset((a, b)): float(area)
            for a, b, area in re.findall(r"([^、×\s]+)×([^、×\s（]+)（(\d+) m²）", findings[0])}


def test_overlaps_are_the_pairs_a_brute_force_finds():
    geoms = [
        _square(0, 0),                      # 甲
        _square(1, 0, dx=-100.0),           # 乙 overlaps 甲 by 100 m × 1000 m
        _square(2, 0, dx=0.0),              # 丙 100 m east of 乙
        _square(4, 0),                      # 丁 alone
        _square(5, 0, dx=-5.0),             # 戊 overlaps 丁 by 5 m: 0.5 % of it, noise
        _square(0, 2),                      # 己
        _square(0, 2, size=400.0),          # 庚 inside 己 entirely
        _square(3, 2),                      # 辛 touches 壬 along an edge only
        _square(4, 2),                      # 壬
    ]
    names = list("甲乙丙丁戊己庚辛壬")
    villages = _wgs84(names, geoms)
    expected = {}
    for (a, ga), (b, gb) in itertools.combinations(zip(names, geoms, strict=True), 2):
        inter = ga.intersection(gb).area
        if inter > MIN_AREA_M2 and inter > OVERLAP_SHARE * min(ga.area, gb.area):
            expected[frozenset((a, b))] = inter
    assert set(expected) == {frozenset("甲乙"), frozenset("己庚")}  # the drawing is as meant
    found = _named_pairs(overlap_findings(villages, crs=UTM))
    assert set(found) == set(expected)
    for pair, area in expected.items():
        assert found[pair] == pytest.approx(area, abs=1.0)  # printed to the m²
    assert "2 处村界重叠" in overlap_findings(villages, crs=UTM)[0]


def test_no_overlap_no_finding():
    villages = _wgs84(list("甲乙丙"), [_square(0, 0), _square(1, 0), _square(3, 0)])
    assert overlap_findings(villages, crs=UTM) == []
    assert overlap_findings(villages.iloc[:1], crs=UTM) == []


def test_many_overlaps_are_listed_ten_and_counted():
    names = [f"村{i}" for i in range(12)]
    geoms = [_square(2 * i, 0, size=1000.0) for i in range(12)]
    geoms += [_square(2 * i, 0, size=500.0) for i in range(12)]  # each inside its twin
    villages = _wgs84(names + [f"分{i}" for i in range(12)], geoms)
    (finding,) = overlap_findings(villages, crs=UTM)
    assert finding.startswith("12 处村界重叠")
    assert len(_named_pairs([finding])) == 10 and "and 2 more" in finding


def test_villages_in_no_town_and_in_another_town():
    towns = gpd.GeoDataFrame(
        {"town_code": ["001", "002"], "town_name": ["东镇", "西镇"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000), box(X0 + 3000, Y0, X0 + 6000, Y0 + 3000)],
        crs=UTM).to_crs(4326)
    geoms = [_square(0, 0), _square(1, 1), _square(4, 0), _square(5, 2), _square(8, 0),
             _square(2, 5)]
    codes = ["001", "001", "001", "002", "002", "001"]
    villages = _wgs84(["一村", "二村", "三村", "四村", "五村", "六村"], geoms,
                      town_code=codes)
    # brute force: the town whose boundary holds each village's interior point
    inside_town = {}
    for name, geom in zip(villages["village_name"], villages.geometry, strict=True):
        point = shapely.point_on_surface(geom)
        holders = [c for c, t in zip(towns["town_code"], towns.geometry, strict=True)
                   if t.contains(point)]
        inside_town[name] = holders[0] if holders else None
    orphans = [n for n, t in inside_town.items() if t is None]
    moved = [n for n, c in zip(villages["village_name"], codes, strict=True)
             if inside_town[n] not in (None, c)]
    assert orphans == ["五村", "六村"] and moved == ["三村"]  # the drawing is as meant
    no_town, other_town = orphan_findings(villages, towns)
    assert no_town.startswith(f"{len(orphans)} 个村不在任何镇界内")
    assert [n for n in villages["village_name"] if n in no_town] == orphans
    assert other_town.startswith(f"{len(moved)} 个村位于所属镇以外的镇界内")
    assert "三村（东镇→西镇）" in other_town
    assert not any(n in other_town for n in ("一村", "二村", "四村"))


def test_villages_where_they_belong_give_no_finding():
    towns = gpd.GeoDataFrame({"town_code": ["001"], "town_name": ["东镇"]},
                             geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000)], crs=UTM).to_crs(4326)
    villages = _wgs84(["一村", "二村"], [_square(0, 0), _square(2, 2)], town_code=["001"] * 2)
    assert orphan_findings(villages, towns) == []
    assert orphan_findings(villages.iloc[:0], towns) == []


def test_zero_area_polygons_are_rejected_and_the_ledger_balances():
    geoms = [
        _square(0, 0),                                          # 1 km²
        shapely.Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 20, Y0)]),  # a line drawn as a polygon
        box(X0, Y0, X0 + 0.5, Y0 + 1.0),                        # 0.5 m²
        box(X0, Y0, X0 + 2.0, Y0 + 1.0),                        # 2 m²: small, but an area
    ]
    frame = _wgs84(["甲", "乙", "丙", "丁"], geoms)
    frame["_row"] = [2, 3, 4, 5]
    spec = LayerSpec(name="villages", path=Path("/ws/villages.gpkg"))
    ledger = Ledger()
    ledger.read("villages", "villages.gpkg", len(frame), shown=["village_name"])
    kept = reject_zero_area(frame, spec, ledger, crs=UTM)
    zero = [row for row, g in zip(frame["_row"], geoms, strict=True) if g.area < MIN_AREA_M2]
    assert zero == [3, 4]
    assert list(kept["_row"]) == [2, 5]
    rejected = ledger.rejected_frame()
    assert list(rejected["row"]) == zero
    assert rejected["reason"].str.contains("no area").all()
    assert list(rejected["record"]) == ["village_name=乙", "village_name=丙"]
    ledger.accept("villages", "villages.gpkg", len(kept))
    assert ledger.reconcile() == []
    assert reject_zero_area(frame.iloc[:0], spec, ledger, crs=UTM).empty


def test_towns_sharing_a_name_after_cleaning():
    towns = pd.DataFrame({"town_code": ["003", "001", "002", "004", "005", "006"],
                          "town_name": ["石庄镇", "石庄镇 ", "城南街道", "（城北）街道",
                                        "(城北)街道", None]})
    groups: dict[str, list[str]] = {}
    for code, name in zip(towns["town_code"], towns["town_name"], strict=True):
        groups.setdefault(clean_text(name), []).append(code)
    expected = {n: sorted(c) for n, c in groups.items() if n and len(c) > 1}
    assert same_name_towns(towns) == expected == {"石庄镇": ["001", "003"],
                                                  "(城北)街道": ["004", "005"]}
    findings = same_name_findings(towns)
    assert len(findings) == 2
    assert "石庄镇 (codes 001, 003)" in findings[0]
    assert same_name_findings(towns.iloc[[0, 2]]) == []


def test_aliases_must_point_at_a_town_by_name_or_code():
    towns = pd.DataFrame({"town_code": ["320682100"], "town_name": ["如城街道"]})
    check_aliases({"如城": "如城街道", "城区": "320682100", "如城 镇": " 如城街道 "}, towns,
                  source="planner.toml")
    with pytest.raises(ConfigError, match=r"planner\.toml: \[aliases\] '新城' = '新城街道'"):
        check_aliases({"如城": "如城街道", "新城": "新城街道"}, towns, source="planner.toml")
