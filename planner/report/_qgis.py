"""QGIS styles stored in ``planner.gpkg``: the map's colours when a layer is opened in QGIS.

QGIS keeps a GeoPackage's styles in its ``layer_styles`` table (one QML document per layer,
``useAsDefault`` = 1: applied when the layer is opened). Each style draws its layer with a
symbol of the layer's geometry type (markers for points, lines for lines, fills for areas)
and follows ``map.html``: towns by completion rate, villages by care-point coverage, sites
and proposals by kind, waters by risk tier, kits by completeness, proposed kits by status,
water actions by action; towns and named waters are labelled. Each style also carries the
fields' Chinese aliases (``<aliases>``), which QGIS shows whatever its GDAL.

The QML is written in the form of QGIS 3.22 (``<prop k= v=>`` symbol properties), which
later versions read as well. Every class is a rule (``RuleRenderer``), with an ``ELSE``
rule where the layer holds values no rule names, so that no feature goes undrawn.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from planner.glossary import KINDS, TIERS
from planner.propose.actions import ACTION_LABELS
from planner.report._maplayers import (
    COMPLETION_BINS,
    COVER_COLOURS,
    KIND_STYLE,
    NO_QUOTA,
    PATROL_COLOUR,
    REACH_STYLE,
    TIER_COLOURS,
)

QGIS_VERSION = "3.22.16-Białowieża"
#: QGIS's geometry type numbers (``<layerGeometryType>``)
GEOMETRY_TYPES = {"point": 0, "line": 1, "polygon": 2}
#: water action code -> colour (labels: :data:`planner.propose.actions.ACTION_LABELS`)
ACTION_COLOURS = {"new": "#d7191c", "complete": "#fdae61", "repair_rope": "#fee08b",
                  "inspect": "#2b83ba"}
#: proposed kit status -> (label, colour)
KIT_STATUS = {"new": ("新设", "#d7191c"), "complete_existing": ("补齐现有", "#fdae61"),
              "repair_rope": ("更换救生绳", "#fee08b")}
#: a marker shape of the web map -> QGIS's simple-marker name
_SHAPES = {"cross": "cross_fill"}
_FONT = "Microsoft YaHei"  # on Chinese Windows; elsewhere QGIS takes a CJK font it has


@dataclass(frozen=True)
class Sym:
    """One symbol: ``colour`` fills areas and markers and colours lines; ``outline`` and
    ``width`` (mm) outline areas and markers; ``size`` (mm) and ``shape`` for markers."""

    colour: str
    outline: str = "#ffffff"
    width: float = 0.3
    shape: str = "circle"
    size: float = 2.4
    dash: bool = False


@dataclass(frozen=True)
class Style:
    """A layer's classes -- (label, QGIS filter expression or ``None`` for all, symbol) --
    and the field (or expression) its labels show."""

    classes: tuple[tuple[str, str | None, Sym], ...]
    label: str | None = None
    #: an expression the features are drawn in ascending order of (the last on top)
    order: str | None = None


def _rgba(colour: str) -> str:
    """``#rrggbb`` or ``#rrggbbaa`` as QGIS's ``r,g,b,a``."""
    h = colour.lstrip("#")
    alpha = int(h[6:8], 16) if len(h) == 8 else 255
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _q(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# ---------------------------------------------------------------- the styles

def style_for(table: str, fields: list[str], values: dict[str, set]) -> Style | None:
    """The style of ``table`` with ``fields``; ``values``: the values of its class fields
    (field -> set of values, for the ``ELSE`` rule). ``None``: no style of its own."""
    if table == "county":
        return Style((("县（市、区）界", None, Sym("#ffffff00", "#1a1a1a", 0.8)),))
    if table == "towns":
        return Style(_towns(fields), label="town_name")
    if table == "villages":
        return Style(_villages(fields))
    if table == "roads":
        return Style((("道路", None, Sym("#8c8c8c", width=0.3)),))
    if table.startswith("water_") and table != "water_actions":
        return Style(_by_value("tier", {t: (TIERS[t], Sym(
            TIER_COLOURS[t], TIER_COLOURS[t], 0.6 if t != "N" else 0.3, size=2.0))
            for t in TIERS}, values), label="name",
            order="CASE \"tier\" WHEN 'A' THEN 3 WHEN 'B' THEN 2 WHEN 'C' THEN 1 ELSE 0 END")
    if table == "facilities":
        return Style(_by_value("kind", {k: (KINDS[k][0], Sym(c, "#ffffff", 0.3,
                                                             _SHAPES.get(s, s), 3.0))
                                        for k, (c, s) in KIND_STYLE.items()}, values))
    if table == "proposed_sites":
        return Style(_by_value("kind", {k: ("拟新建" + KINDS[k][0], Sym(
            "#ffffff", c, 0.6, _SHAPES.get(s, s), 3.6)) for k, (c, s) in KIND_STYLE.items()},
            values))
    if table == "kits":
        return Style(_kits(fields))
    if table == "proposed_kits":
        return Style(_by_value("status", {s: (lab, Sym("#ffffff", c, 0.6, size=2.2))
                                          for s, (lab, c) in KIT_STATUS.items()}, values))
    if table == "water_actions":
        return Style(_by_value("action", {a: (ACTION_LABELS[a], Sym(c, "#ffffff", 0.3))
                                          for a, c in ACTION_COLOURS.items()}, values))
    if table == "patrol_routes":
        return Style((("巡查路线（示意）", None, Sym(PATROL_COLOUR, width=0.6, dash=True)),))
    return None


def _by_value(field: str, known: dict[str, tuple[str, Sym]], values: dict[str, set]
              ) -> tuple[tuple[str, str | None, Sym], ...]:
    """One rule per value of ``field`` (those in ``known``, in its order), and an ``ELSE``
    rule when the layer holds other values (or none)."""
    present = values.get(field, set(known))
    rules = [(lab, f"{_q(field)} = {_text(v)}", sym) for v, (lab, sym) in known.items()
             if v in present]
    if present - set(known):
        rules.append(("其他", "ELSE", Sym("#969696", "#ffffff", 0.3)))
    return tuple(rules)


def _towns(fields: list[str]) -> tuple[tuple[str, str | None, Sym], ...]:
    """Towns by the completion rate of the village-level quota kind (else the first)."""
    kinds = [k for k in KINDS if f"pct_{k}" in fields]
    kind = next((k for k in kinds if KINDS[k][1] == "village"), kinds[0] if kinds else None)
    grey = Sym(NO_QUOTA[0] + "b3", "#404040", 0.4)
    if kind is None:
        return ((NO_QUOTA[1], None, grey),)
    pct, rules, upper = _q(f"pct_{kind}"), [], None
    for low, colour, lab in COMPLETION_BINS:
        cond = f"{pct} >= {low:g}" + (f" AND {pct} < {upper:g}" if upper is not None else "")
        rules.append((f"{KINDS[kind][0]}完成率 {lab}", cond, Sym(colour + "b3", "#404040", 0.4)))
        upper = low
    rules.append((NO_QUOTA[1], "ELSE", grey))
    return tuple(rules)


def _villages(fields: list[str]) -> tuple[tuple[str, str | None, Sym], ...]:
    """Villages by the share of their children within reach of a care point (else by
    whether they hold one)."""
    if "covshare_care_point" in fields:
        share = _q("covshare_care_point")
        cond = {"all": f"{share} >= 0.999999999", "part": f"{share} > 0.000000001"}
        return tuple((lab, cond.get(k, "ELSE"), Sym(c + "99", "#737373", 0.15))
                     for k, (lab, c) in REACH_STYLE.items())
    if "has_care_point" in fields:
        return (("本村有关爱站点", _q("has_care_point"), Sym(COVER_COLOURS[True] + "99",
                                                             "#737373", 0.15)),
                ("本村无关爱站点", "ELSE", Sym(COVER_COLOURS[False] + "99", "#737373", 0.15)))
    return (("村（居）", None, Sym("#ffffff00", "#a0a0a0", 0.15)),)


def _kits(fields: list[str]) -> tuple[tuple[str, str | None, Sym], ...]:
    """Existing kits: green complete, orange not (as on the web map)."""
    if "complete" not in fields:
        return (("现有“四个一”", None, Sym("#1a9850")),)
    return (("现有（齐全）", _q("complete"), Sym("#1a9850")),
            ("现有（不齐全）", "ELSE", Sym("#fdae61")))


# ---------------------------------------------------------------- QML

def _props(values: dict[str, str]) -> str:
    return "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in values.items())


def symbol_xml(name: str, geometry: str, sym: Sym) -> str:
    """One QGIS symbol: a marker for points, a line for lines, else a fill."""
    if geometry == "point":
        kind, cls, props = "marker", "SimpleMarker", {
            "name": sym.shape, "color": _rgba(sym.colour), "outline_color": _rgba(sym.outline),
            "outline_style": "solid", "outline_width": f"{sym.width:g}",
            "outline_width_unit": "MM", "size": f"{sym.size:g}", "size_unit": "MM",
            "scale_method": "diameter"}
    elif geometry == "line":
        kind, cls, props = "line", "SimpleLine", {
            "line_color": _rgba(sym.colour), "line_width": f"{sym.width:g}",
            "line_width_unit": "MM", "line_style": "dash" if sym.dash else "solid",
            "capstyle": "round", "joinstyle": "round"}
    else:
        kind, cls, props = "fill", "SimpleFill", {
            "color": _rgba(sym.colour), "outline_color": _rgba(sym.outline),
            "outline_width": f"{sym.width:g}", "outline_width_unit": "MM",
            "outline_style": "solid", "style": "solid", "joinstyle": "bevel"}
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
            f'force_rhr="0"><layer class="{cls}" enabled="1" locked="0" pass="0">'
            f"{_props(props)}</layer></symbol>")


def _renderer(style: Style, geometry: str) -> str:
    symbols = "".join(symbol_xml(str(i), geometry, sym)
                      for i, (_l, _f, sym) in enumerate(style.classes))
    if len(style.classes) == 1 and style.classes[0][1] is None:
        return ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><symbols>{symbols}</symbols></renderer-v2>')
    rules = "".join(f'<rule key="{{rule-{i}}}" symbol="{i}" label={quoteattr(lab)}'
                    + (f" filter={quoteattr(cond)}" if cond else "") + "/>"
                    for i, (lab, cond, _s) in enumerate(style.classes))
    order = ("" if style.order is None else '<orderby><orderByClause asc="1" nullsFirst="1">'
             f"{escape(style.order)}</orderByClause></orderby>")
    return ('<renderer-v2 type="RuleRenderer" symbollevels="0" '
            f'enableorderby="{0 if style.order is None else 1}" '
            f'forceraster="0"><rules key="{{rules}}">{rules}</rules>'
            f"<symbols>{symbols}</symbols>{order}</renderer-v2>")


def _labeling(field: str, geometry: str) -> str:
    """Labels from ``field``: dark text with a white halo; along lines, over areas."""
    placement = {"point": "0", "line": "2", "polygon": "1"}[geometry]
    size, weight, colour = ("9", "75", "17,17,17,255") if field == "town_name" else \
        ("8", "50", "31,78,121,255")
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(field)} isExpression="0" '
            f'fontFamily="{_FONT}" namedStyle="{"Bold" if weight == "75" else "Regular"}" '
            f'fontSize="{size}" fontSizeUnit="Point" fontWeight="{weight}" fontItalic="0" '
            f'textColor="{colour}" textOpacity="1" multilineHeight="1" blendMode="0">'
            '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
            'bufferColor="255,255,255,255" bufferOpacity="0.9" bufferNoFill="1" '
            'bufferJoinStyle="128" bufferBlendMode="0"/></text-style>'
            '<text-format wrapChar="" multilineAlign="3" formatNumbers="0" decimals="3" '
            'plussign="0" addDirectionSymbol="0"/>'
            f'<placement placement="{placement}" placementFlags="10" centroidInside="1" '
            'centroidWhole="0" fitInPolygonOnly="0" priority="5" dist="0" distUnits="MM" '
            'repeatDistance="0" maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25" '
            'offsetType="0" quadOffset="4" xOffset="0" yOffset="0" offsetUnits="MM" '
            'rotationAngle="0" preserveRotation="1"/>'
            '<rendering drawLabels="1" obstacle="1" obstacleFactor="1" obstacleType="0" '
            'displayAll="0" upsidedownLabels="0" labelPerPart="0" mergeLines="1" '
            'minFeatureSize="0" limitNumLabels="0" maxNumLabels="2000" scaleVisibility="0" '
            'scaleMin="0" scaleMax="0" fontLimitPixelSize="0" fontMinPixelSize="3" '
            'fontMaxPixelSize="10000" zIndex="0"/>'
            "</settings></labeling>")


def style_xml(table: str, geometry: str, aliases: dict[str, str], *,
              values: dict[str, set] | None = None) -> tuple[str, bool] | None:
    """The style elements of ``table`` (renderer, labels, aliases) as QGIS writes them
    inside a QML document or a project's ``<maplayer>``, and whether labels are on;
    ``None`` if the table has no style of its own (see :func:`qml`)."""
    style = style_for(table, list(aliases), values or {})
    if style is None:
        return None
    label = style.label if style.label in aliases else None
    alias_xml = "".join(f'<alias field={quoteattr(f)} index="{i}" name={quoteattr(a)}/>'
                        for i, (f, a) in enumerate(aliases.items()))
    return (_renderer(style, geometry) + (_labeling(label, geometry) if label else "")
            + f"<aliases>{alias_xml}</aliases>"), label is not None


def qml(table: str, geometry: str, aliases: dict[str, str], *,
        values: dict[str, set] | None = None) -> str | None:
    """The QML style of ``table`` (``geometry``: point, line or polygon) with the Chinese
    ``aliases`` of its fields (field -> alias, in field order); ``values``: the values of
    its class fields. ``None`` if the table has no style of its own."""
    made = style_xml(table, geometry, aliases, values=values)
    if made is None:
        return None
    body, labels = made
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling|Fields" '
            f'labelsEnabled="{int(labels)}">{body}'
            f"<layerGeometryType>{GEOMETRY_TYPES[geometry]}</layerGeometryType></qgis>")


def geometry_family(type_name: str) -> str:
    """point, line or polygon from a GeoPackage geometry type name."""
    t = type_name.upper()
    return "point" if "POINT" in t else "line" if "LINE" in t else "polygon"


def class_values(con: sqlite3.Connection, table: str, fields: list[str]) -> dict[str, set]:
    """The distinct values of the fields styles classify by (kind, tier, status, action)."""
    out = {}
    for field in ("kind", "tier", "status", "action"):
        if field in fields:
            out[field] = {r[0] for r in con.execute(
                f'SELECT DISTINCT "{field}" FROM "{table}"')}
    return out


def add_styles(path: str | Path, aliases: dict[str, dict[str, str]]) -> int:
    """Write the ``layer_styles`` table of the GeoPackage at ``path``: one default style
    per styled layer, with the fields' ``aliases`` (table -> field -> alias); return the
    number of styles written."""
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
            fields = aliases.get(table) or {r[1]: r[1] for r in con.execute(
                f'PRAGMA table_info("{table}")') if r[1] != column}
            doc = qml(table, geometry_family(type_name), fields,
                      values=class_values(con, table, list(fields)))
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
