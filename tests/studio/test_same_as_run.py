"""The studio's figures are ``planner run --scenario``'s: same scenario, same numbers.

On a copy of the demo (roads and water): a scenario adding, moving and removing sites with its
own kit budget and prices is saved by the studio's session and run by the pipeline; the
coverage, the annex totals and the kit figures of the studio equal ``run.json``, and the
studio's suggestion equals the run's proposals.
"""

from __future__ import annotations

import shutil
import time

import pytest

from planner import datasets
from planner.pipeline import run
from planner.studio.engine import Engine
from planner.studio.session import Session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    ws = tmp_path_factory.mktemp("same") / "demo"
    shutil.copytree(datasets.demo(), ws)
    session = Session(Engine(ws))
    base = session.engine.base.facilities
    first_point = base[base["kind"] == "care_point"].iloc[0]
    home = base[base["kind"] == "care_home"].iloc[0]
    rev = session.state()["rev"]
    for body in ({"op": "add", "kind": "care_point", "lon": 120.62, "lat": 32.30},
                 {"op": "add", "kind": "protection_station", "lon": 120.50, "lat": 32.40},
                 {"op": "remove", "facility_id": first_point["facility_id"]},
                 {"op": "move", "facility_id": home["facility_id"],
                  "lon": home.geometry.x + 0.01, "lat": home.geometry.y},
                 {"op": "budget", "budget_yuan": 150_000},
                 {"op": "prices", "prices": {"sign": 350, "site_care_point": 40_000}}):
        rev = session.edit({"rev": rev, **body})["rev"]
    state = session.save("对照方案", rev)
    result = run(ws, out=tmp_path_factory.mktemp("out") / "o", scenario="对照方案",
                 echo=lambda _line: None, show_progress=False)
    return session, state, result


def test_coverage_and_annex_equal_the_run(both):
    _session, state, result = both
    figures, record = state["figures"], result.run
    assert record["scenario"]["name"] == "对照方案" and record["scenario"]["added"] == 2
    for kind, cov in figures["coverage"].items():
        own = record["coverage"][kind]["own_site"]
        assert cov["own_site"] == {"villages": own["villages"],
                                   "villages_total": own["villages_total"],
                                   "villages_pct": own["share_villages"],
                                   "children": own["children"],
                                   "children_pct": own["share_children"]}
        reach = record["coverage"][kind]["within_reach"]
        assert cov["within_reach"]["children"] == reach["children"]
        assert cov["within_reach"]["pct"] == reach["share_children"]
    for kind, total in figures["annex"]["total"].items():
        q = record["quota"][kind]
        assert (total["required"], total["built"], total["missing"], total["pct"]) == (
            q["required"], q["built"], q["missing"], q["percent"])


def test_kits_equal_the_run(both):
    _session, state, result = both
    kits, budget = state["figures"]["kits"], result.run["water"]["budget"]
    assert budget["budget_yuan"] == 150_000 and budget["prices_yuan"]["sign"] == 350
    for key in ("spend_yuan", "new_kits", "fixed_kits", "risk_covered_share", "status"):
        assert kits[key] == budget[key], key


def test_the_suggestion_equals_the_runs_proposals(both):
    session, state, result = both
    job = session.suggest(state["rev"])["job"]
    deadline = time.monotonic() + 120
    while (answer := session.jobs[job].poll())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert answer["state"] == "done", answer
    got = sorted((s["kind"], round(s["lon"], 5), round(s["lat"], 5))
                 for s in answer["result"]["sites"])
    props = result.proposals.to_crs("EPSG:4326")
    want = sorted((k, round(p.x, 5), round(p.y, 5))
                  for k, p in zip(props["kind"], props.geometry, strict=True))
    assert got == want and got
    for kind, summary in result.place_summary.items():
        assert answer["result"]["by_kind"][kind]["proposed"] == int(
            summary.get("proposed", 0) or 0)
