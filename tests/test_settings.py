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
