"""The administrative units of a workspace: towns, villages and the county outline.

What a bureau really has comes first:

- **towns**: polygons, with a code column or with names only. Without codes the county's
  reference divisions give them by normalised name, else stable generated codes are made
  (:mod:`planner.validate.town_codes`); both are reported.
- **villages**: polygons, points (村委会 locations: approximate village areas are derived,
  :mod:`planner.validate.village_areas`) or a bare list of codes and names without any
  geometry. Every village keeps ``geometry_source`` (``polygon``, ``voronoi``, ``none``).
- **county**: the union of the towns. A ``[layers.county]`` outline is a check: where the
  towns reach beyond it (or it beyond them) by more than ``[validate] outline_tolerance_m``
  a finding says so; nothing is rejected for it.
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputFileError
from planner.core.names import match_towns
from planner.geo.crs import WGS84, choose_metric_crs
from planner.glossary import GEOMETRY_SOURCES, clean_text
from planner.records.ledger import Ledger
from planner.settings import LayerSpec, Settings
from planner.validate.columns import require_columns
from planner.validate.frames import (
    map_unique,
    reject_duplicate_keys,
    reject_outside,
)
from planner.validate.reading import read_private, rename_fields, to_features
from planner.validate.town_codes import derive_town_codes
from planner.validate.village_areas import cells_from_points

TOWN_FIELDS = ["town_code", "town_name"]
VILLAGE_FIELDS = ["village_code", "village_name", "town_code", "town_name"]
#: an outline disagreement smaller than this (m²) beyond the tolerance is noise
OUTLINE_NOISE_M2 = 10_000.0


class Units(NamedTuple):
    """What :func:`load_units` returns."""

    county: shapely.Geometry
    crs: CRS
    towns: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    rejected: pd.DataFrame
    findings: list[str]
    derived: dict[str, dict]


def _attributes(raw: pd.DataFrame, spec: LayerSpec, canonical: list[str]) -> pd.DataFrame:
    """The raw records' known fields (renamed, cleaned) with ``_row``: what a rejected unit
    was, for sites that declare it."""
    frame = rename_fields(pd.DataFrame(raw.drop(columns="geometry", errors="ignore")), spec,
                          canonical)
    out = pd.DataFrame({"_row": frame["_row"]})
    for c in canonical:
        out[c] = map_unique(frame[c], clean_text) if c in frame.columns else ""
    return out


def _no_features(spec: LayerSpec, ledger: Ledger) -> None:
    if not ledger.counts[(spec.name, spec.path.name)]["read"]:
        raise InputFileError(f"{spec.path}: the layer {spec.name!r} has no features; give "
                             "the file that holds the boundaries")


def _none_usable(frame: pd.DataFrame, spec: LayerSpec, ledger: Ledger) -> None:
    """Stop in one line when every feature of a boundary layer was rejected (points in a
    polygon layer, say), naming the first reason."""
    if len(frame):
        return
    first = next((r for r in ledger.rejected if r["layer"] == spec.name
                  and r["file"] == spec.path.name), None)
    why = f"row {first['row']}: {first['reason']}" if first else "no usable feature"
    raise InputFileError(f"{spec.path}: no usable boundary in layer {spec.name!r} ({why}); "
                         "give the file that holds the town polygons")


def _outline(settings: Settings, ledger: Ledger) -> gpd.GeoSeries | None:
    """The ``[layers.county]`` outline as WGS-84 polygons (``None`` without one)."""
    spec = settings.layers.get("county")
    if spec is None:
        return None
    frame = to_features(read_private(spec, ledger, list(spec.fields)), spec, ledger,
                        kind="polygon")
    ledger.accept(spec.name, spec.path.name, len(frame))
    if frame.empty:
        raise InputFileError(f"{spec.path}: no usable county outline; fix the file, or "
                             "remove [layers.county]: the towns' union is the county")
    return frame.geometry


def _towns(settings: Settings, ledger: Ledger, outline: gpd.GeoSeries | None,
           findings: list[str], derived: dict) -> tuple[gpd.GeoDataFrame, pd.DataFrame, CRS]:
    spec = settings.layers["towns"]
    raw = read_private(spec, ledger, TOWN_FIELDS)
    _no_features(spec, ledger)
    attrs = _attributes(raw, spec, TOWN_FIELDS)
    frame = rename_fields(to_features(raw, spec, ledger, kind="polygon"), spec, TOWN_FIELDS)
    _none_usable(frame, spec, ledger)
    require_columns(frame, ["town_name"], path=spec.path, fields=spec.fields,
                    sheet=spec.sheet, role=spec.name)
    for c in TOWN_FIELDS:
        if c in frame.columns:
            frame[c] = map_unique(frame[c], clean_text)
    crs = choose_metric_crs(outline if outline is not None else frame.geometry,
                            override=settings.crs)
    if "town_code" not in frame.columns or (frame["town_code"] == "").all():
        frame, notes, how = derive_town_codes(frame, spec, ledger,
                                              county_code=settings.county_code)
        findings.extend(notes)
        derived["town_codes"] = how
    frame = reject_duplicate_keys(frame, "town_code", spec, ledger)
    from planner.validate.topology import reject_zero_area

    frame = reject_zero_area(frame, spec, ledger, crs=crs)
    attrs["town_code"] = attrs["_row"].map(frame.set_index("_row")["town_code"]) \
        .fillna(attrs["town_code"])
    return frame, attrs, crs


def _county(outline: gpd.GeoSeries | None, towns: gpd.GeoDataFrame, *, crs: CRS,
            tolerance_m: float, findings: list[str], derived: dict) -> shapely.Geometry:
    """The county: the towns' union, with a given outline only as a check (a finding)."""
    union = shapely.union_all(towns.geometry.to_numpy())
    if outline is None:
        derived["county"] = {"how": "union_of_towns", "label": "县域为各镇界之并"}
        return union
    given = shapely.union_all(outline.to_numpy())
    metric = gpd.GeoSeries([union, given], crs=WGS84).to_crs(crs).to_numpy()
    beyond = shapely.area(shapely.difference(metric[0], shapely.buffer(metric[1], tolerance_m)))
    short = shapely.area(shapely.difference(metric[1], shapely.buffer(metric[0], tolerance_m)))
    if beyond > OUTLINE_NOISE_M2:
        tm = towns.to_crs(crs)
        out = shapely.area(shapely.difference(tm.geometry.to_numpy(),
                                              shapely.buffer(metric[1], tolerance_m)))
        which = "、".join(f"{n}（{a / 1e6:.2f} km²）" for n, a in
                         zip(tm["town_name"], out, strict=True) if a > OUTLINE_NOISE_M2)
        findings.append(f"镇界超出县界参考轮廓 {beyond / 1e6:.2f} km²"
                        f"（容差 {tolerance_m:g} 米以外）：{which}；县域按镇界计，未拒收任何记录 / "
                        "the towns reach beyond the "
                        "county outline: the county is taken as the towns' union, nothing was "
                        "rejected for it")
    if short > OUTLINE_NOISE_M2:
        findings.append(f"县界参考轮廓内有 {short / 1e6:.2f} km² 不在任何镇界内（容差 "
                        f"{tolerance_m:g} 米以外）：请检查镇界是否完整 / part of the county "
                        "outline lies in no town: check that the towns layer is complete")
    return shapely.union(union, given)


def _layer_shape(raw: pd.DataFrame, spec: LayerSpec) -> str:
    """``polygon``, ``point`` or ``list`` (a table without coordinates)."""
    if not isinstance(raw, gpd.GeoDataFrame):
        return "point" if spec.x else "list"
    types = shapely.get_type_id(raw.geometry.to_numpy())
    present = types[types >= 0]
    if len(present) and np.isin(present, [0, 4]).all():
        return "point"
    return "polygon"


def _resolve_towns(frame: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, spec: LayerSpec,
                   ledger: Ledger, *, aliases: dict[str, str]) -> gpd.GeoDataFrame:
    """Each village's town: its town_code, else its code's first 9 digits, else its town
    name, else (with a geometry) the town holding it; villages of no town are rejected."""
    file = spec.path.name
    codes = set(towns["town_code"])
    given = frame["town_code"] if "town_code" in frame.columns else pd.Series(
        "", index=frame.index, dtype=object)
    if (given == "").all():
        prefix = frame["village_code"].str[:9]
        ledger.repair(spec.name, file, frame.loc[prefix.isin(codes), "_row"],
                      "town_code 取自村代码前 9 位 / town_code taken from the village code")
        given = prefix
    town = given.where(given.isin(codes), "")
    if "town_name" in frame.columns and (town == "").any():
        by_name = match_towns(frame["town_name"], towns, aliases=aliases)[0]
        use = (town == "") & (by_name.to_numpy() != "")
        ledger.repair(spec.name, file, frame.loc[use, "_row"],
                      "所属镇按镇名匹配 / town found by its name")
        town = town.where(~use, by_name.to_numpy())
    placed = (town == "") & frame.geometry.notna()
    if placed.any():
        pts = gpd.GeoDataFrame(geometry=frame.loc[placed].geometry.representative_point(),
                               crs=WGS84)
        hit = gpd.sjoin(pts, towns[["town_code", "geometry"]], how="inner", predicate="within")
        hit = hit[~hit.index.duplicated(keep="first")]
        ledger.repair(spec.name, file, frame.loc[hit.index, "_row"],
                      "所属镇按位置确定 / town found by position")
        town.loc[hit.index] = hit["town_code"]
    unknown = town == ""
    ledger.reject(spec.name, file, frame[unknown],
                  "所属镇代码不在镇界图层中 / town_code not in the towns layer: fix the code")
    frame = frame[~unknown].copy()
    frame["town_code"] = town[~unknown]
    frame["town_name"] = frame["town_code"].map(towns.set_index("town_code")["town_name"])
    return frame


def _villages(settings: Settings, towns: gpd.GeoDataFrame, ledger: Ledger, *, county_m,
              crs: CRS, findings: list[str], derived: dict
              ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    spec = settings.layers["villages"]
    raw = read_private(spec, ledger, VILLAGE_FIELDS)
    _no_features(spec, ledger)
    attrs = _attributes(raw, spec, VILLAGE_FIELDS)
    shape = _layer_shape(raw, spec)
    if shape == "list":
        frame = gpd.GeoDataFrame(raw, geometry=gpd.GeoSeries([None] * len(raw),
                                                             index=raw.index, crs=WGS84))
    else:
        frame = to_features(raw, spec, ledger, kind=shape)
    frame = rename_fields(frame, spec, VILLAGE_FIELDS)
    require_columns(frame, ["village_code", "village_name"], path=spec.path,
                    fields=spec.fields, sheet=spec.sheet, role=spec.name)
    for c in VILLAGE_FIELDS:
        if c in frame.columns:
            frame[c] = map_unique(frame[c], clean_text)
    frame = reject_duplicate_keys(frame, "village_code", spec, ledger)
    if shape == "polygon":
        from planner.validate.topology import reject_zero_area

        frame = reject_zero_area(frame, spec, ledger, crs=crs)
    frame = reject_outside(frame, county_metric=county_m, crs=crs,
                           tolerance_m=settings.locate_tolerance_m, spec=spec, ledger=ledger)
    frame = _resolve_towns(frame, towns, spec, ledger, aliases=settings.aliases)
    if shape == "point":
        frame, notes = cells_from_points(frame, towns, crs=crs)
        findings.extend(notes)
    frame["geometry_source"] = {"polygon": "polygon", "point": "voronoi", "list": "none"}[shape]
    if shape == "point":
        findings.append(f"村界为推算：{len(frame)} 个村（居）的村委会点在所属镇内的泰森多边形（不是"
                        "测绘的村界） / village areas derived from village-committee points: "
                        "approximate")
    if shape == "list":
        findings.append(f"村（居）只有名单，没有村界或位置（{len(frame)} 个）：任务进度照常计算，"
                        "距离、服务半径内儿童和选址不计算 / a village list without geometry: no "
                        "distances, coverage within reach or proposals")
    if shape != "polygon":
        derived["villages"] = {"how": frame["geometry_source"].iat[0] if len(frame) else shape,
                               "label": GEOMETRY_SOURCES[frame["geometry_source"].iat[0]]
                               if len(frame) else "", "villages": len(frame)}
    return frame, attrs


def _rejected(attrs: pd.DataFrame, accepted: pd.DataFrame, level: str) -> pd.DataFrame:
    gone = attrs[~attrs["_row"].isin(accepted["_row"])]
    code, name = ("town_code", "town_name") if level == "town" else (
        "village_code", "village_name")
    town_code = gone["town_code"] if level == "town" else gone["town_code"].where(
        gone["town_code"] != "", gone["village_code"].str[:9])
    return pd.DataFrame({"level": level, "code": gone[code].to_numpy(),
                         "name": gone[name].to_numpy(), "town_code": town_code.to_numpy(),
                         "town_name": gone["town_name"].to_numpy()})


def load_units(settings: Settings, ledger: Ledger) -> Units:
    """Read the county outline (if any), the towns and the villages."""
    findings: list[str] = []
    derived: dict[str, dict] = {}
    outline = _outline(settings, ledger)
    towns, tattrs, crs = _towns(settings, ledger, outline, findings, derived)
    tspec = settings.layers["towns"]
    ledger.accept(tspec.name, tspec.path.name,
                  int(towns["_parts"].sum()) if "_parts" in towns else len(towns))
    if towns.empty:
        _none_left(tspec, ledger)
    county = _county(outline, towns, crs=crs, tolerance_m=settings.outline_tolerance_m,
                     findings=findings, derived=derived)
    county_m = gpd.GeoSeries([county], crs=WGS84).to_crs(crs).iloc[0]
    villages, vattrs = _villages(settings, towns, ledger, county_m=county_m, crs=crs,
                                 findings=findings, derived=derived)
    vspec = settings.layers["villages"]
    ledger.accept(vspec.name, vspec.path.name, len(villages))
    if villages.empty:
        _none_left(vspec, ledger)
    rejected = pd.concat([_rejected(tattrs, towns, "town"),
                          _rejected(vattrs, villages, "village")], ignore_index=True)
    return Units(county, crs, towns, villages, rejected, findings, derived)


def _none_left(spec: LayerSpec, ledger: Ledger) -> None:
    """Stop: every record of a layer the run cannot do without was rejected."""
    first = next((r for r in ledger.rejected
                  if (r["layer"], r["file"]) == (spec.name, spec.path.name)), None)
    why = f" (row {first['row']}: {first['reason']})" if first else ""
    raise InputFileError(f"{spec.path}: every record of layer {spec.name!r} was rejected{why}; "
                         "fix the file")
