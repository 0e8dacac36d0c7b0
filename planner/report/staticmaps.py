"""Static PNG maps for reports (matplotlib): quota completion, children's coverage, water risk.

Chinese text is drawn with the CJK font the planner installs (see :mod:`planner._fonts`),
registered by path, so the maps render the same on a fresh machine. The figures use
matplotlib's object API (no pyplot state) and the Agg canvas.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from planner.glossary import KINDS
from planner.measure.coverage import MEASURES, coverage_story
from planner.report._fonts import cjk_rc
from planner.report.webmap import (
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

#: output file names
FILES = {"quota": "map_quota.png", "coverage": "map_coverage.png", "water": "map_water_risk.png"}
_MAX_LABELS = 80  # towns above this are not labelled (a province would be unreadable)
_DPI = 150


def _figure(title: str, subtitle: str) -> tuple[Figure, object]:
    fig = Figure(figsize=(8.0, 8.6), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
    ax.set_axis_off()
    fig.text(0.5, 0.955, title, ha="center", va="center", fontsize=15)
    fig.text(0.5, 0.915, subtitle, ha="center", va="center", fontsize=10, color="#444444")
    return fig, ax


def _town_outlines(ax, towns: gpd.GeoDataFrame, *, width: float = 0.8) -> None:
    towns.boundary.plot(ax=ax, color="#404040", linewidth=width)


def _town_labels(ax, towns: gpd.GeoDataFrame, texts: list[str]) -> None:
    if len(towns) > _MAX_LABELS:
        return
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for pt, text in zip(towns.geometry.representative_point(), texts, strict=True):
        ax.annotate(text, (pt.x, pt.y), ha="center", va="center", fontsize=7.5,
                    path_effects=halo, color="#111111")


def _save(fig: Figure, ax, path: Path, handles: list, *, legend_title: str) -> Path:
    ax.legend(handles=handles, title=legend_title, loc="lower left", fontsize=8,
              title_fontsize=9, frameon=True, framealpha=0.9)
    title, subtitle = (t.get_text() for t in fig.texts[:2])
    fig.savefig(path, dpi=_DPI, facecolor="white",
                metadata={"Title": title, "Description": subtitle, "Software": "planner"})
    return path


def quota_map(layers: MapLayers, path: Path, *, title: str) -> Path:
    """Towns coloured by their mean completion rate of the quota kinds, labelled with it."""
    towns = layers.towns
    comp = town_completion(towns)
    kinds = quota_kinds(towns)
    fig, ax = _figure(f"{title}：镇（街道）任务完成率",
                      "综合完成率 = " + "、".join(KINDS[k][0] for k in kinds) + " 完成率的平均"
                      if kinds else "无任务表")
    towns.plot(ax=ax, color=[completion_colour(v) for v in comp], edgecolor="none")
    _town_outlines(ax, towns)
    _town_labels(ax, towns, [f"{n}\n{v:g}%" if np.isfinite(v) else str(n)
                             for n, v in zip(towns["town_name"], comp, strict=True)])
    handles = [Patch(facecolor=c, edgecolor="#404040", label=lab)
               for _low, c, lab in COMPLETION_BINS]
    handles.append(Patch(facecolor=NO_QUOTA[0], edgecolor="#404040", label=NO_QUOTA[1]))
    return _save(fig, ax, path, handles, legend_title="综合完成率")


def coverage_map(layers: MapLayers, path: Path, *, title: str) -> Path:
    """Villages by the share of their children within reach of a care point (or, without
    the access stage, by whether they hold one), with the care points and town lines; the
    subtitle gives both measures of :func:`planner.measure.coverage.coverage_story`."""
    v = layers.villages
    key, by_distance = village_covered(v)
    story = coverage_story(v, kinds=("care_point",))["care_point"]
    own, reach = story["own_site"], story["within_reach"]
    subtitle = (f"{MEASURES['own_site']}的村（居）{own['villages']}/{own['villages_total']} 个"
                f"（{_pct(own['share_villages'])}）")
    if reach is not None:
        subtitle += (f"；{MEASURES['within_reach']}儿童 {reach['children']:,}/"
                     f"{reach['children_total']:,} 人（{_pct(reach['share_children'])}）")
    fig, ax = _figure(f"{title}：村（居）儿童关爱站点覆盖", subtitle)
    if by_distance:
        colours = [REACH_STYLE[k][1] for k in key]
        legend = [(c, lab) for lab, c in REACH_STYLE.values()]
    else:
        colours = [COVER_COLOURS[bool(c)] for c in key]
        legend = [(COVER_COLOURS[True], "本村有关爱站点"), (COVER_COLOURS[False], "本村无关爱站点")]
    v.plot(ax=ax, color=colours, edgecolor="#9e9e9e", linewidth=0.25, alpha=0.75)
    _town_outlines(ax, layers.towns, width=1.0)
    points = layers.facilities[layers.facilities["kind"] == "care_point"]
    colour, _shape = KIND_STYLE["care_point"]
    if len(points):
        points.plot(ax=ax, color=colour, markersize=5, edgecolor="white", linewidth=0.3)
    _town_labels(ax, layers.towns, [str(n) for n in layers.towns["town_name"]])
    handles = [Patch(facecolor=c, alpha=0.75, edgecolor="#9e9e9e", label=lab)
               for c, lab in legend]
    handles.append(Line2D([], [], marker="o", linestyle="", color=colour, markersize=5,
                          label=KINDS["care_point"][0] + "（本村有站点）"))
    return _save(fig, ax, path, handles, legend_title="村（居）")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def water_map(layers: MapLayers, path: Path, *, title: str) -> Path:
    """Water bodies by risk tier (the highest drawn last), with town lines."""
    w = layers.water.copy()
    w["_tier"] = [tier_code(t) for t in w["tier"]] if "tier" in w else "N"
    counts = w["_tier"].value_counts()
    fig, ax = _figure(f"{title}：溺水风险水域",
                      "，".join(f"{TIER_STYLE[t][0]} {int(counts.get(t, 0))} 处"
                               for t in ("A", "B", "C")) + f"，共 {len(w)} 处水域")
    layers.towns.plot(ax=ax, color="#f5f5f0", edgecolor="none")
    for tier in ("N", "C", "B", "A"):
        part = w[w["_tier"] == tier]
        if len(part):
            colour = TIER_STYLE[tier][1]
            part.plot(ax=ax, color=colour, edgecolor=colour, linewidth=0.9 if tier != "N" else 0.4)
    _town_outlines(ax, layers.towns)
    _town_labels(ax, layers.towns, [str(n) for n in layers.towns["town_name"]])
    x0, y0, x1, y1 = layers.towns.total_bounds
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    handles = [Patch(facecolor=c, edgecolor=c, label=f"{lab}（{int(counts.get(t, 0))}）")
               for t, (lab, c) in TIER_STYLE.items()]
    return _save(fig, ax, path, handles, legend_title="风险等级")


def write_static_maps(layers: MapLayers, out_dir: str | Path, *, title: str) -> list[Path]:
    """Write the report's PNG maps into ``out_dir`` and return their paths.

    ``map_quota.png`` (towns by quota completion) and ``map_coverage.png`` (villages by
    care-point coverage) always; ``map_water_risk.png`` when ``layers.water`` is given.
    ``title`` (the county name) heads each map.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(cjk_rc()):
        paths = [quota_map(layers, out / FILES["quota"], title=title),
                 coverage_map(layers, out / FILES["coverage"], title=title)]
        if layers.water is not None and len(layers.water):
            paths.append(water_map(layers, out / FILES["water"], title=title))
    return paths
