"""QGIS styles stored in ``planner.gpkg``: the map's colours when a layer is opened in QGIS.

QGIS keeps a GeoPackage's styles in its ``layer_styles`` table (one QML document per layer,
``useAsDefault`` = 1: applied when the layer is opened). The styles follow ``map.html``:
towns light with dark outlines, villages outlined, sites by kind, waters by risk tier, kits
and proposals as markers, patrol routes as dashed lines. Labels are Chinese.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

from planner.glossary import KINDS, TIERS
from planner.propose.actions import ACTION_LABELS
from planner.report._maplayers import KIND_STYLE, PATROL_COLOUR, TIER_COLOURS

#: water action code -> colour (labels: :data:`planner.propose.actions.ACTION_LABELS`)
_ACTION_COLOURS = {"new": "#d7191c", "complete": "#fdae61", "repair_rope": "#fee08b",
                   "inspect": "#2b83ba"}
_ACTIONS = {a: (ACTION_LABELS[a], c) for a, c in _ACTION_COLOURS.items()}

#: table -> (kind of symbol, style): "single" with a colour, or "categories" on a field
_STYLES: dict[str, tuple[str, object]] = {
    "towns": ("single", ("#f5f5f0", "#404040", 0.6)),
    "villages": ("single", ("#ffffff00", "#a0a0a0", 0.26)),
    "facilities": ("categories", ("kind", {k: (KINDS[k][0], c) for k, (c, _s)
                                           in KIND_STYLE.items()})),
    "proposed_sites": ("single", ("#d7191c", "#ffffff", 0.4)),
    "water_risk": ("categories", ("tier", {t: (TIERS[t], TIER_COLOURS[t]) for t in TIERS})),
    "kits": ("single", ("#1a9641", "#ffffff", 0.3)),
    "proposed_kits": ("single", ("#d7191c", "#ffffff", 0.3)),
    "water_actions": ("categories", ("action", _ACTIONS)),
    "patrol_routes": ("single", (PATROL_COLOUR, PATROL_COLOUR, 0.6)),
}


def _rgba(colour: str) -> str:
    """``#rrggbb`` or ``#rrggbbaa`` as QGIS's ``r,g,b,a``."""
    h = colour.lstrip("#")
    alpha = int(h[6:8], 16) if len(h) == 8 else 255
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(values: dict[str, str]) -> str:
    return "".join(f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
                   for k, v in values.items())


def _symbol(name: str, geometry: str, fill: str, line: str, width: float) -> str:
    """One QGIS symbol: a marker for points, a line for lines, else a fill."""
    if geometry == "point":
        kind, cls, opts = "marker", "SimpleMarker", {
            "name": "circle", "color": _rgba(fill), "outline_color": _rgba(line),
            "outline_width": str(width), "size": "2.4"}
    elif geometry == "line":
        kind, cls, opts = "line", "SimpleLine", {
            "line_color": _rgba(fill), "line_width": str(width), "line_style": "dash"}
    else:
        kind, cls, opts = "fill", "SimpleFill", {
            "color": _rgba(fill), "outline_color": _rgba(line), "outline_width": str(width),
            "style": "solid"}
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
            f'force_rhr="0"><layer class="{cls}" enabled="1" locked="0" pass="0">'
            f'<Option type="Map">{_options(opts)}</Option></layer></symbol>')


def qml(table: str, geometry: str) -> str | None:
    """The QML style of ``table`` (``geometry``: point, line or polygon); ``None`` if the
    table has no style of its own."""
    spec = _STYLES.get(table)
    if spec is None:
        return None
    how, style = spec
    if how == "single":
        fill, line, width = style
        renderer = ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
                    f'forceraster="0"><symbols>{_symbol("0", geometry, fill, line, width)}'
                    '</symbols></renderer-v2>')
    else:
        field, cats = style
        rows, symbols = [], []
        for i, (value, (label, colour)) in enumerate(cats.items()):
            rows.append(f'<category symbol="{i}" value={quoteattr(value)} '
                        f'label={quoteattr(label)} render="true"/>')
            symbols.append(_symbol(str(i), geometry, colour, "#ffffff" if geometry == "point"
                                   else colour, 0.3 if geometry == "point" else 0.5))
        renderer = (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} '
                    'symbollevels="0" enableorderby="0" forceraster="0">'
                    f'<categories>{"".join(rows)}</categories>'
                    f'<symbols>{"".join(symbols)}</symbols></renderer-v2>')
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            f'<qgis version="3.28.0" styleCategories="Symbology">{renderer}</qgis>')


def _geometry(type_name: str) -> str:
    t = type_name.upper()
    if "POINT" in t:
        return "point"
    if "LINE" in t:
        return "line"
    return "polygon"  # polygons, and mixed layers (mostly water areas)


def add_styles(path: str | Path) -> int:
    """Write the ``layer_styles`` table of the GeoPackage at ``path`` (one default style per
    styled layer); return the number of styles written."""
    con = sqlite3.connect(path)
    try:
        con.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
            f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
            styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
            description TEXT, owner TEXT(30), ui TEXT(30),
            update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))""")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
                    (now,))
        n = 0
        for table, column, type_name in con.execute(
                "SELECT table_name, column_name, geometry_type_name FROM "
                "gpkg_geometry_columns").fetchall():
            doc = qml(table, _geometry(type_name))
            if doc is None:
                continue
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (table,))
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                        "useAsDefault, description, owner, ui, update_time) VALUES "
                        "('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                        (table, column, table, doc, "planner 默认样式（与 map.html 一致）", now))
            n += 1
        con.commit()
    finally:
        con.close()
    return n
