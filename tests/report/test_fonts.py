"""The CJK font the static maps draw Chinese with: found in the installed font package
(no system font needed), overridable by ``PLANNER_CJK_FONT``, and really holding the glyphs
of the maps' labels; a clear error when there is none."""

from __future__ import annotations

import pytest
from matplotlib.ft2font import FT2Font

from planner._errors import ConfigError
from planner.report import _fonts


def test_the_packaged_font_holds_the_labels_glyphs(monkeypatch):
    monkeypatch.delenv("PLANNER_CJK_FONT", raising=False)
    path = _fonts.cjk_font_path()
    assert path.name == _fonts.FONT_FILE and _fonts.FONT_PACKAGE in str(path)
    font = FT2Font(str(path))
    for char in "如皋市镇村居儿童关爱站点四个一救生圈完成率一二三级":
        assert font.get_char_index(ord(char)) != 0, char
    rc = _fonts.cjk_rc()
    assert rc["font.sans-serif"][0] == _fonts.cjk_family() == font.family_name
    assert rc["axes.unicode_minus"] is False


def test_override_and_its_errors(monkeypatch, tmp_path):
    packaged = _fonts.cjk_font_path()
    monkeypatch.setenv("PLANNER_CJK_FONT", str(packaged))
    assert _fonts.cjk_font_path() == packaged
    monkeypatch.setenv("PLANNER_CJK_FONT", str(tmp_path / "nope.otf"))
    with pytest.raises(ConfigError, match=r"nope\.otf: no such font file"):
        _fonts.cjk_font_path()


def test_no_font_anywhere_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("PLANNER_CJK_FONT", raising=False)
    monkeypatch.setattr(_fonts, "_package_font", lambda: None)
    monkeypatch.setattr(_fonts, "_SYSTEM_FONTS", (str(tmp_path / "missing.ttc"),))
    with pytest.raises(ConfigError, match="pip install pylopdf-fonts-zh-cn"):
        _fonts.cjk_font_path()
    system = tmp_path / "wqy-microhei.ttc"
    system.write_bytes(b"")
    monkeypatch.setattr(_fonts, "_SYSTEM_FONTS", (str(tmp_path / "missing.ttc"), str(system)))
    assert _fonts.cjk_font_path() == system  # the first system font that exists
