"""Static PNG maps: files written, Chinese glyphs drawn with the planner's CJK font."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont

from planner._errors import ConfigError
from planner.report._fonts import cjk_font_path, cjk_rc
from planner.report.staticmaps import FILES, write_static_maps
from tests.report.test_webmap import full_layers


def _glyph(text: str) -> np.ndarray:
    fig = Figure(figsize=(0.6, 0.6), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, text, fontsize=28, ha="center", va="center")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., 0].copy()


def test_cjk_font_is_found_and_used():
    path = cjk_font_path()
    assert path.is_file() and path.suffix.lower() in (".otf", ".ttf", ".ttc")
    with mpl.rc_context(cjk_rc()):
        assert findfont(FontProperties()) == str(path)
        # distinct characters give distinct glyphs (a missing glyph is one and the same box,
        # and would also raise matplotlib's missing-glyph warning as an error here)
        a, b, c = _glyph("如"), _glyph("皋"), _glyph("镇")
    assert (a < 128).sum() > 20
    assert not np.array_equal(a, b) and not np.array_equal(b, c)


def test_font_override_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_CJK_FONT", str(tmp_path / "missing.otf"))
    with pytest.raises(ConfigError, match="PLANNER_CJK_FONT"):
        cjk_font_path()


def test_static_maps(demo_result, tmp_path):
    layers = full_layers(demo_result, synthetic=True)
    paths = write_static_maps(layers, tmp_path, title="如皋市")
    assert [p.name for p in paths] == [FILES["quota"], FILES["coverage"], FILES["water"]]
    from PIL import Image

    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 40_000
        meta = Image.open(p).text
        assert meta["Disclaimer"].startswith("示意图") and meta["Source"]
        assert meta["Creation Time"] and "综合" not in meta["Description"]
    assert "分别统计" in Image.open(paths[0]).text["Description"]
    layers.water = None
    again = write_static_maps(layers, tmp_path / "no_water", title="如皋市")
    assert [p.name for p in again] == [FILES["quota"], FILES["coverage"]]


def test_static_maps_draw_the_data(demo_result, tmp_path):
    """The quota map is coloured by completion: a map where every town is done is green."""
    layers = full_layers(demo_result, synthetic=True)
    done = layers.towns.copy()
    for col in [c for c in done.columns if c.startswith("pct_")]:
        done[col] = 100.0
    layers.towns = done
    path = write_static_maps(layers, tmp_path, title="如皋市")[0]
    from matplotlib.image import imread

    rgb = (imread(path)[..., :3] * 255).round().astype(int)
    green = np.all(np.abs(rgb - [0x1A, 0x98, 0x50]) <= 2, axis=-1).mean()
    red = np.all(np.abs(rgb - [0xF4, 0x6D, 0x43]) <= 2, axis=-1).mean()
    assert green > 0.15 and red < 0.001


def test_frame_hides_no_data_and_maps_stop_at_the_county(demo_result, tmp_path, monkeypatch):
    """Legend, north arrow and scale bar sit beside the map: with them hidden, not one
    pixel under their boxes is drawn; every map shows the county and nothing beyond it."""
    from pathlib import Path

    from planner.report import staticmaps
    from planner.report.webmap import layers_from_result

    layers = layers_from_result(demo_result)
    figures = {}
    save = staticmaps.save_png

    def keep(fig, path, **kwargs):
        figures[Path(path).name] = fig
        return save(fig, path, **kwargs)

    monkeypatch.setattr(staticmaps, "save_png", keep)
    write_static_maps(layers, tmp_path, title="如皋市")
    assert set(figures) == set(FILES.values())
    county = layers.towns.to_crs(layers.crs).total_bounds
    for name, fig in figures.items():
        with mpl.rc_context(cjk_rc()):
            _check_frame(name, fig, county)


def _check_frame(name: str, fig, county) -> None:
    """No pixel under the frame's boxes with the frame hidden; shapes within the county."""
    fig.set_facecolor("white")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    frame = [a for a in fig.findobj() if a.get_gid() in {"legend", "north", "scalebar"}]
    assert {a.get_gid() for a in frame} == {"legend", "north", "scalebar"}, name
    boxes = [a.get_window_extent(canvas.get_renderer()) for a in frame]
    for box in boxes:  # inside the picture
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 \
            and box.y1 <= fig.bbox.y1, (name, box)
    for artist in [*frame, *fig.texts]:
        artist.set_visible(False)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    height = rgb.shape[0]
    for box in boxes:
        region = rgb[max(0, int(height - box.y1) - 2):int(height - box.y0) + 2,
                     max(0, int(box.x0) - 2):int(box.x1) + 2]
        assert (region == 255).all(), f"{name}: data drawn under {box}"
    for ax in fig.axes:  # the shapes drawn stop at the county (a pixel or so of slack)
        lim = ax.dataLim
        slack = 0.002 * (county[2] - county[0])
        assert lim.x0 >= county[0] - slack and lim.y0 >= county[1] - slack, name
        assert lim.x1 <= county[2] + slack and lim.y1 <= county[3] + slack, name
