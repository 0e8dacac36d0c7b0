"""planner.validate.scenario_edits on the mini workspace: the books balance, removed sites are
listed in the rejected records with the scenario's name, moved sites take their new village,
added sites are located like any other, settings take the scenario's prices."""

from __future__ import annotations

import pytest

from planner._errors import ConfigError
from planner.locate.sites import locate_facilities
from planner.records.scenario import Scenario, SiteEdit
from planner.settings import load_settings
from planner.validate.intake import load_workspace
from planner.validate.scenario_edits import apply_scenario, scenario_settings
from tests.conftest import MINI


@pytest.fixture(scope="module")
def mini_ws():
    settings = load_settings(MINI)
    return settings, load_workspace(settings)


def _located(ws, settings):
    ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                      tolerance_m=settings.locate_tolerance_m,
                                      aliases=settings.aliases, ledger=ws.ledger)
    return ws


def test_edits_keep_the_books_balanced(mini_ws):
    settings, ws = mini_ws
    ids = ws.facilities["facility_id"].tolist()
    sc = Scenario(name="试点", added=[SiteEdit("新增-1", "care_point", 120.58, 32.37)],
                  moved=[SiteEdit(ids[1], "", 120.58, 32.36)], removed=[ids[0]])
    before = len(ws.ledger.rejected)
    out = _located(apply_scenario(ws, sc), settings)
    assert len(ws.ledger.rejected) == before  # the workspace itself is untouched
    assert out.ledger.reconcile() == []
    # removed on purpose: not counted as records the run lost
    assert [x["unusable"] for x in out.ledger.losses() if x["file"] == "facilities.csv"] == [
        x["unusable"] for x in ws.ledger.losses() if x["file"] == "facilities.csv"]
    gone = [r for r in out.ledger.rejected if r["reason"].startswith("方案中撤销（方案“试点”）")]
    assert len(gone) == 1 and gone[0]["row"] == ws.facilities.iloc[0]["_row"]
    row = out.facilities.set_index("facility_id")
    assert row.loc[ids[1], "village_name"] == "北村"
    assert row.loc["新增-1", "village_name"] == "北村"
    assert row.loc["新增-1", "_file"] == "方案/试点.toml"
    assert ids[0] not in row.index and len(out.facilities) == len(ws.facilities)


def test_an_empty_scenario_is_the_workspace(mini_ws):
    _settings, ws = mini_ws
    assert apply_scenario(ws, Scenario(name="空")) is ws


@pytest.mark.parametrize("sc, match", [
    (Scenario(removed=["nowhere.csv:9"]), "不在当前阵地表中"),
    (Scenario(added=[SiteEdit("x", "castle", 120.5, 32.3)]), "阵地类型"),
])
def test_unknown_ids_and_kinds_are_refused(mini_ws, sc, match):
    _settings, ws = mini_ws
    with pytest.raises(ConfigError, match=match):
        apply_scenario(ws, sc)


def test_an_added_id_may_not_repeat_an_existing_one(mini_ws):
    _settings, ws = mini_ws
    fid = ws.facilities["facility_id"].iloc[0]
    with pytest.raises(ConfigError, match="重复"):
        apply_scenario(ws, Scenario(added=[SiteEdit(fid, "care_point", 120.5, 32.3)]))


def test_settings_take_the_budget_and_prices(mini_ws):
    settings, _ws = mini_ws
    sc = Scenario(water={"budget_yuan": 123.0},
                  prices={"sign": 400.0, "site_care_home": 9.0})
    out = scenario_settings(settings, sc)
    assert out.water.budget_yuan == 123.0 and out.water.prices["sign"] == 400.0
    assert out.water.kit_price == settings.water.kit_price + 100.0
    assert out.place.site_yuan["care_home"] == 9.0
    with pytest.raises(ConfigError, match="未知单价"):
        scenario_settings(settings, Scenario(prices={"gold": 1.0}))
