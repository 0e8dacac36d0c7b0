"""The frame of a static map: the map panels on the left, each showing the county and
nothing beyond it; beside them, never over the data, a side panel with the north arrow,
the legend and the scale bar; the source, date and 示意图 note along the bottom.

Artists of the frame carry a ``gid`` (``legend``, ``north``, ``scalebar``) so that tests can
find them and check that no data is drawn under them.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

DPI = 150
NOTE = "示意图，不作为行政区域界线依据"
#: widths in inches: the side panel, one map panel (a single map), each of several panels
PANEL_IN, MAP_IN, PANELS_IN, HEIGHT_IN = 2.4, 7.2, 4.6, 8.4
_TOP, _BOTTOM = 0.875, 0.06
_LABEL_CHARS = 11  # Chinese characters on a legend line
_NICE_M = (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000)


def map_figure(title: str, subtitle: str, *, panels: int = 1) -> tuple[Figure, list]:
    """A titled figure with ``panels`` map axes, two to a row (one when ``panels`` is 1) so
    that each stays legible printed across an A4 page, and room on the right for the side
    panel (:func:`frame_map`)."""
    cols = 1 if panels == 1 else 2
    rows = -(-panels // cols)
    map_w = MAP_IN if panels == 1 else PANELS_IN * cols
    width = map_w + PANEL_IN
    height = HEIGHT_IN if rows == 1 else 1.3 + 4.6 * rows
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = 1 - (1 - _TOP) * HEIGHT_IN / height, _BOTTOM * HEIGHT_IN / height
    gap_x, gap_y = 0.12 / width, (0.2 / height if rows > 1 else 0.0)
    each_w = (map_w / width - gap_x) / cols
    each_h = (top - bottom) / rows
    axes = [fig.add_axes((gap_x + (i % cols) * each_w, top - (i // cols + 1) * each_h,
                          each_w - gap_x, each_h - gap_y))
            for i in range(panels)]
    for ax in axes:
        ax.set_axis_off()
    fig.text(0.5, 1 - 0.34 / height, title, ha="center", va="center", fontsize=15)
    fig.text(0.5, 1 - 0.66 / height, subtitle, ha="center", va="center", fontsize=10,
             color="#444444")
    return fig, axes


def county_outline(geoms: Sequence) -> shapely.Geometry:
    """The county: the union of its towns (metric CRS)."""
    return shapely.union_all(shapely.make_valid(np.asarray(geoms, dtype=object)))


def clip_to(geoms: Sequence, county: shapely.Geometry) -> np.ndarray:
    """``geoms`` cut to the county (those wholly inside untouched, those outside empty)."""
    geoms = np.asarray(geoms, dtype=object)
    shapely.prepare(county)
    inside = shapely.contains(county, geoms)
    out = geoms.copy()
    rest = ~inside
    if rest.any():
        out[rest] = shapely.intersection(geoms[rest], county)
    return out


def frame_map(fig: Figure, axes: list, handles: list, *, legend_title: str, source: str,
              extent: Sequence[float]) -> None:
    """Show ``extent`` (x0, y0, x1, y1, metres) in every panel, and put the north arrow,
    the legend of ``handles`` and the scale bar in the side panel, the source and the
    示意图 note under the map."""
    x0, y0, x1, y1 = extent
    pad = 0.02 * max(x1 - x0, y1 - y0)
    for ax in axes:
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        ax.set_aspect("equal")
        ax.apply_aspect()
    panel = 1.0 - PANEL_IN / fig.get_figwidth()
    left = panel + 0.15 / fig.get_figwidth()
    _north(fig, left + 0.25 / fig.get_figwidth(), top=_TOP)
    for handle in handles:  # long labels on two lines, so the legend fits the panel
        handle.set_label("\n".join(textwrap.wrap(handle.get_label(), _LABEL_CHARS)))
    legend = fig.legend(handles=handles, title=legend_title, loc="upper left",
                        bbox_to_anchor=(left, _TOP - 0.1), fontsize=8, title_fontsize=9,
                        frameon=True, framealpha=1.0, borderaxespad=0.0)
    legend.set_gid("legend")
    _scale_bar(fig, axes[0], left=left, bottom=_BOTTOM + 0.02,
               room=(PANEL_IN - 0.45) / fig.get_figwidth())
    fig.text(0.012, 0.022, f"数据来源：{source}    制图日期：{dt.date.today().isoformat()}",
             ha="left", va="center", fontsize=7.5, color="#444444")
    fig.text(0.988, 0.022, NOTE, ha="right", va="center", fontsize=7.5, color="#444444")


def _north(fig: Figure, x: float, *, top: float) -> None:
    """A north arrow with 北 under it (the maps are drawn north up)."""
    arrow = FancyArrowPatch((x, top - 0.06), (x, top), transform=fig.transFigure,
                            arrowstyle="-|>", mutation_scale=14, color="#222222",
                            linewidth=1.2)
    arrow.set_gid("north")
    fig.add_artist(arrow)
    fig.text(x, top - 0.075, "北", ha="center", va="center", fontsize=10, gid="north")


def _scale_bar(fig: Figure, ax, *, left: float, bottom: float, room: float) -> None:
    """A scale bar for ``ax`` (metres) in figure coordinates: the longest round length
    that fits in ``room`` (a fraction of the figure's width), halves black and white."""
    pos = ax.get_position()
    xa, xb = ax.get_xlim()
    per_frac = (xb - xa) / pos.width  # metres per figure width
    nice = max((v for v in _NICE_M if v / per_frac <= room), default=_NICE_M[0])
    length = nice / per_frac
    height = 0.008
    for i in range(2):
        bar = Rectangle((left + i * length / 2, bottom), length / 2, height,
                        transform=fig.transFigure, facecolor="#222222" if i == 0 else "white",
                        edgecolor="#222222", linewidth=0.6)
        bar.set_gid("scalebar")
        fig.add_artist(bar)
    unit, scale = ("公里", 1000.0) if nice >= 1000 else ("米", 1.0)
    for frac, text in ((0, "0"), (0.5, f"{nice / 2 / scale:g}"),
                       (1, f"{nice / scale:g} {unit}")):
        fig.text(left + frac * length, bottom + height + 0.006, text, ha="center",
                 va="bottom", fontsize=7, gid="scalebar")
    fig.text(left, bottom + height + 0.03, "比例尺", ha="left", va="bottom", fontsize=8,
             gid="scalebar")
