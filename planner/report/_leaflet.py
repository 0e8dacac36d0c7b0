"""Leaflet building blocks of the web map: escaped JSON data, inline-SVG symbols, GeoJSON
layers drawn by a small script, legend blocks (see :mod:`planner.report._maplayers`).

Text from input files reaches the page only as JSON data (``<``, ``>`` and ``&`` escaped)
that the browser puts into popups and tooltips with ``textContent``, never as markup.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement, Template

from planner.validate.datum import transform_geometry

JS = """
function plText(tag, text) {
  const el = document.createElement(tag); el.textContent = text == null ? '' : text; return el;
}
function plBind(spec) {
  return function (feature, layer) {
    const p = feature.properties;
    layer.bindPopup(function () {
      const div = document.createElement('div'); div.className = 'pp';
      div.appendChild(plText('b', p.h));
      const table = document.createElement('table');
      spec.labels.forEach(function (label, i) {
        if (p.v[i] == null || p.v[i] === '') { return; }
        const row = table.insertRow();
        row.appendChild(plText('th', label)); row.appendChild(plText('td', p.v[i]));
      });
      div.appendChild(table); return div;
    });
    layer.bindTooltip(function () {
      return plText('span', p.t == null ? spec.tip + p.h : p.t);
    });
  };
}
function plStyle(spec) { return function (feature) { return spec.styles[feature.properties.k]; }; }
function plPoint(spec) {
  return function (feature, latlng) {
    const icon = spec.icons && spec.icons[feature.properties.k];
    if (icon) {
      return L.marker(latlng, {icon: L.divIcon({html: icon[0], className: 'pm',
                                                iconSize: [icon[1], icon[1]]})});
    }
    return L.circleMarker(latlng, spec.styles[feature.properties.k]);
  };
}
"""


def js_json(value: object) -> str:
    """Compact JSON safe to put inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def cell(value: object) -> str | None:
    """A value as display text (``None`` for missing: the popup leaves the row out)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return None
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, np.integer):
        return str(int(value))
    text = str(value)
    return text or None


def svg(shape: str, colour: str, *, size: int = 14, hollow: bool = False) -> str:
    """An inline SVG marker symbol (no icon font, so it works offline)."""
    fill, stroke, width = ("#ffffff", colour, 2.5) if hollow else (colour, "#ffffff", 1.2)
    s = size
    h = s / 2
    body = {
        "circle": f"<circle cx='{h}' cy='{h}' r='{h - 1.5}'/>",
        "square": f"<rect x='1.5' y='1.5' width='{s - 3}' height='{s - 3}'/>",
        "triangle": f"<polygon points='{h},1 {s - 1},{s - 1.5} 1,{s - 1.5}'/>",
        "diamond": f"<polygon points='{h},0.5 {s - 0.5},{h} {h},{s - 0.5} 0.5,{h}'/>",
        "star": "<polygon points='" + " ".join(
            f"{h + (h - 0.5) * (1 if i % 2 == 0 else 0.45) * np.sin(i * np.pi / 5):.1f},"
            f"{h - (h - 0.5) * (1 if i % 2 == 0 else 0.45) * np.cos(i * np.pi / 5):.1f}"
            for i in range(10)) + "'/>",
        "hexagon": "<polygon points='" + " ".join(
            f"{h + (h - 1) * np.cos(i * np.pi / 3):.1f},{h + (h - 1) * np.sin(i * np.pi / 3):.1f}"
            for i in range(6)) + "'/>",
        "cross": (f"<polygon points='{s * .35},1 {s * .65},1 {s * .65},{s * .35} {s - 1},{s * .35} "
                  f"{s - 1},{s * .65} {s * .65},{s * .65} {s * .65},{s - 1} {s * .35},{s - 1} "
                  f"{s * .35},{s * .65} 1,{s * .65} 1,{s * .35} {s * .35},{s * .35}'/>"),
        "ring": f"<circle cx='{h}' cy='{h}' r='{h - 2}'/><path d='M{h} 3V{s - 3}M3 {h}H{s - 3}'/>",
    }[shape]
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{s}' height='{s}' "
            f"viewBox='0 0 {s} {s}' fill='{fill}' stroke='{stroke}' stroke-width='{width}'>"
            f"{body}</svg>")


def dot(colour: str, *, size: int = 10, ring: bool = False) -> str:
    """Legend symbol of a canvas circle marker."""
    return svg("ring" if ring else "circle", colour, size=size)


@dataclass
class Feature:
    """One feature's popup: heading, values (one per layer label), tooltip, style key."""

    heading: object
    values: list[object]
    key: str = ""
    tip: object = None

    def properties(self) -> dict:
        out = {"h": cell(self.heading) or "", "v": [cell(v) for v in self.values], "k": self.key}
        if self.tip is not None:
            out["t"] = cell(self.tip)
        return out


class _Raw(Element):
    """Fixed text put into the page as it is. (``Element(text)`` compiles the text as a
    Jinja template: slow for megabytes of data, and a name holding ``{{ … }}`` would be
    evaluated.)"""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def no_template(text: str) -> str:
    """``text`` for HTML that a folium element may pass through Jinja: braces as entities."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


class _GeoLayer(MacroElement):
    """``L.geoJson`` of pre-serialised, script-safe JSON (compact: UTF-8, no indent)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (spec) {
          return L.geoJson({{ this.data }}, {style: plStyle(spec), pointToLayer: plPoint(spec),
                                             onEachFeature: plBind(spec)});
        })({{ this.spec }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, spec: dict):
        super().__init__()
        self._name = "PlannerGeoJson"
        self.data, self.spec = js_json(data), js_json(spec)

    def render(self, **kwargs) -> None:
        """As :meth:`MacroElement.render`, but the script goes in as raw text: branca would
        compile it as a template again, evaluating any ``{{ … }}`` in the data."""
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_Raw(script(self, kwargs)), name=self.get_name())


def add_layer(group: folium.FeatureGroup, frame: gpd.GeoDataFrame, features: list[Feature], *,
              amap: bool, labels: list[str], styles: dict[str, dict],
              icons: dict[str, tuple[str, int]] | None = None, tip: str = "") -> None:
    """Add ``frame`` to ``group`` as one GeoJSON layer: geometries shifted to GCJ-02 on the
    AMap basemap, points as SVG icons (``icons``) or canvas circles (``styles``); tooltips
    are ``tip`` + the heading unless a feature has its own."""
    geoms = frame.geometry.to_numpy()
    if amap:
        geoms = transform_geometry(geoms, datum="gcj02", inverse=True)
    geoms = np.asarray(geoms, dtype=object)
    points = shapely.get_type_id(geoms) == 0
    # points to 1e-6 degrees (0.1 m); lines and areas simplified and rounded to ~1 m
    # (plain Douglas-Peucker: at ~1 m nothing visible changes, and a shape it would collapse
    # keeps its own outline)
    shapes = shapely.simplify(geoms, 1e-5, preserve_topology=False)
    lost = shapely.is_empty(shapes) & ~shapely.is_empty(geoms)
    shapes[lost] = geoms[lost]
    geoms = np.where(points, shapely.transform(geoms, lambda c: np.round(c, 6)),
                     shapely.transform(shapes, lambda c: np.round(c, 5)))
    feats = [{"type": "Feature", "geometry": shapely.geometry.mapping(g),
              "properties": f.properties()}
             for g, f in zip(geoms, features, strict=True) if g is not None and not g.is_empty]
    if feats:
        spec = {"labels": labels, "styles": styles, "icons": icons, "tip": tip}
        group.add_child(_GeoLayer({"type": "FeatureCollection", "features": feats}, spec))


def _get(row: Mapping, key: str, default: object = None) -> object:
    value = row.get(key, default)
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return default
    return value


def legend_block(title: str, items: list[tuple[str, str]]) -> str:
    """Legend HTML: ``items`` are (symbol HTML made here, escaped label)."""
    rows = "".join(f"<div class='it'>{sym}<span>{lab}</span></div>" for sym, lab in items)
    head = f"<div class='lt'>{html.escape(title)}</div>" if title else ""
    return head + rows


def _swatch(colour: str, *, opacity: float = 1.0) -> str:
    return f"<i class='sw' style='background:{colour};opacity:{opacity}'></i>"


# ---------------------------------------------------------------- layers
