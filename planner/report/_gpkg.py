"""``planner.gpkg``: the run's map layers for QGIS, one geometry type per layer.

Every layer holds one geometry type, multi- and single-part together as the multi type
(``MultiPolygon``, ``MultiLineString``; points stay points unless some are multi-points):
the water bodies, areas and lines mixed in one table, become ``water_areas``,
``water_lines`` (and ``water_points``), so that QGIS opens each as one layer with a
symbol of its own kind. Field names are the stable English keys, typed as their names say
(:mod:`planner.report._fields`: codes as text, counts as integers, no internal ``_``
fields); each field carries its Chinese label as an alias (GeoPackage schema extension,
``gpkg_data_columns``, read by GDAL >= 3.7) and in the layer's stored QGIS style
(:mod:`planner.report._qgis`, read by every QGIS 3). The file is GeoPackage 1.2, which
GDAL from 2.3 reads without a warning.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely

from planner.report._fields import public, typed
from planner.report._labels import label
from planner.report._maplayers import LAYER_NAMES, MapLayers
from planner.report.safe import safe_frame
from planner.results import RunResult

GPKG_VERSION = "1.2"
PROJECT = "planner.qgs"
#: geometry family -> the water layer of that family
WATER_LAYERS = {"polygon": "water_areas", "line": "water_lines", "point": "water_points"}
#: layer -> its title (``gpkg_contents.identifier``), in drawing order (bottom first)
TITLES: dict[str, str] = {
    "county": "县（市、区）界", "towns": LAYER_NAMES["towns"], "villages": LAYER_NAMES["villages"],
    "roads": LAYER_NAMES["roads"], "water_areas": "溺水风险水域（面）",
    "water_lines": "溺水风险水域（线）", "water_points": "溺水风险水域（点）",
    "patrol_routes": LAYER_NAMES["patrol_routes"], "facilities": "现有阵地",
    "proposed_sites": LAYER_NAMES["proposed_sites"], "kits": LAYER_NAMES["kits"],
    "proposed_kits": LAYER_NAMES["proposed_kits"], "water_actions": "防溺水行动清单",
}
_EXTENSION = ("gpkg_data_columns", None, "gpkg_schema",
              "http://www.geopackage.org/spec121/#extension_schema", "read-write")
_FAMILY = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon",
           6: "polygon"}
_MULTI = {"point": shapely.multipoints, "line": shapely.multilinestrings,
          "polygon": shapely.multipolygons}


# ---------------------------------------------------------------- geometry types

def _parts_by_family(geoms: np.ndarray) -> dict[str, np.ndarray]:
    """Per geometry family, each geometry's parts of that family as one multi-part
    geometry (``None`` where it has none); collections are split by family."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while (shapely.get_type_id(parts) == 7).any():  # collections within collections
        sub, idx = shapely.get_parts(parts, return_index=True)
        parts, owner = sub, owner[idx]
    family = np.array([_FAMILY.get(int(t), "") for t in shapely.get_type_id(parts)])
    out = {}
    for fam, make in _MULTI.items():
        sel = family == fam
        if not sel.any():
            continue
        owners, dense = np.unique(owner[sel], return_inverse=True)
        geom = np.full(len(geoms), None, dtype=object)
        geom[owners] = make(parts[sel], indices=dense)
        out[fam] = geom
    return out


def by_geometry_type(frame: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """``frame`` split by geometry family (``point``, ``line``, ``polygon``), each with
    one geometry type: lines and areas always multi-part, points multi-part only when
    some feature has several; features without a geometry are left out."""
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    live = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    frame, geoms = frame[live], geoms[live]
    out = {}
    for fam, geom in _parts_by_family(geoms).items():
        keep = np.array([g is not None for g in geom])
        geom = geom[keep]
        if fam == "point" and (shapely.get_num_geometries(geom) == 1).all():
            geom = shapely.get_geometry(geom, 0)
        out[fam] = gpd.GeoDataFrame(frame[keep].drop(columns=frame.geometry.name),
                                    geometry=geom, crs=frame.crs)
    return out


# ---------------------------------------------------------------- the layers

def gpkg_layers(result: RunResult, layers: MapLayers) -> dict[str, gpd.GeoDataFrame]:
    """The layers of ``planner.gpkg`` (WGS-84) in drawing order: the county, towns with
    progress, villages with access, roads, the water by geometry type, patrol routes,
    sites, proposals, kits and water actions -- those the run computed."""
    ws = result.workspace
    towns = public(ws.towns).merge(result.progress.drop(columns=["town_name"]),
                                   on="town_code", how="left")
    villages = ws.villages[["village_code", "geometry"]].merge(public(result.villages),
                                                                on="village_code")
    fac = ws.facilities.rename(columns={"_file": "file", "_row": "row", "_datum": "datum"})
    frames: dict[str, Any] = {
        "county": _county(result, towns), "towns": towns, "villages": villages,
        "roads": layers.roads, "patrol_routes": layers.patrol_routes, "facilities": fac,
        "proposed_sites": result.proposals, "kits": layers.kits,
        "proposed_kits": None if result.water is None else result.water.proposed_kits,
        "water_actions": None if result.water is None else result.water.actions,
    }
    if layers.water is not None and len(layers.water):
        for fam, part in by_geometry_type(layers.water.to_crs(4326)).items():
            frames[WATER_LAYERS[fam]] = part
    out = {}
    for name in TITLES:
        frame = frames.get(name)
        if frame is not None and len(frame):
            out[name] = gpd.GeoDataFrame(frame, geometry="geometry").to_crs(4326)
    return out


def _county(result: RunResult, towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The county outline (the union of its towns) with its name, code and sizes."""
    outline = shapely.union_all(shapely.make_valid(towns.geometry.to_numpy()))
    return gpd.GeoDataFrame({
        "county_code": [str(result.run.get("county_code") or "")],
        "county_name": [result.workspace.settings.name], "towns": [len(towns)],
        "villages": [len(result.workspace.villages)]}, geometry=[outline], crs=towns.crs)


def fit_layer(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """A layer fit to write: internal fields dropped, personal columns and ID or phone
    numbers removed, codes as text, counts as integers, flags as 0/1, one geometry type;
    ``None`` when no feature has a geometry (villages from a bare list)."""
    frame = gpd.GeoDataFrame(typed(public(safe_frame(frame, formulas=False))),
                             geometry="geometry", crs=frame.crs)
    frame.columns = [str(c) for c in frame.columns]
    bools = frame.select_dtypes(include=["boolean"]).columns
    frame[bools] = frame[bools].astype(object)
    # one geometry type: the layer's own (the family most features have); stray parts of
    # another family (a line left of a repaired polygon) are not part of the map layer
    parts = by_geometry_type(frame)
    return max(parts.values(), key=len) if parts else None


def write_gpkg(result: RunResult, path: Path, *, layers: MapLayers,
               crs: Any = "EPSG:4326") -> Path:
    """Write ``planner.gpkg`` at ``path`` (in ``crs``): the layers of :func:`gpkg_layers`,
    each with Chinese field aliases and a default QGIS style; and beside it the QGIS
    project ``planner.qgs`` (:mod:`planner.report._qgs`)."""
    from planner.report._qgis import add_styles
    from planner.report._qgs import write_project

    if path.exists():
        path.unlink()
    aliases: dict[str, dict[str, str]] = {}
    for name, frame in gpkg_layers(result, layers).items():
        frame = fit_layer(frame)
        if frame is None:  # nothing to draw: the layer is left out (the report says why)
            continue
        frame = frame.to_crs(crs)
        pyogrio.write_dataframe(
            frame, path, layer=name, driver="GPKG",
            dataset_options=None if aliases else {"VERSION": GPKG_VERSION},
            layer_options={"IDENTIFIER": TITLES[name], "DESCRIPTION": TITLES[name]})
        aliases[name] = field_aliases(["fid", *frame.columns.drop("geometry")])
    add_aliases(path, aliases)
    add_styles(path, aliases)
    view = pyproj.CRS.from_user_input(crs)
    view = view if view.is_projected else pyproj.CRS.from_user_input(layers.crs)
    extent = layers.towns.to_crs(view).total_bounds
    write_project(path, path.with_name(PROJECT), titles=TITLES, aliases=aliases, crs=view,
                  extent=extent, title=f"{result.workspace.settings.name}儿童关爱阵地与防溺水")
    return path


# ---------------------------------------------------------------- aliases

def field_aliases(columns: list[str]) -> dict[str, str]:
    """Each field's Chinese alias, unique within the layer: its label
    (:func:`planner.report._labels.label`), with the field name in brackets where two
    fields share a label or a field has none."""
    out: dict[str, str] = {}
    for col in columns:
        alias = label(col)
        if alias == col or alias in out.values():
            alias = f"{alias}（{col}）" if alias != col else col
        out[col] = alias
    return out


def add_aliases(path: str | Path, aliases: dict[str, dict[str, str]]) -> int:
    """Record ``aliases`` (table -> field -> alias) in ``gpkg_data_columns`` (the
    GeoPackage schema extension); return the number written."""
    con = sqlite3.connect(path)
    try:
        con.execute("""CREATE TABLE IF NOT EXISTS gpkg_data_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
            description TEXT, mime_type TEXT, constraint_name TEXT,
            CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
            CONSTRAINT gdc_tn UNIQUE (table_name, name))""")
        con.execute("""CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT,
            column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
            scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name,
            extension_name))""")
        known = con.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND "
                            "extension_name = ?", (_EXTENSION[0], _EXTENSION[2])).fetchone()
        if not known:
            con.execute("INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", _EXTENSION)
        rows = [(t, c, a, a) for t, cols in aliases.items() for c, a in cols.items()]
        con.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, "
                        "name, title) VALUES (?, ?, ?, ?)", rows)
        con.commit()
    finally:
        con.close()
    return len(rows)


def table_aliases(path: str | Path) -> dict[str, dict[str, str]]:
    """The aliases recorded in the GeoPackage at ``path`` (table -> field -> alias)."""
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT table_name, column_name, name FROM gpkg_data_columns")
        out: dict[str, dict[str, str]] = {}
        for table, column, name in rows:
            out.setdefault(table, {})[column] = name
    return out

