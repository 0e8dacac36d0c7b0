"""The two coverage measures of a kind — 村（居）覆盖率 (villages with a site inside) and
服务半径内儿童占比 (children within reach) — against a village-by-village count, and the
sentences printed from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.glossary import KINDS
from planner.measure.coverage import (
    MEASURES,
    coverage_story,
    own_site_mask,
    story_lines,
    within_reach_children,
)

villages_st = st.lists(
    st.tuples(st.integers(0, 500),                        # children
              st.integers(0, 3),                          # care points inside
              st.floats(0.0, 1.0, allow_nan=False)),      # share of children within reach
    min_size=1, max_size=12)


def _frame(rows, *, reach: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"village_code": [f"v{i}" for i in range(len(rows))],
                          "children": [r[0] for r in rows],
                          "sites_care_point": [r[1] for r in rows]})
    if reach:
        frame["covshare_care_point"] = [r[2] for r in rows]
    return frame


def _pct(part, whole):
    return None if whole == 0 else round(100.0 * part / whole, 1)


@given(rows=villages_st)
def test_both_measures_equal_a_village_by_village_count(rows):
    story = coverage_story(_frame(rows), kinds=("care_point",),
                           thresholds={"care_point": 1000.0}, method="network")
    own_villages = own_children = total = 0
    reach = 0.0
    for children, sites, share in rows:
        total += children
        if sites > 0:
            own_villages += 1
            own_children += children
        reach += children * share
    own = story["care_point"]["own_site"]
    assert own == {"name": MEASURES["own_site"], "villages": own_villages,
                   "villages_total": len(rows),
                   "share_villages": _pct(own_villages, len(rows)),
                   "children": own_children, "children_total": total,
                   "share_children": _pct(own_children, total)}
    within = story["care_point"]["within_reach"]
    assert within["name"] == MEASURES["within_reach"]
    # rounded once (sums may differ in the last bit from this loop's order)
    assert abs(within["children"] - reach) <= 0.5 + 1e-6 and within["children_total"] == total
    if total:
        assert abs(within["share_children"] - 100.0 * reach / total) <= 0.05 + 1e-6
    else:
        assert within["share_children"] is None
    assert (within["threshold_m"], within["method"]) == (1000.0, "network")


def test_default_kinds_are_the_village_level_kinds_of_the_glossary():
    village_kinds = [k for k, (_label, level) in KINDS.items() if level == "village"]
    frame = _frame([(10, 1, 0.5), (30, 0, 1.0)])
    assert list(coverage_story(frame)) == village_kinds
    assert "care_point" in village_kinds and "care_home" not in village_kinds


def test_before_the_access_stage_there_is_no_within_reach():
    frame = _frame([(10, 1, 0.5), (30, 0, 1.0)], reach=False)
    story = coverage_story(frame, kinds=("care_point",))
    assert story["care_point"]["within_reach"] is None
    assert within_reach_children(frame, kind="care_point") is None


def test_own_site_from_has_care_point_and_blank_cells():
    frame = pd.DataFrame({"children": [5, None, "7"], "has_care_point": [True, None, False]})
    np.testing.assert_array_equal(own_site_mask(frame, kind="care_point"), [True, False, False])
    frame["covshare_care_point"] = [1.0, 1.0, None]
    np.testing.assert_array_equal(within_reach_children(frame, kind="care_point"),
                                  [5.0, 0.0, 0.0])  # no children known, no share known
    with pytest.raises(KeyError, match="sites_care_home"):
        own_site_mask(frame, kind="care_home")
    story = coverage_story(frame, kinds=("care_point",))["care_point"]
    assert story["own_site"]["children_total"] == 12 and story["own_site"]["children"] == 5


def test_a_county_without_children_has_no_shares():
    story = coverage_story(_frame([(0, 1, 1.0), (0, 0, 0.0)]), kinds=("care_point",))
    own = story["care_point"]["own_site"]
    assert own["share_villages"] == 50.0 and own["share_children"] is None
    assert story["care_point"]["within_reach"]["share_children"] is None
    assert story_lines(story)[0].startswith(f"{MEASURES['own_site']} 50.0%（1/2）：")
    assert story_lines(story)[1].startswith(f"{MEASURES['within_reach']} —（0/0 人）：")


def test_sentences_carry_the_figures_of_the_story():
    frame = _frame([(1200, 1, 1.0), (800, 0, 0.25), (1000, 2, 0.5)])
    story = coverage_story(frame, kinds=("care_point",), thresholds={"care_point": 1000.0},
                           method="straight_line")
    own_line, reach_line = story_lines(story)
    own, reach = story["care_point"]["own_site"], story["care_point"]["within_reach"]
    assert (own["villages"], own["children"], own["children_total"]) == (2, 2200, 3000)
    assert reach["children"] == 1200 + 200 + 500
    site = KINDS["care_point"][0]
    assert own_line == (f"{MEASURES['own_site']} 66.7%（2/3）：本村（居）建有{site}的村（居）占"
                        "全部村（居）的比例（含不在任务表中的镇级单位；不同于任务表的完成率 = "
                        "已建 ÷ 任务数）")
    assert reach_line.startswith(f"{MEASURES['within_reach']} 63.3%（1,900/3,000 人）：")
    assert "1000 米" in reach_line
