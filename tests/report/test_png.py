"""Palette PNGs: smaller than matplotlib's own file, same picture, metadata kept."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from planner.report._png import save_png


def test_palette_png_keeps_the_picture_and_its_text(tmp_path) -> None:
    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for i, colour in enumerate(("#1b9e77", "#d95f02", "#7570b3", "#e7298a")):
        ax.fill_between([i, i + 1], 0, 1, color=colour)
    plain = tmp_path / "plain.png"
    fig.savefig(plain, facecolor="white")
    small = save_png(fig, tmp_path / "small.png", metadata={"Title": "如皋市：测试"})
    assert small.stat().st_size < plain.stat().st_size
    with Image.open(small) as im, Image.open(plain) as ref:
        assert im.mode == "P" and im.size == ref.size
        assert im.text["Title"] == "如皋市：测试"
        diff = np.abs(np.asarray(im.convert("RGB"), dtype=int)
                      - np.asarray(ref.convert("RGB"), dtype=int))
    assert np.percentile(diff, 99) <= 8  # flat colours come through unchanged
