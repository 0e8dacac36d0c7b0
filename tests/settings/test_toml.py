"""planner.toml: every table and plain key documented, a misspelt table or key answered with
the one meant, layer paths kept inside the workspace, header rows and reporting dates
checked — each refusal one line naming the file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from planner._errors import ConfigError
from planner.settings import SECTIONS, load_settings
from planner.settings._toml import _LAYER_KEYS, nearest, reporting_date
from tests.conftest import MINI

ROOT = Path(__file__).resolve().parents[2]
DOCS = "".join((ROOT / "docs" / name).read_text(encoding="utf-8")
               for name in ("inputs.md", "water.md"))


def test_every_table_and_plain_key_is_documented():
    missing = [f"[{table}]" for table in SECTIONS
               if f"`[{table}" not in DOCS and f"`[[{table}" not in DOCS]
    missing += [f"{table}.{key}" for table, keys in SECTIONS.items() for key in keys or ()
                if f"`{key}`" not in DOCS and f"`[{table}.{key}]`" not in DOCS]
    missing += [f"layers.<name>.{key}" for key in _LAYER_KEYS if f"`{key}`" not in DOCS]
    assert missing == []


def _typos(word: str) -> list[str]:
    """A letter dropped, two neighbours swapped, one letter doubled."""
    out = {word[:i] + word[i + 1:] for i in range(len(word))}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    out |= {word[:i] + word[i] + word[i:] for i in range(len(word))}
    return sorted(t for t in out if t != word and len(t) >= 3)


@pytest.mark.parametrize("table", sorted(SECTIONS))
def test_a_misspelt_table_or_key_is_answered_with_the_one_meant(table):
    for typo in _typos(table):
        if typo in SECTIONS:
            continue
        assert nearest(typo, SECTIONS) == table, typo
    for key in sorted(SECTIONS[table] or ()):
        for typo in _typos(key):
            if typo not in SECTIONS[table]:
                assert nearest(typo, SECTIONS[table]) == key, (table, typo)


def _workspace(tmp_path, extra: str = "", **replace: str) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(MINI, ws)
    toml = ws / "planner.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    toml.write_text(text + extra, encoding="utf-8")
    return ws


def test_misspellings_in_a_file_are_refused_with_the_fix(tmp_path):
    ws = _workspace(tmp_path, **{"[validate]": "[validate]\nlocate_tolerence_m = 50"})
    with pytest.raises(ConfigError) as info:
        load_settings(ws)
    assert str(info.value) == (f"{ws / 'planner.toml'}: unknown key validate.locate_tolerence_m;"
                               " did you mean validate.locate_tolerance_m?")


@pytest.mark.parametrize("path", ["../elsewhere/towns.geojson", "/etc/towns.geojson",
                                  "sub/../../towns.geojson"])
def test_layer_paths_stay_inside_the_workspace(tmp_path, path):
    ws = _workspace(tmp_path, **{'path = "towns.geojson"': f'path = "{path}"'})
    with pytest.raises(ConfigError, match=r"path .* leaves the workspace folder"):
        load_settings(ws)


def test_a_link_placed_inside_the_workspace_is_followed(tmp_path):
    outside = tmp_path / "shared"
    outside.mkdir()
    shutil.copy(MINI / "towns.geojson", outside / "towns.geojson")
    ws = _workspace(tmp_path, **{'path = "towns.geojson"': 'path = "linked/towns.geojson"'})
    os.symlink(outside, ws / "linked")
    assert load_settings(ws).layers["towns"].path == (outside / "towns.geojson").resolve()


@pytest.mark.parametrize(("header", "ok"), [("2", True), ("100", True), ("0", False),
                                            ("101", False), ("true", False), ('"2"', False)])
def test_header_row_numbers(tmp_path, header, ok):
    ws = _workspace(tmp_path, **{'path = "quota.csv"': f'path = "quota.csv"\nheader = {header}'})
    if ok:
        assert load_settings(ws).quota.header == int(header)
    else:
        with pytest.raises(ConfigError, match=r"planner\.toml: \[quota\] header = .* must be the "
                                              r"row number of the column names"):
            load_settings(ws)


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (dt.date(2025, 6, 30), dt.date(2025, 6, 30)),
    ("2025-06-30", dt.date(2025, 6, 30)), ("2024-02-29", dt.date(2024, 2, 29))])
def test_reporting_dates(value, expected):
    assert reporting_date(value, where="[workspace] as_of") == expected


@pytest.mark.parametrize("value", ["2025-02-29", "30/06/2025", "2025-13-01", 2025, True])
def test_a_reporting_date_that_is_no_date_is_refused(value):
    with pytest.raises(ConfigError, match=r"planner\.toml: \[workspace\] as_of = .* is not a "
                                          r"date; give it as YYYY-MM-DD"):
        reporting_date(value, where="[workspace] as_of", source="planner.toml")


def test_as_of_in_the_workspace_table(tmp_path):
    ws = _workspace(tmp_path, **{'name = "测试县"': 'name = "测试县"\nas_of = 2025-06-30'})
    assert load_settings(ws).as_of == dt.date(2025, 6, 30)
    assert load_settings(MINI).as_of is None
