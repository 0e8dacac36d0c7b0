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

from planner._errors import InputFileError
from planner.settings import LayerSpec

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}


def detect_encoding(path: Path, *, declared: str | None = None) -> str:
    """Return the text encoding of ``path``: the declared one, else UTF-8 or GB18030.

    GB18030 is a superset of GBK and GB2312, so it also reads files saved as "GBK".
    """
    if declared:
        return declared
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"


def _require_file(path: Path, role: str) -> None:
    if not path.exists():
        raise InputFileError(
            f"{path}: file not found (layer {role!r}); fix its path in planner.toml "
            "or put the file there"
        )


def read_table(
    path: Path, *, role: str, encoding: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel table as text with a ``_row`` column.

    Returns
    -------
    (DataFrame, encoding)
        The encoding actually used (``"xlsx"`` for Excel files).
    """
    _require_file(path, role)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except ValueError as exc:
            raise InputFileError(
                f"{path}: cannot read sheet {sheet!r} ({exc}); fix 'sheet' in planner.toml"
            ) from exc
        used = "xlsx"
    elif suffix in {".csv", ".txt"}:
        used = detect_encoding(path, declared=encoding)
        try:
            frame = pd.read_csv(path, dtype=str, encoding=used, keep_default_na=False)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError(
                f"{path}: cannot decode as {used} ({exc}); set encoding = \"gb18030\" or "
                f"\"utf-8\" for layer {role!r} in planner.toml"
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise InputFileError(
                f"{path}: the file is empty (no header row) for layer {role!r}; export the "
                "table again with its header row"
            ) from exc
        except pd.errors.ParserError as exc:
            raise InputFileError(f"{path}: not a readable CSV ({exc}); fix the file") from exc
    else:
        raise InputFileError(
            f"{path}: unsupported table format {suffix!r} for layer {role!r}; "
            "use .csv or .xlsx"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("")
    frame.insert(0, "_row", range(2, len(frame) + 2))
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
    if spec.layer:
        kwargs["layer"] = spec.layer
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
    return frame, encoding


def require_columns(frame: pd.DataFrame, columns: list[str], *, path: Path, role: str) -> None:
    """Stop with a clear message if any required column is missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c not in ("_row", "geometry")]
        raise InputFileError(
            f"{path}: column(s) {missing} missing for layer {role!r} (present: {present}); "
            f"map them under [layers.{role}.fields] in planner.toml or rename the columns"
        )


def read_layer(spec: LayerSpec) -> tuple[pd.DataFrame, str]:
    """Read a layer as a vector or, when it is a table, as text; return (frame, encoding)."""
    if spec.path.suffix.lower() in TABLE_SUFFIXES:
        return read_table(spec.path, role=spec.name, encoding=spec.encoding, sheet=spec.sheet)
    return read_vector(spec)
