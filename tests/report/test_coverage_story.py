"""One coverage story: the two measures carry the same figures in every output."""

import json

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from PIL import Image

from planner.measure.coverage import coverage_story, story_lines
from planner.report.summary import print_summary
from planner.report.webmap import layers_from_result


def _brute_story(result):
    """Both measures recomputed from the facilities, villages and coverage.csv."""
    fac = result.workspace.facilities
    with_point = set(fac.loc[fac["kind"] == "care_point", "village_code"])
    vil = result.workspace.villages
    own = vil["village_code"].isin(with_point)
    kids = vil["children"].astype(float)
    cov = pd.read_csv(result.out / "coverage.csv")
    county = cov[(cov["level"] == "county") & (cov["kind"] == "care_point")].iloc[0]
    return {"villages": int(own.sum()), "villages_total": len(vil),
            "own_children": round(kids[own].sum()), "children_total": round(kids.sum()),
            "reach_children": round(county["children_covered"]),
            "reach_share": round(100 * county["share_children"], 1)}


def test_story_figures_agree_in_every_output(demo_result):
    out = demo_result.out
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    story = run["coverage"]["care_point"]
    own, reach = story["own_site"], story["within_reach"]
    brute = _brute_story(demo_result)
    assert (own["villages"], own["villages_total"]) == (brute["villages"],
                                                        brute["villages_total"])
    assert own["children"] == brute["own_children"]
    assert reach["children"] == brute["reach_children"]
    assert reach["share_children"] == brute["reach_share"]
    assert own["share_villages"] == round(100 * own["villages"] / own["villages_total"], 1)
    # terminal
    lines: list[str] = []
    print_summary(demo_result, echo=lines.append)
    wanted = story_lines(run["coverage"])
    assert all(line in lines for line in wanted)
    # report.html
    page = (out / "report.html").read_text(encoding="utf-8")
    assert all(line in page for line in wanted)
    assert f"{reach['share_children']}%" in page and f"{own['share_villages']}%" in page
    # progress.xlsx
    ws = load_workbook(out / "progress.xlsx")["覆盖情况"]
    rows = {r[1]: r for r in ws.iter_rows(values_only=True) if r[0] == "村（居）儿童关爱站点"}
    assert rows["本村有站点"][2] == f"{own['villages']}/{own['villages_total']}"
    assert rows["本村有站点"][3] == own["share_villages"] / 100
    assert rows["服务半径内"][4] == reach["children"]
    assert rows["服务半径内"][6] == reach["share_children"] / 100
    # the PNG map's subtitle (stored as PNG text)
    text = Image.open(out / "map_coverage.png").text["Description"]
    assert f"{own['villages']}/{own['villages_total']}" in text
    assert f"{reach['children']:,}/{reach['children_total']:,}" in text
    assert f"{reach['share_children']:.1f}%" in text
    # map.html popups are built from the same layer columns
    layers = layers_from_result(demo_result)
    assert coverage_story(layers.villages, kinds=("care_point",))["care_point"]["own_site"] \
        == {k: v for k, v in own.items()}
    assert coverage_story(layers.villages, kinds=("care_point",))["care_point"][
        "within_reach"]["children"] == reach["children"]


def test_proposals_count_children_with_the_coverage_demand_model(demo_result):
    run = demo_result.run
    props = demo_result.proposals
    for kind, summary in run["proposals"]["by_kind"].items():
        if "children_newly_covered" not in summary:
            continue
        per_site = props.loc[props["kind"] == kind, "children_newly_covered"].to_numpy()
        assert abs(per_site.sum() - summary["children_newly_covered"]) <= len(per_site)
        assert np.all(per_site >= 0)
    html = (demo_result.out / "report.html").read_text(encoding="utf-8")
    assert "covers" not in html and "more children" not in html
