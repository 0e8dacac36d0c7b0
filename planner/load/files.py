"""Read input files as a county bureau has them: GeoPackage, GeoJSON, Shapefile, CSV, XLSX.

Tables are read with every cell as text (codes keep their leading zeros) and a ``_row``
column holding the row number a person sees in the file (the header is row 1), so every
rejected record can be traced back. CSV and DBF text may be UTF-8 or GBK/GB18030 (what
Excel on Chinese Windows writes): the encoding is detected unless the layer declares it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner._errors import InputFileError, one_line
from planner.load.choose import READ_NOTE, pick_layer, pick_sheet
from planner.load.invisible import strip_invisible
from planner.settings import LayerSpec

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}


def detect_encoding(path: Path, *, declared: str | None = None) -> str:
    """Return the text encoding of ``path``: the declared one, else UTF-16 (Excel's "Unicode
    text", recognised by its byte-order mark or NUL bytes), UTF-8 or GB18030.

    GB18030 is a superset of GBK and GB2312, so it also reads files saved as "GBK".
    """
    if declared:
        return declared
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = raw[:4096]
    odd, even = head[1::2].count(b"\x00"), head[0::2].count(b"\x00")
    if len(head) >= 4 and odd + even >= len(head) // 8:  # ASCII in UTF-16: every other byte 0
        return "utf-16-le" if odd >= even else "utf-16-be"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"


def sniff_delimiter(first_line: str) -> str:
    """The field delimiter of a CSV from its header line: comma unless the line has none
    and holds tabs, semicolons or vertical bars (Excel's "Unicode text" uses tabs)."""
    if "," in first_line:
        return ","
    counts = {d: first_line.count(d) for d in ("\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _require_file(path: Path, role: str) -> None:
    if not path.exists():
        raise InputFileError(
            f"{path}: file not found (layer {role!r}); fix its path in planner.toml "
            "or put the file there"
        )
    if path.is_dir():
        raise InputFileError(
            f"{path}: is a folder, not a file (layer {role!r}); give the file's path in "
            "planner.toml"
        )


def _read_csv_raw(path: Path, *, role: str, encoding: str | None, skip: int = 0
                  ) -> tuple[pd.DataFrame, str]:
    """The rows of a CSV from its header on (``skip`` lines above it left out) as text, and
    the encoding used."""
    used = detect_encoding(path, declared=encoding)
    try:
        with path.open(encoding=used, newline="") as handle:
            lines = [handle.readline() for _ in range(skip + 1)]
    except (UnicodeError, LookupError) as exc:
        raise InputFileError(
            f"{path}: cannot decode as {used} ({exc}); set encoding = \"gb18030\", "
            f"\"utf-8\" or \"utf-16\" for layer {role!r} in planner.toml"
        ) from exc
    first = lines[-1]
    if not first.strip():
        raise InputFileError(
            f"{path}: the file is empty (no header row) for layer {role!r}; export the "
            "table again with its header row"
        )
    sep = sniff_delimiter(first)
    try:
        frame = pd.read_csv(path, dtype=str, encoding=used, keep_default_na=False,
                            header=None, sep=sep, skiprows=skip)
    except (UnicodeError, LookupError) as exc:
        raise InputFileError(
            f"{path}: cannot decode as {used} ({exc}); set encoding = \"gb18030\", "
            f"\"utf-8\" or \"utf-16\" for layer {role!r} in planner.toml"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(
            f"{path}: the file is empty (no header row) for layer {role!r}; export the "
            "table again with its header row"
        ) from exc
    except pd.errors.ParserError as exc:
        rows = csv_head(path, skip=skip)
        if len(rows) > 2 and len(rows[0]) < len(rows[1]) == len(rows[2]):
            fix = (f"row {skip + 1} looks like a title above the header: set header = "
                   f"{skip + 2} for layer {role!r} in planner.toml (or delete the title row)")
        else:
            fix = ("check that every row has as many fields as the header and that text "
                   "with commas is in double quotes")
        raise InputFileError(f"{path}: not a readable CSV ({one_line(exc)}); {fix}") from exc
    names = {",": "", "\t": "tab", ";": "';'", "|": "'|'"}
    return frame, used + (f", delimiter {names[sep]}" if sep != "," else "")


def _read_excel_raw(path: Path, *, role: str, sheet: str | None) -> pd.DataFrame:
    """Every row of an Excel sheet (the header too) as text."""
    try:
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl",
                             header=None)
    except ValueError as exc:
        names = _sheet_names(path)
        raise InputFileError(
            f"{path}: cannot read sheet {sheet!r} of layer {role!r} ({one_line(exc)}); the "
            f"workbook's sheets are {names}: fix 'sheet' in planner.toml"
        ) from exc
    except Exception as exc:  # openpyxl raises several types for damaged workbooks
        raise InputFileError(
            f"{path}: not a readable Excel workbook for layer {role!r} "
            f"({type(exc).__name__}: {one_line(exc)}); open it in Excel and save it again "
            "as .xlsx"
        ) from exc


def _sheet_names(path: Path) -> list[str]:
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
    except Exception:  # a workbook openpyxl cannot open has no sheet list to offer
        return []
    try:  # a read-only workbook holds its file open (locked on Windows) until closed
        return book.sheetnames
    finally:
        book.close()


def _with_header(raw: pd.DataFrame, *, path: Path, role: str, header: int) -> pd.DataFrame:
    """Take row ``header`` (1-based) as the column names and number the rows below it."""
    if len(raw) < header:
        raise InputFileError(
            f"{path}: the file has no row {header} to take the column names from (layer "
            f"{role!r}); fix header in planner.toml or export the table again"
        )
    names = [("" if pd.isna(v) else str(v)).strip() for v in raw.iloc[header - 1]]
    names = [n or f"Unnamed: {i}" for i, n in enumerate(names)]
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if n in seen and not n.startswith("Unnamed: "):
            raise InputFileError(
                f"{path}: column {n!r} appears twice in the header (columns {seen[n]} and "
                f"{i}) of layer {role!r}; rename or delete one of them"
            )
        seen[n] = i
    frame = raw.iloc[header:].copy()
    frame.columns = names
    frame = frame.fillna("").astype(str) if len(frame.columns) else frame
    frame.insert(0, "_row", raw.index[header:].to_numpy() + 1)
    return frame.reset_index(drop=True)


def read_table(
    path: Path, *, role: str, encoding: str | None = None, sheet: str | None = None,
    header: int = 1,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel table as text with a ``_row`` column.

    Parameters
    ----------
    header : int
        The row holding the column names (1 = the first; 2 when a title row is above it).

    Returns
    -------
    (DataFrame, encoding)
        The encoding actually used (``"xlsx"`` for Excel files; a delimiter other than a
        comma is named, e.g. ``"utf-16, delimiter tab"``).
    """
    _require_file(path, role)
    suffix = path.suffix.lower()
    note = None
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        if sheet is None:
            sheet, note = pick_sheet(path, role=role)
        raw, used = _read_excel_raw(path, role=role, sheet=sheet), "xlsx"
    elif suffix in {".csv", ".txt", ".tsv"}:
        raw, used = _read_csv_raw(path, role=role, encoding=encoding, skip=header - 1)
    else:
        raise InputFileError(
            f"{path}: unsupported table format {suffix!r} for layer {role!r}; "
            "use .csv or .xlsx"
        )
    if raw.empty:
        raise InputFileError(
            f"{path}: the file is empty (no header row) for layer {role!r}; export the "
            "table again with its header row"
        )
    if suffix in {".csv", ".txt", ".tsv"}:  # the lines above the header were skipped
        frame = _with_header(raw, path=path, role=role, header=1)
        frame["_row"] += header - 1  # row numbers as a person sees them
        return strip_invisible(frame), used
    frame = strip_invisible(_with_header(raw, path=path, role=role, header=header))
    frame.attrs[READ_NOTE] = note
    return frame, used


def read_vector(spec: LayerSpec) -> tuple[gpd.GeoDataFrame, str]:
    """Read a vector layer (GeoPackage, GeoJSON, Shapefile) with a ``_row`` column.

    A shapefile's encoding comes from its ``.cpg`` unless the layer declares one.
    Projected layers are returned in their own CRS; the validator moves them to WGS-84.
    """
    path = spec.path
    _require_file(path, spec.name)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise InputFileError(
            f"{path}: unsupported vector format {suffix!r} for layer {spec.name!r}; "
            "use .gpkg, .geojson or .shp (or .csv/.xlsx with x and y columns)"
        )
    kwargs: dict = {}
    note = None
    if spec.layer:
        kwargs["layer"] = spec.layer
    else:
        chosen, note = pick_layer(path, role=spec.name)
        if chosen is not None:
            kwargs["layer"] = chosen
    if spec.encoding:
        kwargs["encoding"] = spec.encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, engine="pyogrio", **kwargs)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputFileError(
            f"{path}: cannot read layer {spec.name!r} ({exc}); fix the file"
        ) from exc
    encoding = spec.encoding or ("cpg/utf-8" if suffix == ".shp" else "utf-8")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.insert(0, "_row", range(1, len(frame) + 1))
    frame = strip_invisible(frame)
    frame.attrs[READ_NOTE] = note
    return frame, encoding


def csv_head(path: Path, n: int = 10, *, skip: int = 0) -> list[list[str]]:
    """The first ``n`` rows of a CSV after ``skip`` rows, split by its sniffed delimiter
    (empty when the file cannot be read). The delimiter is the one most of the rows have
    (:func:`sniff_delimiter` per row): a title row above the header has none."""
    import csv

    try:
        used = detect_encoding(path)
        with path.open(encoding=used, newline="") as handle:
            lines = [handle.readline() for _ in range(n + skip)][skip:]
        votes = [sniff_delimiter(line) for line in lines if any(d in line for d in ",\t;|")]
        sep = max(dict.fromkeys(votes), key=votes.count) if votes else ","
        return [next(csv.reader([line], delimiter=sep), []) for line in lines if line]
    except (UnicodeError, OSError, csv.Error):
        return []


def read_layer(spec: LayerSpec) -> tuple[pd.DataFrame, str]:
    """Read a layer as a vector or, when it is a table, as text; return (frame, encoding)."""
    try:
        if spec.path.suffix.lower() in TABLE_SUFFIXES:
            return read_table(spec.path, role=spec.name, encoding=spec.encoding,
                              sheet=spec.sheet, header=spec.header)
        return read_vector(spec)
    except OSError as exc:  # permissions, a file locked by another program, a lost drive
        raise InputFileError(
            f"{spec.path}: cannot open the file of layer {spec.name!r} ({exc.strerror or exc}); "
            "close it in other programs and check that you may read it"
        ) from exc
