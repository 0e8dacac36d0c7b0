"""Invisible characters in what a bureau's files hold: zero-width spaces and joiners,
bidirectional controls (U+202E reverses the text on screen), soft hyphens, byte-order marks
and control characters pasted from web pages, chat apps and other spreadsheets.

They make two equal names differ (a care home counted twice), hide text on screen and
reach every output, so they are removed as soon as a file is read; the rows where any
were removed are kept in ``frame.attrs[INVISIBLE_ROWS]`` for the ledger to list as repairs.
Tabs and line breaks inside a cell are kept.
"""

from __future__ import annotations

import re

import pandas as pd

#: zero-width, bidi, soft hyphen, BOM, interlinear and C0/C1 control characters
INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: the key of ``DataFrame.attrs`` listing the rows (``_row``) that were cleaned
INVISIBLE_ROWS = "invisible_rows"
NOTE = ("去掉了不可见字符（零宽字符、双向控制符等）/ invisible characters (zero-width, bidi "
        "controls) removed")


def strip_invisible(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with invisible characters removed from its column names and text cells;
    ``frame.attrs[INVISIBLE_ROWS]`` lists the ``_row`` numbers of the rows changed."""
    frame = frame.rename(columns=lambda c: INVISIBLE.sub("", c).strip()
                         if isinstance(c, str) else c)
    changed = pd.Series(False, index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if col == "_row" or not (pd.api.types.is_object_dtype(values)
                                 or pd.api.types.is_string_dtype(values)):
            continue
        text = values.map(lambda v: v if isinstance(v, str) else "")
        hit = text.str.contains(INVISIBLE)
        if hit.any():
            frame[col] = values.where(~hit, text.str.replace(INVISIBLE, "", regex=True))
            changed |= hit
    rows = frame.loc[changed, "_row"].tolist() if "_row" in frame.columns else []
    frame.attrs[INVISIBLE_ROWS] = [int(r) for r in rows]
    return frame
