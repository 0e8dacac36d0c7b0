"""Staff: directors per village (more where many children), supervisors per town, training."""

import math

import pandas as pd
import pytest

from planner._errors import InputFileError
from planner.measure.staff import directors_required, staff_progress

VILLAGES = pd.DataFrame({"village_code": ["11", "12", "13", "21"],
                         "town_code": ["1", "1", "1", "2"],
                         "children": [300, 1250, 80, 500]})
STAFF = pd.DataFrame({
    "code": ["11", "11", "12", "1", "21", "2", "2"],
    "role": ["儿童主任", "child_director", "儿童主任", "儿童督导员", "儿童主任", "儿童督导员",
             "儿童督导员"],
    "count": [1, 1, 2, 1, 1, 1, 1], "trained": [1, 0, 2, 1, 0, 1, 0]})


def _brute(villages, staff, per):
    out = {}
    for town in sorted(set(villages["town_code"])):
        need = have = without = people = trained = 0
        for v in villages[villages["town_code"] == town].itertuples():
            n = 1 if per is None else 1 + max(0, math.ceil((v.children - per) / per))
            rows = [s for s in staff.itertuples() if s.code == v.village_code]
            h = sum(s.count for s in rows)
            need, have = need + n, have + min(h, n)
            without += h == 0
            people += h
            trained += sum(s.trained for s in rows)
        sups = [s for s in staff.itertuples() if s.code == town]
        people += sum(s.count for s in sups)
        trained += sum(s.trained for s in sups)
        out[town] = (need, have, need - have, without, min(sum(s.count for s in sups), 1),
                     people, trained)
    return out


@pytest.mark.parametrize("per", [None, 500])
def test_staff_against_a_village_by_village_count(per):
    got = staff_progress(VILLAGES, STAFF, children_per_director=per)
    brute = _brute(VILLAGES, STAFF, per)
    for row in got.itertuples():
        assert (row.directors_required, row.directors, row.directors_missing,
                row.villages_without_director, row.supervisors, row.staff,
                row.trained) == brute[row.town_code]
        assert row.pct_trained == round(100 * row.trained / row.staff, 1)


def test_directors_required_and_bad_rows():
    assert directors_required(pd.Series([0, 500, 501, 1250]),
                              children_per_director=500).tolist() == [1, 1, 2, 3]
    bad = STAFF.assign(trained=[1, 0, 3, 1, 0, 1, 0])
    with pytest.raises(InputFileError, match="row 3"):
        staff_progress(VILLAGES, bad)
    with pytest.raises(InputFileError, match="儿童督导员"):
        staff_progress(VILLAGES, STAFF.assign(role="主任"))
