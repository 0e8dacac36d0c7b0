"""The findings as a bureau acts on them: in Chinese, with names (villages, towns, files,
rows), grouped by what to do -- correct the data and run again, check, decide.

Built from the run's own tables (rejected records, repairs, sites declared in another town,
the quota table against the boundaries) rather than from the bilingual finding texts of
``run.json``; a finding no table explains is passed on under 请核对 in its Chinese part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from planner.glossary import kind_label
from planner.results import RunResult

#: the groups, in the order a bureau works through them
CORRECT = "一、请更正数据后重新运行"
CHECK = "二、请核对"
DECIDE = "三、请决定"
FIXED = "四、已自动修复（供知悉）"
GROUPS = (CORRECT, CHECK, DECIDE, FIXED)

#: findings of run.json explained here from the tables (their texts start so)
_EXPLAINED = ("个村没有儿童人数", "任务表要求", "任务表“")
_LAYERS = {"children": "儿童人数表", "facilities": "阵地表", "villages": "村界",
           "towns": "镇界", "quota": "任务表", "kits": "“四个一”设施表", "water": "水域",
           "staff": "儿童工作队伍表", "schools": "学校", "settlements": "居民点"}


def chinese(text: object) -> str:
    """The Chinese part of a bilingual message ("中文 / English" -> "中文"; also
    "中文（…）/ English")."""
    return re.split(r"\s*/\s+(?=[A-Za-z'\"(])", str(text), maxsplit=1)[0].strip()


def _fields(record: object) -> dict[str, str]:
    """The ``column=value`` pairs of a rejected record's summary (``rejected.csv``)."""
    out = {}
    for part in str(record).rstrip("…").split("; "):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _where(file: str, row: object) -> str:
    return f"{file} 第 {row} 行"


def action_groups(result: RunResult) -> list[tuple[str, list[str]]]:
    """The findings of a run grouped by what to do (groups with no finding left out)."""
    villages = result.villages
    names = dict(zip(villages["village_code"].astype(str),
                     zip(villages["village_name"], villages["town_name"], strict=True),
                     strict=True)) if len(villages) else {}
    findings = [chinese(f) for f in result.run.get("findings") or []]
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    rejected = result.workspace.ledger.rejected_frame()
    lost = lost_children(rejected, names=names)
    groups[CORRECT] += [line for _code, line in lost]
    explained = {code for code, _line in lost}
    groups[CORRECT] += rejected_lines(rejected, names=names, skip=explained)
    groups[CORRECT] += [f for f in findings if "个村没有儿童人数" in f
                        and _count(f) > len(explained)]
    groups[CHECK] += declared_lines(result.tables.get("disagreements"))
    groups[CHECK] += quota_lines(result.progress, result.run)
    groups[DECIDE] += decide_lines(result.run)
    groups[CHECK] += [f for f in findings if not any(key in f for key in _EXPLAINED)
                      and "个镇级单位不在任务表中" not in f]
    groups[FIXED] += [f"{_where(r.file, r.row)}：{chinese(r.note)}"
                      for r in result.workspace.ledger.repairs_frame().itertuples()]
    return [(g, lines) for g, lines in groups.items() if lines]


def _count(text: str) -> int:
    match = re.match(r"(\d+)", text)
    return int(match[1]) if match else 0


def rejected_lines(rejected: pd.DataFrame, *, names: dict,
                   skip: Iterable[str] = ()) -> list[str]:
    """One line per rejected record: where, what it was (name, village), why; child-count
    rows of the villages in ``skip`` (told by :func:`lost_children`) left out."""
    skip = set(skip)
    out = []
    for r in rejected.itertuples():
        rec = _fields(r.record)
        code = rec.get("village_code") or rec.get("code")
        if r.layer == "children" and code in skip:
            continue
        what = rec.get("name")
        if not what and code:
            village = names.get(str(code))
            what = f"{village[0]}（{village[1]}）" if village else f"代码 {code}"
        layer = _LAYERS.get(str(r.layer), str(r.layer))
        head = f"{_where(r.file, r.row)}（{layer}{'：' + what if what else ''}）"
        out.append(f"{head}未使用：{chinese(r.reason)}")
    return out


def lost_children(rejected: pd.DataFrame, *, names: dict) -> list[tuple[str, str]]:
    """Villages whose child-count row was rejected, so that they count 0 children:
    (village code, the line saying which village, how many children, which row, why)."""
    out = []
    for r in rejected[rejected["layer"] == "children"].itertuples():
        rec = _fields(r.record)
        code = rec.get("village_code", "")
        if code not in names:
            continue
        name, town = names[code]
        out.append((code, f"{name}（{town}）的儿童人数未计入，按 0 人计：{_where(r.file, r.row)}"
                          f"（儿童 {rec.get('children', '?')} 人）{chinese(r.reason)}"))
    return out


def declared_lines(table: pd.DataFrame | None) -> list[str]:
    """Sites whose declared town is not the town they lie in."""
    if table is None or not len(table):
        return []
    return [f"{r['name']}（{kind_label(r['kind'])}，{_where(r['_file'], r['_row'])}）申报属"
            f"{r['declared_town']}，坐标位于{r['town_name']}{r['village_name']}：已按位置计入"
            f"{r['town_name']}，请核对坐标或申报" for r in table.to_dict("records")]


def quota_lines(progress: pd.DataFrame, run: dict) -> list[str]:
    """Quota rows whose care-point number differs from the town's villages; rows matched by
    a short name; rows that match no town."""
    out = []
    if "required_care_point" in progress.columns:
        for r in progress[progress["required_care_point"] != progress["villages"]].itertuples():
            out.append(f"{r.town_name}：任务表要求村（居）儿童关爱站点 {r.required_care_point} 个，"
                       f"镇界内有 {r.villages} 个村（居）（任务表与区划年份不同？）")
    for m in run.get("quota_matching") or []:
        if m.get("match") == "stem":
            out.append(f"任务表“{m['quota_town']}”按简称对应镇界中的镇（代码 {m['town_code']}）")
    return out


def decide_lines(run: dict) -> list[str]:
    """What needs a decision: units without a quota, quotas the law set, old calendars."""
    out = []
    without = run.get("towns_without_quota") or []
    if without:
        out.append(f"{len(without)} 个镇级单位不在任务表中（{'、'.join(without)}），其村（居）"
                   "计入村（居）覆盖率，但无建设任务：是否下达任务")
    for kind, rule in (run.get("quota_defaults") or {}).items():
        out.append(f"任务表未列{kind_label(kind)}，已按法定每镇（街道）{rule['per_town']} 个计："
                   "如上级另有任务数，请在任务表中加列")
    patrol = ((run.get("water") or {}).get("patrol") or {})
    period = str(run.get("period") or "")
    match = re.match(r"(\d{4})年", period)
    if patrol.get("year") and match and int(patrol["year"]) < int(match[1]):
        out.append(f"巡查日历按 {patrol['year']} 年编排，早于报告期 {match[1]} 年：在 "
                   "planner.toml 的 [water] year 中改为本年度")
    return out
