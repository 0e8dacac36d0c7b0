"""Every written cell is safe: formula-like text neutralised (OWASP CSV injection: a leading
``=``, ``+``, ``-``, ``@``, tab or carriage return), plain numbers left alone, personal
columns dropped and ID / phone numbers masked — the vectorised writer's guard checked cell
by cell against a plain loop."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.records.privacy import MASK, PERSONAL_VALUE
from planner.report.safe import neutralise, neutralise_column, safe_frame

#: what a spreadsheet evaluates: the first character decides
STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def _cell(value):
    """One written cell, by hand: mask, then quote what a spreadsheet would evaluate."""
    if not isinstance(value, str):
        return value
    value = PERSONAL_VALUE.sub(MASK, value)  # what is personal: tests/records/test_privacy.py
    if value[:1] in STARTS and not NUMBER.fullmatch(value):
        return "'" + value
    return value


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-3.5", "-3.5"), ("+12%", "+12%"), ("-1e3", "-1e3"), (".5", ".5"),
    ("如城街道", "如城街道"), ("a=b", "a=b"), ("", ""), (-3, -3), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected == _cell(value)


text_cells = st.one_of(
    st.text(alphabet=st.sampled_from(list("=+-@\t\r .%e0123456789镇村站abcX")), max_size=8),
    st.sampled_from(["13912345678", "联系 13912345678", "320682199001011234", "-13912345678",
                     "0513-87654321", "=0513-87654321", "a@b.cn", "+8613912345678", "12.5",
                     "-0.5%", "东村儿童之家"]),
    # numbers of one type (equal numbers of different types: the known issue below)
    st.none(), st.integers(-5, 5), st.just(float("nan")))


@settings(max_examples=50)  # each example builds frames: keep the default run short
@given(cells=st.lists(text_cells, min_size=1, max_size=12))
def test_safe_frame_equals_a_cell_by_cell_loop(cells):
    frame = pd.DataFrame({"name": pd.Series(cells, dtype=object),
                          "count": np.arange(len(cells)),
                          "联系电话": ["13912345678"] * len(cells)})
    out = safe_frame(frame)
    assert list(out.columns) == ["name", "count"]  # the phone column is dropped
    assert out["count"].tolist() == list(range(len(cells)))
    for got, value in zip(out["name"].tolist(), cells, strict=True):
        assert _same(got, _cell(value)), (value, got)
    # the vectorised column guard and the scalar one agree
    column = neutralise_column(pd.Series(cells, dtype=object)).tolist()
    assert all(_same(a, neutralise(v)) for a, v in zip(column, cells, strict=True))


def _same(got, want) -> bool:
    """Equal and of the same type (NaN equal to NaN)."""
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return got == want and type(got) is type(want)


def test_numbers_stored_as_text_or_numbers_stay_numbers():
    frame = pd.DataFrame({"pct": ["-3.5", "+12%", "=1+1"], "mixed": [-3, "-3", "-x"],
                          "value": [-1.5, 2.0, -3.0]})
    out = safe_frame(frame)
    assert out["pct"].tolist() == ["-3.5", "+12%", "'=1+1"]
    assert out["mixed"].tolist() == [-3, "-3", "'-x"]
    assert out["value"].tolist() == [-1.5, 2.0, -3.0] and out["value"].dtype == float


def test_headers_and_formulas_flag():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["=1+1"], "备注": ["身份证 320682199001011234"]})
    out = safe_frame(frame)
    assert list(out.columns) == ["'=cmd|' /C calc'!A0", "备注"]
    assert out.iloc[0].tolist() == ["'=1+1", f"身份证 {MASK}"]
    # for formats that are not opened by a spreadsheet (GeoPackage): masked, not quoted
    plain = safe_frame(frame, formulas=False)
    assert list(plain.columns) == list(frame.columns)
    assert plain.iloc[0].tolist() == ["=1+1", f"身份证 {MASK}"]


def test_counts_of_people_are_kept_and_geometry_untouched():
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"儿童主任人数": [3, 0], "监护人": ["张三", "李四"],
                              "name": ["=x", "东村"]},
                             geometry=[Point(120.5, 32.3), Point(120.6, 32.4)], crs=4326)
    out = safe_frame(frame)
    assert list(out.columns) == ["儿童主任人数", "name", "geometry"]
    assert out["name"].tolist() == ["'=x", "东村"]
    assert out.geometry.equals(frame.geometry) and out.crs == frame.crs
    assert frame["name"].tolist() == ["=x", "东村"]  # the input is not changed


def test_equal_numbers_of_different_types_keep_their_type():
    """pandas.factorize takes 1, 1.0 and True for one value; each cell keeps its own."""
    values = ["=x", 0, 0.0, True, 1, 1.0]
    out = safe_frame(pd.DataFrame({"v": pd.Series(values, dtype=object)}))["v"].tolist()
    assert [(v, type(v)) for v in out] == [(v, type(v)) for v in ["'=x", *values[1:]]]
