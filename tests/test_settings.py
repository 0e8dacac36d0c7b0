"""planner.toml validation: one-line messages naming the file and the fix."""

import pytest

from planner._errors import ConfigError, DatumError
from planner.settings import load_settings

from .conftest import MINI


def test_mini_config_reads():
    cfg = load_settings(MINI)
    assert cfg.name == "测试县"
    assert cfg.facilities[0].datum == "gcj02"
    assert cfg.layers["villages"].column("village_code") == "code"
    assert cfg.quota.standards == {"care_home": "provincial", "care_point": "any"}
    assert cfg.aliases == {"甲山街道": "甲山镇"}


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
