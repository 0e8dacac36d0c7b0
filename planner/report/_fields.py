"""Field types of the machine-read outputs (CSV files, ``planner.gpkg``): counts as whole
numbers, codes as text, no internal fields.

pandas turns a count into a float as soon as one row is missing (a left join, a town
without a quota), and a code read as a number becomes ``320682001.0``. Here each field is
given back the type its name says: a code (``*_code``, ``*_id``) is text without a
trailing ``.0``; a count (:data:`COUNT_FIELDS`, :data:`COUNT_PREFIXES`) whose values are
all whole is an integer (missing values stay missing); internal fields (``_row``,
``_datum``, ``_file``: where a record came from) are left out of the GeoPackage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: fields that count something (people, villages, sites, items, stops, incidents, a rank)
COUNT_FIELDS: frozenset[str] = frozenset({
    "villages", "villages_with_care_point", "villages_without_director", "quota_row",
    "children", "left_behind", "vulnerable", "vulnerable_red", "vulnerable_orange",
    "vulnerable_yellow", "vulnerable_blue", "under5", "children_newly_covered",
    "rank", "unmet_rank", "stops", "incidents", "towns",
    "kits_complete", "kits_partial", "kits_new", "new_kits", "completed_kits", "fixed_kits",
    "signs", "lifebuoys", "ropes", "poles",
    "directors_required", "directors", "directors_missing", "supervisors_required",
    "supervisors", "supervisors_missing", "staff", "trained",
})
#: per-kind count fields (``built_care_point`` ...)
COUNT_PREFIXES: tuple[str, ...] = ("required_", "counted_", "all_", "built_", "extra_",
                                   "missing_", "proposed_", "sites_")
_CODE_SUFFIXES = ("_code", "_id", "_ids")
_CODE_FIELDS = frozenset({"code", "candidate", "quota_town_code"})


def is_code(name: str) -> bool:
    """Whether field ``name`` holds a code (written as text)."""
    return name in _CODE_FIELDS or name.endswith(_CODE_SUFFIXES)


def is_count(name: str) -> bool:
    """Whether field ``name`` holds a count (written as a whole number when it is one)."""
    return name in COUNT_FIELDS or name.startswith(COUNT_PREFIXES)


def _code_text(values: pd.Series) -> pd.Series:
    """Codes read as numbers back to text: ``320682001.0`` -> ``"320682001"``."""
    if pd.api.types.is_bool_dtype(values) or not (
            pd.api.types.is_numeric_dtype(values) or values.dtype == object):
        return values

    def text(v: object) -> object:
        if v is None or (isinstance(v, float | np.floating) and not np.isfinite(v)):
            return None
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            return str(int(v))
        return v

    if values.dtype == object and not values.map(
            lambda v: isinstance(v, float | int | np.number)).any():
        return values
    return values.astype(object).map(text)


def _whole(values: pd.Series) -> pd.Series:
    """A float column whose values are all whole as nullable integers; else as it is."""
    if not pd.api.types.is_float_dtype(values):
        return values
    finite = values.dropna()
    if not np.isfinite(finite).all() or not (finite == np.round(finite)).all():
        return values
    return values.round().astype("Int64")


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with codes as text and whole counts as integers (a copy when changed)."""
    out = {}
    for col in frame.columns:
        name = str(col)
        if is_code(name):
            out[col] = _code_text(frame[col])
        elif is_count(name):
            out[col] = _whole(frame[col])
    if not any(out[c] is not frame[c] for c in out):
        return frame
    frame = frame.copy()
    for col, values in out.items():
        frame[col] = values
    return frame


def public(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its internal fields (names starting with ``_``)."""
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")])
