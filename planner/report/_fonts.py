"""A CJK font for matplotlib, found by path and registered at run time.

The project installs Noto Sans SC through the PyPI package ``pylopdf-fonts-zh-cn`` (data
only, SIL OFL 1.1), so that a fresh machine renders Chinese labels without relying on
system fonts or on matplotlib's font cache. ``PLANNER_CJK_FONT`` (a font file path)
overrides it; Debian's ``fonts-noto-cjk`` / ``fonts-wqy-microhei`` are the fallbacks.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from planner._errors import ConfigError

#: the PyPI package that ships the font, and the file inside it
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"

_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def _package_font() -> Path | None:
    """The font file inside the font package, located without importing it."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / FONT_FILE
        if path.is_file():
            return path
    return None


def cjk_font_path() -> Path:
    """Path of the CJK font file the planner draws Chinese text with.

    Raises
    ------
    ConfigError
        When no CJK font is installed.
    """
    override = os.environ.get("PLANNER_CJK_FONT")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ConfigError(f"PLANNER_CJK_FONT={override}: no such font file; "
                              "point it at a .otf/.ttf/.ttc CJK font or unset it")
        return path
    found = _package_font()
    if found is not None:
        return found
    for name in _SYSTEM_FONTS:
        if Path(name).is_file():
            return Path(name)
    raise ConfigError("no CJK font for the static maps: run `pip install pylopdf-fonts-zh-cn` "
                      "(installed with the planner) or `apt-get install fonts-noto-cjk`")


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def cjk_family() -> str:
    """Register the CJK font with matplotlib (once) and return its family name."""
    return _register(str(cjk_font_path()))


def cjk_rc() -> dict:
    """matplotlib rc settings that draw text in the CJK font (for ``rc_context``)."""
    return {"font.family": "sans-serif", "font.sans-serif": [cjk_family(), "DejaVu Sans"],
            "axes.unicode_minus": False}
