"""Geometries drawn as collections: holes stay open, each part takes its feature's colour,
lines are drawn, empty shapes skipped."""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.report._mpl import add_geometries, pixel_tolerance


def _render(geoms, **style) -> np.ndarray:
    fig = Figure(figsize=(2, 2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    add_geometries(ax, geoms, **style)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


def _at(img: np.ndarray, x: float, y: float) -> tuple[int, ...]:
    h, w, _ = img.shape
    return tuple(img[int((1 - y / 100) * h), int(x / 100 * w)])


def test_holes_parts_and_lines():
    donut = shapely.box(10, 10, 50, 50).difference(shapely.box(20, 20, 40, 40))
    pair = shapely.MultiPolygon([shapely.box(60, 60, 70, 70), shapely.box(80, 80, 95, 95)])
    line = shapely.LineString([(5, 90), (50, 90)])
    img = _render(np.array([donut, pair, shapely.Polygon(), line], dtype=object),
                  facecolor=["#ff0000", "#0000ff", "#00ff00", "#000000"],
                  edgecolor=["none", "none", "none", "#000000"], linewidth=[0, 0, 0, 4])
    assert _at(img, 15, 15) == (255, 0, 0)      # the donut's ring
    assert _at(img, 30, 30) == (255, 255, 255)  # its hole stays open
    assert _at(img, 65, 65) == (0, 0, 255)      # both parts of the multipolygon
    assert _at(img, 88, 88) == (0, 0, 255)
    assert _at(img, 30, 90) == (0, 0, 0)        # the line
    assert _at(img, 75, 20) == (255, 255, 255)


def test_half_pixel_tolerance():
    fig = Figure(figsize=(4, 2), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    # 200 px on the short side show 1,000 m: half a pixel is 2.5 m
    assert pixel_tolerance(ax, (0, 0, 1000, 500)) == 2.5
