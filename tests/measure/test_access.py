"""planner.access: distances and coverage against brute force (networkx, plain counting)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner._errors import ConfigError, CRSError, InputFileError
from planner.core.network import build_graph
from planner.glossary import KINDS
from planner.measure.access import AccessConfig, compute_access

CRS = pyproj.CRS("EPSG:32651")
X0, Y0 = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(120.57, 32.39)
CANAL_X = X0 + 2900.0


def _villages(seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(6):
        for j in range(4):
            k = len(rows)
            rows.append({
                "village_code": f"V{k:02d}", "village_name": f"村{k}",
                "town_code": "T1" if i < 3 else "T2", "town_name": "甲镇" if i < 3 else "乙镇",
                "children": int(rng.integers(0, 400)), "left_behind": int(rng.integers(0, 80)),
                "vulnerable": int(rng.integers(0, 10)), "under5": int(rng.integers(0, 60)),
                "geometry": shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000,
                                        Y0 + (j + 1) * 1000),
            })
    rows[5]["children"] = 0
    return gpd.GeoDataFrame(rows, crs=CRS).to_crs(4326)


def _sites(kinds=("care_point", "care_home", "protection_station")) -> gpd.GeoDataFrame:
    pts = {
        "care_point": [(300, 400), (1500, 2500), (4200, 700), (5300, 3600), (2100, 900)],
        "care_home": [(800, 3100), (4700, 1800)],
        "protection_station": [(3300, 2000)],
        "welfare_station": [(100, 100)],
    }
    rows = []
    for kind in kinds:
        for x, y in pts[kind]:
            rows.append({"facility_id": f"{kind}-{len(rows)}", "kind": kind, "standard": "",
                         "geometry": shapely.Point(X0 + x + 37.0, Y0 + y + 23.0)})
    return gpd.GeoDataFrame(rows, crs=CRS).to_crs(4326)


def _graph(seed: int = 0):
    """Jittered 150 m lane grid, a canal crossed at two bridges, one-way and foot-only edges."""
    rng = np.random.default_rng(seed)
    nx_, ny_ = 42, 28
    ii, jj = np.meshgrid(np.arange(ny_), np.arange(nx_), indexing="ij")
    xy = np.column_stack([X0 - 100 + jj.ravel() * 150.0, Y0 - 100 + ii.ravel() * 150.0])
    xy += rng.uniform(-30, 30, xy.shape)
    idx = ii * nx_ + jj
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    crosses = (xy[u, 0] < CANAL_X) != (xy[v, 0] < CANAL_X)
    bridge = crosses & np.isin(ii.ravel()[u], [4, 20]) & (u // nx_ == v // nx_)
    keep = ~crosses | bridge
    u, v = u[keep], v[keep]
    frag = xy.shape[0] + np.arange(3)
    xy = np.r_[xy, [[X0 + 2500, Y0 + 2520], [X0 + 2560, Y0 + 2520], [X0 + 2620, Y0 + 2560]]]
    u, v = np.r_[u, frag[:2]], np.r_[v, frag[1:]]
    oneway = rng.random(u.size) < 0.15
    drive = rng.random(u.size) > 0.1
    length = np.hypot(*(xy[u] - xy[v]).T)
    g = build_graph(u, v, length, n_nodes=xy.shape[0], node_xy=xy, oneway=oneway, drive=drive)
    return g, (xy, u, v, length, oneway, drive)


@pytest.fixture(scope="module")
def world():
    graph, raw = _graph()
    return _villages(), _sites(), graph, raw


def _brute_distances(raw, dxy, sxy, mode) -> np.ndarray:
    """networkx per-site search; snapping by full scan over the largest strong component."""
    xy, u, v, length, oneway, drive = raw
    g = nx.DiGraph()
    for a, b, w, o, d in zip(u, v, length, oneway, drive, strict=True):
        if mode == "drive" and not d:
            continue
        pairs = [(a, b)] if (mode == "drive" and o) else [(a, b), (b, a)]
        for s, t in pairs:
            g.add_edge(int(s), int(t), weight=float(w))
    big = np.array(sorted(max(nx.strongly_connected_components(g), key=len)))

    def snap(p):
        d = np.hypot(*(xy[big] - p).T)
        return big[np.argmin(d)], d.min()

    out = np.full(len(dxy), np.inf)
    sites = [snap(p) for p in sxy]
    for i, p in enumerate(dxy):
        node, sd = snap(p)
        lengths = nx.single_source_dijkstra_path_length(g, int(node))
        for s_node, s_snap in sites:
            out[i] = min(out[i], sd + lengths.get(int(s_node), np.inf) + s_snap)
    return out


def _xy(gdf):
    p = gdf.geometry.to_crs(CRS)
    return np.column_stack([p.x, p.y])


def _demand_xy(villages):
    return _xy(gpd.GeoDataFrame(geometry=villages.geometry.to_crs(CRS).representative_point()))


def test_network_distances_match_networkx(world):
    villages, sites, graph, raw = world
    cfg = AccessConfig()
    res = compute_access(villages, sites, crs=CRS, config=cfg, graph=graph)
    assert res.method == "network"
    dxy = _demand_xy(villages)
    for kind in ("care_point", "care_home", "protection_station"):
        mode = cfg.rules[kind].mode
        sel = (sites.kind == kind).to_numpy()
        expected = _brute_distances(raw, dxy, _xy(sites)[sel], mode)
        np.testing.assert_allclose(res.villages[f"dist_m_{kind}"], expected, rtol=0, atol=1e-6)
        speed = (cfg.walk_speed_kmh if mode == "walk" else cfg.drive_speed_kmh) * 1000 / 60
        np.testing.assert_allclose(res.villages[f"time_min_{kind}"], expected / speed)
        assert res.villages[f"nearest_{kind}"].isin(sites.facility_id[sel]).all()
    # the east bank reaches the west-bank care homes only across a bridge: longer than a line
    straight = compute_access(villages, sites, crs=CRS, config=cfg)
    assert (res.villages.dist_m_care_point >= straight.villages.dist_m_care_point - 1e-9).all()


def test_snap_distances_recorded(world):
    villages, sites, graph, raw = world
    res = compute_access(villages, sites, crs=CRS, config=AccessConfig(), graph=graph)
    xy = raw[0]
    dxy = _demand_xy(villages)
    main = np.ones(xy.shape[0], dtype=bool)
    main[-3:] = False  # the detached fragment is never snapped to
    brute = np.hypot(*(dxy[:, None, :] - xy[None, main, :]).transpose(2, 0, 1)).min(1)
    np.testing.assert_allclose(res.villages.snap_m_walk, brute)
    assert (res.villages.snap_m_drive >= res.villages.snap_m_walk - 1e-9).all()
    assert res.sites.snap_m.notna().all() and (res.sites.snap_m < 120).all()
    assert list(res.sites.facility_id) == list(sites.facility_id)


def test_coverage_shares_equal_brute_force_count(world):
    villages, sites, graph, _ = world
    cfg = AccessConfig.from_mapping(
        {"care_point": {"threshold_m": 800}, "care_home": {"threshold_m": 2500}}, source="t.toml")
    res = compute_access(villages, sites, crs=CRS, config=cfg, graph=graph)
    v = res.villages
    cov = res.coverage
    for kind in KINDS:
        thr = cfg.rules[kind].threshold_m
        covered = [d <= thr for d in v[f"dist_m_{kind}"]]
        assert v[f"covered_{kind}"].tolist() == covered
        for town in ("T1", "T2", None):
            rows = [i for i in range(len(v)) if town is None or v.town_code[i] == town]
            line = cov[(cov.kind == kind) & ((cov.level == "county") if town is None
                                             else (cov.town_code == town))]
            assert len(line) == 1
            for grp in ("children", "left_behind", "vulnerable"):
                total = sum(int(v[grp][i]) for i in rows)
                inside = sum(int(v[grp][i]) for i in rows if covered[i])
                assert line[f"{grp}_covered"].iloc[0] == inside
                assert line[f"share_{grp}"].iloc[0] == inside / total
    assert set(cov.loc[cov.level == "town", "town_name"]) == {"甲镇", "乙镇"}
    assert 0 < cov.loc[(cov.level == "county") & (cov.kind == "care_point"),
                       "share_children"].iloc[0] < 1


def test_unmet_need_ranking(world):
    villages, sites, graph, _ = world
    cfg = AccessConfig()
    res = compute_access(villages, sites, crs=CRS, config=cfg, graph=graph)
    v = res.villages
    total = np.zeros(len(v))
    for kind in ("care_point", "care_home", "protection_station"):
        thr = cfg.rules[kind].threshold_m
        exp = [c * max(0.0, d - thr) / 1000 for c, d in zip(v.children, v[f"dist_m_{kind}"],
                                                           strict=True)]
        np.testing.assert_allclose(v[f"unmet_{kind}"], exp)
        total += exp
    np.testing.assert_allclose(v.unmet_need, total)
    assert v.loc[5, "unmet_need"] == 0  # a village without children has no unmet need
    ranked = res.ranking()
    assert (np.diff(ranked.unmet_need) <= 0).all() and (ranked.unmet_need > 0).all()
    assert ranked.unmet_rank.tolist() == list(range(1, len(ranked) + 1))
    assert v.loc[v.unmet_need.idxmax(), "unmet_rank"] == 1


def test_straight_line_fallback_is_reported(world):
    villages, sites, _, _ = world
    res = compute_access(villages, sites, crs=CRS, config=AccessConfig(), graph=None)
    assert res.method == "straight_line"
    assert any("straight-line" in n for n in res.notes)
    assert res.summary()["method"] == "straight_line"
    dxy, sxy = _demand_xy(villages), _xy(sites)
    sel = (sites.kind == "care_home").to_numpy()
    brute = np.hypot(*(dxy[:, None, :] - sxy[None, sel, :]).transpose(2, 0, 1)).min(1)
    np.testing.assert_allclose(res.villages.dist_m_care_home, brute)
    assert "snap_m_walk" not in res.villages


def test_absent_kinds_are_infinite_and_noted(world):
    villages, _, graph, _ = world
    sites = _sites(kinds=("care_point",))
    res = compute_access(villages, sites, crs=CRS, config=AccessConfig(), graph=graph)
    v = res.villages
    assert np.isinf(v.dist_m_care_home).all() and not v.covered_care_home.any()
    assert v.unmet_care_home.isna().all() and v.nearest_care_home.isna().all()
    assert any("no care_home sites" in n for n in res.notes)
    county = res.coverage[(res.coverage.level == "county") & (res.coverage.kind == "care_home")]
    assert county.share_children.iloc[0] == 0.0
    np.testing.assert_allclose(v.unmet_need, v.unmet_care_point)
    assert res.summary()["county_shares"]["care_home"]["children"] == 0.0


def test_weighted_demand_points(world):
    villages, sites, graph, raw = world
    rng = np.random.default_rng(3)
    vm = villages.to_crs(CRS)
    rows = []
    for code, poly in zip(vm.village_code, vm.geometry, strict=True):
        if code == "V07":
            continue  # no points: falls back to its polygon's point
        x0, y0, x1, y1 = poly.bounds
        for _ in range(3):
            rows.append({"village_code": code, "weight": float(rng.integers(0, 50)),
                         "geometry": shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))})
    rows[0]["weight"] = rows[1]["weight"] = rows[2]["weight"] = 0.0  # all-zero -> equal weights
    pts = gpd.GeoDataFrame(rows, crs=CRS).to_crs(4326)
    cfg = AccessConfig()
    res = compute_access(villages, sites, crs=CRS, config=cfg, graph=graph, demand_points=pts)
    assert any("without demand points" in n for n in res.notes)
    sel = (sites.kind == "care_point").to_numpy()
    pd_ = _brute_distances(raw, _xy(pts), _xy(sites)[sel], "walk")
    pts_df = pd.DataFrame({"code": pts.village_code, "w": pts.weight, "d": pd_})
    v = res.villages.set_index("village_code")
    for code, grp in pts_df.groupby("code"):
        w = grp.w.to_numpy() if grp.w.sum() > 0 else np.ones(len(grp))
        assert v.loc[code, "dist_m_care_point"] == pytest.approx(np.average(grp.d, weights=w))
        share = w[grp.d.to_numpy() <= 1000].sum() / w.sum()
        assert v.loc[code, "covshare_care_point"] == pytest.approx(share)
    lone = _brute_distances(raw, _demand_xy(villages[villages.village_code == "V07"]),
                            _xy(sites)[sel], "walk")
    assert v.loc["V07", "dist_m_care_point"] == pytest.approx(lone[0])
    county = res.coverage[(res.coverage.level == "county") & (res.coverage.kind == "care_point")]
    exp = (v.children * v.covshare_care_point).sum() / v.children.sum()
    assert county.share_children.iloc[0] == pytest.approx(exp)
    bad = pts.copy()
    bad.loc[0, "village_code"] = "NOPE"
    with pytest.raises(InputFileError, match="NOPE"):
        compute_access(villages, sites, crs=CRS, config=cfg, demand_points=bad)


def test_config_defaults_and_overrides():
    cfg = AccessConfig.from_mapping({}, source="planner.toml")
    assert cfg.rules["care_point"].threshold_m == 1000 and cfg.rules["care_point"].mode == "walk"
    assert cfg.rules["care_home"].threshold_m == 5000 and cfg.rules["care_home"].mode == "drive"
    assert cfg.rules["protection_station"].mode == "drive"
    assert cfg.walk_speed_kmh == 4.5 and cfg.drive_speed_kmh == 30
    cfg = AccessConfig.from_mapping(
        {"walk_speed_kmh": 4, "care_point": {"threshold_m": 500, "mode": "drive"}}, source="p")
    assert cfg.walk_speed_kmh == 4.0 and cfg.rules["care_point"].threshold_m == 500
    assert cfg.rules["care_point"].mode == "drive" and set(cfg.rules) == set(KINDS)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"walkspeed": 4}, "unknown key access.walkspeed"),
        ({"walk_speed_kmh": 0}, "access.walk_speed_kmh"),
        ({"drive_speed_kmh": True}, "access.drive_speed_kmh"),
        ({"drive_speed_kmh": "fast"}, "positive number"),
        ({"care_point": 1000}, "must be a table"),
        ({"care_point": {"threshold_m": -1}}, "access.care_point.threshold_m"),
        ({"care_point": {"threshold_m": float("inf")}}, "threshold_m"),
        ({"care_home": {"mode": "bike"}}, "use 'walk' or 'drive'"),
        ({"care_home": {"radius": 5}}, "unknown key access.care_home.radius"),
        ([1, 2], "must be a table"),
    ],
)
def test_config_validation_errors(table, match):
    with pytest.raises(ConfigError, match=match) as err:
        AccessConfig.from_mapping(table, source="ws/planner.toml")
    assert str(err.value).startswith("ws/planner.toml") and "\n" not in str(err.value)


def test_input_errors(world):
    villages, sites, graph, _ = world
    cfg = AccessConfig()
    with pytest.raises(CRSError, match="projected"):
        compute_access(villages, sites, crs=pyproj.CRS(4326), config=cfg)
    with pytest.raises(CRSError, match="WGS-84"):
        compute_access(villages.to_crs(CRS), sites, crs=CRS, config=cfg)
    with pytest.raises(InputFileError, match="children"):
        compute_access(villages.drop(columns="children"), sites, crs=CRS, config=cfg)
    bad = sites.copy()
    bad.loc[1, "kind"] = "hospital"
    with pytest.raises(InputFileError, match="row 1.*hospital"):
        compute_access(villages, bad, crs=CRS, config=cfg)


def test_empty_network_falls_back_and_summary(world):
    villages, sites, _, _ = world
    empty = build_graph([], [], [], n_nodes=2, node_xy=np.zeros((2, 2)))
    res = compute_access(villages, sites, crs=CRS, config=AccessConfig(), graph=empty)
    assert res.method == "straight_line"
    assert any("no usable edges" in n for n in res.notes)
    s = res.summary()
    assert set(s["county_shares"]) == set(KINDS)
    county = res.coverage[(res.coverage.level == "county") & (res.coverage.kind == "care_point")]
    assert s["county_shares"]["care_point"]["children"] == county.share_children.iloc[0]
    assert s["villages_with_unmet_need"] == int((res.villages.unmet_need > 0).sum())
