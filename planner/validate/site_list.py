"""Read and validate the site lists (``[[facilities]]``): kinds, standards, duplicates and,
for rows without coordinates, the village or town they declare.

Rows with usable coordinates become points (datum converted, swapped pairs repaired). Rows
without them that declare a village (code, or name with its town) or a town are kept without
a geometry: :func:`planner.validate.declared.resolve_declarations` matches the declaration
and the locate stage puts them at the representative point of their village (or town),
marked approximate. Every other row is rejected with its reason.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.geo.crs import WGS84
from planner.glossary import clean_text, kind_code, standard_code
from planner.records.ledger import Ledger
from planner.settings import LayerSpec, Settings
from planner.validate.declared import (
    DECLARED_FIELDS,
    approximate_positions,
    declared_rows,
    declares_place,
    dedupe_declared,
    place_problems,
    point_towns,
    resolve_declarations,
    without_geometry,
)
from planner.validate.frames import map_unique, reject_outside
from planner.validate.reading import need_coordinates, read_private, rename_fields, to_features

#: the site fields the planner knows (every other column of a site list is left behind)
SITE_FIELDS = ["facility_id", "name", "kind", "standard", "declared_town", *DECLARED_FIELDS]


def _read_sites(spec: LayerSpec, ledger: Ledger) -> gpd.GeoDataFrame:
    """One site list as WGS-84 features; rows located by declaration have no geometry."""
    frame = read_private(spec, ledger, SITE_FIELDS)
    if isinstance(frame, gpd.GeoDataFrame):
        return to_features(frame, spec, ledger, kind="point")
    if not spec.x and not declares_place(spec):
        need_coordinates(spec)
    loose = declared_rows(frame, spec)
    if spec.x:
        placed = to_features(frame[~loose], spec, ledger, kind="point")
    else:
        placed = without_geometry(frame.iloc[:0])
        ledger.reject(spec.name, spec.path.name, frame[~loose],
                      "没有坐标，也没有所属村（居）或镇 / no coordinates and no declared "
                      "village or town: fill in the village (name with its town, or code) or "
                      "the town")
    if not loose.any():
        return placed
    return gpd.GeoDataFrame(pd.concat([placed, without_geometry(frame[loose])]),
                            geometry="geometry", crs=WGS84)


def _one_list(spec: LayerSpec, ledger: Ledger, *, county_m, crs: CRS,
              tolerance_m: float) -> gpd.GeoDataFrame:
    """The accepted records of one site list, kinds and standards as codes."""
    frame = rename_fields(_read_sites(spec, ledger), spec, SITE_FIELDS)
    # only the fields the planner knows travel on (facilities.csv, planner.gpkg, xlsx)
    frame = frame[[c for c in frame.columns
                   if c in SITE_FIELDS or c in ("_row", "_datum", "geometry")]]
    from planner.validate.columns import require_columns

    require_columns(frame, ["name", "kind"], path=spec.path, role=spec.name,
                    fields=spec.fields, sheet=spec.sheet)
    kinds = map_unique(frame["kind"], kind_code)
    ledger.reject(spec.name, spec.path.name, frame[kinds.isna()],
                  "未知设施类型 / unknown facility kind: use a kind from the glossary "
                  "(e.g. 儿童关爱之家, 儿童关爱站点, 未成年人保护工作站)")
    frame = frame[kinds.notna()].copy()
    frame["kind"] = kinds[kinds.notna()]
    raw_std = frame["standard"] if "standard" in frame.columns else pd.Series(
        "", index=frame.index)
    std = map_unique(raw_std, standard_code)
    ledger.repair(spec.name, spec.path.name, frame.loc[std.isna(), "_row"],
                  "达标情况无法识别，按未达省标计 / standard not recognised: counted as basic")
    frame["standard"] = std.fillna("basic")
    for col in ("name", "declared_town", *DECLARED_FIELDS):
        if col not in frame.columns:
            frame[col] = ""
        frame[col] = map_unique(frame[col].fillna(""), clean_text)
    frame = reject_outside(frame, county_metric=county_m, crs=crs, tolerance_m=tolerance_m,
                           spec=spec, ledger=ledger)
    frame["_file"] = spec.path.name
    return frame


def load_sites(settings: Settings, ledger: Ledger, *, county_m, crs: CRS,
               towns: pd.DataFrame, villages: pd.DataFrame,
               rejected_units: pd.DataFrame) -> gpd.GeoDataFrame:
    """Every site list of the workspace, duplicates removed and declarations matched.

    Adds ``declared_town_code``, ``declared_village_code`` (matched codes) and
    ``match_method`` (how the declaration matched); rejects sites whose declared village or
    town was rejected and sites without coordinates whose declaration places nothing.
    """
    frames = [_one_list(spec, ledger, county_m=county_m, crs=crs,
                        tolerance_m=settings.locate_tolerance_m)
              for spec in settings.facilities]
    if not frames:
        cols = ["facility_id", *SITE_FIELDS[1:], "declared_town_code", "match_method", "_row",
                "_file", "geometry"]
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=WGS84)
    allf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                            crs=WGS84)
    allf = dedupe_sites(allf, ledger, crs=crs, within=settings.duplicate_distance_m)
    allf = dedupe_declared(allf, ledger)
    resolved = resolve_declarations(allf, towns=towns, villages=villages,
                                    rejected_units=rejected_units, aliases=settings.aliases)
    why = place_problems(allf, resolved)
    bad = why != ""
    for file in allf.loc[bad, "_file"].unique():
        sel = bad & (allf["_file"] == file)
        ledger.reject_each("facilities", file, allf[sel], why[sel].tolist())
    allf, resolved = allf[~bad].copy(), resolved[~bad]
    for col in ("declared_town_code", "declared_village_code", "match_method"):
        allf[col] = resolved[col]
    geom, how = approximate_positions(allf, resolved, towns=towns, villages=villages, crs=crs)
    allf = allf.set_geometry(geom)
    allf["location_method"] = how
    placed = allf[how == "coordinates"]
    allf["point_town_code"] = point_towns(placed, resolved.loc[placed.index], towns=towns) \
        .reindex(allf.index, fill_value="")
    ids = allf.get("facility_id", pd.Series("", index=allf.index)).fillna("").astype(str)
    fallback = allf["_file"] + ":" + allf["_row"].astype(str)
    allf["facility_id"] = ids.where(ids.str.strip() != "", fallback)
    return allf.reset_index(drop=True)


def dedupe_sites(frame: gpd.GeoDataFrame, ledger: Ledger, *, crs: CRS,
            within: float) -> gpd.GeoDataFrame:
    """Reject a facility repeating an earlier one, across all facility files.

    A later record is a duplicate of an earlier one of the same kind if both have the same
    (non-blank) name within ``within`` metres, or if they lie within 1 m of each other.
    Records without a geometry (located by declaration) are left to
    :func:`planner.validate.declared.dedupe_declared`.
    """
    from planner.core.dedupe import duplicate_of

    placed = frame[frame.geometry.notna()]
    xy = shapely.get_coordinates(placed.geometry.to_crs(crs).to_numpy())
    dup, dist = duplicate_of(xy, placed["kind"].to_numpy(), placed["name"].to_numpy(),
                             within=within, touch=1.0)
    later = np.flatnonzero(dup >= 0)
    rows = placed.iloc[later]
    reasons = [
        f"重复记录 / duplicate of {placed['_file'].iat[f]} row {placed['_row'].iat[f]} "
        f"({d:.0f} m apart): keep one"
        for f, d in zip(dup[later], dist[later], strict=True)
    ]
    files = rows["_file"].to_numpy()
    for file in np.unique(files):
        sel = files == file
        ledger.reject_each("facilities", file, rows[sel], [r for r, s in zip(reasons, sel,
                                                                              strict=True) if s])
    return frame.drop(index=rows.index)
