"""Tables for people: every per-kind field gets its kind's Chinese label, flags become 是/否,
codes their Chinese words, numbers rounded by what they measure — checked cell by cell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from planner.glossary import CHILD_GROUPS, KINDS
from planner.report._labels import FIELDS, for_people, label

PATTERNS = {"sites_": "{}（个）", "dist_m_": "距最近{}（米）", "required_": "{}任务数",
            "built_": "{}已建", "missing_": "{}缺口", "pct_": "{}完成率",
            "missing_after_": "{}建成后缺口", "pct_after_": "{}建成后完成率",
            "covshare_": "{}服务半径内儿童占比", "proposed_": "{}拟新建"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_per_kind_fields_carry_the_kinds_label(kind):
    for prefix, pattern in PATTERNS.items():
        assert label(prefix + kind) == pattern.format(KINDS[kind][0]), prefix
    assert label(f"sites_{kind}x") == f"sites_{kind}x"  # not a kind: left as it is


def test_named_fields_groups_and_unknown_columns():
    for field, text in FIELDS.items():
        assert label(field) == text
    for group, text in CHILD_GROUPS.items():
        assert label(f"{group}_covered") == f"服务半径内{text}"
        assert label(f"share_{group}") == f"服务半径内{text}占比"
    assert label("something_else") == "something_else"
    # two fields share a header only where they are the same thing: a rejected record's
    # file and row (with or without the intake frames' underscore), a water's type label
    shared = {text: sorted(f for f, t in FIELDS.items() if t == text)
              for text in set(FIELDS.values()) if list(FIELDS.values()).count(text) > 1}
    assert shared == {"文件": ["_file", "file"], "行号": ["_row", "row"],
                      "水域类型": ["type_label", "water_type"],
                      "水域（名称或位置）": ["locator", "water_locator"]}


def test_for_people_cell_by_cell():
    frame = pd.DataFrame({
        "village_name": ["东村", "西村", "南村"],
        "has_care_point": [True, False, True],
        "level": ["town", "county", "other"],
        "kind": ["care_point", "care_home", "unknown"],
        "pct_care_point": [87.345, np.inf, 50.0],
        "share_children": [0.12345, 1.0, np.nan],
        "dist_m_care_point": [1234.56, 0.4, np.inf],
        "children": [10.26, 3.0, 0.04],
        "flag": pd.array([True, None, False], dtype="boolean"),
    })
    out = for_people(frame)
    assert list(out.columns) == [label(c) for c in frame.columns]
    assert out["本村有关爱站点"].tolist() == ["是", "否", "是"]
    assert out["层级"].tolist() == ["镇（街道）", "全县（市、区）", "other"]
    assert out["类型"].tolist() == [KINDS["care_point"][0], KINDS["care_home"][0], "unknown"]
    assert out["flag"][0] == "是" and pd.isna(out["flag"][1]) and out["flag"][2] == "否"

    def same(got, want):
        return (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)

    expected = {  # by hand: percentages kept, shares x100, metres whole, others one decimal
        label("pct_care_point"): [87.3, math.nan, 50.0],
        label("share_children"): [12.3, 100.0, math.nan],
        label("dist_m_care_point"): [1235.0, 0.0, math.nan],
        label("children"): [10.3, 3.0, 0.0],
    }
    for column, values in expected.items():
        assert all(same(g, w) for g, w in zip(out[column], values, strict=True)), column
