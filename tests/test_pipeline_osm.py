"""End to end on a real-looking clipped extract: the mini workspace with its roads and water
taken from tests/data/clipped.osm.bz2 (no water layer), distances checked with networkx."""

from __future__ import annotations

import json
import shutil

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner.cli import main
from tests.load.test_osm_clipped import CLIPPED, _nx_graph, _plain_read

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clipped_run(tmp_path_factory):
    from tests.conftest import MINI

    ws = tmp_path_factory.mktemp("ws") / "mini"
    shutil.copytree(MINI, ws)
    shutil.copy(CLIPPED, ws / CLIPPED.name)
    with (ws / "planner.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[roads]\npath = "{CLIPPED.name}"\n')
    out = ws / "out"
    assert main(["run", str(ws), "--out", str(out), "-q"]) == 0
    return ws, out, json.loads((out / "run.json").read_text(encoding="utf-8"))


def test_runs_with_roads_and_water_from_the_extract(clipped_run, capsys):
    ws, out, run = clipped_run
    roads = run["roads"]
    assert roads["ways_cut"] > 0 and roads["missing_nodes"] > 0
    assert roads["nodes"] > 500 and roads["edges"] > roads["nodes"]
    water = roads["water"]
    assert water["merged_with_layer"] is False and water["duplicates"] == 0
    # the box reaches beyond the county: only water touching the county is read
    risk = pd.read_csv(out / "water_risk.csv", dtype=str)
    assert water["added"] == run["water"]["water_bodies"] == risk["water_id"].nunique()
    assert {"pond", "lake", "canal", "coast"} <= set(water["by_type"])
    assert risk["water_id"].str.startswith("osm:").all()
    snapping = run["access"]["snapping"]
    for layer in ("demand", "sites"):
        for mode in ("walk", "drive"):
            s = snapping[layer][mode]
            assert s["points"] > 0 and 0 < s["share_snapped"] <= 1
            assert s["reachable_nodes"] <= s["network_nodes"]
    inputs = {(i["layer"], i["file"]): i for i in run["inputs"]}
    osm_in = inputs[("water_osm", CLIPPED.name)]
    assert osm_in["read"] == osm_in["accepted"] + osm_in["rejected"]


def test_village_distances_equal_networkx(clipped_run):
    from planner.pipeline import run as run_pipeline

    ws_dir = clipped_run[0]
    res = run_pipeline(ws_dir, write=False, echo=lambda _line: None, show_progress=False)
    ws = res.workspace
    nodes, ways = _plain_read(CLIPPED)
    walk, drive = _nx_graph((nodes, ways), ws.county, ws.crs)
    to_m = pyproj.Transformer.from_crs(4326, ws.crs, always_xy=True)

    def xy(ids):
        ll = np.array([nodes[i] for i in ids])
        return np.column_stack(to_m.transform(ll[:, 0], ll[:, 1]))

    vxy = shapely.get_coordinates(ws.villages.to_crs(ws.crs).geometry.representative_point()
                                  .to_numpy())
    table = res.access.villages.set_index("village_code")
    for kind, g in (("care_point", walk), ("care_home", drive)):
        sites = ws.facilities[ws.facilities["kind"] == kind]
        sxy = shapely.get_coordinates(sites.to_crs(ws.crs).geometry.to_numpy())
        dg = g if g.is_directed() else g.to_directed()
        seed = next(iter(max(nx.strongly_connected_components(dg), key=len)))
        origins = sorted(nx.ancestors(dg, seed) | {seed})
        dests = sorted(nx.descendants(dg, seed) | {seed})
        oxy, dxy = xy(origins), xy(dests)
        assert len(sites) and len(vxy)
        for code, p in zip(ws.villages["village_code"], vxy, strict=True):
            dv = np.hypot(*(oxy - p).T)
            lengths = nx.single_source_dijkstra_path_length(dg, origins[int(np.argmin(dv))],
                                                            weight="w")
            best = np.inf
            for q in sxy:
                ds = np.hypot(*(dxy - q).T)
                k = int(np.argmin(ds))
                best = min(best, dv.min() + lengths.get(dests[k], np.inf) + ds[k])
            assert np.isfinite(best)
            assert table.loc[code, f"dist_m_{kind}"] == pytest.approx(best, rel=1e-9, abs=1e-6)
