"""Leaflet building blocks of the web map: compact layer data, inline-SVG symbols, GeoJSON
layers drawn by a small script (``_assets/map.js``), legend blocks (see
:mod:`planner.report._mapdraw`).

A layer travels as one compact JSON object that the browser turns back into GeoJSON
features: the vertices as integer steps written like Google's encoded polyline
(:func:`encode_geometries`), the popups as columns of display values, each in its shortest
form (:func:`column`). Text from input files reaches the page only as JSON data (``<``,
``>`` and ``&`` escaped) that the browser puts into popups and tooltips with
``textContent``, never as markup.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, MacroElement, Template

from planner.geo.crs import check_metric
from planner.geo.datum import transform_geometry

JS = (Path(__file__).resolve().parent / "_assets" / "map.js").read_text(encoding="utf-8")


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


def _shown(value: object) -> object:
    """As :func:`cell`, but whole numbers stay numbers (they show the same, and are shorter)."""
    if type(value) is str:
        return value or None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    if value is not None and pd.isna(value):
        return None
    return cell(value)


def _distinct(values: np.ndarray, *, text: bool) -> tuple[np.ndarray, list]:
    """Codes (-1 for missing) and the distinct values, shown as by :func:`_shown` if
    ``text``; ``True``, ``1`` and ``1.0`` stay apart (they show differently)."""
    codes, uniques = pd.factorize(values)
    mixed = values.dtype == object and any(
        isinstance(u, bool | int | float | np.number | np.bool_) for u in uniques)
    if mixed:  # pandas takes equal numbers of different types for one value
        seen: dict[tuple[type, object], int] = {}
        codes = np.fromiter((seen.setdefault((type(v), v), len(seen)) for v in values),
                            dtype=np.int64, count=len(values))
        uniques = [v for _t, v in seen]
    elif values.dtype.kind in "iu" and text:
        return codes, uniques.tolist()
    elif values.dtype.kind == "f" and text:
        return codes, [f"{u:,.1f}" if abs(u) < 1e6 else f"{u:,.0f}" if np.isfinite(u)
                       else None for u in uniques.tolist()]
    if not text:
        return codes, [None if pd.isna(u) else u for u in uniques]
    return codes, [_shown(u) for u in uniques]


def _json_size(value: object) -> int:
    """About the length of ``value`` as JSON (UTF-8 bytes)."""
    if type(value) is str:
        return len(value.encode()) + 2
    return 4 if value is None else len(str(value))


def column(values: object, *, text: bool = True) -> object:
    """One value per feature as JSON data for ``plCol`` (``_assets/map.js``), in the shortest
    of its encodings: the list itself; a dictionary (``d`` the distinct values, ``i`` a code
    per feature); sparse (``d`` the values there are, ``x`` the steps between their
    features); whole numbers (``q`` the steps between them); a constant (``d`` alone). Codes
    and steps are written as :func:`varints`.

    Parameters
    ----------
    values : array-like
        One value per feature.
    text : bool
        Shown as by :func:`cell` (``None`` for missing); else written as they are.
    """
    values = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    codes, uniques = _distinct(values, text=text)
    shown = [*uniques, None]
    codes = np.where(codes < 0, len(shown) - 1, codes)
    # one code per shown value, numbered in order of first use
    distinct: dict[tuple[type, object], int] = {}
    key = np.array([distinct.setdefault((type(v), v), len(distinct)) for v in shown])[codes]
    used, first = np.unique(key, return_index=True)
    used = used[np.argsort(first)]
    renumber = np.full(len(distinct), -1)
    renumber[used] = np.arange(len(used))
    codes = renumber[key]
    every = [v for _t, v in distinct]
    table = np.empty(len(used), dtype=object)
    table[:] = [every[i] for i in used]
    if len(table) <= 1:
        return {"d": table.tolist() or [None]}
    size = np.array([_json_size(v) for v in table])
    have = np.flatnonzero(table[codes] != None)  # noqa: E711  (elementwise)
    options = {"plain": (lambda: table[codes].tolist(), size[codes].sum() + len(codes)),
               "dict": (lambda: {"d": table.tolist(), "i": varints(codes)},
                        size.sum() + len(table) + len(varints(codes)))}
    if len(have) < len(codes):
        steps = varints(np.diff(have, prepend=0))
        options["sparse"] = (lambda: {"d": table[codes[have]].tolist(), "x": steps},
                             size[codes[have]].sum() + len(have) + len(steps))
    elif all(type(v) is int for v in table):
        steps = varints(np.diff(table[codes].astype(np.int64), prepend=0))
        options["ints"] = (lambda: {"q": steps}, len(steps))
    return min(options.values(), key=lambda o: o[1])[0]()


#: display simplification of lines and areas (metres): under a pixel up to zoom 17 (1.2 m
#: a pixel at 32°N), two pixels at the map's deepest zoom (18)
SIMPLIFY_M = 1.0
_TYPE = np.array(["P", "L", "L", "A"])  # shapely type ids 0-3: point, line, ring, polygon


@functools.cache
def _metric(crs: pyproj.CRS) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    """From WGS-84 lon/lat to the metric ``crs`` and back."""
    return (pyproj.Transformer.from_crs(4326, crs, always_xy=True),
            pyproj.Transformer.from_crs(crs, 4326, always_xy=True))


def simplify_metric(geoms: np.ndarray, tolerance_m: float, *, crs: pyproj.CRS
                    ) -> np.ndarray:
    """Lines and areas (lon/lat) simplified by ``tolerance_m`` metres in the workspace's
    metric ``crs`` (:func:`planner.geo.crs.check_metric`).

    Plain Douglas-Peucker: at about a metre nothing visible changes, and a shape it would
    collapse keeps its own outline. Points are left as they are.
    """
    geoms = np.asarray(geoms, dtype=object)
    shapes = shapely.get_type_id(geoms) % 4 != 0  # not a point or multipoint
    if not shapes.any():
        return geoms
    there, back = _metric(check_metric(pyproj.CRS.from_user_input(crs),
                                       where="the map's display simplification"))
    metric = shapely.transform(geoms[shapes], lambda c: np.column_stack(there.transform(*c.T)))
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=False)
    lost = shapely.is_empty(simple)
    simple[lost] = metric[lost]
    out = geoms.copy()
    out[shapes] = shapely.transform(simple, lambda c: np.column_stack(back.transform(*c.T)))
    return out


def varints(values: object) -> str:
    """Integers as text, as Google's encoded polyline writes them: zig-zag (sign in the low
    bit), then five bits a character from the lowest, ``chr(63 + bits)``, plus 32 while more
    follow. Steps of under 16 take one character, under 512 two. Only ``?`` to ``~``
    appear (no ``<``, ``&`` or quote; JSON escapes the backslash)."""
    v = np.asarray(values, dtype=np.int64).ravel()
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    bits = np.frexp(z.astype(np.float64))[1]  # the bit length (exact below 2**53)
    chunks = np.maximum(1, -(-bits // 5))
    which = np.repeat(np.arange(len(z)), chunks)
    pos = np.arange(len(which)) - np.repeat(np.cumsum(chunks) - chunks, chunks)
    low = (z[which] >> (5 * pos).astype(np.uint64)) & np.uint64(31)
    return (low + 63 + 32 * (pos < chunks[which] - 1)).astype(np.uint8).tobytes().decode()


def encode_geometries(geoms: np.ndarray) -> dict:
    """Geometries (lon/lat, none empty) as the compact data ``plGeoms`` (``_assets/map.js``)
    turns back into GeoJSON.

    Every multi-part geometry and collection is split into points, lines and areas; the
    vertices of all of them, in order, are written as integer steps from the previous vertex
    in units of 1e-6 degree (0.1 m) for a layer of points, 1e-5 degree (about 1 m) else.
    Rings lose their closing vertex (the browser repeats the first).

    Returns
    -------
    dict
        ``m`` features, ``s`` scale, ``t`` part types, and as :func:`varints`: ``f`` parts
        per feature, ``r`` rings per area, ``n`` vertices per line or ring, ``c`` the steps
        (x, y, x, y, ...); ``f`` and ``r`` only when some count is not one, ``t`` one letter
        when all parts agree.
    """
    parts = np.asarray(geoms, dtype=object)
    owner = np.arange(len(parts))
    while (shapely.get_type_id(parts) >= 4).any():  # multi-part geometries and collections
        parts, index = shapely.get_parts(parts, return_index=True)
        owner = owner[index]
    full = ~shapely.is_empty(parts)
    parts, owner = parts[full], owner[full]
    kind = _TYPE[shapely.get_type_id(parts)]
    area = np.flatnonzero(kind == "A")
    rings, ring_of = shapely.get_rings(parts[area], return_index=True)
    # the vertex runs in drawing order: a point, a line, or each ring of an area in turn
    run_part = np.concatenate([np.flatnonzero(kind != "A"), area[ring_of]])
    runs = np.concatenate([parts[kind != "A"], rings])
    closed = np.concatenate([np.zeros((kind != "A").sum(), bool), np.ones(len(rings), bool)])
    order = np.argsort(run_part, kind="stable")
    runs, closed, run_part = runs[order], closed[order], run_part[order]
    xy = shapely.get_coordinates(runs)
    count = shapely.get_num_coordinates(runs)
    drop = np.zeros(len(xy), bool)
    drop[np.cumsum(count)[closed] - 1] = True
    count = count - closed
    scale = 10**6 if (kind == "P").all() else 10**5
    steps = np.diff(np.rint(xy[~drop] * scale).astype(np.int64), axis=0, prepend=0)
    per_feature = np.bincount(owner, minlength=len(geoms))
    per_area = np.bincount(ring_of, minlength=len(area))
    out: dict[str, object] = {"m": len(geoms), "s": scale,
                              "t": kind[0] if (kind == kind[0]).all() else "".join(kind)}
    if (per_feature != 1).any():
        out["f"] = varints(per_feature)
    if (per_area != 1).any():
        out["r"] = varints(per_area)
    out["n"] = varints(count[kind[run_part] != "P"])
    out["c"] = varints(steps)
    return out


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


class RawText(Element):
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
    """A layer drawn by ``plLayer`` (``_assets/map.js``) from pre-serialised, script-safe
    compact JSON (see :func:`add_layer`)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = plLayer({{ this.data }}, {{ this.spec }})
          .addTo({{ this._parent.get_name() }});
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
        self.get_root().script.add_child(RawText(script(self, kwargs)), name=self.get_name())


def add_layer(group: folium.FeatureGroup, frame: gpd.GeoDataFrame, *, amap: bool,
              styles: dict[str, dict], labels: Sequence[str] = (),
              values: Sequence[object] = (), heading: object = None, keys: object = "",
              tips: object = None, tip: str = "", heading_value: int | None = None,
              tip_value: int | None = None, icons: dict[str, tuple[str, int]] | None = None,
              simplify_m: float | None = SIMPLIFY_M, crs: pyproj.CRS | None = None,
              interactive: bool = True) -> None:
    """Add ``frame`` to ``group`` as one Leaflet GeoJSON layer, written compactly.

    Parameters
    ----------
    group : folium.FeatureGroup
        The layer-control entry the layer belongs to.
    frame : GeoDataFrame
        The features, in WGS-84; those without a geometry are left out.
    amap : bool
        Shift the geometries to GCJ-02 (the AMap basemap).
    styles : dict
        Style key -> Leaflet path style (areas, lines and canvas circles).
    labels : sequence of str
        The popup's row labels, one per column of ``values``.
    values : sequence
        Popup columns, one value per feature each (shown as by :func:`cell`; empty rows
        are left out of the popup).
    heading : sequence, optional
        Per feature the popup's heading; where missing, the value ``heading_value``.
    keys : sequence or str
        Per feature (or for all) the key of its style in ``styles`` / icon in ``icons``.
    tips : sequence, optional
        Per feature its tooltip; else ``tip`` + heading, or with ``tip_value`` the heading
        followed by that value in brackets.
    icons : dict, optional
        Style key -> (inline SVG, size in pixels) of point markers; other points are canvas
        circles styled by ``styles``.
    simplify_m : float or None
        Douglas-Peucker tolerance for lines and areas in metres (see :data:`SIMPLIFY_M`).
    crs : pyproj.CRS
        The workspace's metric CRS, where the shapes are simplified (needed with
        ``simplify_m``).
    interactive : bool
        ``False``: no popups, tooltips or clicks (the roads).
    """
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.any():
        return
    geoms = geoms[keep]
    if simplify_m:
        geoms = simplify_metric(geoms, simplify_m, crs=crs)
    if amap:
        geoms = np.asarray(transform_geometry(geoms, datum="gcj02", inverse=True), dtype=object)
    props: dict[str, object] = {"k": column(_take(keys, keep), text=False)}
    if heading is not None:
        props["h"] = column(_take(heading, keep))
    if tips is not None:
        props["t"] = column(_take(tips, keep))
    if values:
        props["v"] = [column(_take(v, keep)) for v in values]
    spec = {"labels": list(labels), "styles": styles, "icons": icons, "tip": tip,
            "hv": heading_value, "tv": tip_value, "interactive": interactive}
    spec = {k: v for k, v in spec.items() if v is not None}
    group.add_child(_GeoLayer({"g": encode_geometries(geoms),
                               "p": props if interactive else None}, spec))


def _take(values: object, keep: np.ndarray) -> object:
    """``values`` (one per feature, or one for all) at the features kept."""
    if isinstance(values, str) or np.ndim(values) == 0:
        return np.full(int(keep.sum()), values, dtype=object)
    if isinstance(values, pd.Series):
        return values.to_numpy()[keep]
    return np.asarray(values, dtype=None if isinstance(values, np.ndarray) else object)[keep]


def legend_block(title: str, items: list[tuple[str, ...]], *, layer: str | None = None
                 ) -> str:
    """Legend HTML: ``items`` are (symbol HTML made here, escaped label) or (symbol, label,
    layer name). Each row names the layer it belongs to (its own, else ``layer``): the page
    shows a row only while that layer is on (``plSetup`` in ``_assets/map.js``), and a
    block only while one of its rows is shown."""
    rows = []
    for sym, lab, *own in items:
        name = own[0] if own else layer
        attr = "" if name is None else f" data-layer='{html.escape(name, quote=True)}'"
        rows.append(f"<div class='it'{attr}>{sym}<span>{lab}</span></div>")
    head = f"<div class='lt'>{html.escape(title)}</div>" if title else ""
    return f"<div class='lb'>{head}{''.join(rows)}</div>"


# ---------------------------------------------------------------- layers
