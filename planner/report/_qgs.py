"""``planner.qgs``: a QGIS project beside ``planner.gpkg`` -- every layer of the GeoPackage
with its style, labels and Chinese aliases, in drawing order, the layers ``map.html``
opens with switched on, the view on the county.

The project names the GeoPackage by a relative path (``./planner.gpkg``), so the output
folder can be copied or zipped as a whole. It is written in the form of QGIS 3.22, which
later versions read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pyproj import CRS

from planner.report._qgis import QGIS_VERSION, class_values, geometry_family, style_xml
from planner.report.safe import write_document

#: layers switched on when the project opens (as on map.html); the others one click away
SHOWN = ("county", "towns", "roads", "water_areas", "water_lines", "water_points",
         "facilities", "proposed_sites")
_GEOMETRY = {"point": "Point", "line": "Line", "polygon": "Polygon"}
_WKB = {"POINT": "Point", "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
        "MULTIPOLYGON": "MultiPolygon", "LINESTRING": "LineString", "POLYGON": "Polygon"}


def _srs(crs: CRS) -> str:
    return (f'<spatialrefsys nativeFormat="Wkt"><wkt>{escape(crs.to_wkt())}</wkt>'
            f"<authid>EPSG:{crs.to_epsg()}</authid>"
            f"<description>{escape(crs.name)}</description></spatialrefsys>")


def write_project(gpkg: Path, path: Path, *, titles: dict[str, str],
                  aliases: dict[str, dict[str, str]], crs: CRS,
                  extent: Sequence[float], title: str) -> Path:
    """Write the QGIS project ``path`` for the GeoPackage ``gpkg`` (in the same folder).

    Parameters
    ----------
    titles : dict
        Layer (table) -> its name in the layer panel, in drawing order (bottom first).
    aliases : dict
        Layer -> field -> Chinese alias.
    crs : pyproj.CRS
        The project's CRS (a metric one shows the county undistorted).
    extent : sequence of float
        The view (xmin, ymin, xmax, ymax) in ``crs``.
    title : str
        The project's title.
    """
    with sqlite3.connect(gpkg) as con:
        tables = {t: (c, g) for t, c, g in con.execute(
            "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns")}
        layers = []
        for table in [t for t in titles if t in tables]:
            family = geometry_family(tables[table][1])
            made = style_xml(table, family, aliases.get(table, {}),
                             values=class_values(con, table, list(aliases.get(table, {}))))
            layers.append((table, family, tables[table][1].upper(), made))
    source = f"./{gpkg.name}"
    tree, maplayers = [], []
    for table, family, wkb, made in reversed(layers):  # the top layer first in the tree
        lid = f"{table}_planner"
        checked = "Qt::Checked" if table in SHOWN else "Qt::Unchecked"
        name = quoteattr(titles[table])
        tree.append(f'<layer-tree-layer id="{lid}" name={name} checked="{checked}" '
                    f'expanded="0" providerKey="ogr" '
                    f'source={quoteattr(f"{source}|layername={table}")}>'
                    "<customproperties/></layer-tree-layer>")
        body, labels = made if made is not None else ("", False)
        maplayers.append(
            f'<maplayer type="vector" geometry="{_GEOMETRY[family]}" '
            f'wkbType="{_WKB.get(wkb, wkb.title())}" labelsEnabled="{int(labels)}" '
            'autoRefreshEnabled="0" readOnly="0" hasScaleBasedVisibilityFlag="0" '
            'minScale="100000000" maxScale="0" simplifyDrawingHints="1" '
            'simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" '
            f'simplifyAlgorithm="0"><id>{lid}</id>'
            f"<datasource>{escape(source)}|layername={escape(table)}</datasource>"
            f"<layername>{escape(titles[table])}</layername>"
            '<provider encoding="UTF-8">ogr</provider>'
            f"{body}</maplayer>")
    x0, y0, x1, y1 = extent
    doc = ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
           f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
           f'<homePath path=""/><title>{escape(title)}</title>'
           f"<projectCrs>{_srs(crs)}</projectCrs>"
           f'<layer-tree-group><customproperties/>{"".join(tree)}</layer-tree-group>'
           '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units>'
           f"<extent><xmin>{x0!r}</xmin><ymin>{y0!r}</ymin><xmax>{x1!r}</xmax>"
           f"<ymax>{y1!r}</ymax></extent><rotation>0</rotation>"
           f"<destinationsrs>{_srs(crs)}</destinationsrs><rendermaptile>0</rendermaptile>"
           "</mapcanvas>"
           f'<projectlayers>{"".join(maplayers)}</projectlayers>'
           '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
           '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled>'
           "</SpatialRefSys></properties>"
           "</qgis>")
    return write_document(path, doc)
