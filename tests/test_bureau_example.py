"""The second bundled example: the demo's information as a bureau keeps it (village list
without geometry, town layer with names only, a ledger mostly without coordinates)."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from planner import datasets
from planner.measure.progress import quota_progress
from planner.pipeline import check, settings_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "bureau"
LOCAL = {"城北街道": "如皋市经济开发区", "城南街道": "如皋高新技术产业开发区"}
SUFFIX = r"(村民委员会|村委会|社区居民委员会|社区居委会|居民委员会|居委会|社区|村)$"
KINDS = {"儿童关爱之家": "care_home", '儿童"关爱之家"': "care_home",
         "村（居）儿童关爱站点": "care_point", "儿童服务类社会组织": "social_org"}


def _forms(name: str) -> list[str]:
    """A written village name, spaces out, with ever fewer committee / village suffixes."""
    out = [re.sub(r"\s+", "", str(name))]
    out.append(re.sub(r"(村民委员会|村委会)$", "村", re.sub(
        r"(社区)?(居民委员会|居委会)$", "社区", out[0])))
    while True:
        shorter = re.sub(SUFFIX, "", out[-1])
        if shorter == out[-1] or not shorter:
            return out
        out.append(shorter)


def _village(row, villages: pd.DataFrame) -> str:
    """The ledger row's village, found without the planner's matcher: its code, else the
    one village of its town whose name agrees at the first suffix level that agrees."""
    if isinstance(row["村代码"], str) and row["村代码"].strip():
        return row["村代码"].strip()
    town = LOCAL.get(row["镇"], row["镇"])
    mine = villages[villages["所属镇"] == town]
    written = _forms(row["村"])
    for level in range(4):
        theirs = mine["村名称"].map(lambda n, lv=level: (_forms(n) + [None] * 4)[lv])
        for form in written:
            hit = mine.loc[theirs == form, "村代码"]
            if len(hit) == 1:
                return hit.iloc[0]
    raise AssertionError(f"ledger row {row.to_dict()} names no single village")


@pytest.fixture(scope="module")
def example():
    ws, quota = check(settings_for(EXAMPLE))
    progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                              quota=quota)
    return ws, quota, progress.set_index("town_code")


def test_annex_equals_an_independent_count_of_the_ledger(example):
    ws, _quota, progress = example
    ledger = pd.read_excel(EXAMPLE / "facilities" / "台账.xlsx", dtype=str)
    villages = pd.read_csv(EXAMPLE / "boundaries" / "villages.csv", dtype=str)
    assert ledger["经度"].isna().mean() > 0.8  # most rows have no coordinates
    kind = ledger["类型"].map(KINDS)
    points = ledger[kind == "care_point"]
    codes = points.apply(_village, axis=1, villages=villages)
    distinct = codes.groupby(codes.str[:9]).nunique()  # villages with a point, per town
    quota_towns = progress.index[progress.index != ""]
    assert (progress["counted_care_point"] == distinct.reindex(progress.index,
                                                               fill_value=0)).all()
    assert distinct.drop(quota_towns).sum() > 0  # farms have sites, and no quota row
    homes = ledger[(kind == "care_home") & (ledger["达标情况"] == "达省标")]
    towns = dict(zip(villages["所属镇"], villages["村代码"].str[:9], strict=False))
    home_towns = homes["镇"].map(lambda t: towns[LOCAL.get(t, t)]).value_counts()
    assert (progress["counted_care_home"] == home_towns.reindex(progress.index,
                                                                fill_value=0)).all()
    orgs = ledger[kind == "social_org"]["镇"].map(lambda t: towns[LOCAL.get(t, t)])
    assert (progress["counted_social_org"] == orgs.value_counts().reindex(
        progress.index, fill_value=0)).all()
    assert ws.ledger.reconcile() == [] and not ws.ledger.rejected_frame()["layer"].eq(
        "facilities").any()


def test_annex_equals_the_demos_where_the_information_is_the_same(example):
    _ws, _quota, progress = example
    ws, quota = check(settings_for(None))
    demo = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                          quota=quota).set_index("town_code")
    cols = [c for c in demo.columns if re.match(r"(required|counted|built|extra|missing|pct|all)_",
                                                c)] + ["villages", "villages_with_care_point"]
    pd.testing.assert_frame_equal(progress.loc[demo.index, cols], demo[cols])


def test_what_is_derived_and_what_is_lacking_is_said(example):
    ws, _quota, _progress = example
    assert set(ws.villages["geometry_source"]) == {"none"}
    assert ws.derived["villages"]["how"] == "none"
    assert ws.derived["town_codes"]["reference"] == 21  # codes from the NBS list by name
    assert ws.derived["county"]["how"] == "union_of_towns"
    how = ws.facilities["location_method"].value_counts()
    assert how["none"] > 200 and how["town_point"] > 0 and how["coordinates"] > 0


@pytest.mark.slow  # a whole run of its own
def test_runs_from_the_cli(tmp_path, capsys):
    from planner.cli import main

    assert main(["run", "--example", "bureau", "--out", str(tmp_path), "-q"]) == 0
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["quota"]["care_point"] == {"required": 347, "built": 303, "missing": 44,
                                          "extra": 0, "percent": 87.3}
    assert run["access"]["method"] == "none" and run["coverage"]["care_point"][
        "within_reach"] is None
    assert all("无法选址" in v["notes"][0] for v in run["proposals"]["by_kind"].values())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "无法选址" in page
    assert (tmp_path / "progress.xlsx").is_file()


def test_travels_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["planner._data"]
    files = [p.relative_to(ROOT / "data").as_posix() for p in EXAMPLE.rglob("*") if p.is_file()]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files)
    assert datasets.example("bureau") == EXAMPLE
