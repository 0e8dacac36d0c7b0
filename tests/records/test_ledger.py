"""The ledger: read = accepted + rejected per file, reconcile finds an imbalance, and a
rejected record shows only the columns the planner knows (never personal ones)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.records.ledger import Ledger, describe, describe_rows
from planner.records.privacy import MASK
from tests.conftest import MINI


@pytest.fixture(scope="module")
def checked():
    """The mini workspace loaded, validated and located (what ``planner check`` does)."""
    ws, _quota = planner.check(planner.load_settings(MINI))
    return ws


def _raw_rows(path, encoding):
    """Data rows of a CSV file, numbered as the ledger numbers them (the header is row 1)."""
    with open(path, encoding=encoding, newline="") as f:
        rows = list(csv.reader(f))
    return {i: dict(zip(rows[0], r, strict=True)) for i, r in enumerate(rows[1:], start=2)}


def test_mini_every_file_balances(checked):
    ledger = checked.ledger
    assert ledger.reconcile() == []
    for c in ledger.summary():
        assert c["read"] == c["accepted"] + c["rejected"], c
    rejected = ledger.rejected_frame()
    per_file = rejected.groupby(["layer", "file"]).size().to_dict()
    for (layer, file), c in ledger.counts.items():
        assert c["rejected"] == per_file.get((layer, file), 0)


def test_mini_facilities_each_row_used_or_rejected_once(checked):
    """Brute force on the raw file: every data line is accepted or rejected, never both."""
    raw = _raw_rows(MINI / "facilities.csv", "gb18030")
    counts = checked.ledger.counts[("facilities", "facilities.csv")]
    assert counts["read"] == len(raw) == 9 and counts["encoding"] == "gb18030"
    accepted = set(checked.facilities["_row"])
    rejected = checked.ledger.rejected_frame().query("file == 'facilities.csv'")
    assert accepted.isdisjoint(rejected["row"]) and rejected["row"].is_unique
    assert accepted | set(rejected["row"]) == set(raw)
    assert counts["accepted"] == len(accepted)
    # each rejected record describes its own line of the file
    for row, record in zip(rejected["row"], rejected["record"], strict=True):
        assert f"name={raw[row]['名称']}" in record
    reasons = dict(zip(rejected["row"], rejected["reason"], strict=True))
    assert "unknown facility kind" in reasons[9]        # 儿童活动室
    assert "outside the county" in reasons[8]           # 外县儿童之家, 121.0 E
    assert "duplicate of facilities.csv row 2" in reasons[10]


def test_reconcile_finds_an_imbalance():
    ledger = Ledger()
    rows = pd.DataFrame({"_row": [2, 3], "name": ["甲", "乙"]})
    ledger.read("sites", "a.csv", 5, shown=["name"])
    ledger.reject("sites", "a.csv", rows, "bad")
    ledger.accept("sites", "a.csv", 3)
    ledger.read("towns", "t.geojson", 2)
    ledger.accept("towns", "t.geojson", 2)
    assert ledger.reconcile() == []
    ledger.accept("sites", "a.csv", 2)                  # one record lost
    assert ledger.reconcile() == ["sites/a.csv: read 5 != accepted 2 + rejected 2"]
    ledger.read("towns", "t.geojson", 3)                # read again, nothing accepted yet
    assert len(ledger.reconcile()) == 2


def test_reject_each_needs_one_reason_per_row():
    ledger = Ledger()
    ledger.read("sites", "a.csv", 2)
    with pytest.raises(ValueError, match="2 rows but 1 reasons"):
        ledger.reject_each("sites", "a.csv", pd.DataFrame({"_row": [2, 3]}), ["only one"])
    assert ledger.counts[("sites", "a.csv")]["rejected"] == 0 and ledger.rejected == []


def test_describe_shows_only_known_columns_and_masks_numbers():
    record = pd.Series({"_row": 4, "name": "东村儿童之家 13912345678", "kind": "care_point",
                        "负责人": "张三", "电话": "13912345678", "note": "nan",
                        "geometry": "POINT (1 2)"})
    text = describe(record, allowed={"name", "kind", "note"})
    assert text == f"name=东村儿童之家 {MASK}; kind=care_point"
    assert describe(record, allowed=set()) == ""
    long = describe(pd.Series({"name": "村" * 300}), allowed={"name"}, limit=20)
    assert len(long) == 20 and long.endswith("…")


def test_rejected_csv_never_shows_an_unknown_column():
    ledger = Ledger()
    rows = pd.DataFrame({"_row": [2, 3], "name": ["甲站", "乙站"], "监护人": ["张三", "李四"],
                         "备注": ["身份证 11010519491231002X", "x"]})
    ledger.read("sites", "a.csv", 2, shown=["name"])
    ledger.reject("sites", "a.csv", rows, "outside the county")
    frame = ledger.rejected_frame()
    assert list(frame.columns) == ["layer", "file", "row", "reason", "record"]
    assert frame["record"].tolist() == ["name=甲站", "name=乙站"]
    assert frame["row"].tolist() == [2, 3]
    text = frame.to_csv()
    assert "张三" not in text and "11010519491231002X" not in text and "监护人" not in text


def test_repairs_counted_per_file():
    ledger = Ledger()
    ledger.read("sites", "a.csv", 3)
    ledger.read("sites", "b.csv", 1)
    ledger.repair("sites", "a.csv", [2, 4], "swapped")
    ledger.repair("sites", "b.csv", [2], "swapped")
    ledger.accept("sites", "a.csv", 3)
    ledger.accept("sites", "b.csv", 1)
    assert [c["repaired"] for c in ledger.summary()] == [2, 1]
    assert ledger.repairs_frame()["row"].tolist() == [2, 4, 2]


def test_withheld_columns_become_one_finding_naming_no_value():
    ledger = Ledger()
    ledger.withhold("sites", "a.csv", ["负责人", "电话"], 3)
    ledger.withhold("towns", "t.csv", [], 0)            # nothing withheld: no finding
    (finding,) = ledger.findings()
    assert "a.csv" in finding and "负责人、电话" in finding and "3" in finding


_cell = st.one_of(st.text(max_size=12), st.integers(-10**12, 10**12).map(str),
                  st.just("nan"), st.just(""), st.sampled_from(["13912345678", "张三"]))


@settings(max_examples=60, deadline=None)
@given(table=st.lists(st.tuples(_cell, _cell, _cell), min_size=1, max_size=6),
       allowed=st.sets(st.sampled_from(["name", "kind", "联系人"])),
       limit=st.integers(5, 80))
def test_describe_rows_is_describe_of_each_row(table, allowed, limit):
    """The vectorised form gives, row by row, what :func:`describe` gives."""
    rows = pd.DataFrame(table, columns=["name", "kind", "联系人"])
    rows.insert(0, "_row", range(2, len(rows) + 2))
    expected = [describe(r, allowed=allowed, limit=limit) for _, r in rows.iterrows()]
    assert describe_rows(rows, allowed=allowed, limit=limit) == expected
    for text in expected:
        for col in {"name", "kind", "联系人"} - allowed:
            assert f"{col}=" not in text


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 30), data=st.data())
def test_read_is_accepted_plus_rejected(n, data):
    """Reject any subset of the rows (one reason each) and accept the rest: it balances;
    accepting one more or one fewer does not."""
    rows = pd.DataFrame({"_row": range(2, n + 2), "name": [f"站{i}" for i in range(n)]})
    bad = data.draw(st.lists(st.sampled_from(range(n)), unique=True) if n else st.just([]))
    ledger = Ledger()
    ledger.read("sites", "a.csv", n, shown=["name"])
    ledger.reject_each("sites", "a.csv", rows.iloc[bad], [f"reason {i}" for i in bad])
    ledger.accept("sites", "a.csv", n - len(bad))
    assert ledger.reconcile() == []
    assert sorted(r["row"] for r in ledger.rejected) == sorted(i + 2 for i in bad)
    ledger.accept("sites", "a.csv", n - len(bad) + data.draw(st.sampled_from([-1, 1])))
    assert len(ledger.reconcile()) == 1
