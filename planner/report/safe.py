"""Make every cell a person opens safe: no live formula, no personal data.

Formula injection follows OWASP's CSV-injection guidance: a text cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote
``'`` so that Excel, WPS and LibreOffice show it as text instead of evaluating it. Real
numbers (numeric columns, or text that is just a number such as ``-3.5``) are left alone.

As a last line of defence behind :mod:`planner.records.privacy`, every written table
drops columns whose header names a person's particulars and masks resident ID and phone
numbers in text cells.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from planner.records.privacy import (
    is_text,
    mask_personal,
    mask_text,
    personal_header,
    scrub_document,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def neutralise(value: object) -> object:
    """``value`` made inert: a text starting a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_column(values: pd.Series) -> pd.Series:
    """:func:`neutralise` over a column, vectorised (only formula-like text is touched)."""
    if not is_text(values):
        return values
    text = values.astype(str)
    hit = text.str.startswith(FORMULA_START) & ~text.str.fullmatch(_PLAIN_NUMBER.pattern)
    if pd.api.types.is_object_dtype(values):
        hit &= values.map(type).eq(str)  # numbers stored in an object column stay numbers
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = "'" + text[hit]
    return out


def _clean(values: pd.Series, *, formulas: bool) -> pd.Series:
    """Mask and (``formulas``) neutralise one text column, once per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    cleaned = mask_text(distinct)
    if formulas:
        cleaned = neutralise_column(cleaned)
    if cleaned is distinct:  # nothing to change (both return their input untouched)
        return values
    new, old = cleaned.to_numpy(dtype=object), distinct.to_numpy(dtype=object)
    # only the cells whose value changed take the cleaned text: factorize takes 1, 1.0 and
    # True for one value, so the others keep their own object (and type)
    changed = np.fromiter((type(a) is not type(b) or a != b for a, b in zip(new, old,
                                                                          strict=True)),
                          dtype=bool, count=len(new))
    out = values.to_numpy(dtype=object).copy()
    sel = (codes >= 0) & changed[np.maximum(codes, 0)]
    out[sel] = new[codes[sel]]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def safe_frame(frame: pd.DataFrame, *, formulas: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` fit to write: personal columns dropped, ID/phone numbers masked,
    and (``formulas=True``, for CSV and xlsx) formula-like text neutralised."""
    personal = [c for c in frame.columns if personal_header(c, frame[c])]
    out = frame.drop(columns=personal)
    if any(isinstance(c, str) and mask_personal(c) != c for c in out.columns):
        out = out.set_axis([mask_personal(c) if isinstance(c, str) else c
                            for c in out.columns], axis=1)
    text_cols = [c for c in out.columns if c != "geometry" and is_text(out[c])]
    if not text_cols:
        return out
    out = out.copy()
    for col in text_cols:
        out[col] = _clean(out[col], formulas=formulas)
    if formulas:
        out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_document(path: str | Path, text: str) -> Path:
    """Write a whole text document (HTML, JSON, GeoJSON) in UTF-8, scrubbed of personal
    data as its last step (:func:`planner.records.privacy.scrub_document`)."""
    path = Path(path)
    path.write_text(scrub_document(text), encoding="utf-8")
    return path


def write_geojson(frame, path: str | Path) -> Path:
    """A GeoDataFrame as UTF-8 GeoJSON: personal columns dropped, numbers masked, and the
    document scrubbed as it is written."""
    import geopandas as gpd

    safe = gpd.GeoDataFrame(safe_frame(frame, formulas=False), geometry=frame.geometry.name,
                            crs=frame.crs)
    return write_document(path, safe.to_json(drop_id=True, ensure_ascii=False))


def scrub_figure(fig) -> None:
    """Mask personal data in every text drawn on a matplotlib figure (titles, labels,
    annotations, legends), just before it is rendered."""
    from matplotlib.text import Text

    for artist in fig.findobj(Text):
        text = artist.get_text()
        if text:
            masked = mask_personal(text)
            if masked != text:
                artist.set_text(masked)
