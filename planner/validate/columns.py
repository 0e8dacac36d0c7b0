"""Required columns: stop with one line naming the file, the missing columns and why they
are missing when the file shows it (a shapefile without its ``.dbf``, the header on a
lower row, the columns on another sheet, a CSV read as one column)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner._errors import InputFileError
from planner.load.files import csv_head


def require_columns(frame: pd.DataFrame, columns: list[str], *, path: Path, role: str,
                    fields: dict[str, str] | None = None, sheet: str | None = None,
                    fix: str | None = None) -> None:
    """Stop with a clear message if any required column is missing.

    The message says why when it can: a shapefile without its ``.dbf``, a file read as one
    column (delimiter), the column names on a lower row (``header``) or on another sheet
    (``sheet``). ``fields`` maps canonical names to the file's own column names; ``fix``
    replaces the default advice (map the columns under ``[layers.<role>.fields]``).
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c not in ("_row", "geometry")]
        wanted = [(fields or {}).get(c, c) for c in missing]
        hint = _missing_hint(path, present=present, wanted=wanted, sheet=sheet)
        raise InputFileError(
            f"{path}: column(s) {missing} missing for layer {role!r} (present: {present}); "
            + (hint or fix or f"map them under [layers.{role}.fields] in planner.toml or "
               "rename the columns")
        )


def _missing_hint(path: Path, *, present: list[str], wanted: list[str],
                  sheet: str | None) -> str | None:
    """Why the columns are missing, when the file shows it (``None`` otherwise)."""
    suffix = path.suffix.lower()
    if suffix == ".shp" and not any(path.with_suffix(s).exists() for s in (".dbf", ".DBF")):
        return (f"the shapefile's attribute table {path.with_suffix('.dbf').name} is missing "
                f"beside it: copy it (and the .shx, .prj, .cpg) next to {path.name}")
    if suffix in {".csv", ".txt", ".tsv"}:
        rows = csv_head(path)
        found = _row_with(rows, wanted)
        if found and found > 1:
            return (f"the column names are on row {found}: set header = {found} for this "
                    "layer in planner.toml (or delete the rows above them)")
        if len(present) == 1:
            return ("the file was read as a single column: check its delimiter (save it as "
                    "CSV with commas, or as Unicode text with tabs)")
        return None
    if suffix in {".xlsx", ".xlsm"}:
        sheets = _excel_heads(path)
        current = sheet or (next(iter(sheets)) if sheets else None)
        found = _row_with(sheets.get(current, []), wanted)
        if found and found > 1:
            return (f"row 1 of sheet {current!r} is not the header (a title?); the column "
                    f"names are on row {found}: set header = {found} for this layer in "
                    "planner.toml")
        for name, rows in sheets.items():
            row = _row_with(rows, wanted)
            if name != current and row:
                extra = f" and header = {row}" if row > 1 else ""
                return (f"the columns are on sheet {name!r}, not {current!r}: set sheet = "
                        f"\"{name}\"{extra} for this layer in planner.toml")
    return None


def _row_with(rows: list[list[str]], wanted: list[str]) -> int | None:
    """The 1-based number of the first row holding every ``wanted`` name."""
    for i, row in enumerate(rows, start=1):
        cells = {str(c).strip() for c in row}
        if all(w in cells for w in wanted):
            return i
    return None


def _excel_heads(path: Path, n: int = 10) -> dict[str, list[list[str]]]:
    """The first ``n`` rows of every sheet of a workbook, as text."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
    except Exception:  # a workbook openpyxl cannot open offers no hint
        return {}
    try:  # a read-only workbook holds its file open (locked on Windows) until closed
        return {ws.title: [["" if v is None else str(v) for v in row]
                           for row in ws.iter_rows(max_row=n, values_only=True)]
                for ws in wb.worksheets}
    except Exception:  # a damaged sheet offers no hint
        return {}
    finally:
        wb.close()
