"""Staff against the plans: 儿童主任 per village, 儿童督导员 per town, training.

The plans (启东 2024, 郑州 2017, 灌云 2022) ask for one child director (儿童主任) in every
village -- one more for every ``children_per_director`` children beyond the first
``children_per_director`` where a village has many children -- one child supervisor
(儿童督导员) in every town, and training for all of them.

Input: a staff table of counts only (no names, ID numbers or phones), one row per village
or town and role: ``code`` (village_code for directors, town_code for supervisors),
``role`` (``child_director`` / ``child_supervisor`` or 儿童主任 / 儿童督导员), ``count``
and ``trained`` (how many of them are trained).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner._errors import InputFileError
from planner.glossary import STAFF_ROLES

_ALIASES = {v: k for k, v in STAFF_ROLES.items()}


def directors_required(children: pd.Series, *, children_per_director: int | None) -> pd.Series:
    """Directors a village needs: 1, plus one per ``children_per_director`` children above
    the first ``children_per_director`` (``None``: always 1)."""
    kids = pd.to_numeric(children, errors="coerce").fillna(0).astype(float)
    if not children_per_director:
        return pd.Series(1, index=children.index, dtype=np.int64)
    extra = np.ceil(np.maximum(kids - children_per_director, 0) / children_per_director)
    return (1 + extra).astype(np.int64)


def _clean(staff: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("code", "role", "count", "trained") if c not in staff.columns]
    if missing:
        raise InputFileError(f"staff table lacks column(s) {', '.join(missing)}; add them")
    role = staff["role"].astype(str).str.strip().map(lambda r: _ALIASES.get(r, r))
    bad = ~role.isin(list(STAFF_ROLES))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(f"staff table row {row + 1}: role {staff['role'].iloc[row]!r} is "
                             "unknown; use 儿童主任 or 儿童督导员")
    count = pd.to_numeric(staff["count"], errors="coerce")
    trained = pd.to_numeric(staff["trained"], errors="coerce")
    wrong = count.isna() | (count < 0) | trained.isna() | (trained < 0) | (trained > count)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise InputFileError(f"staff table row {row + 1}: count and trained must be whole "
                             "numbers with 0 <= trained <= count; fix the counts")
    return pd.DataFrame({"code": staff["code"].astype(str), "role": role,
                         "count": count.astype(np.int64), "trained": trained.astype(np.int64)})


def staff_progress(villages: pd.DataFrame, staff: pd.DataFrame, *,
                   children_per_director: int | None = None) -> pd.DataFrame:
    """Per town: directors required / in post (counted up to each village's need) / missing,
    villages without a director, supervisors required (1) / in post / missing, trained staff
    and the trained share (% of staff in post).

    Columns: town_code, directors_required, directors, directors_missing,
    villages_without_director, supervisors_required, supervisors, supervisors_missing,
    staff, trained, pct_trained.
    """
    staff = _clean(staff)
    vil = villages[["village_code", "town_code", "children"]].copy()
    vil["village_code"] = vil["village_code"].astype(str)
    vil["need"] = directors_required(vil["children"],
                                     children_per_director=children_per_director)
    dirs = staff[staff["role"] == "child_director"].groupby("code")[["count", "trained"]].sum()
    vil["have"] = vil["village_code"].map(dirs["count"]).fillna(0).astype(np.int64)
    vil["trained"] = vil["village_code"].map(dirs["trained"]).fillna(0).astype(np.int64)
    vil["counted"] = np.minimum(vil["have"], vil["need"])
    town = vil.groupby("town_code").agg(
        directors_required=("need", "sum"), directors=("counted", "sum"),
        villages_without_director=("have", lambda h: int((h == 0).sum())),
        director_staff=("have", "sum"), director_trained=("trained", "sum"))
    town["directors_missing"] = town["directors_required"] - town["directors"]
    sup = staff[staff["role"] == "child_supervisor"].groupby("code")[["count", "trained"]].sum()
    town["supervisors_required"] = 1
    town["supervisors"] = np.minimum(
        town.index.to_series().astype(str).map(sup["count"]).fillna(0), 1).astype(np.int64)
    town["supervisors_missing"] = 1 - town["supervisors"]
    sup_staff = town.index.to_series().astype(str).map(sup["count"]).fillna(0)
    sup_trained = town.index.to_series().astype(str).map(sup["trained"]).fillna(0)
    town["staff"] = (town["director_staff"] + sup_staff).astype(np.int64)
    town["trained"] = (town["director_trained"] + sup_trained).astype(np.int64)
    town["pct_trained"] = (100.0 * town["trained"] / town["staff"].where(town["staff"] > 0)
                           ).round(1)
    cols = ["directors_required", "directors", "directors_missing", "villages_without_director",
            "supervisors_required", "supervisors", "supervisors_missing", "staff", "trained",
            "pct_trained"]
    return town[cols].reset_index()


def with_staff(progress: pd.DataFrame, villages: pd.DataFrame, staff: pd.DataFrame | None, *,
               children_per_director: int | None = None) -> tuple[pd.DataFrame, dict | None]:
    """``progress`` with the staff columns of :func:`staff_progress` (towns without staff
    rows get zeros) and the county totals for ``run.json`` (``None`` without staff)."""
    if staff is None:
        return progress, None
    table = staff_progress(villages, staff, children_per_director=children_per_director)
    table["town_code"] = table["town_code"].astype(str)
    out = progress.merge(table, on="town_code", how="left")
    counts = [c for c in table.columns if c not in ("town_code", "pct_trained")]
    out[counts] = out[counts].fillna(0).astype(np.int64)
    tot = {c: int(out[c].sum()) for c in counts}
    tot["pct_trained"] = round(100.0 * tot["trained"] / tot["staff"], 1) if tot["staff"] else None
    tot["children_per_director"] = children_per_director
    return out, tot
