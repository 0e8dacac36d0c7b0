"""Load and validate every layer of a workspace into one :class:`Workspace`.

This is the load -> validate stage of the pipeline. Every record read ends either in a
returned GeoDataFrame or in the ledger's rejected list; ``Workspace.ledger.reconcile()``
is empty when the books balance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.geo.crs import WGS84
from planner.glossary import CHILD_FIELDS, WATER_TYPES, clean_text
from planner.records.ledger import Ledger
from planner.records.workspace import Workspace
from planner.settings import LayerSpec, Settings
from planner.validate.columns import require_columns
from planner.validate.frames import (
    map_unique,
    nonnegative_ints,
    reject_duplicate_keys,
    reject_outside,
)
from planner.validate.kit_values import repair_kit_values
from planner.validate.reading import read_geo, read_private, rename_fields
from planner.validate.site_list import load_sites
from planner.validate.staff_table import load_staff
from planner.validate.topology import (
    check_aliases,
    orphan_findings,
    overlap_findings,
    same_name_findings,
)
from planner.validate.units import load_units
from planner.validate.water_inputs import kit_file, merge_water, water_file, water_findings

_GEOM_KIND = {"settlements": "point", "schools": "point", "kits": "point",
              "candidates": "point", "water": "line_or_polygon", "incidents": "point"}


def _children(settings: Settings, villages: gpd.GeoDataFrame, ledger: Ledger,
              findings: list[str]) -> gpd.GeoDataFrame:
    counts = list(CHILD_FIELDS)
    if "children" not in settings.layers:
        for c in counts:
            villages[c] = 0
        findings.append("没有儿童人数表 / no children layer: coverage shares cannot be weighted")
        return villages
    spec = settings.layers["children"]
    frame = read_private(spec, ledger, ["village_code", *counts])
    frame = rename_fields(frame, spec, ["village_code", *counts])
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


def _extra(settings: Settings, ledger: Ledger, *, county_m, crs: CRS,
           findings: list[str]) -> dict:
    out = {}
    for name, kind in _GEOM_KIND.items():
        spec = settings.layers.get(name)
        if spec is None or name == "water":  # water: see _water
            continue
        frame = read_geo(spec, ledger, kind=kind)
        frame = frame.rename(columns={v: k for k, v in spec.fields.items()})
        frame = reject_outside(frame, county_metric=county_m, crs=crs,
                               tolerance_m=settings.locate_tolerance_m, spec=spec, ledger=ledger)
        if name == "kits":  # normalised once, here: run and check alike
            raw = frame
            frame = kit_file(frame, file=spec.path.name,
                             min_rope_m=settings.water.min_rope_m)
            frame = repair_kit_values(frame, raw, ledger, layer=name, file=spec.path.name,
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
        frame = read_geo(spec, ledger, kind="line_or_polygon")
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

    if frame.empty:  # every feature rejected already (points in a water layer, say)
        return frame
    values = frame["type"].fillna("").astype(str)
    ok = values.map({v: known(v) for v in values.unique()}).astype(bool)
    ledger.reject(spec.name, spec.path.name, frame[~ok],
                  "未知水域类型 / unknown water type: use one of "
                  + "、".join(WATER_TYPES.values()))
    return frame[ok]


def load_workspace(settings: Settings) -> Workspace:
    """Read and validate every layer named in ``settings``.

    Facilities are not yet located; see :func:`planner.locate.locate_facilities`.
    """
    ledger = Ledger()
    units = load_units(settings, ledger)
    crs, towns, findings = units.crs, units.towns, list(units.findings)
    county_m = gpd.GeoSeries([units.county], crs=WGS84).to_crs(crs).iloc[0]
    check_aliases(settings.aliases, towns, source=str(settings.source))
    findings += same_name_findings(towns)
    placed = units.villages[units.villages.geometry.notna()]
    findings += overlap_findings(placed, crs=crs) + orphan_findings(placed, towns)
    villages = _children(settings, units.villages, ledger, findings)
    facilities = load_sites(settings, ledger, county_m=county_m, crs=crs, towns=towns,
                            villages=villages, rejected_units=units.rejected)
    ledger.limit_loss("facilities", settings.max_unusable_share,
                      accepted=settings.accept_incomplete,
                      paths={s.path.name: str(s.path) for s in settings.facilities})
    extra = _extra(settings, ledger, county_m=county_m, crs=crs, findings=findings)
    water = _water(settings, ledger, county_m=county_m, crs=crs, villages=villages,
                   findings=findings)
    if water is not None:
        extra["water"] = water
    staff = load_staff(settings, ledger, villages=villages, towns=towns)
    if staff is not None:
        extra["staff"] = staff
    towns = towns[["_row", "town_code", "town_name", "geometry"]].reset_index(drop=True)
    return Workspace(settings=settings, crs=crs, county=units.county, towns=towns,
                     villages=villages.reset_index(drop=True), facilities=facilities,
                     extra=extra, ledger=ledger, findings=findings,
                     rejected_units=units.rejected, derived=units.derived)
