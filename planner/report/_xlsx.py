"""Write Excel sheets that look like the official tables: titled, grouped headers,
Chinese labels, a totals row, frozen header and readable widths (openpyxl)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from copy import copy

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


def stamp(cell, cache: dict, key: object, **style: object) -> None:
    """Give ``cell`` the ``style`` attributes (border, font, alignment, fill, number_format).

    openpyxl hashes every style object on each assignment, which dominates the time of
    large sheets; the first cell stamped with ``key`` is styled normally and the others
    copy its style array (the copying that openpyxl's own ``copy`` of a cell does).
    """
    proto = cache.get(key)
    if proto is None:
        for name, value in style.items():
            setattr(cell, name, value)
        cache[key] = copy(cell._style)
    else:
        cell._style = copy(proto)


def write_table(ws: Worksheet, frame: pd.DataFrame, *, title: str,
                groups: Sequence[tuple[str, int]] | None = None,
                percent_cols: Sequence[str] = (), total_label: str | None = None,
                header: Callable[[str], str] = str,
                filled_by: tuple[str, str] | None = None,
                notes: Sequence[str] = ()) -> None:
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
    filled_by : (str, str), optional
        The "填报单位：…" and "填报日期：…" texts, on a line between title and header.
    notes : sequence of str
        Lines printed under the table ("注：…").

    Every sheet is set up for printing: A4 landscape, one page wide, the title and header
    rows repeated on every page, centred, with page numbers in the footer.
    """
    frame = safe_frame(frame)
    ncol = len(frame.columns)
    ws.cell(row=1, column=1, value=neutralise(title)).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(ncol, 1))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    head = 2
    if filled_by is not None:
        half = max(ncol // 2, 1)
        ws.cell(row=2, column=1, value=filled_by[0])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
        right = ws.cell(row=2, column=half + 1 if ncol > 1 else 1, value=filled_by[1])
        if ncol > half + 1:
            ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=ncol)
        right.alignment = Alignment(horizontal="right")
        head = 3
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
    styles: dict = {}
    for r, row in enumerate(frame.itertuples(index=False), start=first):
        for c, value in enumerate(row, start=1):
            if isinstance(value, float) and pd.isna(value):
                value = None
            value = _cell_text(neutralise(value.item() if hasattr(value, "item") else value))
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            if c in pct and value is not None:
                cell.value = round(float(value) / 100.0, 6)
                fmt = "0.0%"
            elif isinstance(value, float):
                fmt = "0" if float(value).is_integer() else "0.0"
            else:
                fmt = "General"
            stamp(cell, styles, fmt, border=_BOX, number_format=fmt)
    last = first + len(frame) - 1
    if total_label is not None and len(frame):
        for c in range(1, ncol + 1):
            cell = ws.cell(row=last, column=c)
            cell.font, cell.fill = Font(bold=True), _TOTAL_FILL
    for i, text in enumerate(notes, start=last + 2 if len(frame) else first + 1):
        ws.cell(row=i, column=1, value=text).alignment = Alignment(wrap_text=True,
                                                                   vertical="top")
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=max(ncol, 1))
        ws.row_dimensions[i].height = 15 * (1 + text_width(text) // max(
            8 * max(ncol, 1), 60))
    ws.freeze_panes = ws.cell(row=head + 1, column=3 if ncol > 2 else 1)
    print_setup(ws, repeat=(1, head))
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


def print_setup(ws: Worksheet, *, repeat: tuple[int, int]) -> None:
    """A4 landscape, fit to one page wide (any number of pages tall), rows ``repeat``
    (first, last) printed on every page, horizontally centred, "第 n 页 共 m 页" footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{repeat[0]}:{repeat[1]}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


def _group_starts(groups: Sequence[tuple[str, int]]) -> list[tuple[int, int]]:
    out, col = [], 1
    for _, span in groups:
        out.append((col, span))
        col += span
    return out
