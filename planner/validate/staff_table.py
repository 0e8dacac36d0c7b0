"""Validate the staff table (``[layers.staff]``): counts of 儿童主任 / 儿童督导员 per village or
town, and how many are trained. Counts only: names, ID numbers and phones are never read.

Rows are rejected (``rejected.csv``) when the role is unknown, the code is not a village
(directors) or town (supervisors) of the workspace, or the counts are not whole numbers with
0 <= trained <= count.
"""

from __future__ import annotations

import pandas as pd

from planner.glossary import STAFF_ROLES, clean_text
from planner.load.files import read_layer
from planner.records.ledger import Ledger
from planner.settings import Settings
from planner.validate.columns import require_columns
from planner.validate.frames import nonnegative_ints

_ALIASES = {v: k for k, v in STAFF_ROLES.items()}


def load_staff(settings: Settings, ledger: Ledger, *, villages: pd.DataFrame,
               towns: pd.DataFrame) -> pd.DataFrame | None:
    """The accepted staff rows (``code, role, count, trained``), ``None`` without a layer."""
    spec = settings.layers.get("staff")
    if spec is None:
        return None
    frame, encoding = read_layer(spec)
    ledger.read_frame(spec.name, spec.path.name, frame, encoding=encoding)
    mapping = {spec.column(c): c for c in ("code", "role", "count", "trained")
               if spec.column(c) in frame.columns}
    frame = frame.rename(columns=mapping)
    require_columns(frame, ["code", "role", "count"], path=spec.path, role=spec.name)
    if "trained" not in frame.columns:
        frame["trained"] = "0"
    frame["code"] = frame["code"].map(clean_text)
    frame["role"] = frame["role"].map(clean_text).map(lambda r: _ALIASES.get(r, r))
    bad = ~frame["role"].isin(list(STAFF_ROLES))
    ledger.reject(spec.name, spec.path.name, frame[bad],
                  "未知岗位（unknown role）：填写 儿童主任 或 儿童督导员")
    frame = frame[~bad]
    known = frame["code"].isin(villages["village_code"]).where(
        frame["role"] == "child_director", frame["code"].isin(towns["town_code"]))
    ledger.reject(spec.name, spec.path.name, frame[~known],
                  "代码不是本县的村（居）或镇（街道）（unknown code）：儿童主任填村代码，"
                  "儿童督导员填镇代码")
    frame = nonnegative_ints(frame[known], ["count", "trained"], spec, ledger)
    over = frame["trained"] > frame["count"]
    ledger.reject(spec.name, spec.path.name, frame[over],
                  "受训人数大于人数（trained exceeds count）：更正人数")
    frame = frame[~over]
    ledger.accept(spec.name, spec.path.name, len(frame))
    return frame[["code", "role", "count", "trained"]].reset_index(drop=True)
