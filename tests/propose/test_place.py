"""GeoDataFrame adapter of issue 5: quotas, towns, fixed existing sites, candidates, CRS."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner._errors import ConfigError, CRSError, ModelError
from planner.propose.place import PlaceConfig, propose_budget, propose_full_cover, propose_sites

UTM = "EPSG:32651"
SIZE = 800.0  # village squares of 800 m: neighbours' points are 800 m apart


def _county(seed: int = 0):
    """3 towns x 9 villages (a 9 x 3 grid of squares), WGS-84; town = column // 3."""
    rng = np.random.default_rng(seed)
    rows = []
    for col, row in itertools.product(range(9), range(3)):
        x0, y0 = 300_000 + col * SIZE, 3_590_000 + row * SIZE
        t = col // 3
        rows.append(
            {
                "village_code": f"V{col}{row}",
                "village_name": f"村{col}{row}",
                "town_code": f"T{t}",
                "town_name": f"镇{t}",
                "children": int(rng.integers(0, 200)),
                "left_behind": int(rng.integers(0, 20)),
                "vulnerable": int(rng.integers(0, 10)),
                "under5": 0,
                "geometry": shapely.box(x0, y0, x0 + SIZE, y0 + SIZE),
            }
        )
    return gpd.GeoDataFrame(rows, crs=UTM).to_crs(4326)


def _existing(villages, codes, kind="care_point"):
    pts = villages.set_index("village_code").loc[codes].to_crs(UTM).geometry.centroid
    return gpd.GeoDataFrame({"kind": kind, "geometry": pts.values}, crs=UTM).to_crs(4326)


def _xy(gdf):
    g = gdf.to_crs(UTM).geometry
    g = g.representative_point() if not g.geom_type.eq("Point").all() else g
    return np.column_stack([g.x, g.y])


def _brute(villages, existing, missing, weights, *, model, threshold=1000.0):
    """Best objective over every choice of village points obeying the per-town quotas."""
    dxy = _xy(villages)
    exy = _xy(existing)
    d = np.linalg.norm(dxy[:, None] - dxy[None], axis=2)
    e = np.full(len(dxy), np.inf)
    if len(exy):
        e = np.linalg.norm(dxy[:, None] - exy[None], axis=2).min(axis=1)
    hosts = e < 1.0
    per_town = []
    for t, k in missing.items():
        idx = np.flatnonzero((villages["town_code"] == t).to_numpy() & ~hosts)
        per_town.append(list(itertools.combinations(idx, k)))
    best = None
    for combo in itertools.product(*per_town):
        sel = [j for part in combo for j in part]
        near = np.minimum(e, d[:, sel].min(axis=1)) if sel else e
        if model == "max_cover":
            val = weights[(near <= threshold) & (e > threshold)].sum()
            best = val if best is None else max(best, val)
        else:
            val = (weights * near).sum()
            best = val if best is None else min(best, val)
    return best




@pytest.mark.parametrize("model", ["max_cover", "p_median"])
def test_quota_town_and_fixed_existing(model):
    villages = _county(1)
    existing = _existing(villages, ["V00", "V41"])
    before = existing.copy()
    config = PlaceConfig.from_mapping({"model": model}, source="planner.toml")
    missing = {"T0": 2, "T1": 1, "T2": 1}
    prop = propose_sites(
        villages, kind="care_point", existing=existing, missing_per_town=missing, crs=UTM,
        config=config,
    )  # fmt: skip
    sites = prop.sites
    assert sites.crs.to_epsg() == 4326
    assert sites["town_code"].value_counts().to_dict() == {"T0": 2, "T1": 1, "T2": 1}
    towns = villages.dissolve("town_code").geometry
    for _, s in sites.iterrows():
        assert towns[s["town_code"]].contains(s.geometry)
        vil = villages.set_index("village_code").geometry[s["village_code"]]
        assert vil.contains(s.geometry)
    assert not sites["village_code"].isin(["V00", "V41"]).any()  # hosts of existing sites
    assert existing.equals(before)
    weights = config.demand_weights(villages)
    expected = _brute(villages, existing, missing, weights, model=model)
    assert prop.summary["objective"] == pytest.approx(expected)
    assert prop.summary["status"] == "optimal" and prop.summary["method"] == "milp"
    assert sorted(sites["rank"]) == [1, 2, 3, 4]
    assert prop.summary["towns"]["T0"] == {
        "town_name": "镇0", "missing": 2, "proposed": 2, "capped": False,
    }  # fmt: skip
    if model == "max_cover":
        assert sites["weighted_gain"].sum() == pytest.approx(expected)
        assert sites["weighted_gain"].is_monotonic_decreasing


def test_capped_quota_noted_and_existing_of_other_kinds_ignored():
    villages = _county(2)
    existing = _existing(villages, ["V00"], kind="care_home")
    config = PlaceConfig()
    prop = propose_sites(
        villages, kind="care_point", existing=existing, missing_per_town={"T0": 12, "T9": 1},
        crs=UTM, config=config,
    )  # fmt: skip
    assert (prop.sites["town_code"] == "T0").sum() == 9  # the care_home does not block V00
    assert prop.summary["towns"]["T0"]["capped"] is True
    notes = " ".join(prop.summary["notes"])
    assert "capped at 9" in notes and "T9" in notes


def test_candidate_layer_exclusion_and_outside_points():
    villages = _county(3)
    utm = villages.to_crs(UTM)
    pts = list(utm.geometry.representative_point().iloc[[0, 1, 2, 9, 10]])
    pts.append(shapely.Point(250_000, 3_500_000))  # outside the county
    cands = gpd.GeoDataFrame(
        {"exclude": [False, True, False, False, False, False],
         "exclude_reason": ["", "", "", "flood zone", "", ""]},
        geometry=pts, crs=UTM,
    ).to_crs(4326)  # fmt: skip
    existing = _existing(villages, [])
    prop = propose_sites(
        villages, kind="care_point", existing=existing, missing_per_town={"T0": 2, "T1": 1},
        crs=UTM, config=PlaceConfig(), candidates=cands,
    )  # fmt: skip
    assert set(prop.sites["candidate"]) == {0, 2, 4}
    assert (prop.sites["source"] == "candidate").all()
    notes = " ".join(prop.summary["notes"])
    assert "1 candidates lie outside" in notes and "2 candidates excluded" in notes
    with pytest.raises(ModelError, match="cost matrix has 3 columns"):
        propose_sites(
            villages, kind="care_point", existing=existing, missing_per_town={"T0": 1},
            crs=UTM, config=PlaceConfig(), candidates=cands, cost=np.zeros((27, 3)),
        )  # fmt: skip


def test_geographic_crs_rejected_and_cost_callable_used():
    villages = _county(4)
    existing = _existing(villages, [])
    kw = {"kind": "care_point", "existing": existing, "missing_per_town": {"T0": 1}}
    with pytest.raises(CRSError, match="geographic"):
        propose_sites(villages, crs="EPSG:4326", config=PlaceConfig(), **kw)
    calls = []

    def network(a, b):
        calls.append((len(a), len(b)))
        return 3.0 * np.linalg.norm(a[:, None] - b[None], axis=2)  # detours: no neighbour covered

    prop = propose_sites(villages, crs=UTM, config=PlaceConfig(), cost=network, **kw)
    t0 = villages["town_code"] == "T0"
    weights = PlaceConfig().demand_weights(villages)
    assert prop.summary["objective"] == pytest.approx(weights[t0.to_numpy()].max())
    assert calls and calls[0] == (27, 27)


def test_budget_and_full_cover():
    villages = _county(5)
    existing = _existing(villages, ["V11"])
    config = PlaceConfig()
    kw = {"kind": "care_point", "existing": existing, "crs": UTM, "config": config}
    short = propose_budget(villages, missing_per_town={"T0": 1, "T1": 2, "T2": 1}, budget=3, **kw)
    assert len(short.sites) == 3
    assert (short.sites["town_code"].value_counts() <= {"T0": 1, "T1": 2, "T2": 1}["T1"]).all()
    assert (short.sites["town_code"] == "T0").sum() <= 1
    full = propose_full_cover(villages, towns=["T1"], **kw)
    assert (full.sites["town_code"] == "T1").all()
    pts = np.r_[_xy(existing), _xy(full.sites)]
    town = villages[villages["town_code"] == "T1"]
    d = np.linalg.norm(_xy(town)[:, None] - pts[None], axis=2).min(axis=1)
    assert ((d <= 1000.0) | (town["children"].to_numpy() == 0)).all()
    assert len(full.sites) == full.summary["objective"]


def test_write_geojson(tmp_path):
    villages = _county(6)
    prop = propose_sites(
        villages, kind="care_home", existing=_existing(villages, []),
        missing_per_town={"T0": 1, "T2": 1}, crs=UTM, config=PlaceConfig(),
    )  # fmt: skip
    path = prop.write_geojson(tmp_path / "proposed_sites.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["features"]) == 2
    props = data["features"][0]["properties"]
    assert props["kind"] == "care_home" and "新增覆盖儿童" in props["reason"]
    assert props["rank"] == 1 and props["method"] == "milp"
    json.dumps(prop.summary)


def test_place_config_validation():
    cfg = PlaceConfig.from_mapping(
        {"model": "p_median", "weights": {"left_behind": 1.5},
         "time_limit_s": 5, "heuristic_above": 100},
        source="planner.toml",
    )  # fmt: skip
    assert cfg.model == "p_median" and cfg.threshold("care_point") == 1000.0
    with pytest.raises(ConfigError, match=r"\[access.<kind>\] threshold_m"):
        PlaceConfig.from_mapping({"threshold_m": {"care_point": 800}}, source="planner.toml")
    villages = _county(7)
    expected = villages["children"] + 0.5 * villages["left_behind"] + villages["vulnerable"]
    assert np.allclose(cfg.demand_weights(villages), expected)
    with pytest.raises(ConfigError, match="place.model"):
        PlaceConfig.from_mapping({"model": "center"}, source="planner.toml")
    with pytest.raises(ConfigError, match="below children"):
        PlaceConfig.from_mapping({"weights": {"vulnerable": 0.5}}, source="planner.toml")
    with pytest.raises(ConfigError, match="unknown key place.radius"):
        PlaceConfig.from_mapping({"radius": 3}, source="planner.toml")
    with pytest.raises(ConfigError, match="no coverage distance"):
        cfg.threshold("kit")


def test_a_county_whose_task_is_complete_gets_no_proposal_and_no_solver_call(
        mini, monkeypatch, tmp_path):
    """Every town has its care home and every village its care point: 0 missing."""
    import json

    import planner.core._milp
    from planner.cli import main

    def refuse(*_args, **_kwargs):
        raise AssertionError("the solver was called")

    def no_solver():
        monkeypatch.setattr(planner.core._milp, "milp", refuse)

    out = _complete(mini, tmp_path, then=no_solver)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    by_kind = run["proposals"]["by_kind"]
    assert run["proposals"]["sites"] == 0
    for kind in ("care_home", "care_point"):
        assert by_kind[kind]["proposed"] == 0 and by_kind[kind]["method"] == "trivial"
    assert main(["-q", "run", str(mini), "--out", str(tmp_path / "again")]) == 0


def _complete(mini, tmp_path, *, then):
    """The mini workspace with its quota set to what is built (0 missing), run after
    ``then()``."""
    import pandas as pd

    from planner.pipeline import run

    first = run(mini, write=False, echo=lambda _l: None)
    built = first.progress.set_index("quota_town")
    quota = pd.read_csv(mini / "quota.csv", dtype=str)
    quota["关爱之家"] = quota["镇"].map(built["built_care_home"]).fillna(0).astype(int)
    quota["站点"] = quota["镇"].map(built["built_care_point"]).fillna(0).astype(int)
    quota.to_csv(mini / "quota.csv", index=False)
    toml = mini / "planner.toml"  # only the kinds of the table (no statutory station)
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[quota]\n", "[quota]\nstatutory_defaults = false\n", 1), encoding="utf-8")
    then()
    out = tmp_path / "out"
    result = run(mini, out=out, echo=lambda _l: None)
    missing = result.progress.filter(like="missing_")
    assert int(missing.sum().sum()) == 0 and "missing_care_home" in missing.columns
    assert "missing_protection_station" not in missing.columns
    return out
