"""PNG maps and charts written small: a 256-colour palette image (maps use a handful of
flat colours, so nothing visible is lost) with the figure's text metadata kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from planner.records.privacy import mask_personal
from planner.report.safe import scrub_figure


def save_png(fig: Figure, path: str | Path, *, dpi: float | None = None,
             metadata: dict[str, str] | None = None) -> Path:
    """Render ``fig`` on a white background and write it to ``path`` as a palette PNG
    (about a third of the size of matplotlib's RGBA file); ``metadata`` become PNG text
    chunks.

    The figure is drawn once on the Agg canvas and its pixels go straight to Pillow:
    no intermediate PNG is encoded and decoded.
    """
    scrub_figure(fig)  # the last step: no personal data in any drawn text
    old_dpi, old_face, old_canvas = fig.dpi, fig.get_facecolor(), fig.canvas
    if dpi is not None:
        fig.set_dpi(dpi)
    fig.set_facecolor("white")
    try:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    finally:
        fig.set_dpi(old_dpi)
        fig.set_facecolor(old_face)
        # the figure goes back to its own canvas: this one, holding the pixel buffer, is
        # freed on return instead of waiting in a reference cycle for the collector
        fig.set_canvas(old_canvas)
    palette = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                           dither=Image.Dither.NONE)
    info = PngInfo()
    for key, value in (metadata or {}).items():
        info.add_itxt(mask_personal(str(key)), mask_personal(str(value)))
    path = Path(path)
    # zlib level 6: 5 % larger than level 9 / optimize=True, in a tenth of the time
    palette.save(path, format="PNG", compress_level=6, pnginfo=info)
    return path
