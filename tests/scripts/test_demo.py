"""The demo builder: deterministic, and generic for any county in the reference data."""

import filecmp

import pytest

from planner.pipeline import run
from scripts.synth.demo import build_workspace


@pytest.mark.slow
def test_same_seed_same_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        build_workspace(out, county_code="320681", seed=7, extras=False)
    for name in ["boundaries/towns.geojson", "boundaries/county.geojson",
                 "facilities/facilities_2021.csv", "planner.toml",
                 "boundaries/villages.dbf", "boundaries/villages.shp"]:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


@pytest.mark.slow
def test_another_county_without_quota_runs(tmp_path):
    ws = tmp_path / "qidong"
    stats = build_workspace(ws, county_code="320681", seed=3, defects=False, extras=False)
    result = run(ws, out=tmp_path / "out", echo=lambda _l: None)
    assert result.quota is None
    assert len(result.progress) == stats["towns"]
    assert result.run["rejected"] == 0
    assert result.workspace.ledger.reconcile() == []
    assert result.progress["villages"].sum() == stats["villages"]


def test_unknown_county_code(tmp_path):
    with pytest.raises(ValueError, match="not in jiangsu_divisions"):
        build_workspace(tmp_path / "x", county_code="999999")
