"""Load and validate every layer of a workspace into one :class:`Workspace`.

This is the load -> validate stage of the pipeline. Every record read ends either in a
returned GeoDataFrame or in the ledger's rejected list; ``Workspace.ledger.reconcile()``
is empty when the books balance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.geo.crs import WGS84, choose_metric_crs
from planner.glossary import CHILD_FIELDS, WATER_TYPES, clean_text, kind_code, standard_code
from planner.load.files import read_layer
from planner.records.ledger import Ledger
from planner.records.privacy import withhold_personal
from planner.records.workspace import Workspace
from planner.settings import LayerSpec, Settings
from planner.validate.columns import require_columns
from planner.validate.frames import (
    clean_geometries,
    map_unique,
    nonnegative_ints,
    points_from_table,
    reject_duplicate_keys,
    reject_outside,
    vector_to_wgs84,
)
from planner.validate.staff_table import load_staff
from planner.validate.topology import (
    check_aliases,
    orphan_findings,
    overlap_findings,
    reject_zero_area,
    same_name_findings,
)
from planner.validate.water_inputs import kit_file, merge_water, water_file, water_findings

_GEOM_KIND = {"settlements": "point", "schools": "point", "kits": "point",
              "candidates": "point", "water": "line_or_polygon", "incidents": "point"}


def _rename(frame: pd.DataFrame, spec: LayerSpec, canonical: list[str]) -> pd.DataFrame:
    """Rename mapped source columns to their canonical names."""
    mapping = {spec.column(c): c for c in canonical if spec.column(c) in frame.columns}
    return frame.rename(columns=mapping)


def _known_columns(spec: LayerSpec, canonical: list[str]) -> set[str]:
    """The source columns the planner knows for a layer (mapped fields, x, y, datum)."""
    known = set(canonical) | {spec.column(c) for c in canonical} | set(spec.fields.values())
    known |= {c for c in (spec.x, spec.y, spec.datum_column) if c}
    return known


def _read_private(spec: LayerSpec, ledger: Ledger, canonical: list[str]) -> pd.DataFrame:
    """Read a layer, drop its personal columns and open its ledger entry."""
    frame, encoding = read_layer(spec)
    known = _known_columns(spec, canonical)
    frame, withheld, masked = withhold_personal(frame, keep=known)
    ledger.read(spec.name, spec.path.name, len(frame), encoding=encoding, shown=known)
    ledger.withhold(spec.name, spec.path.name, withheld, masked)
    return frame


def _read_geo(spec: LayerSpec, ledger: Ledger, *, kind: str,
              canonical: list[str] = ()) -> gpd.GeoDataFrame:
    """Read any layer (vector or table with x/y) to accepted WGS-84 features."""
    frame = _read_private(spec, ledger, list(canonical) or list(spec.fields))
    if isinstance(frame, gpd.GeoDataFrame):
        frame = vector_to_wgs84(frame, spec)
    else:
        if not spec.x:
            from planner._errors import InputFileError

            raise InputFileError(
                f"{spec.path}: a table needs coordinate columns for layer {spec.name!r}; "
                "set x = \"经度\" and y = \"纬度\" (or your column names) in planner.toml"
            )
        frame = points_from_table(frame, spec, ledger)
    return clean_geometries(frame, spec, ledger, kind=kind)


def _county(settings: Settings, ledger: Ledger) -> tuple[shapely.Geometry, CRS]:
    spec = settings.layers["county"]
    frame = _read_geo(spec, ledger, kind="polygon")
    ledger.accept(spec.name, spec.path.name, len(frame))
    if frame.empty:
        from planner._errors import InputFileError

        raise InputFileError(f"{spec.path}: no usable county outline; fix the file")
    crs = choose_metric_crs(frame.geometry, override=settings.crs)
    return shapely.union_all(frame.geometry.to_numpy()), crs


def _units(spec: LayerSpec, ledger: Ledger, *, county_m, crs: CRS, tol: float,
           canonical: list[str]) -> gpd.GeoDataFrame:
    frame = _read_geo(spec, ledger, kind="polygon", canonical=canonical)
    if not ledger.counts[(spec.name, spec.path.name)]["read"]:
        from planner._errors import InputFileError

        raise InputFileError(f"{spec.path}: the layer {spec.name!r} has no features; give "
                             "the file that holds the boundaries")
    frame = _rename(frame, spec, canonical)
    require_columns(frame, [c for c in canonical if c != "town_code"], path=spec.path,
                    fields=spec.fields, sheet=spec.sheet,
                    role=spec.name)
    for c in canonical:
        if c in frame.columns:
            frame[c] = map_unique(frame[c], clean_text)
    frame = reject_duplicate_keys(frame, canonical[0], spec, ledger)
    frame = reject_zero_area(frame, spec, ledger, crs=crs)
    return reject_outside(frame, county_metric=county_m, crs=crs, tolerance_m=tol,
                          spec=spec, ledger=ledger)


def _villages(settings: Settings, towns: gpd.GeoDataFrame, ledger: Ledger, *, county_m,
              crs: CRS) -> gpd.GeoDataFrame:
    spec = settings.layers["villages"]
    canonical = ["village_code", "village_name", "town_code"]
    frame = _units(spec, ledger, county_m=county_m, crs=crs,
                   tol=settings.locate_tolerance_m, canonical=canonical)
    if "town_code" not in frame.columns or (frame["town_code"] == "").all():
        frame["town_code"] = frame["village_code"].str[:9]
        ledger.repair(spec.name, spec.path.name, frame["_row"],
                      "town_code 取自村代码前 9 位 / town_code taken from the village code")
    unknown = ~frame["town_code"].isin(towns["town_code"])
    ledger.reject(spec.name, spec.path.name, frame[unknown],
                  "所属镇代码不在镇界图层中 / town_code not in the towns layer: fix the code")
    frame = frame[~unknown].copy()
    frame["town_name"] = frame["town_code"].map(towns.set_index("town_code")["town_name"])
    return frame


def _children(settings: Settings, villages: gpd.GeoDataFrame, ledger: Ledger,
              findings: list[str]) -> gpd.GeoDataFrame:
    counts = list(CHILD_FIELDS)
    if "children" not in settings.layers:
        for c in counts:
            villages[c] = 0
        findings.append("没有儿童人数表 / no children layer: coverage shares cannot be weighted")
        return villages
    spec = settings.layers["children"]
    frame = _read_private(spec, ledger, ["village_code", *counts])
    frame = _rename(frame, spec, ["village_code", *counts])
    require_columns(frame, ["village_code", "children"], path=spec.path, role=spec.name,
                    fields=spec.fields, sheet=spec.sheet)
    for c in counts:
        if c not in frame.columns:
            frame[c] = "0"
    frame["village_code"] = map_unique(frame["village_code"], clean_text)
    frame = reject_duplicate_keys(frame, "village_code", spec, ledger)
    unknown = ~frame["village_code"].isin(villages["village_code"])
    ledger.reject(spec.name, spec.path.name, frame[unknown],
                  "村代码不在村界图层中 / village_code not in the villages layer: fix the code")
    frame = nonnegative_ints(frame[~unknown], counts, spec, ledger)
    parts = frame[["left_behind", "vulnerable", "under5"]].max(axis=1)
    colours = frame[[c for c in counts if c.startswith("vulnerable_")]].sum(axis=1)
    bad = (parts > frame["children"]) | (colours > frame["vulnerable"])
    ledger.reject(spec.name, spec.path.name, frame[bad],
                  "分项人数大于总数 / a part (left-behind, vulnerable, under-5, colours) "
                  "exceeds its total: correct the counts")
    frame = frame[~bad]
    ledger.accept(spec.name, spec.path.name, len(frame))
    merged = villages.merge(frame[["village_code", *counts]], on="village_code", how="left")
    missing = merged["children"].isna()
    if missing.any():
        findings.append(
            f"{int(missing.sum())} 个村没有儿童人数 / villages without child counts, "
            f"counted as 0: {', '.join(merged.loc[missing, 'village_name'].head(10))}"
        )
    merged[counts] = merged[counts].fillna(0).astype(np.int64)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)


def _facilities(settings: Settings, ledger: Ledger, *, county_m, crs: CRS) -> gpd.GeoDataFrame:
    frames = []
    canonical = ["facility_id", "name", "kind", "standard", "declared_town"]
    for spec in settings.facilities:
        frame = _read_geo(spec, ledger, kind="point", canonical=canonical)
        frame = _rename(frame, spec, canonical)
        # only the fields the planner knows travel on (facilities.csv, planner.gpkg, xlsx)
        frame = frame[[c for c in frame.columns
                       if c in canonical or c in ("_row", "_datum", "geometry")]]
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
        frame["name"] = map_unique(frame["name"], clean_text)
        if "declared_town" not in frame.columns:
            frame["declared_town"] = ""
        frame["declared_town"] = map_unique(frame["declared_town"], clean_text)
        frame = reject_outside(frame, county_metric=county_m, crs=crs,
                               tolerance_m=settings.locate_tolerance_m, spec=spec, ledger=ledger)
        frame["_file"] = spec.path.name
        frames.append(frame)
    if not frames:
        cols = ["facility_id", *canonical[1:], "_row", "_file", "geometry"]
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=WGS84)
    allf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                            crs=WGS84)
    allf = _dedupe(allf, ledger, crs=crs, within=settings.duplicate_distance_m)
    ids = allf.get("facility_id", pd.Series("", index=allf.index)).fillna("").astype(str)
    fallback = allf["_file"] + ":" + allf["_row"].astype(str)
    allf["facility_id"] = ids.where(ids.str.strip() != "", fallback)
    return allf


#: more located facilities than this is not one county's list (a county has thousands)
MAX_FACILITIES = 100_000


def check_size(ws: Workspace) -> None:
    """Stop a run whose facility list is far beyond a county's (maps and sheets of millions
    of sites help no one); ``planner check`` still lists such a workspace."""
    from planner._errors import InputFileError

    if len(ws.facilities) > MAX_FACILITIES:
        files = ", ".join(sorted({s.path.name for s in ws.settings.facilities}))
        raise InputFileError(
            f"{files}: {len(ws.facilities):,} facility records remain after removing "
            f"duplicates, more than the {MAX_FACILITIES:,} one county can have; check that "
            "the file is this county's list of sites (planner check lists what was read)"
        )


def _require_some(frame: pd.DataFrame, spec: LayerSpec, ledger: Ledger) -> None:
    """Stop when every record of a layer the run cannot do without was rejected."""
    if len(frame):
        return
    from planner._errors import InputFileError

    first = next((r for r in ledger.rejected
                  if (r["layer"], r["file"]) == (spec.name, spec.path.name)), None)
    why = f" (row {first['row']}: {first['reason']})" if first else ""
    raise InputFileError(f"{spec.path}: every record of layer {spec.name!r} was rejected{why}; "
                         "fix the file")


def _dedupe(frame: gpd.GeoDataFrame, ledger: Ledger, *, crs: CRS,
            within: float) -> gpd.GeoDataFrame:
    """Reject a facility repeating an earlier one, across all facility files.

    A later record is a duplicate of an earlier one of the same kind if both have the same
    (non-blank) name within ``within`` metres, or if they lie within 1 m of each other.
    """
    from planner.core.dedupe import duplicate_of

    xy = shapely.get_coordinates(frame.geometry.to_crs(crs).to_numpy())
    dup, dist = duplicate_of(xy, frame["kind"].to_numpy(), frame["name"].to_numpy(),
                             within=within, touch=1.0)
    later = np.flatnonzero(dup >= 0)
    dup_of = pd.Series(dup[later], index=later)
    far = pd.Series(dist[later], index=later)
    rows = frame.iloc[dup_of.index]
    reasons = [
        f"重复记录 / duplicate of {frame['_file'].iat[f]} row {frame['_row'].iat[f]} "
        f"({d:.0f} m apart): keep one"
        for f, d in zip(dup_of.to_numpy(), far.to_numpy(), strict=True)
    ]
    files = rows["_file"].to_numpy()
    for file in np.unique(files):
        sel = files == file
        ledger.reject_each("facilities", file, rows[sel], [r for r, s in zip(reasons, sel,
                                                                              strict=True) if s])
    keep = np.ones(len(frame), dtype=bool)
    keep[dup_of.index.to_numpy()] = False
    return frame[keep]


def _extra(settings: Settings, ledger: Ledger, *, county_m, crs: CRS,
           findings: list[str]) -> dict:
    out = {}
    for name, kind in _GEOM_KIND.items():
        spec = settings.layers.get(name)
        if spec is None or name == "water":  # water: see _water
            continue
        frame = _read_geo(spec, ledger, kind=kind)
        frame = frame.rename(columns={v: k for k, v in spec.fields.items()})
        frame = reject_outside(frame, county_metric=county_m, crs=crs,
                               tolerance_m=settings.locate_tolerance_m, spec=spec, ledger=ledger)
        if name == "kits":  # normalised once, here: run and check alike
            frame = kit_file(frame, file=spec.path.name,
                             min_rope_m=settings.water.min_rope_m)
        ledger.accept(spec.name, spec.path.name, len(frame))
        if frame.empty:  # nothing usable: the stages that need the layer are skipped
            findings.append(f"{spec.path.name}（{name}）没有可用记录，未使用 / no usable "
                            f"records in layer {name!r}: it is not used")
            continue
        out[name] = frame
    return out


def _water(settings: Settings, ledger: Ledger, *, county_m, crs: CRS,
           villages: gpd.GeoDataFrame, findings: list[str]) -> gpd.GeoDataFrame | None:
    """Every water file read, normalised once and merged (the same water drawn twice kept
    once); findings for a polygon larger than the county or a layer far coarser than the
    villages (:mod:`planner.validate.water_inputs`). ``None`` without usable water."""
    specs = settings.water_layers
    if not specs:
        return None
    files = []
    for spec in specs:
        frame = _read_geo(spec, ledger, kind="line_or_polygon")
        frame = frame.rename(columns={v: k for k, v in spec.fields.items()})
        if "type" in frame.columns:
            frame = _water_types(frame, spec, ledger)
        frame = reject_outside(frame, county_metric=county_m, crs=crs,
                               tolerance_m=settings.locate_tolerance_m, spec=spec, ledger=ledger)
        files.append(water_file(frame, file=spec.path.name, crs=crs))
    water, notes = merge_water(files, crs=crs, ledger=ledger)
    for spec in specs:
        ledger.accept(spec.name, spec.path.name,
                      int((water["source"] == spec.path.name).sum()) if len(water) else 0)
    if water.empty:
        findings.append(f"{'、'.join(s.path.name for s in specs)}（water）没有可用记录，未使用 / "
                        "no usable records in layer 'water': it is not used")
        return None
    findings += notes + water_findings(water, county_m=county_m, villages=villages, crs=crs)
    return water


def _water_types(frame: gpd.GeoDataFrame, spec: LayerSpec, ledger: Ledger) -> gpd.GeoDataFrame:
    """Reject water rows whose type is not a known water type (code or Chinese label)."""
    from planner._errors import InputFileError
    from planner.validate.water_layer import water_type_codes

    def known(value: str) -> bool:
        try:
            water_type_codes(pd.Series([value]), source=spec.path.name)
        except InputFileError:
            return False
        return True

    values = frame["type"].fillna("").astype(str)
    ok = values.map({v: known(v) for v in values.unique()})
    ledger.reject(spec.name, spec.path.name, frame[~ok],
                  "未知水域类型 / unknown water type: use one of "
                  + "、".join(WATER_TYPES.values()))
    return frame[ok]


def load_workspace(settings: Settings) -> Workspace:
    """Read and validate every layer named in ``settings``.

    Facilities are not yet located; see :func:`planner.locate.locate_facilities`.
    """
    ledger = Ledger()
    findings: list[str] = []
    county, crs = _county(settings, ledger)
    county_m = gpd.GeoSeries([county], crs=WGS84).to_crs(crs).iloc[0]
    tspec = settings.layers["towns"]
    towns = _units(tspec, ledger, county_m=county_m, crs=crs, tol=settings.locate_tolerance_m,
                   canonical=["town_code", "town_name"])
    ledger.accept(tspec.name, tspec.path.name, len(towns))
    _require_some(towns, tspec, ledger)
    check_aliases(settings.aliases, towns, source=str(settings.source))
    findings += same_name_findings(towns)
    villages = _villages(settings, towns, ledger, county_m=county_m, crs=crs)
    vspec = settings.layers["villages"]
    ledger.accept(vspec.name, vspec.path.name, len(villages))
    _require_some(villages, vspec, ledger)
    findings += overlap_findings(villages, crs=crs) + orphan_findings(villages, towns)
    villages = _children(settings, villages, ledger, findings)
    facilities = _facilities(settings, ledger, county_m=county_m, crs=crs)
    extra = _extra(settings, ledger, county_m=county_m, crs=crs, findings=findings)
    water = _water(settings, ledger, county_m=county_m, crs=crs, villages=villages,
                   findings=findings)
    if water is not None:
        extra["water"] = water
    staff = load_staff(settings, ledger, villages=villages, towns=towns)
    if staff is not None:
        extra["staff"] = staff
    towns = towns[["_row", "town_code", "town_name", "geometry"]].reset_index(drop=True)
    return Workspace(settings=settings, crs=crs, county=county, towns=towns,
                     villages=villages.reset_index(drop=True), facilities=facilities,
                     extra=extra, ledger=ledger, findings=findings)
