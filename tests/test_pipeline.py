"""The whole run: outputs of the contract, the ledger balanced, defects handled."""

import json

import numpy as np
import pandas as pd


def test_outputs_written(demo_result):
    out = demo_result.out
    for name in ["run.json", "progress.xlsx", "progress.csv", "villages.csv", "rejected.csv",
                 "repairs.csv", "facilities.csv"]:
        assert (out / name).exists(), name


def test_run_json_reconciles_every_layer(demo_result):
    run = json.loads((demo_result.out / "run.json").read_text(encoding="utf-8"))
    for item in run["inputs"]:
        assert item["read"] == item["accepted"] + item["rejected"], item
    rejected = pd.read_csv(demo_result.out / "rejected.csv")
    assert len(rejected) == sum(i["rejected"] for i in run["inputs"])
    assert run["quota"]["care_point"]["required"] == 347
    assert set(run["timings_s"]) >= {"load + validate", "locate", "measure"}


def test_planted_defects_each_handled(demo_result):
    rejected = pd.read_csv(demo_result.out / "rejected.csv")
    repairs = pd.read_csv(demo_result.out / "repairs.csv")
    reasons = " ".join(rejected["reason"])
    notes = " ".join(repairs["note"])
    assert "outside the county" in reasons
    assert (rejected["reason"].str.contains("duplicate of")).sum() == 2
    assert "unknown facility kind" in reasons
    assert "exceeds its total" in reasons
    assert "village_code not in the villages layer" in reasons
    assert (repairs["note"].str.contains("swapped")).sum() == 2
    assert "invalid polygon repaired" in notes
    run = demo_result.run
    assert len(run["located_disagreements"]) >= 2
    matched = {m["quota_town"]: m["match"] for m in run["quota_matching"]}
    assert matched["城北街道"] == matched["城南街道"] == "alias"
    assert any("如城街道" in f and "34" in f and "35" in f for f in run["findings"])
    encodings = {i["file"]: i["encoding"] for i in run["inputs"]}
    assert encodings["facilities_2021.csv"] == "gb18030"


def test_bd09_and_gcj02_rows_land_where_they_belong(mini_result):
    fac = mini_result.workspace.facilities.set_index("name")
    assert fac.loc["西村儿童之家", "_datum"] == "bd09"
    assert fac.loc["西村儿童之家", "village_name"] == "西村"
    assert fac.loc["东村儿童之家", "village_name"] == "东村"
    assert fac.loc["南村儿童之家", "town_name"] == "乙水镇"
    assert not fac.loc["南村儿童之家", "town_agrees"]


def test_no_personal_data_columns_in_outputs(demo_result):
    for name in ["villages.csv", "facilities.csv", "progress.csv"]:
        cols = " ".join(pd.read_csv(demo_result.out / name, nrows=1).columns).lower()
        for word in ["身份证", "电话", "phone", "id_number", "姓名"]:
            assert word not in cols


def test_stage_outputs_and_run_json(demo_result):
    out = demo_result.out
    for name in ["coverage.csv", "proposed_sites.geojson", "water_risk.csv", "planner.gpkg",
                 "map.html", "report.html", "map_quota.png",
                 "proposed_kits.geojson", "requisition.csv", "patrol_plan.csv",
                 "patrol_routes.csv", "water_actions.xlsx"]:
        assert (out / name).exists(), name
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["roads"]["source"] == "roads.osm" and run["roads"]["nodes"] > 10_000
    assert run["access"]["method"] == "network"
    shares = run["access"]["county_shares"]["care_point"]
    assert 0 < shares["children"] < 1
    assert run["proposals"]["sites"] == len(demo_result.proposals)
    w = run["water"]
    # issue 13 acceptance on the demo: the budget holds, the curve rises to full coverage,
    # tiers have their shares, the Yangtze is 一级, weekly patrol hours stay under the cap
    b = w["budget"]
    assert 0 < b["spend_yuan"] <= b["budget_yuan"] and b["risk_covered"] > 0
    assert b["status"] == "optimal" or b["gap"] < 0.01
    cov = [p["risk_covered"] for p in w["budget_curve"]]
    assert cov == sorted(cov) and w["budget_curve"][-1]["risk_covered_share"] == 1.0
    assert all(p["status"] in ("optimal", "carried", "full_coverage") or p["gap"] > 0
               for p in w["budget_curve"])
    wr = pd.read_csv(out / "water_risk.csv", dtype={"water_id": str})
    n = len(wr)
    tiers = wr["tier"].value_counts()
    lifted = int((wr["high_consequence"] & (wr["tier"] == "A")).sum())
    assert np.ceil(0.05 * n) <= tiers["A"] <= np.ceil(0.05 * n) + lifted
    assert tiers["B"] <= np.ceil(0.15 * n) + 1
    # the demo's 长江 runs along the county's bounding box, kilometres outside its outline
    # but where it touches one town: measured on its part inside, it is a short stretch
    yangtze = wr.loc[wr["name"] == "长江"].iloc[0]
    assert yangtze["bank_m"] < 5000 and w["clipped"]["waters_cut"] >= 1
    # high-consequence waters people reach are 一级 and have risky bank at their access
    # points whatever the cut-offs
    hc = wr[wr["high_consequence"] & (np.minimum(wr["home_m"], wr["school_m"]) <= 500)]
    assert len(hc) >= 5 and (hc["tier"] == "A").all() and (hc["risky_bank_m"] > 0).all()
    lonely = wr[(wr["type"] == "pond") & (wr["children_500"] == 0)]
    assert (hc["rank"].max() < lonely["rank"]).all()
    assert w["high_consequence_access_bank_m"] > 0
    # one rule for a complete kit (four items, rope >= min_rope_m) in run.json, the
    # GeoPackage and the actions sheet
    import geopandas as gpd

    kits = gpd.read_file(out / "planner.gpkg", layer="kits")
    ek = w["existing_kits"]
    assert int(kits["complete"].sum()) == ek["complete"]
    assert ek["complete"] + ek["partial"] + ek["short_rope"] == len(kits)
    assert ek["not_on_a_bank"] == 0
    acts = pd.read_excel(out / "water_actions.xlsx", sheet_name="器材不全", header=1)
    assert len(acts) == len(kits) - ek["complete"]
    # waters are named for people by name or locator, never by an id
    import re

    ids = re.compile(r"W\d{6}|osm:(?:way|relation)/")
    every = pd.read_excel(out / "water_actions.xlsx", sheet_name="村级行动清单", header=1)
    assert not every.astype(str).apply(lambda c: c.str.contains(ids)).any().any()
    routes = pd.read_csv(out / "patrol_routes.csv", dtype=str)
    assert not routes["water_names"].str.contains(ids).any()
    html = re.sub(r"data:image/[^'\"]+", "", (out / "report.html").read_text(encoding="utf-8"))
    assert not ids.search(html)
    assert wr["locator"].str.len().gt(0).all()
    assert w["patrol"]["max_week_hours"] <= w["patrol"]["week_hours_cap"]
    for stage in ["roads", "access", "propose", "water", "report"]:
        assert stage in run["timings_s"]


def test_proposals_fill_each_town_quota_inside_the_town(demo_result):
    import shapely

    sites = demo_result.proposals
    towns = demo_result.workspace.towns.set_index("town_code")
    new = sites[sites["method"] != "upgrade"]
    inside = [shapely.contains(towns.geometry[t], g) for t, g in zip(new["town_code"],
                                                                      new.geometry, strict=True)]
    assert all(inside)
    p = demo_result.progress.set_index("town_code")
    per_town = sites[sites["kind"] == "care_point"].groupby("town_code").size()
    for code, n in per_town.items():
        assert n <= p.loc[code, "missing_care_point"]
    assert (p["missing_after_care_point"] <= p["missing_care_point"]).all()


def test_check_catches_bad_stage_values(mini, capsys):
    from planner.cli import main

    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[place]\nmodel = \"best\"\n",
                    encoding="utf-8")
    assert main(["check", str(mini)]) == 2
    assert "place.model" in capsys.readouterr().err


def test_straight_line_fallback_is_stated(mini_result):
    assert mini_result.run["access"]["method"] == "straight_line"
    assert mini_result.run["roads"]["source"] is None
    assert "straight-line" in mini_result.run["roads"]["note"]
    assert (mini_result.villages["distance_method"] == "straight_line").all()


def test_online_failure_is_one_line(mini, monkeypatch, capsys):
    import planner.load.online
    from planner.cli import main

    def offline(_polygon):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(planner.load.online, "fetch_osm", offline)
    assert main(["run", str(mini), "--online", "--out", str(mini / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "without --online" in err


def test_gpkg_holds_every_map_layer(demo_result):
    import pyogrio

    from planner.report.webmap import layers_from_result

    names = {name for name, _geom in pyogrio.list_layers(demo_result.out / "planner.gpkg")}
    assert {"towns", "villages", "facilities"} <= names
    layers = layers_from_result(demo_result)
    expected = {"proposed_sites": demo_result.proposals, "kits": layers.kits,
                "proposed_kits": None if demo_result.water is None
                else demo_result.water.proposed_kits}
    for name, frame in expected.items():
        assert (name in names) == (frame is not None and len(frame) > 0), name
    # the water, one layer per geometry type, together every water body once
    water = [pyogrio.read_dataframe(demo_result.out / "planner.gpkg", layer=name)
             for name in ("water_areas", "water_lines", "water_points") if name in names]
    assert sum(len(w) for w in water) == len(layers.water)
    assert all("tier" in w.columns for w in water)
    # Chinese field aliases (GeoPackage schema extension) beside the stable English names
    import sqlite3

    con = sqlite3.connect(demo_result.out / "planner.gpkg")
    aliases = dict(((t, c), n) for t, c, n in con.execute(
        "SELECT table_name, column_name, name FROM gpkg_data_columns"))
    assert con.execute("SELECT count(*) FROM gpkg_extensions WHERE extension_name = "
                       "'gpkg_schema'").fetchone()[0] == 1
    con.close()
    assert aliases[("towns", "pct_care_point")] == "村（居）儿童关爱站点完成率"
    assert aliases[("villages", "children")] == "儿童数"
    assert aliases[("facilities", "village_name")] == "村（居）"
