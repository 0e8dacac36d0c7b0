"""Write Excel sheets that look like the official tables: titled, grouped headers,
Chinese labels, a totals row, frozen header and readable widths (openpyxl)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.report.safe import neutralise, safe_frame

_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def text_width(value: object) -> int:
    """Display width of a cell value: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def write_table(ws: Worksheet, frame: pd.DataFrame, *, title: str,
                groups: Sequence[tuple[str, int]] | None = None,
                percent_cols: Sequence[str] = (), total_label: str | None = None,
                header: Callable[[str], str] = str) -> None:
    """Write ``frame`` to ``ws`` with a title row, optional grouped header and totals.

    Parameters
    ----------
    frame : DataFrame
        Columns already carry their (Chinese) display labels.
    groups : sequence of (label, span)
        A first header row grouping consecutive columns; spans must add up to the
        number of columns. Span-1 groups are merged vertically with the column label.
    percent_cols : sequence of str
        Columns holding percentages 0-100, shown with one decimal and a % sign.
    total_label : str, optional
        If given, the last row of ``frame`` is the caller's totals row and is shown in bold
        (see :func:`planner.report.progress_display`).
    header : callable
        Display label of a column name (e.g. the part after ``|`` of ``group|sub``).
    """
    frame = safe_frame(frame)
    ncol = len(frame.columns)
    ws.cell(row=1, column=1, value=neutralise(title)).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(ncol, 1))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    head = 2
    if groups:
        col = 1
        for label, span in groups:
            cell = ws.cell(row=head, column=col, value=neutralise(label))
            if span == 1:
                ws.merge_cells(start_row=head, start_column=col, end_row=head + 1,
                               end_column=col)
            else:
                ws.merge_cells(start_row=head, start_column=col, end_row=head,
                               end_column=col + span - 1)
            cell.alignment = _CENTER
            col += span
        for c in range(1, ncol + 1):
            ws.cell(row=head, column=c).fill = _HEAD_FILL
            ws.cell(row=head, column=c).border = _BOX
            ws.cell(row=head, column=c).font = Font(bold=True)
        head += 1
    spans = {c: s for c, s in _group_starts(groups)} if groups else {}
    for c, name in enumerate(frame.columns, start=1):
        if spans.get(c) == 1:
            continue
        cell = ws.cell(row=head, column=c, value=neutralise(header(str(name))))
        cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), _HEAD_FILL, _BOX, \
            _CENTER
    first = head + 1
    pct = {frame.columns.get_loc(c) + 1 for c in percent_cols if c in frame.columns}
    for r, row in enumerate(frame.itertuples(index=False), start=first):
        for c, value in enumerate(row, start=1):
            if isinstance(value, float) and pd.isna(value):
                value = None
            value = _cell_text(neutralise(value.item() if hasattr(value, "item") else value))
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            cell.border = _BOX
            if c in pct and value is not None:
                cell.value = float(value) / 100.0
                cell.number_format = "0.0%"
    last = first + len(frame) - 1
    if total_label is not None and len(frame):
        for c in range(1, ncol + 1):
            cell = ws.cell(row=last, column=c)
            cell.font, cell.fill = Font(bold=True), _TOTAL_FILL
    ws.freeze_panes = ws.cell(row=head + 1, column=3 if ncol > 2 else 1)
    for c, name in enumerate(frame.columns, start=1):
        values = [header(str(name)), *frame.iloc[:, c - 1].astype(str).head(200)]
        width = min(max(text_width(v) for v in values) + 2, 48)
        ws.column_dimensions[get_column_letter(c)].width = max(width, 6)


#: the longest text an Excel cell holds
_CELL_MAX = 32_767


def _cell_text(value: object) -> object:
    """Text Excel can store: no XML control characters, at most 32,767 characters."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value if len(value) <= _CELL_MAX else value[: _CELL_MAX - 1] + "…"


def _group_starts(groups: Sequence[tuple[str, int]]) -> list[tuple[int, int]]:
    out, col = [], 1
    for _, span in groups:
        out.append((col, span))
        col += span
    return out
