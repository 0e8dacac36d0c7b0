"""The offline web map ``map.html`` (folium/Leaflet) with toggleable layers and a Chinese legend.

Leaflet (``planner/report/_assets/leaflet``) is inlined into the page, so the map opens with no
network; markers are inline SVG (no icon fonts). The basemap is chosen in the ``[map]`` table
of ``planner.toml``: ``none`` (offline), ``osm``, ``tianditu`` (needs ``tianditu_key``) or
``amap``. AMap tiles are drawn in GCJ-02, so on that basemap every geometry is shifted from
WGS-84 to GCJ-02 before it is drawn; 天地图 tiles are CGCS2000 (WGS-84 to within centimetres).

Text from input files never reaches the page as markup: it travels as escaped JSON and the
browser puts it into popups and tooltips with ``textContent``; the legend, the title and the
town labels are HTML-escaped. Areas, lines and kit markers are drawn on a canvas, so a county
with tens of thousands of water bodies and kits stays responsive. Each layer is written as
compact data that the page's own script (``_assets/map.js``) turns back into GeoJSON: vertex
steps as encoded-polyline text, popups as columns (see :mod:`planner.report._leaflet`).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import folium
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from planner.geo.datum import transform_geometry
from planner.glossary import KINDS
from planner.report import _mapdraw as draw
from planner.report._leaflet import JS, RawText, js_json
from planner.report._maplayers import (  # noqa: F401  (layers_from_result re-exported)
    FACILITY_PREFIX,
    LAYER_NAMES,
    MapLayers,
    layers_from_result,
    tier_code,
    water_layer,
)
from planner.report.safe import write_document
from planner.settings import BASEMAPS, MapConfig  # noqa: F401 (re-exported)

ASSETS = Path(__file__).resolve().parent / "_assets"

_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
_AMAP = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
         "&x={x}&y={y}&z={z}")



def layer_names(layers: MapLayers) -> list[str]:
    """The names the layer control lists for ``layers`` (in drawing order)."""
    names = [LAYER_NAMES["towns"], LAYER_NAMES["villages"]]
    names += [LAYER_NAMES["roads"]] if layers.roads is not None else []
    kinds = set(layers.facilities["kind"])
    names += [FACILITY_PREFIX + KINDS[k][0] for k in KINDS if k in kinds]
    names += [LAYER_NAMES["proposed_sites"]] if layers.proposed_sites is not None else []
    if layers.water is not None:
        tiers = {tier_code(t) for t in layers.water.get("tier", pd.Series(["N"]))}
        names += [water_layer(t) for t in "NCBA" if t in tiers]
    names += [LAYER_NAMES[key] for key in ("kits", "proposed_kits", "patrol_routes")
              if getattr(layers, key) is not None]
    return names


# ---------------------------------------------------------------- page

_FONTS = ('"Noto Sans SC","Microsoft YaHei","PingFang SC","Source Han Sans SC",'
          '"WenQuanYi Micro Hei",sans-serif')
_CSS = """
body,.leaflet-container{font-family:%FONTS%}.leaflet-container{background:#f2efe9}
.town-label span{display:block;transform:translate(-50%,-50%);white-space:nowrap;font-size:12px;
 font-weight:bold;color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.pm{background:none;border:none}
.pp table{border-collapse:collapse;margin-top:4px}.pp th{text-align:left;padding:1px 8px 1px 0;
 font-weight:normal;color:#555}.pp td{padding:1px 0}
#pl-legend{position:fixed;left:10px;bottom:40px;z-index:1000;background:rgba(255,255,255,.92);
 padding:6px 10px;border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.4);font-size:12px;
 line-height:18px;max-height:calc(100vh - 120px);overflow-y:auto;max-width:calc(100vw - 80px)}
#pl-legend summary{cursor:pointer;font-weight:bold;outline:none}
#pl-legend:not([open]){padding:4px 10px}
#pl-legend .lt{font-weight:bold;margin-top:4px}#pl-legend .it{display:flex;align-items:center}
#pl-legend .it svg,#pl-legend .sw,#pl-legend .ln{margin-right:6px;flex:none}
#pl-legend .sw{display:inline-block;width:16px;height:11px;border:1px solid #888}
#pl-legend .ln{display:inline-block;width:18px;height:0;border-top:3px dashed}
#pl-title{position:fixed;left:56px;top:10px;z-index:1000;max-width:calc(100vw - 130px);
 background:rgba(255,255,255,.92);padding:4px 12px;border-radius:4px;font-size:16px;
 font-weight:bold;box-shadow:0 1px 5px rgba(0,0,0,.4)}
@media (max-width:600px){#pl-title{font-size:13px;padding:3px 8px}
 #pl-legend{font-size:11px;line-height:16px;max-height:45vh}}
"""


def _inline_assets(m: folium.Map) -> None:
    """Inline Leaflet (JS + CSS, images as data URIs): the page needs no network."""
    m.default_js, m.default_css = [], []
    folder = ASSETS / "leaflet"
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def _data_uri(match: re.Match) -> str:
        data = base64.b64encode((folder / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", _data_uri, css)
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    head = m.get_root().header
    head.add_child(RawText(f"<style>{css}</style>"), name="leaflet_css")
    head.add_child(RawText(f"<script>{js}</script>"), name="leaflet")
    css = _CSS.replace("%FONTS%", _FONTS)
    head.add_child(RawText(f"<style>{css}</style>"), name="planner_css")
    head.add_child(RawText(f"<script>{JS}</script>"), name="planner_js")



def _basemap(m: folium.Map, config: MapConfig) -> None:
    if config.basemap == "osm":
        folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap",
                         attr="&copy; OpenStreetMap contributors", max_zoom=19).add_to(m)
    elif config.basemap == "tianditu":
        for layer, name, overlay in (("vec", "天地图", False), ("cva", "天地图注记", True)):
            folium.TileLayer(_TIANDITU.format(layer=layer, key=config.tianditu_key, s="{s}"),
                             name=name, attr="&copy; 天地图", subdomains="01234567",
                             overlay=overlay, control=False, max_zoom=18).add_to(m)
    elif config.basemap == "amap":
        folium.TileLayer(_AMAP, name="高德地图", attr="&copy; 高德地图 AutoNavi",
                         subdomains="1234", max_zoom=18).add_to(m)


class _Setup(MacroElement):
    """``plSetup`` (``_assets/map.js``) on the map: metric scale bar, plain attribution,
    the legend following the layers that are on, folded on a small screen."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        plSetup({{ this._parent.get_name() }}, {{ this.groups }});
        {% endmacro %}
    """)

    def __init__(self, m: folium.Map) -> None:
        super().__init__()
        self._name = "PlannerSetup"
        groups = {g.layer_name: g.get_name() for g in m._children.values()
                  if isinstance(g, folium.FeatureGroup)}
        # names are the planner's own (LAYER_NAMES); the values are script variables
        self.groups = "{" + ",".join(f"{js_json(k)}:{v}" for k, v in groups.items()) + "}"


def write_map(layers: MapLayers, path: str | Path, *, config: MapConfig | None = None,
              title: str) -> Path:
    """Write the interactive map ``map.html`` and return its path.

    Parameters
    ----------
    layers : MapLayers
        What to draw (WGS-84); optional layers that are ``None`` are left out.
    path : path
        The HTML file to write.
    config : MapConfig, optional
        Basemap choice; default no basemap (fully offline).
    title : str
        Shown at the top of the map (escaped).
    """
    config = config or MapConfig()
    amap = config.basemap == "amap"
    box = shapely.box(*layers.towns.total_bounds)
    if amap:
        box = transform_geometry([box], datum="gcj02", inverse=True)[0]
    w, s, e, n = box.bounds
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], zoom_start=10, tiles=None,
                   control_scale=False, prefer_canvas=True, zoom_snap=0.25)
    m.get_root().title = html.escape(title)
    _inline_assets(m)
    _basemap(m, config)
    legend = draw.draw_towns(layers, m, amap=amap) + draw.draw_villages(layers, m, amap=amap)
    if layers.roads is not None:
        legend += draw.draw_roads(layers, m, amap=amap)
    legend += draw.draw_facilities(layers, m, amap=amap)
    for key, func in (("proposed_sites", draw.draw_proposed), ("water", draw.draw_water),
                      ("kits", draw.draw_kits), ("proposed_kits", draw.draw_proposed_kits),
                      ("patrol_routes", draw.draw_patrols)):
        if getattr(layers, key) is not None:
            legend += func(layers, m, amap=amap)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    m.fit_bounds([[s, w], [n, e]])
    _Setup(m).add_to(m)
    page = m.get_root().html
    page.add_child(RawText(f"<div id='pl-title'>{html.escape(title)}</div>"))
    page.add_child(RawText("<details id='pl-legend' open><summary>图例</summary>"
                           f"{''.join(legend)}</details>"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_document(path, m.get_root().render())
    return path
