"""planner.toml validation: one-line messages naming the file and the fix."""

import re

import pytest

from planner._errors import ConfigError, DatumError
from planner.settings import load_settings
from tests.conftest import MINI


def test_mini_config_reads():
    settings = load_settings(MINI)
    assert settings.name == "测试县"
    assert settings.facilities[0].datum == "gcj02"
    assert settings.layers["villages"].column("village_code") == "code"
    assert settings.quota.standards == {"care_home": "provincial", "care_point": "any"}
    assert settings.aliases == {"甲山街道": "甲山镇"}


def _write(tmp_path, text):
    (tmp_path / "planner.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_missing_toml(tmp_path):
    with pytest.raises(ConfigError, match="no planner.toml here"):
        load_settings(tmp_path)


def test_missing_required_layer(tmp_path):
    _write(tmp_path, '[layers.county]\npath = "c.geojson"\n')
    with pytest.raises(ConfigError, match=r"\[layers.towns\] is missing"):
        load_settings(tmp_path)


def test_unknown_datum_stops(tmp_path):
    _write(tmp_path, '[layers]\ncounty = "c"\ntowns = "t"\n'
           '[layers.villages]\npath = "v"\ndatum = "beijing54"\n')
    with pytest.raises(DatumError, match="unknown datum 'beijing54'.*layer 'villages'"):
        load_settings(tmp_path)


def test_bad_toml_syntax(tmp_path):
    _write(tmp_path, "[layers\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path)


def test_unknown_layer_key(tmp_path):
    _write(tmp_path, '[layers]\ncounty = "c"\ntowns = "t"\n'
           '[layers.villages]\npath = "v"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(tmp_path)


def test_quota_kind_must_be_known(tmp_path):
    _write(tmp_path, '[layers]\ncounty = "c"\ntowns = "t"\nvillages = "v"\n'
           '[quota]\npath = "q.csv"\ntown = "镇"\n[quota.kinds]\nplayground = "x"\n')
    with pytest.raises(ConfigError, match="unknown kind 'playground'"):
        load_settings(tmp_path)


def _mini_with(tmp_path, extra: str):
    base = (MINI / "planner.toml").read_text(encoding="utf-8")
    if "[validate]" in extra:  # the mini's own [validate] table gives way to the test's
        base = re.sub(r"\[validate\][^\[]*", "", base)
    text = base + "\n" + extra
    target = tmp_path / "planner.toml"
    target.write_text(text, encoding="utf-8")
    for f in MINI.iterdir():
        if f.name != "planner.toml":
            (tmp_path / f.name).symlink_to(f)
    return tmp_path


@pytest.mark.parametrize(("extra", "message"), [
    ('[qouta]\npath = "q.csv"\n', r"unknown table \[qouta\]; did you mean \[quota\]\?"),
    ('[acess]\nwalk_speed_kmh = 4\n', r"did you mean \[access\]\?"),
    ('[zzz]\nx = 1\n', r"unknown table \[zzz\]; known tables: \[workspace\]"),
    ('[validate]\nduplicate_distance = 50\n',
     r"unknown key validate.duplicate_distance; did you mean validate.duplicate_distance_m\?"),
    ('[roads]\npth = "r.osm"\n', r"unknown key roads.pth; did you mean roads.path\?"),
    ('[place]\nmodle = "p_median"\n', r"unknown key place.modle"),
    ('[access.care_point]\nthreshold = 800\n', r"unknown key access.care_point.threshold"),
])
def test_unknown_tables_and_keys_are_refused(tmp_path, extra, message):
    ws = _mini_with(tmp_path, extra)
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(ws)
    assert "\n" not in str(err.value) and "planner.toml" in str(err.value)


def test_one_coverage_distance_for_coverage_and_placement(tmp_path):
    ws = _mini_with(tmp_path, '[access.care_point]\nthreshold_m = 800\nmode = "drive"\n')
    settings = load_settings(ws)
    assert settings.access.rules["care_point"].threshold_m == 800.0
    assert settings.access.rules["care_point"].mode == "drive"
    assert settings.place.threshold("care_point") == 800.0  # placement reads the same distance
    home = settings.access.rules["care_home"].threshold_m
    assert settings.place.threshold("care_home") == home == 5000.0


def test_quota_statutory_defaults_is_a_bool(tmp_path):
    text = (MINI / "planner.toml").read_text(encoding="utf-8").replace(
        '[quota]\n', '[quota]\nstatutory_defaults = "no"\n')
    (tmp_path / "planner.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="statutory_defaults = 'no' must be true or false"):
        load_settings(tmp_path)
    assert load_settings(MINI).quota.statutory_defaults is True


def test_place_threshold_is_refused_with_the_new_home(tmp_path):
    ws = _mini_with(tmp_path, '[place.threshold_m]\ncare_point = 800\n')
    with pytest.raises(ConfigError, match=r"\[access.<kind>\] threshold_m"):
        load_settings(ws)


def test_settings_are_built_once_and_frozen():
    import dataclasses

    settings = load_settings(MINI)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("table, line, key", [
    ("validate", "duplicate_distance_m = nan", "duplicate_distance_m"),
    ("validate", "duplicate_distance_m = inf", "duplicate_distance_m"),
    ("validate", "locate_tolerance_m = -5", "locate_tolerance_m"),
    ("validate", 'locate_tolerance_m = "100 米"', "locate_tolerance_m"),
    ("water", "year = 20025", "year"),
    ("water", "year = 1025", "year"),
    ("water", "as_of = 2205-06-01", "as_of"),
    ("water", "budget_yuan = nan", "budget_yuan"),
    ("water", "rope_m = 1e15", "rope_m"),
    ("access", "walk_speed_kmh = 4500", "walk_speed_kmh"),
    ("access.care_point", "threshold_m = -inf", "threshold_m"),
    ("place", "mip_rel_gap = 5", "mip_rel_gap"),
])
def test_every_setting_is_range_checked_in_one_line(tmp_path, table, line, key):
    import shutil

    shutil.copytree(MINI, tmp_path / "ws")
    toml = tmp_path / "ws" / "planner.toml"
    text = toml.read_text(encoding="utf-8")
    text = (text.replace(f"[{table}]\n", f"[{table}]\n{line}\n", 1)
            if f"\n[{table}]\n" in text else text + f"\n[{table}]\n{line}\n")
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "ws")
    message = str(err.value)
    assert key in message and "planner.toml" in message and "\n" not in message


@pytest.mark.parametrize("code", ["../../x", "32068", "320682/..", "abc"])
def test_county_code_must_be_digits(tmp_path, code):
    import shutil

    shutil.copytree(MINI, tmp_path / "ws")
    toml = tmp_path / "ws" / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[workspace]", f'[workspace]\ncounty_code = "{code}"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="county_code"):
        load_settings(tmp_path / "ws")


def test_the_demo_and_the_init_template_are_within_range(tmp_path):
    from planner import datasets
    from planner.init import init_workspace

    load_settings(datasets.demo())
    init_workspace("灌云县", tmp_path / "gy")
    assert load_settings(tmp_path / "gy").county_code == "320723"
