"""Reading one layer for the validate stage: personal columns withheld, the ledger entry
opened, mapped columns renamed, coordinates moved to WGS-84 and geometries checked."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from planner._errors import InputFileError
from planner.load.files import read_layer
from planner.records.ledger import Ledger
from planner.records.privacy import withhold_personal
from planner.settings import LayerSpec
from planner.validate.frames import clean_geometries, points_from_table, vector_to_wgs84


def rename_fields(frame: pd.DataFrame, spec: LayerSpec, canonical: list[str]) -> pd.DataFrame:
    """Rename mapped source columns to their canonical names."""
    mapping = {spec.column(c): c for c in canonical if spec.column(c) in frame.columns}
    return frame.rename(columns=mapping)


def known_columns(spec: LayerSpec, canonical: list[str]) -> set[str]:
    """The source columns the planner knows for a layer (mapped fields, x, y, datum)."""
    known = set(canonical) | {spec.column(c) for c in canonical} | set(spec.fields.values())
    known |= {c for c in (spec.x, spec.y, spec.datum_column) if c}
    return known


def read_private(spec: LayerSpec, ledger: Ledger, canonical: list[str]) -> pd.DataFrame:
    """Read a layer, drop its personal columns and open its ledger entry."""
    frame, encoding = read_layer(spec)
    known = known_columns(spec, canonical)
    read = frame
    frame, withheld, masked = withhold_personal(frame, keep=known)
    ledger.read_frame(spec.name, spec.path.name, read, encoding=encoding, shown=known)
    ledger.withhold(spec.name, spec.path.name, withheld, masked)
    return frame


def need_coordinates(spec: LayerSpec) -> None:
    """Stop: a table without coordinate columns where the layer needs them."""
    raise InputFileError(
        f"{spec.path}: a table needs coordinate columns for layer {spec.name!r}; "
        "set x = \"经度\" and y = \"纬度\" (or your column names) in planner.toml"
    )


def to_features(frame: pd.DataFrame, spec: LayerSpec, ledger: Ledger, *,
                kind: str) -> gpd.GeoDataFrame:
    """A raw frame (vector, or table with x/y) as accepted WGS-84 features of ``kind``."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame = vector_to_wgs84(frame, spec)
    else:
        if not spec.x:
            need_coordinates(spec)
        frame = points_from_table(frame, spec, ledger)
    return clean_geometries(frame, spec, ledger, kind=kind)


def read_geo(spec: LayerSpec, ledger: Ledger, *, kind: str,
             canonical: list[str] = ()) -> gpd.GeoDataFrame:
    """Read any layer (vector or table with x/y) to accepted WGS-84 features."""
    frame = read_private(spec, ledger, list(canonical) or list(spec.fields))
    return to_features(frame, spec, ledger, kind=kind)
