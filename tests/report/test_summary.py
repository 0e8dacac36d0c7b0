"""The terminal summary of a run: each figure it prints recounted from the files the run
wrote (progress.csv, rejected.csv, repairs.csv, proposed_sites.geojson, water_risk.csv,
proposed_kits.geojson: its new kits, not the existing ones completed)."""

from __future__ import annotations

import json
import re

import pandas as pd

from planner.glossary import SHORT_LABELS
from planner.report.summary import print_summary


def _lines(result) -> list[str]:
    lines: list[str] = []
    print_summary(result, echo=lines.append)
    assert all("\n" not in line for line in lines)
    return lines


def _quota_and_records(result, lines: list[str]) -> None:
    out = result.out
    progress = pd.read_csv(out / "progress.csv", encoding="utf-8-sig")
    for kind in result.kinds:
        required = int(progress[f"required_{kind}"].sum())
        missing = int(progress[f"missing_{kind}"].sum())
        built = int(progress[f"built_{kind}"].sum())
        pct = round(100 * (required - missing) / required, 1)
        short = SHORT_LABELS.get(kind, kind)
        pattern = (rf"{re.escape(short)}：任务 {required}(（法定每镇 \d+ 个）)?，已建 {built}，"
                   rf"缺口 {missing}(，超额 \d+)?，完成率 {pct}%")
        assert any(re.fullmatch(pattern, line) for line in lines), pattern
    rejected = len(pd.read_csv(out / "rejected.csv", encoding="utf-8-sig"))
    repaired = len(pd.read_csv(out / "repairs.csv", encoding="utf-8-sig"))
    read = sum(i["read"] for i in json.loads((out / "run.json").read_text("utf-8"))["inputs"])
    assert f"读入记录 {read} 条，拒收 {rejected} 条（rejected.csv），修复 {repaired} 条" \
           f"（repairs.csv）；发现的问题 {len(result.findings)} 条" in lines
    assert lines[-1] == f"成果文件夹：{out}"


def test_mini_summary(mini_result):
    lines = _lines(mini_result)
    _quota_and_records(mini_result, lines)
    assert not any(line.startswith("防溺水") for line in lines)  # the mini has no water


def test_demo_summary(demo_result):
    lines = _lines(demo_result)
    _quota_and_records(demo_result, lines)
    out = demo_result.out
    sites = json.loads((out / "proposed_sites.geojson").read_text("utf-8"))["features"]
    (line,) = [x for x in lines if x.startswith("拟新建（含升级）阵地 ")]
    assert line.startswith(f"拟新建（含升级）阵地 {len(sites)} 处：")
    for kind in {f["properties"]["kind"] for f in sites}:
        mine = [f["properties"] for f in sites if f["properties"]["kind"] == kind]
        upgrades = sum(p["method"] == "upgrade" for p in mine)  # an existing site raised
        text = f"{SHORT_LABELS[kind]}新建 {len(mine) - upgrades} 处" + (
            f"、升级 {upgrades} 处" if upgrades else "")
        assert re.search(rf"[：；]{re.escape(text)}[； ]", line), (text, line)
    risk = pd.read_csv(out / "water_risk.csv", encoding="utf-8-sig", dtype={"tier": str})
    tiers = risk.drop_duplicates("water_id")["tier"].value_counts()
    kits = json.loads((out / "proposed_kits.geojson").read_text("utf-8"))["features"]
    (water,) = [x for x in lines if x.startswith("防溺水：")]
    # the water sentences are the report's (planner.report.water_figures)
    m = re.match(r"防溺水：水域 ([\d,]+) 处，一级/二级/三级 ([\d,]+)/([\d,]+)/([\d,]+) 处；", water)
    assert m, water
    assert int(m[1].replace(",", "")) == risk["water_id"].nunique()
    assert [int(m[i].replace(",", "")) for i in (2, 3, 4)] == [
        int(tiers.get(t, 0)) for t in "ABC"]
    budget = next(x for x in lines if x.startswith("“四个一”本年预算"))
    new = sum(f["properties"]["status"] == "new" for f in kits)
    assert f"新建 {new} 套" in budget, (new, budget)
