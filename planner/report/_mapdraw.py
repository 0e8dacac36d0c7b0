"""Drawing the web map's layers on a folium map: escaped popups, inline-SVG symbols, GeoJSON
and the legend.

Private to :mod:`planner.report.webmap`. Text from input files reaches the page only as
JSON data (``<``, ``>`` and ``&`` escaped) that the browser puts into popups and tooltips
with ``textContent``, never as markup; the legend, title and town labels are HTML-escaped
here.
"""

from __future__ import annotations

import html

import folium
import numpy as np
import pandas as pd

from planner.geo.datum import transform_geometry
from planner.glossary import (
    CHILD_FIELDS,
    KINDS,
    KIT_ITEMS,
    LOCATION_METHODS,
    STANDARD_KINDS,
    STANDARDS,
)
from planner.measure.coverage import coverage_story, village_coverage, within_reach_children
from planner.report._leaflet import add_layer, dot, legend_block, no_template, svg
from planner.report._maplayers import (
    COMPLETION_BINS,
    COVER_COLOURS,
    FACILITY_PREFIX,
    KIND_STYLE,
    LAYER_NAMES,
    NO_QUOTA,
    PATROL_COLOUR,
    REACH_STYLE,
    TIER_STYLE,
    MapLayers,
    completion_colour,
    default_kinds,
    quota_kinds,
    tier_code,
    town_completion,
    village_covered,
    water_layer,
)

# ---------------------------------------------------------------- features and popups

#: popups and tooltips are built in the browser with textContent (never innerHTML), from
#: each layer's columns: headings, popup values (one column per label) and tooltips


def _col(frame: pd.DataFrame, name: str, default: object = None) -> pd.Series | None:
    """Column ``name`` of ``frame`` with missing values as ``default`` (``default`` in every
    row when there is no such column; ``None`` then if there is no default either)."""
    if name not in frame.columns:
        return None if default is None else pd.Series(default, index=frame.index, dtype=object)
    values = frame[name]
    return values if default is None else values.astype(object).where(values.notna(), default)


def _by_value(func, values: object, *, missing: object = None) -> np.ndarray | None:
    """``func`` of each value, called once per distinct value (``missing`` for missing
    values); ``None`` for no values."""
    if values is None:
        return None
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    out = np.array([func(u) for u in uniques] + [missing], dtype=object)
    return out[codes]


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as booleans (missing: ``False``)."""
    if name not in frame.columns:
        return np.zeros(len(frame), bool)
    return frame[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _joined(frame: pd.DataFrame, names: dict[str, str], *, have: bool) -> list[str] | None:
    """Per row the labels of ``names`` (column -> label) whose flag is ``have``, joined
    with 、; ``None`` without any of those columns."""
    cols = [c for c in names if c in frame.columns]
    if not cols:
        return None
    labels = np.array([names[c] for c in cols])
    flags = np.column_stack([_flag(frame, c) for c in cols])
    return ["、".join(labels[row == have]) for row in flags]


def _metres(values: object) -> list[object]:
    """Distances in whole metres; "不可达" (unreachable) for infinity, None if missing."""
    dist = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    return [None if np.isnan(d) else "不可达" if np.isinf(d) else round(d) for d in dist]


def _date(value: object) -> str | None:
    """A date as YYYY-MM-DD (None when unknown)."""
    stamp = pd.to_datetime(value, errors="coerce") if value is not None else pd.NaT
    return None if pd.isna(stamp) else stamp.date().isoformat()


def _swatch(colour: str, *, opacity: float = 1.0) -> str:
    """A square legend swatch of ``colour``."""
    return f"<i class='sw' style='background:{colour};opacity:{opacity}'></i>"


def draw_towns(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Towns coloured by completion rate; popups with each quota kind's figures."""
    towns = layers.towns
    kinds = quota_kinds(towns)
    comp = town_completion(towns)
    main = next((k for k in kinds if KINDS[k][1] == "village"), kinds[0] if kinds else None)
    labels = [f"{KINDS[k][0]}（已建/任务，缺口，完成率）" for k in kinds]
    labels += ["村（居）覆盖（有站点/村（居））"]

    def whole(name: str) -> np.ndarray:
        return pd.to_numeric(_col(towns, name, 0), errors="coerce").fillna(0).to_numpy()

    values = []
    for k in kinds:
        req = pd.to_numeric(towns[f"required_{k}"], errors="coerce").to_numpy()
        built, missing, pct = whole(f"built_{k}"), whole(f"missing_{k}"), whole(f"pct_{k}")
        values.append([None if not np.isfinite(r) else
                       f"{int(b)}/{int(r)}，缺{int(g)}（{p}%）"
                       for r, b, g, p in zip(req, built, missing, pct, strict=True)])
    vil = pd.to_numeric(_col(towns, "villages", np.nan), errors="coerce").to_numpy()
    with_site = whole("villages_with_care_point")
    values.append([None if not np.isfinite(n) else f"{int(c)}/{int(n)}"
                   for n, c in zip(vil, with_site, strict=True)])
    colours = [completion_colour(pct) for pct in comp]
    styles = {c: {"color": "#444444", "weight": 1.5, "fillOpacity": 0.55, "fillColor": c}
              for c in dict.fromkeys(colours)}
    tips = [f"{name} {pct}%" if np.isfinite(pct) else name
            for name, pct in zip(towns["town_name"], comp, strict=True)]
    group = folium.FeatureGroup(name=LAYER_NAMES["towns"]).add_to(m)
    add_layer(group, towns, amap=amap, crs=layers.crs,
              labels=labels, values=values, styles=styles,
              heading=towns["town_name"], keys=colours, tips=tips)
    label_pts = towns.geometry.representative_point().to_numpy()
    if amap:
        label_pts = transform_geometry(label_pts, datum="gcj02", inverse=True)
    for pt, name in zip(label_pts, towns["town_name"], strict=True):
        folium.Marker([pt.y, pt.x], icon=folium.DivIcon(
            html=f"<span>{no_template(html.escape(str(name)))}</span>", class_name="town-label",
            icon_size=(0, 0)), interactive=False).add_to(group)
    items = [(_swatch(c), html.escape(lab)) for _low, c, lab in COMPLETION_BINS]
    items.append((_swatch(NO_QUOTA[0]), NO_QUOTA[1]))
    title = f"镇（街道）{KINDS[main][0]}完成率" if main else "镇（街道）任务完成率"
    return [legend_block(title, items, layer=LAYER_NAMES["towns"])]


def draw_villages(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Villages with the two coverage measures in their popups (see
    :mod:`planner.measure.coverage`), coloured by the share of children within reach."""
    v = layers.villages
    key, by_distance = village_covered(v)
    reach = within_reach_children(v, kind="care_point")
    dist_kinds = [k for k in KINDS if f"dist_m_{k}" in v.columns]
    groups = ("children", "left_behind", "vulnerable")
    labels = ["所属镇（街道）", *(CHILD_FIELDS[g] for g in groups), "本村有关爱站点"]
    labels += ["服务半径内儿童（人）"] if reach is not None else []
    labels += [f"距最近{KINDS[k][0]}（米）" for k in dist_kinds]
    values = [_col(v, "town_name"), _col(v, "children"), _col(v, "left_behind"),
              _col(v, "vulnerable"), np.where(_flag(v, "has_care_point"), "是", "否")]
    if reach is not None:
        kids = pd.to_numeric(_col(v, "children", 0), errors="coerce").fillna(0).to_numpy()
        values.append([f"{r:.0f}/{n:.0f}（{f'{100 * r / n:.1f}%' if n else '—'}）"
                       for r, n in zip(reach, kids, strict=True)])
    values += [_metres(v[f"dist_m_{d}"]) for d in dist_kinds]
    figure = _village_coverage(v)
    if by_distance:
        palette = {k: c for k, (_lab, c) in REACH_STYLE.items()}
        names = [(c, lab) for _k, (lab, c) in REACH_STYLE.items()]
        title = "村（居）：关爱站点服务半径内儿童" + (f"（{figure}）" if figure else "")
    else:
        palette = {str(flag): c for flag, c in COVER_COLOURS.items()}
        names = [(COVER_COLOURS[True], "本村有关爱站点"), (COVER_COLOURS[False], "本村无关爱站点")]
        title = "村（居）" + (f"（{figure}）" if figure else "")
    styles = {k: {"color": "#737373", "weight": 0.6, "fillOpacity": 0.5, "fillColor": c}
              for k, c in palette.items()}
    group = folium.FeatureGroup(name=LAYER_NAMES["villages"], show=False).add_to(m)
    add_layer(group, v, amap=amap, crs=layers.crs,
              labels=labels, values=values, styles=styles,
              heading=v["village_name"], keys=key.astype(str).to_numpy())
    return [legend_block(title, [(_swatch(c, opacity=0.6), html.escape(lab))
                                 for c, lab in names], layer=LAYER_NAMES["villages"])]


def _village_coverage(villages) -> str:
    """The county's 村（居）覆盖率 figure of the villages layer ("" without its columns)."""
    try:
        story = coverage_story(villages, kinds=("care_point",))
    except KeyError:
        return ""
    return village_coverage(story["care_point"]["own_site"])


def draw_roads(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """The workspace's roads as thin grey lines (no popups), under the sites."""
    group = folium.FeatureGroup(name=LAYER_NAMES["roads"]).add_to(m)
    add_layer(group, layers.roads, amap=amap, crs=layers.crs,
              interactive=False, simplify_m=None,
              styles={"": {"color": "#8c8c8c", "weight": 1.2, "opacity": 0.8}})
    return [legend_block("", [("<i class='sw' style='background:#8c8c8c;height:2px'></i>",
                               "道路")], layer=LAYER_NAMES["roads"])]


def draw_facilities(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Existing sites, one layer per kind (the quota's kinds shown at first)."""
    fac = layers.facilities
    labels = ["类型", "标准", "所属镇（街道）", "所属村（居）", "定位方式"]
    items = []
    on = set(default_kinds(layers))
    for kind in [k for k in KINDS if (fac["kind"] == k).any()]:
        part = fac[fac["kind"] == kind]
        colour, shape = KIND_STYLE[kind]
        # the provincial standard (省标) is a care home's; no other kind has one
        standard = (part["standard"].astype(str).map(STANDARDS)
                    if "standard" in part and kind in STANDARD_KINDS else None)
        group = folium.FeatureGroup(name=FACILITY_PREFIX + KINDS[kind][0],
                                    show=kind in on).add_to(m)
        add_layer(group, part, amap=amap, crs=layers.crs,
                  labels=labels, styles={}, keys=kind,
                  heading=_col(part, "name", KINDS[kind][0]),
                  values=[KINDS[kind][0], standard, _col(part, "town_name"),
                          _col(part, "village_name"),
                          _col(part, "location_method", "coordinates").map(
                              lambda m: LOCATION_METHODS.get(m, m))],
                  icons={kind: (svg(shape, colour), 14)})
        items.append((svg(shape, colour), html.escape(KINDS[kind][0]),
                      FACILITY_PREFIX + KINDS[kind][0]))
    return [legend_block("现有阵地", items)] if items else []


def draw_proposed(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Proposed sites, hollow symbols of their kind."""
    sites = layers.proposed_sites
    kinds = [k for k in KINDS if (sites["kind"] == k).any()]
    sites = sites[sites["kind"].isin(kinds)]
    labels = ["所属镇（街道）", "所属村（居）", "排序", "新覆盖儿童", "理由"]
    icons = {k: (svg(KIND_STYLE[k][1], KIND_STYLE[k][0], size=18, hollow=True), 18) for k in kinds}
    group = folium.FeatureGroup(name=LAYER_NAMES["proposed_sites"]).add_to(m)
    add_layer(group, sites, amap=amap, crs=layers.crs,
              labels=labels, styles={}, icons=icons,
              heading=[f"{_verb(m)}{KINDS[k][0]}" for k, m in
                       zip(sites["kind"], _col(sites, "method", ""), strict=True)],
              values=[_col(sites, c) for c in ("town_name", "village_name", "rank",
                                                "children_newly_covered", "reason")],
              keys=sites["kind"].astype(str).to_numpy(),
              tips=[f"{_verb(m)}：{n}" for n, m in zip(
                  _col(sites, "village_name", ""), _col(sites, "method", ""), strict=True)])
    items = [(svg(KIND_STYLE[k][1], KIND_STYLE[k][0], hollow=True),
              "拟新建" + html.escape(KINDS[k][0])) for k in kinds]
    return [legend_block("拟新建阵地", items or [("", "（无）")],
                         layer=LAYER_NAMES["proposed_sites"])]


def _verb(method: object) -> str:
    """拟升级 for an existing site brought up to standard, else 拟新建."""
    return "拟升级" if method == "upgrade" else "拟新建"


def draw_water(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Water bodies coloured by risk tier, one layer per tier (一级 on top, and the only
    one shown when the map opens: the highest tier there is)."""
    w = layers.water
    tier = _by_value(tier_code, _col(w, "tier", "N"), missing="N")
    labels = ["位置", "类型", "风险等级", "风险分（0–100）", "风险排序", "所属镇（街道）"]
    kind = _col(w, "type_label")
    if "type" in w.columns:
        kind = w["type"] if kind is None else kind.where(kind.notna(), w["type"])
    styles = {t: {"color": c, "weight": 3 if t != "N" else 1.5, "fillColor": c,
                  "fillOpacity": 0.6} for t, (_l, c) in TIER_STYLE.items()}
    present = [t for t in "NCBA" if (tier == t).any()]
    top = next((t for t in "ABC" if t in present), None)
    rows = []
    for t in present:
        part = np.flatnonzero(tier == t)
        sub = w.iloc[part]
        # people find a water by its name or locator ("东陈村中心东南约 200 米的坑塘"), not
        # its id
        name = _col(sub, "locator") if "locator" in sub.columns else _col(sub, "name")
        group = folium.FeatureGroup(name=water_layer(t), show=t == top).add_to(m)
        # the heading is the name or locator (value 0); the tooltip adds the tier (value 2)
        add_layer(group, sub, amap=amap, crs=layers.crs,
                  labels=labels, styles=styles, keys=t,
                  heading=None if name is None else name.where(name != "", None),
                  heading_value=0, tip_value=2,
                  values=[name if name is not None else _col(sub, "water_id"),
                          None if kind is None else kind.iloc[part],
                          TIER_STYLE[t][0], _col(sub, "score"), _col(sub, "rank"),
                          _col(sub, "town_name")])
        rows.append((_swatch(TIER_STYLE[t][1]), TIER_STYLE[t][0], water_layer(t)))
    return [legend_block("溺水风险等级", rows[::-1])]


def draw_kits(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Existing "four ones" kits: green complete, orange not."""
    kits = layers.kits
    complete = _flag(kits, "complete") if "complete" in kits else np.ones(len(kits), bool)
    has = _joined(kits, KIT_ITEMS, have=True)
    rope = (None if "rope_m" not in kits else
            _by_value(lambda r: f"{float(r):g} 米", kits["rope_m"]))
    colours = {"True": "#1a9850", "False": "#fdae61"}
    styles = {k: {"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": c,
                  "fillOpacity": 1} for k, c in colours.items()}
    group = folium.FeatureGroup(name=LAYER_NAMES["kits"], show=False).add_to(m)
    add_layer(group, kits, amap=amap, crs=layers.crs,
              styles=styles, tip="“四个一” ",
              labels=["是否齐全", "现有", "缺少", "救生绳长", "最近检查日期"],
              heading=_col(kits, "kit_id", "“四个一”"), keys=complete.astype(str),
              values=[np.where(complete, "是", "否"),
                      None if has is None else [h or "无" for h in has],
                      _col(kits, "missing"), rope,
                      None if "last_inspected" not in kits else
                      _by_value(_date, kits["last_inspected"])])
    return [legend_block("“四个一”设施", [(dot(colours["True"]), "现有（齐全）"),
                                         (dot(colours["False"]), "现有（不齐全）")],
                         layer=LAYER_NAMES["kits"])]


def draw_proposed_kits(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Proposed "four ones" kits: white rings."""
    kits = layers.proposed_kits
    status = {"new": "新设", "complete_existing": "补齐现有"}
    needs = {c: KIT_ITEMS["has_" + c[5:]]
             for c in ("need_sign", "need_lifebuoy", "need_rope", "need_pole")}
    styles = {"": {"radius": 3.5, "color": "#d7191c", "weight": 1.5, "fillColor": "#ffffff",
                   "fillOpacity": 1}}
    group = folium.FeatureGroup(name=LAYER_NAMES["proposed_kits"], show=False).add_to(m)
    add_layer(group, kits, amap=amap, crs=layers.crs,
              styles=styles, tip="拟新增 ",
              labels=["状态", "水域", "所属镇（街道）", "需配", "理由"],
              heading=_col(kits, "kit_id", "拟新增"),
              values=[_by_value(lambda s: status.get(str(s), s), _col(kits, "status")),
                      _col(kits, "water_locator") if "water_locator" in kits.columns
                      else _col(kits, "water_id"), _col(kits, "town_name"),
                      _joined(kits, needs, have=True), _col(kits, "reason")])
    return [legend_block("", [(dot("#d7191c", ring=True), "拟新增“四个一”")],
                         layer=LAYER_NAMES["proposed_kits"])]


def draw_patrols(layers: MapLayers, m: folium.Map, *, amap: bool) -> list[str]:
    """Patrol routes as dashed purple lines (a sketch of the patrol order)."""
    routes = layers.patrol_routes
    heading = [f"{v} 巡查路线 {r}" for v, r in zip(_col(routes, "village_name", ""),
                                                  _col(routes, "route_id", ""), strict=True)]

    def scaled(name: str, factor: float) -> object:  # shown with one decimal
        if name not in routes.columns:
            return None
        return pd.to_numeric(routes[name], errors="coerce").astype(float) / factor

    styles = {"": {"color": PATROL_COLOUR, "weight": 3, "dashArray": "6 4"}}
    group = folium.FeatureGroup(name=LAYER_NAMES["patrol_routes"], show=False).add_to(m)
    add_layer(group, routes, amap=amap, crs=layers.crs,
              styles=styles, heading=heading,
              labels=["镇（街道）", "水域数", "路程（公里，按路网）", "用时（小时）"],
              values=[_col(routes, "town_name"), _col(routes, "stops"),
                      scaled("length_m", 1000), scaled("hours", 1)])
    return [legend_block("", [(f"<i class='ln' style='border-color:{PATROL_COLOUR}'></i>",
                               "巡查路线（示意：按巡查顺序连接各水域）")],
                         layer=LAYER_NAMES["patrol_routes"])]
