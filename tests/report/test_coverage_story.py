"""One coverage story: the two measures carry the same figures in every output."""

import html
import json
import re

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from PIL import Image

from planner.measure.coverage import coverage_story
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


_VILLAGES = re.compile(r"村（居）覆盖率 (\d+\.\d)%（(\d+)/(\d+)）")
_REACH = re.compile(r"服务半径内儿童占比 (\d+\.\d)%（([\d,]+)/([\d,]+) 人）")


def _figures(pattern: re.Pattern, text: str) -> set[tuple[str, ...]]:
    return {tuple(m) for m in pattern.findall(text)}


def test_story_figures_agree_in_every_output(demo_result):
    """The village-coverage figure reads the same (name, share, villages) in the terminal,
    run.json, report.html, progress.xlsx, the PNG map's title text and map.html; so does
    the within-reach figure where it is shown; both equal a brute-force count."""
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
    assert own["name"] == "村（居）覆盖率" and reach["name"] == "服务半径内儿童占比"
    want = {(f"{own['share_villages']:.1f}", str(own["villages"]), str(own["villages_total"]))}
    want_reach = {(f"{reach['share_children']:.1f}", f"{reach['children']:,}",
                   f"{reach['children_total']:,}")}
    lines: list[str] = []
    print_summary(demo_result, echo=lines.append)
    wb = load_workbook(out / "progress.xlsx")
    xlsx = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str))
    outputs = {
        "terminal": "\n".join(lines),
        "report.html": html.unescape((out / "report.html").read_text(encoding="utf-8")),
        "progress.xlsx": xlsx,
        "map_coverage.png": "\n".join(Image.open(out / "map_coverage.png").text.values()),
        "map.html": html.unescape((out / "map.html").read_text(encoding="utf-8")),
    }
    for name, text in outputs.items():
        assert _figures(_VILLAGES, text) == want, name
        if name != "map.html":
            assert _figures(_REACH, text) == want_reach, name
        assert "本村有站点的村" not in text, name  # the old name of the same figure
    # the terminal's town table and the annex end in the same county figure
    total = next(line for line in lines if line.startswith("合计"))
    assert total.endswith(f"{own['villages']}/{own['villages_total']}")
    cached = load_workbook(out / "progress.xlsx", data_only=True)["任务进度"]
    heads = [cached.cell(4, c).value for c in range(1, cached.max_column + 1)]
    col = heads.index("覆盖率") + 1
    row = next(r for r in range(5, cached.max_row + 1) if cached.cell(r, 1).value == "合计")
    assert cached.cell(row, col).value == round(own["share_villages"] / 100, 6)
    # the 覆盖情况 sheet's figures, as numbers
    ws = load_workbook(out / "progress.xlsx")["覆盖情况"]
    rows = {r[1]: r for r in ws.iter_rows(values_only=True) if r[0] == "村（居）儿童关爱站点"}
    assert rows["村（居）覆盖率"][3] == f"{own['villages']}/{own['villages_total']}"
    assert rows["村（居）覆盖率"][4] == own["share_villages"] / 100
    assert rows["服务半径内儿童占比"][5] == reach["children"]
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
