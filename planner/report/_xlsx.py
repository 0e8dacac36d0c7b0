"""Write Excel sheets that look like the official tables: titled, grouped headers,
Chinese labels, a totals row, frozen header and readable widths (XlsxWriter).

XlsxWriter writes a cell in a few microseconds and keeps one format object per distinct
style, so a sheet's cost is its cells; openpyxl took three to four times as long on the
same sheets (most of it hashing styles and building cell objects). Cells are written by
type (``write_string`` / ``write_number`` / ``write_boolean`` / ``write_blank``): a text
is never turned into a formula or a link, whatever it holds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.records.privacy import mask_personal
from planner.report.safe import neutralise, safe_frame

_GREY = "#808080"
_HEAD_FILL = "#DDEBF7"
_TOTAL_FILL = "#F2F2F2"
#: fill of rows a caller emphasises (subtotals), lighter than the totals row
EMPHASIS_FILL = "#F7F7F7"
#: the longest text an Excel cell holds
_CELL_MAX = 32_767
#: characters XML 1.0 cannot hold (the C0 controls but tab, newline and carriage return)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: characters Excel refuses in a sheet name
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_DATE_FORMAT = "yyyy-mm-dd"
#: longitude and latitude: six decimals (about 0.1 m), in every sheet
COORDINATE_FORMAT = "0.000000"
#: headers that hold a longitude or latitude
_COORDINATE = re.compile(r"^(经度|纬度|lon|lat|longitude|latitude)(（.*）)?$", re.IGNORECASE)
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def text_width(value: object) -> int:
    """Display width of a cell value: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _scrub_strings(workbook: xlsxwriter.Workbook) -> None:
    """Mask personal data in every text cell of ``workbook`` as the last step: the shared
    strings (every text cell XlsxWriter writes) are scrubbed when the file is assembled."""
    table = getattr(workbook, "str_table", None)
    sort = getattr(table, "_sort_string_data", None)
    if sort is None:  # another XlsxWriter: cells stay guarded by safe_frame only
        return

    def _sort_and_scrub() -> None:
        sort()
        table.string_array = [mask_personal(s) if isinstance(s, str) else s
                              for s in table.string_array]

    table._sort_string_data = _sort_and_scrub


class Book:
    """An ``.xlsx`` file being written; each distinct cell style becomes one format, once.

    Use as a context manager (the file is written on exit) or call :meth:`close`.
    """

    def __init__(self, path: Path | str) -> None:
        self.workbook = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        self._formats: dict[tuple, Format] = {}
        self._names: set[str] = set()
        _scrub_strings(self.workbook)

    def sheet(self, name: str) -> Worksheet:
        """A new sheet named ``name`` made legal for Excel: no ``[]:*?/\\``, at most 31
        characters, not empty, unique in the book (a repeat gets " (2)", " (3)", ...)."""
        base = _BAD_SHEET.sub("_", str(name)).strip("'")[:31] or "Sheet"
        title, n = base, 1
        while title.casefold() in self._names:
            n += 1
            suffix = f" ({n})"
            title = base[: 31 - len(suffix)] + suffix
        self._names.add(title.casefold())
        return self.workbook.add_worksheet(title)

    def fmt(self, **props: object) -> Format:
        """The format with these XlsxWriter properties (made on first use)."""
        key = tuple(sorted(props.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.workbook.add_format(dict(props))
        return found

    def close(self) -> None:
        """Write the file."""
        if not self.workbook.worksheets():
            self.sheet("Sheet")
        try:
            self.workbook.close()
        except xlsxwriter.exceptions.FileCreateError as exc:  # the file-system error itself
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            if cause is None:
                raise
            raise cause from exc

    def __enter__(self) -> Book:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()


def boxed(**props: object) -> dict[str, object]:
    """``props`` with a thin grey border all round (the tables' cell border)."""
    return {"border": 1, "border_color": _GREY, **props}


def write_table(book: Book, ws: Worksheet, frame: pd.DataFrame, *, title: str,
                groups: Sequence[tuple[str, int]] | None = None,
                percent_cols: Sequence[str] = (), total_label: str | None = None,
                header: Callable[[str], str] = str,
                filled_by: tuple[str, str] | None = None,
                notes: Sequence[str] = (),
                emphasis: Sequence[bool] | None = None,
                widths: dict[int, float] | None = None,
                formulas: Callable[[str, int, int, int], str | None] | None = None,
                number_formats: dict[str, str] | None = None) -> None:
    """Write ``frame`` to ``ws`` (a sheet of ``book``) with a title row, optional grouped
    header and totals.

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
        (see :func:`planner.report.tables.progress_display`).
    header : callable
        Display label of a column name (e.g. the part after ``|`` of ``group|sub``).
    filled_by : (str, str), optional
        The "填报单位：…" and "填报日期：…" texts, on a line between title and header.
    notes : sequence of str
        Lines printed under the table ("注：…").
    emphasis : sequence of bool, optional
        Data rows shown in bold on a light fill (subtotals), one flag per row.
    widths : dict of int to float, optional
        Column widths (0-based column) that replace the ones measured from the text.
    formulas : callable, optional
        ``formulas(column, i, row, n)``: the formula of data row ``i`` (of ``n``; ``row`` the
        0-based sheet row) in ``column``, or ``None`` for a plain value. The frame's value is
        cached in the formula cell (a percentage as its fraction), so a reader that does not
        calculate sees the planner's figure. Asked only for cells that hold a number.
    number_formats : dict of str to str, optional
        Excel number formats of the numbers in these columns (e.g. ``"#,##0"`` for yuan);
        other numbers show as they are (whole numbers without decimals, others with one),
        but for longitude and latitude (headers 经度 / 纬度), always with six decimals
        (:data:`COORDINATE_FORMAT`).

    Every sheet is set up for printing: A4 landscape, one page wide, the title and header
    rows repeated on every page, centred, with page numbers in the footer.
    """
    frame = safe_frame(frame)
    ncol = len(frame.columns)
    last_col = max(ncol, 1) - 1
    _merge(ws, 0, 0, 0, last_col, neutralise(title),
           book.fmt(bold=True, font_size=14, align="center"))
    head = 1  # 0-based row of the first header row
    if filled_by is not None:
        half = max(ncol // 2, 1)
        _merge(ws, 1, 0, 1, half - 1, filled_by[0], None)
        right = half if ncol > 1 else 0
        _merge(ws, 1, right, 1, max(ncol - 1, right), filled_by[1],
               book.fmt(align="right"))
        head = 2
    head_fmt = book.fmt(**boxed(bold=True, bg_color=_HEAD_FILL, align="center",
                                valign="vcenter", text_wrap=True))
    single = set()
    if groups:
        col = 0
        for label, span in groups:
            if span == 1:
                single.add(col)
                _merge(ws, head, col, head + 1, col, neutralise(label), head_fmt)
            else:
                _merge(ws, head, col, head, col + span - 1, neutralise(label), head_fmt)
            col += span
        head += 1
    for c, name in enumerate(frame.columns):
        if c not in single:
            ws.write_string(head, c, _cell_text(neutralise(header(str(name)))), head_fmt)
    first = head + 1
    pct = {frame.columns.get_loc(c) for c in percent_cols if c in frame.columns}
    n = len(frame)
    strong = np.zeros(n, dtype=bool) if emphasis is None else np.asarray(emphasis, bool)
    fills = np.where(strong, EMPHASIS_FILL, "")
    if total_label is not None and n:
        fills[-1] = _TOTAL_FILL
    layout = _layout(frame, header=header, percent=pct, fixed=widths or {})
    formats = _RowFormats(book)
    numbers = {c: COORDINATE_FORMAT for c, name in enumerate(frame.columns)
               if _COORDINATE.match(header(str(name)).strip())}
    numbers |= {frame.columns.get_loc(c): f for c, f in (number_formats or {}).items()
                if c in frame.columns}
    for c in range(ncol):
        name = str(frame.columns[c])
        live = None if formulas is None else (
            lambda i, r, _name=name: formulas(_name, i, r, n))
        _write_column(ws, frame.iloc[:, c], row=first, col=c, percent=c in pct,
                      fills=fills, formats=formats, formulas=live,
                      number=numbers.get(c) or layout.numbers[c], wrap=layout.wrap[c])
    _row_heights(ws, frame, layout, head=head, first=first, single=single, header=header)
    last = first + n - 1
    line = max(sum(layout.widths), 40)  # characters a merged note line holds
    for i, text in enumerate(notes, start=last + 2 if n else first + 1):
        _merge(ws, i, 0, i, last_col, text, book.fmt(text_wrap=True, valign="top"))
        ws.set_row(i, _LINE_PT * -(-max(text_width(text), 1) // int(line)))
    ws.freeze_panes(head + 1, 2 if ncol > 2 else 0)
    print_setup(ws, repeat=(0, head))
    for c, width in enumerate(layout.widths):
        ws.set_column(c, c, width)


#: points per printed line of 11-pt text (Excel's default row height)
_LINE_PT = 15
#: the widest a text column gets before its text wraps (characters, CJK counting double)
WRAP_AT = 36
#: the narrowest a wrapped text column is made to keep the sheet's print size
_WRAP_MIN = 16
#: the widest the columns may be together: A4 landscape between 0.4-inch margins is 784 pt;
#: fitted to it at no less than 8.5/11 (11-pt text printed at 8.5 pt, above the 8 pt a
#: printed table needs), in pixels (0.75 pt each)
MAX_PIXELS = int(784 / 0.75 * 11 / 8.5)
_COORDS = ("经度", "纬度")


class _Layout(NamedTuple):
    """Per column: width (characters), whether its text wraps, its number format."""

    widths: list[float]
    wrap: list[bool]
    numbers: list[str | None]


def column_pixels(width: float) -> int:
    """Pixels of a column ``width`` characters wide (Calibri 11: 7 px a digit, 5 px padding),
    as Excel draws and prints it."""
    return int(width * 7 + 5)


def _layout(frame: pd.DataFrame, *, header: Callable[[str], str], percent: set[int],
            fixed: dict[int, float]) -> _Layout:
    """Column widths by content: the data's width (the header wraps, on up to three lines),
    long texts wrapped at :data:`WRAP_AT`, then the widest text columns narrowed and wrapped
    (not below 16) until the sheet fits :data:`MAX_PIXELS`, so that it prints at 8 pt or
    more; longitude and latitude with six decimals."""
    widths, wrap, numbers, texts = [], [], [], []
    for c, name in enumerate(frame.columns):
        label = header(str(name))
        values = frame.iloc[:, c].head(500)
        coord = label in _COORDS
        data = max((_shown_width(v, percent=c in percent, coord=coord) for v in values),
                   default=0)
        head = -(-text_width(label) // 3)  # a header wraps on up to three lines
        text = bool(values.map(lambda v: isinstance(v, str)).any()) and c not in fixed
        long = data > WRAP_AT and text
        width = max(min(data, WRAP_AT) if long else data, head, 4) + 2
        widths.append(float(fixed.get(c, width)))
        wrap.append(long)
        texts.append(text)
        numbers.append("0.000000" if coord else None)
    while sum(column_pixels(w) for w in widths) > MAX_PIXELS:
        shrink = [c for c, w in enumerate(widths) if texts[c] and w > _WRAP_MIN]
        if not shrink:
            break
        widest = max(shrink, key=lambda c: widths[c])
        widths[widest] -= 1
        wrap[widest] = True
    return _Layout(widths, wrap, numbers)


def _shown_width(value: object, *, percent: bool, coord: bool) -> int:
    """The width of a value as the sheet shows it (numbers in their format)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    if isinstance(value, bool | np.bool_):
        return 5
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        if coord:
            return len(f"{number:.6f}")
        if percent:
            return len(f"{number:.1f}%")
        return len(f"{number:.0f}" if number.is_integer() else f"{number:.1f}")
    return text_width(value)


def _row_heights(ws: Worksheet, frame: pd.DataFrame, layout: _Layout, *, head: int,
                 first: int, single: set[int], header: Callable[[str], str]) -> None:
    """Rows tall enough for their wrapped text: the header row and data rows whose
    wrapped cells run over several lines."""
    lines = [-(-text_width(header(str(name))) // max(int(w) - 1, 1))
             for c, (name, w) in enumerate(zip(frame.columns, layout.widths, strict=True))
             if c not in single]
    if max(lines, default=1) > 1:
        ws.set_row(head, _LINE_PT * max(lines))
    wrapped = [c for c, w in enumerate(layout.wrap) if w]
    if not wrapped:
        return
    for i in range(len(frame)):
        most = max(-(-text_width(frame.iat[i, c]) // max(int(layout.widths[c]) - 1, 1))
                   if isinstance(frame.iat[i, c], str) else 1 for c in wrapped)
        if most > 1:
            ws.set_row(first + i, _LINE_PT * most)


class _RowFormats:
    """The data cells' formats by (number format, fill, wrapped text)."""

    def __init__(self, book: Book) -> None:
        self.book, self._cache = book, {}

    def __call__(self, number: str, fill: str, wrap: bool = False) -> Format:
        key = (number, fill, wrap)
        found = self._cache.get(key)
        if found is None:
            props = boxed(num_format=number) if number != "General" else boxed()
            if wrap:
                props |= {"text_wrap": True, "valign": "top"}
            if fill:
                props |= {"bold": True, "bg_color": fill}
            found = self._cache[key] = self.book.fmt(**props)
        return found


def _write_column(ws: Worksheet, values: pd.Series, *, row: int, col: int, percent: bool,
                  fills: np.ndarray, formats: _RowFormats,
                  formulas: Callable[[int, int], str | None] | None = None,
                  number: str | None = None, wrap: bool = False) -> None:
    """One column of data cells, each written by its type with a border; a number whose
    ``formulas(i, row)`` gives a formula is written as that formula with the number cached;
    ``number``: the number format of every number (else by value); ``wrap``: texts wrap."""
    for i, value in enumerate(values.tolist()):
        fill = fills[i]
        if value is None or value is pd.NA or value is pd.NaT \
                or (isinstance(value, float) and math.isnan(value)):
            ws.write_blank(row + i, col, None, formats("General", fill))
            continue
        if hasattr(value, "item") and not isinstance(value, (str, pd.Timestamp)):
            value = value.item()
        if isinstance(value, str):
            value = _cell_text(neutralise(value))
            if value:
                ws.write_string(row + i, col, value, formats("General", fill, wrap))
            else:
                ws.write_blank(row + i, col, None, formats("General", fill))
        elif isinstance(value, bool):
            ws.write_boolean(row + i, col, value, formats("General", fill))
        elif isinstance(value, (int, float)):
            live = formulas(i, row + i) if formulas is not None else None
            if not math.isfinite(value):
                ws.write_blank(row + i, col, None, formats("General", fill))
            elif live is not None:
                shown = number or ("0.0%" if percent else (
                    "General" if float(value).is_integer() else "0.0"))
                cached = round(float(value) / 100.0, 6) if percent else value
                ws.write_formula(row + i, col, live, formats(shown, fill), cached)
            elif percent:
                ws.write_number(row + i, col, round(float(value) / 100.0, 6),
                                formats("0.0%", fill))
            elif number is not None:
                ws.write_number(row + i, col, value, formats(number, fill))
            elif isinstance(value, float):
                ws.write_number(row + i, col, value,
                                formats("0" if value.is_integer() else "0.0", fill))
            else:
                ws.write_number(row + i, col, value, formats("General", fill))
        elif isinstance(value, (dt.datetime, pd.Timestamp)):
            stamp = pd.Timestamp(value).tz_localize(None) if getattr(value, "tzinfo", None) \
                else pd.Timestamp(value)
            ws.write_datetime(row + i, col, stamp.to_pydatetime(),
                              formats(_DATETIME_FORMAT, fill))
        elif isinstance(value, dt.date):
            ws.write_datetime(row + i, col, value, formats(_DATE_FORMAT, fill))
        else:
            ws.write_string(row + i, col, _cell_text(neutralise(str(value))),
                            formats("General", fill))


def _merge(ws: Worksheet, r0: int, c0: int, r1: int, c1: int, value: object,
           fmt: Format | None) -> None:
    """``value`` as text over the cells ``(r0, c0)``-``(r1, c1)``, merged if more than one."""
    text = _cell_text("" if value is None else str(value))
    if (r0, c0) == (r1, c1):
        ws.write_string(r0, c0, text, fmt)
    else:
        ws.merge_range(r0, c0, r1, c1, text, fmt)


def _cell_text(value: object) -> object:
    """Text Excel can store: no XML control characters, at most 32,767 characters."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    return value if len(value) <= _CELL_MAX else value[: _CELL_MAX - 1] + "…"


def print_setup(ws: Worksheet, *, repeat: tuple[int, int]) -> None:
    """A4 landscape, fit to one page wide (any number of pages tall), rows ``repeat``
    (first, last; 0-based) printed on every page, horizontally centred, "第 n 页 共 m 页"
    footer."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*repeat)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&C第 &P 页 共 &N 页")
