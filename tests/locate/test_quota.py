"""Quota rows matched by code, name, alias table and stem; unmatched rows rejected."""

import pandas as pd

from planner.locate.quota import match_towns, read_quota
from planner.records.ledger import Ledger
from planner.settings import load_settings
from tests.conftest import MINI

TOWNS = pd.DataFrame({"town_code": ["320682400", "320682105", "320682001"],
                      "town_name": ["如皋市经济开发区", "白蒲镇", "如城街道"]})


def test_match_methods():
    labels = pd.Series(["320682105", "如城街道", "城北街道", "白蒲", "九华镇", " 白 蒲 镇 "])
    codes, methods = match_towns(labels, TOWNS, aliases={"城北街道": "如皋市经济开发区"})
    assert codes.tolist() == ["320682105", "320682001", "320682400", "320682105", "",
                              "320682105"]
    assert methods.tolist() == ["code", "name", "alias", "stem", "", "name"]


def test_alias_may_name_a_code():
    codes, methods = match_towns(pd.Series(["城北街道"]), TOWNS,
                                 aliases={"城北街道": "320682400"})
    assert (codes.iloc[0], methods.iloc[0]) == ("320682400", "alias")


def test_read_quota_lists_unmatched_rows_and_reports_towns():
    settings = load_settings(MINI)
    towns = pd.DataFrame({"town_code": ["320999001", "320999002"],
                          "town_name": ["甲山镇", "乙水镇"]})
    ledger = Ledger()
    quota = read_quota(settings.quota, towns, aliases=settings.aliases, ledger=ledger)
    assert quota.table["match"].tolist() == ["alias", "stem", ""]
    assert quota.table["town_code"].tolist() == ["320999001", "320999002", ""]
    assert quota.table["required_care_point"].tolist() == [2, 2, 1]  # 丙镇 kept, not dropped
    assert quota.unmatched == ["丙镇"]
    assert ledger.rejected == []
    assert ledger.repairs[0]["row"] == 4 and "[aliases]" in ledger.repairs[0]["note"]
    assert ledger.reconcile() == []


def test_law_default_for_a_kind_the_table_lacks():
    """The mini quota table has no workstation column: the Minor Protection Law's one per
    town is added and cited; a column of the table wins; ``statutory_defaults = false``
    turns it off."""
    from dataclasses import replace

    cfg = load_settings(MINI)
    towns = pd.DataFrame({"town_code": ["320999001", "320999002"],
                          "town_name": ["甲山镇", "乙水镇"]})
    quota = read_quota(cfg.quota, towns, aliases=cfg.aliases, ledger=Ledger())
    assert list(quota.kinds) == ["care_home", "care_point", "protection_station"]
    # every row, the one that matches no town (listed on the annex) included
    assert quota.table["required_protection_station"].tolist() == [1] * len(quota.table)
    assert "第八十一条" in quota.defaults["protection_station"]
    assert quota.standards["protection_station"] == "any"
    off = read_quota(replace(cfg.quota, statutory_defaults=False), towns,
                     aliases=cfg.aliases, ledger=Ledger())
    assert "protection_station" not in off.kinds and off.defaults == {}
    assert "required_protection_station" not in off.table.columns
    own = replace(cfg.quota, kinds={**cfg.quota.kinds, "protection_station": "站点"})
    given = read_quota(own, towns, aliases=cfg.aliases, ledger=Ledger())
    assert given.defaults == {}
    assert given.table["required_protection_station"].tolist() == \
        given.table["required_care_point"].tolist()
