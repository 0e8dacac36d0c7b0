"""Values of a "四个一" kit that cannot be: repaired to "unknown" with the reason.

A rescue rope of −30 m or 3,000 m, an inspection dated after today (a mistyped year, a
date in the wrong order) or before 1990 (Excel's blank date, 1900-01-00), a date that is no
date at all ("上周"): each is a typing slip in one cell, not a reason to drop the kit --
the kit is there. The value is taken as unknown (rope length NaN, inspection NaT, so an
unknown inspection counts as overdue) and the row is listed in ``repairs.csv`` with why.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner.core.water_model import complete_kits
from planner.glossary import KIT_ITEMS
from planner.records.ledger import Ledger

#: the longest rescue rope that can be meant (throw ropes are 15-30 m; 200 m is generous)
MAX_ROPE_M = 200.0
#: inspections before this date are not inspections of today's kits
FIRST_DATE = pd.Timestamp("1990-01-01")


def repair_kit_values(kits: pd.DataFrame, raw: pd.DataFrame, ledger: Ledger, *, layer: str,
                      file: str, min_rope_m: float,
                      today: dt.date | None = None) -> pd.DataFrame:
    """``kits`` (normalised, with ``_row``) with impossible ropes and dates made unknown,
    each repair noted in the ledger, and ``complete`` judged again on the repaired values
    (:func:`planner.core.water_model.complete_kits` with ``min_rope_m``); ``raw``: the layer
    as read (the original texts)."""
    if kits.empty:
        return kits
    kits = kits.copy()
    today = pd.Timestamp(today or dt.date.today())
    rows = kits["_row"].to_numpy()
    rope = pd.to_numeric(kits["rope_m"], errors="coerce")
    bad = (rope.notna() & ((rope <= 0) | (rope > MAX_ROPE_M))).to_numpy()
    for i in np.flatnonzero(bad):
        ledger.repair(layer, file, [rows[i]], f"救生绳长度 {rope.iloc[i]:g} 米不可能（应在 0–"
                      f"{MAX_ROPE_M:g} 米之间），按未知处理 / rope length {rope.iloc[i]:g} m is "
                      "impossible: taken as unknown")
    kits.loc[bad, "rope_m"] = np.nan
    if bad.any():  # a rope of unknown length counts, as for any kit
        kits["complete"] = complete_kits(kits[list(KIT_ITEMS)].to_numpy(dtype=bool),
                                         kits["rope_m"].to_numpy(dtype=float),
                                         min_rope_m=min_rope_m)
    when = pd.to_datetime(kits["last_inspected"], errors="coerce")
    text = _raw_dates(raw, kits)
    for i, (date, written) in enumerate(zip(when, text, strict=True)):
        if pd.isna(date):
            if written:
                ledger.repair(layer, file, [rows[i]],
                              f"最近检查“{written}”不是日期，按未检查处理 / last inspection "
                              f"{written!r} is not a date: taken as unknown")
            continue
        if date > today:
            why = f"最近检查 {date:%Y-%m-%d} 晚于今天，按未检查处理 / last inspection " \
                  f"{date:%Y-%m-%d} is in the future: taken as unknown"
        elif date < FIRST_DATE:
            why = f"最近检查 {date:%Y-%m-%d} 早于 1990 年，按未检查处理 / last inspection " \
                  f"{date:%Y-%m-%d} is before 1990: taken as unknown"
        else:
            continue
        ledger.repair(layer, file, [rows[i]], why)
        when.iloc[i] = pd.NaT
    kits["last_inspected"] = when.to_numpy()
    return kits


def _raw_dates(raw: pd.DataFrame, kits: pd.DataFrame) -> list[str]:
    """The inspection dates as written, per kit (blank where none or not known)."""
    if "last_inspected" not in raw.columns or "_row" not in raw.columns:
        return [""] * len(kits)
    by_row = raw.set_index("_row")["last_inspected"]
    by_row = by_row[~by_row.index.duplicated()]
    out = []
    for row in kits["_row"]:
        value = by_row.get(row, "")
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) \
            else str(value).strip()
        out.append("" if text.lower() in ("", "nan", "nat", "none") else text)
    return out
