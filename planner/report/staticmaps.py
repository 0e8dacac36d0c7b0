"""Static PNG maps for reports (matplotlib): quota completion, children's coverage, water risk.

Chinese text is drawn with the CJK font the planner installs (see :mod:`planner.report._fonts`),
registered by path, so the maps render the same on a fresh machine. The figures use
matplotlib's object API (no pyplot state) and the Agg canvas.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from planner.glossary import KINDS
from planner.measure.coverage import children_within_reach, coverage_story, village_coverage
from planner.report._fonts import cjk_rc
from planner.report._mapframe import DPI, NOTE, clip_to, county_outline, frame_map, map_figure
from planner.report._maplayers import (
    COMPLETION_BINS,
    COVER_COLOURS,
    KIND_STYLE,
    NO_QUOTA,
    REACH_STYLE,
    TIER_STYLE,
    MapLayers,
    completion_colour,
    quota_kinds,
    tier_code,
    town_completion,
    village_covered,
)
from planner.report._mpl import add_geometries, add_outlines, pixel_tolerance
from planner.report._png import save_png

#: output file names
FILES = {"quota": "map_quota.png", "coverage": "map_coverage.png", "water": "map_water_risk.png"}
_MAX_LABELS = 80  # towns above this are not labelled (a province would be unreadable)
#: default source line of the maps
SOURCE = "县（市、区）民政局报送的阵地、儿童和水域数据；村（居）、镇（街道）界线"


def _metric(layers: MapLayers) -> MapLayers:
    """The layers drawn here in the workspace's metric CRS (``layers.crs``), so that the
    scale bar is in metres."""
    crs = layers.crs
    project = {name: getattr(layers, name).to_crs(crs)
               for name in ("towns", "villages", "facilities", "water")
               if getattr(layers, name) is not None}
    return replace(layers, **project)


def _tolerance(ax, layers: MapLayers) -> float:
    """Half a pixel of the map, in metres: shapes are simplified to it before drawing."""
    return pixel_tolerance(ax, layers.towns.total_bounds)


def _town_outlines(ax, towns: gpd.GeoDataFrame, *, width: float = 0.8,
                   tolerance: float = 0.0) -> None:
    add_outlines(ax, towns.geometry.values, color="#404040", linewidth=width,
                 tolerance=tolerance)


def _town_labels(ax, towns: gpd.GeoDataFrame, texts: list[str], *, size: float = 7.5) -> None:
    if len(towns) > _MAX_LABELS:
        return
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for pt, text in zip(towns.geometry.representative_point(), texts, strict=True):
        ax.annotate(text, (pt.x, pt.y), ha="center", va="center", fontsize=size,
                    path_effects=halo, color="#111111")


def _save(fig: Figure, axes: list, path: Path, handles: list, *, legend_title: str,
          extent, source: str = "") -> Path:
    """Frame the map (:func:`planner.report._mapframe.frame_map`) and write the PNG."""
    frame_map(fig, axes, handles, legend_title=legend_title, source=source, extent=extent)
    title, subtitle = (t.get_text() for t in fig.texts[:2])
    return save_png(fig, path, dpi=DPI,
                    metadata={"Title": title, "Description": subtitle, "Software": "planner",
                              "Source": source, "Disclaimer": NOTE,
                              "Creation Time": dt.date.today().isoformat()})


def quota_map(layers: MapLayers, path: Path, *, title: str, source: str = "") -> Path:
    """One panel per quota kind: towns coloured by that kind's completion rate (built /
    required, capped), labelled with it. Kinds are never averaged."""
    towns = layers.towns
    kinds = quota_kinds(towns) or [None]
    fig, axes = map_figure(f"{title}：镇（街道）任务完成率",
                        "按阵地类型分别统计：已建 ÷ 任务数" if kinds[0] else "无任务表",
                        panels=len(kinds))
    for ax, kind in zip(axes, kinds, strict=True):
        comp = town_completion(towns, kind=kind)
        tol = _tolerance(ax, layers)
        add_geometries(ax, towns.geometry.values,
                       facecolor=[completion_colour(v) for v in comp], tolerance=tol)
        _town_outlines(ax, towns, tolerance=tol)
        _town_labels(ax, towns, [f"{n}\n{v:g}%" if np.isfinite(v) else str(n)
                                 for n, v in zip(towns["town_name"], comp, strict=True)],
                     size=7.5 if len(kinds) == 1 else 7)
        if kind:
            ax.set_title(f"{KINDS[kind][0]}", fontsize=11)
    handles = [Patch(facecolor=c, edgecolor="#404040", label=lab)
               for _low, c, lab in COMPLETION_BINS]
    handles.append(Patch(facecolor=NO_QUOTA[0], edgecolor="#404040", label=NO_QUOTA[1]))
    return _save(fig, axes, path, handles, legend_title="完成率", source=source,
                 extent=towns.total_bounds)


def coverage_map(layers: MapLayers, path: Path, *, title: str, source: str = "") -> Path:
    """Villages by the share of their children within reach of a care point (or, without
    the access stage, by whether they hold one), with the care points and town lines; the
    subtitle gives both measures of :func:`planner.measure.coverage.coverage_story`."""
    v = layers.villages
    key, by_distance = village_covered(v)
    story = coverage_story(v, kinds=("care_point",))["care_point"]
    own, reach = story["own_site"], story["within_reach"]
    subtitle = village_coverage(own)
    if reach is not None:
        subtitle += f"；{children_within_reach(reach)}"
    fig, (ax,) = map_figure(f"{title}：村（居）儿童关爱站点覆盖", subtitle)
    if by_distance:
        colours = [REACH_STYLE[k][1] for k in key]
        legend = [(c, lab) for lab, c in REACH_STYLE.values()]
    else:
        colours = [COVER_COLOURS[bool(c)] for c in key]
        legend = [(COVER_COLOURS[True], "本村有关爱站点"), (COVER_COLOURS[False], "本村无关爱站点")]
    tol = _tolerance(ax, layers)
    add_geometries(ax, v.geometry.values, facecolor=colours, edgecolor="#9e9e9e",
                   linewidth=0.25, alpha=0.75, tolerance=tol)
    _town_outlines(ax, layers.towns, width=1.0, tolerance=tol)
    points = layers.facilities[layers.facilities["kind"] == "care_point"]
    colour, _shape = KIND_STYLE["care_point"]
    if len(points):
        ax.scatter(points.geometry.x, points.geometry.y, s=5, color=colour,
                   edgecolors="white", linewidths=0.3)
    _town_labels(ax, layers.towns, [str(n) for n in layers.towns["town_name"]])
    handles = [Patch(facecolor=c, alpha=0.75, edgecolor="#9e9e9e", label=lab)
               for c, lab in legend]
    handles.append(Line2D([], [], marker="o", linestyle="", color=colour, markersize=5,
                          label=KINDS["care_point"][0] + "（本村有站点）"))
    return _save(fig, [ax], path, handles, legend_title="村（居）", source=source,
                 extent=layers.towns.total_bounds)



def water_map(layers: MapLayers, path: Path, *, title: str, source: str = "") -> Path:
    """Water bodies by risk tier (the highest drawn last), with town lines."""
    w = layers.water.copy()
    w["_tier"] = [tier_code(t) for t in w["tier"]] if "tier" in w else "N"
    counts = w["_tier"].value_counts()
    fig, (ax,) = map_figure(f"{title}：溺水风险水域",
                      "，".join(f"{TIER_STYLE[t][0]} {int(counts.get(t, 0))} 处"
                               for t in ("A", "B", "C")) + f"，共 {len(w)} 处水域")
    tol = _tolerance(ax, layers)
    add_geometries(ax, layers.towns.geometry.values, facecolor="#f5f5f0", tolerance=tol)
    w["geometry"] = clip_to(w.geometry.to_numpy(), county_outline(layers.towns.geometry))
    for tier in ("N", "C", "B", "A"):
        part = w[w["_tier"] == tier]
        if len(part):
            colour = TIER_STYLE[tier][1]
            add_geometries(ax, part.geometry.values, facecolor=colour, edgecolor=colour,
                           linewidth=0.9 if tier != "N" else 0.4, tolerance=tol)
    _town_outlines(ax, layers.towns, tolerance=tol)
    _town_labels(ax, layers.towns, [str(n) for n in layers.towns["town_name"]])
    handles = [Patch(facecolor=c, edgecolor=c, label=f"{lab}（{int(counts.get(t, 0))}）")
               for t, (lab, c) in TIER_STYLE.items()]
    return _save(fig, [ax], path, handles, legend_title="风险等级", source=source,
                 extent=layers.towns.total_bounds)


def write_static_maps(layers: MapLayers, out_dir: str | Path, *, title: str,
                      source: str = SOURCE,
                      maps: Sequence[str] = ("quota", "coverage", "water")) -> list[Path]:
    """Write the report's PNG maps into ``out_dir`` and return their paths.

    ``map_quota.png`` (towns by quota completion) and ``map_coverage.png`` (villages by
    care-point coverage) always; ``map_water_risk.png`` when ``layers.water`` is given.
    ``title`` (the county name) heads each map; ``source`` is printed under it with the
    date and the 示意图 note, beside a scale bar and a north arrow. ``maps`` (keys of
    :data:`FILES`) limits the maps drawn.
    """
    unknown = set(maps) - set(FILES)
    if unknown:
        raise ValueError(f"write_static_maps: unknown maps {sorted(unknown)}; "
                         f"choose from {sorted(FILES)}")
    layers = _metric(layers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draw = {"quota": quota_map, "coverage": coverage_map, "water": water_map}
    maps = [(draw[key], FILES[key]) for key in FILES if key in maps
            and (key != "water" or (layers.water is not None and len(layers.water)))]
    paths = []
    # a figure is a web of references (figure, axes, canvas and its pixel buffer): each is
    # collected before the next is drawn. The objects that existed before are frozen
    # meanwhile, so that each collection walks only the new ones (unless a forked parent
    # froze them already: then they stay as they are)
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    try:
        with mpl.rc_context(cjk_rc()):
            for draw, name in maps:
                paths.append(draw(layers, out / name, title=title, source=source))
                gc.collect()
    finally:
        if ours:
            gc.unfreeze()
    return paths
