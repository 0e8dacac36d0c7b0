"""``province_map.png``: counties coloured by the share of villages with a care point.

A county's outline is the union of its towns in its own ``planner.gpkg`` (layer
``towns``), so real workspaces outside the reference data are drawn too. Colours follow
the county maps' completion bins (:data:`planner.report._maplayers.COMPLETION_BINS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from planner.report._fonts import cjk_rc
from planner.report._maplayers import COMPLETION_BINS, NO_QUOTA, completion_colour
from planner.report._mpl import add_geometries
from planner.report._png import save_png

_DPI = 150


def county_outlines(folders: Sequence[Path]) -> gpd.GeoSeries:
    """One outline per county folder (WGS-84): the union of its towns."""
    import pyogrio

    geoms = []
    for folder in folders:
        towns = pyogrio.read_dataframe(Path(folder) / "planner.gpkg", layer="towns",
                                       columns=[])
        geoms.append(shapely.union_all(shapely.make_valid(towns.geometry.to_crs(4326)
                                                          .to_numpy())))
    return gpd.GeoSeries(geoms, crs=4326)


def _background(ax) -> None:
    """The reference county outlines (all of Jiangsu) in light grey, for orientation."""
    from planner import datasets
    from planner.geo.datum import transform_geometry

    try:
        ref = gpd.read_file(datasets.reference("outlines"))
    except (FileNotFoundError, OSError):
        return
    geoms = transform_geometry(ref.geometry.to_numpy(), datum="gcj02")
    add_geometries(ax, np.asarray(geoms, dtype=object), facecolor="#f2f2f2",
                   edgecolor="#bdbdbd", linewidth=0.3)


def write_province_map(path: Path, *, counties: pd.DataFrame) -> Path:
    """Draw ``counties`` (one row per county, with its output ``folder``) to ``path``."""
    outlines = county_outlines(counties["folder"].tolist())
    frame = gpd.GeoDataFrame(counties.reset_index(drop=True), geometry=outlines.values,
                             crs=4326)
    share = np.where(frame["villages"] > 0,
                     100.0 * frame["villages_with_care_point"]
                     / frame["villages"].where(frame["villages"] > 0), np.nan)
    with mpl.rc_context(cjk_rc()):
        fig = Figure(figsize=(8.0, 8.6), dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
        ax.set_axis_off()
        done = int(frame["villages_with_care_point"].sum())
        total = int(frame["villages"].sum())
        fig.text(0.5, 0.955, "村（居）儿童关爱站点覆盖率（按县）", ha="center", fontsize=15)
        fig.text(0.5, 0.915, f"{len(frame)} 个县级单位，有站点的村（居）{done:,}/{total:,} 个"
                 f"（{100.0 * done / total if total else 0:.1f}%）", ha="center", fontsize=10,
                 color="#444444")
        _background(ax)
        add_geometries(ax, frame.geometry.values,
                       facecolor=[completion_colour(v) for v in share], edgecolor="#404040",
                       linewidth=0.4)
        x0, y0, x1, y1 = frame.total_bounds
        pad = 0.05 * max(x1 - x0, y1 - y0, 0.1)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        lat = np.mean(frame.total_bounds[[1, 3]])
        ax.set_aspect(1.0 / np.cos(np.radians(lat)))
        if len(frame) <= 120:
            import matplotlib.patheffects as pe

            halo = [pe.withStroke(linewidth=1.5, foreground="white")]
            for pt, v in zip(frame.geometry.representative_point(), share, strict=True):
                if np.isfinite(v):
                    ax.annotate(f"{v:.0f}", (pt.x, pt.y), ha="center", va="center",
                                fontsize=5, path_effects=halo)
        handles = [Patch(facecolor=c, edgecolor="#404040", label=lab)
                   for _low, c, lab in COMPLETION_BINS]
        handles.append(Patch(facecolor=NO_QUOTA[0], edgecolor="#404040", label="无村（居）"))
        ax.legend(handles=handles, title="覆盖率", loc="lower left", fontsize=8,
                  title_fontsize=9, framealpha=0.9)
        save_png(fig, path, dpi=_DPI)
    return path

