"""planner.records.scenario: names that stay in 方案/, files that read back, bad files."""

from __future__ import annotations

import pytest

from planner._errors import ConfigError
from planner.records.scenario import (
    Scenario,
    SiteEdit,
    check_name,
    list_scenarios,
    read_scenario,
    scenario_path,
    write_scenario,
)


@pytest.mark.parametrize("name", ["试点方案", "Plan B", "2026_方案-1", "a" * 40])
def test_good_names(tmp_path, name):
    assert check_name(f" {name} ") == name
    assert scenario_path(tmp_path, name).parent == (tmp_path / "方案").resolve()


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "a\\b", ".x", "-x", "", "a" * 41,
                                  "x.toml", "名\x00字", "名\n字", None, "C:", "~root"])
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="方案名称"):
        scenario_path(tmp_path, name)


def test_a_scenario_reads_back_as_written(tmp_path):
    sc = Scenario(name="试点", note="说明",
                  added=[SiteEdit("新增-1", "care_point", 120.5, 32.3)],
                  moved=[SiteEdit("facilities.csv:4", "", 120.51, 32.31)],
                  removed=["facilities.csv:2"],
                  candidates=[SiteEdit("", "", 120.52, 32.32)],
                  water={"budget_yuan": 150000.0}, prices={"sign": 350.0})
    path = write_scenario(tmp_path, sc)
    assert path == tmp_path / "方案" / "试点.toml"
    text = path.read_text("utf-8")
    assert text.startswith("# 规划方案“试点”") and "planner run --scenario 试点" in text
    assert read_scenario(tmp_path, "试点") == sc
    assert list_scenarios(tmp_path) == ["试点"]
    assert not list(path.parent.glob(".*"))  # no temporary file left


@pytest.mark.parametrize("text, match", [
    ("name = ", "不是可读的方案文件"),
    ("colour = 'red'", "未知的键"),
    ("[water]\nmax_new_kits = 5", "只可设"),
    ("[water]\nbudget_yuan = -1", "budget_yuan"),
    ("[[added]]\nkind = 'care_point'\nlon = 120\nlat = 32", "facility_id"),
    ("[[added]]\nfacility_id = 'a'\nkind = 'care_point'\nlon = 190\nlat = 32", "lon"),
    ("removed = 'facilities.csv:2'", "removed"),
])
def test_a_bad_file_is_one_line_naming_it(tmp_path, text, match):
    (tmp_path / "方案").mkdir()
    (tmp_path / "方案" / "坏.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as err:
        read_scenario(tmp_path, "坏")
    assert "坏.toml" in str(err.value) and "\n" not in str(err.value)


def test_a_missing_scenario_lists_the_saved_ones(tmp_path):
    write_scenario(tmp_path, Scenario(name="甲"))
    with pytest.raises(ConfigError, match="已有：甲"):
        read_scenario(tmp_path, "乙")
