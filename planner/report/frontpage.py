"""Page 1 of ``report.html``, for a leader: the period and issuing unit, the headline
figures (each quota kind's 完成率, the village coverage, children within reach, staff), the
change since the last report, the towns furthest behind, what the plan proposes and what
it costs, and what needs doing. Every figure is read from ``run.json`` (or the progress
table behind it), so it reads the same as in the other outputs; texts are escaped."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from planner.glossary import MODES, SHORT_LABELS, kind_label
from planner.measure.coverage import (
    MEASURES,
    children_within_reach,
    definitions,
    village_coverage,
)
from planner.report.water_figures import headline as water_headline

#: towns listed as furthest behind
LAGGARDS = 5


def _e(text: object) -> str:
    return html.escape(str(text))


def _short(kind: str) -> str:
    return SHORT_LABELS.get(kind, kind_label(kind))


def kpis(run: dict) -> str:
    """The headline cards: each quota kind's 完成率 (已建 / 任务, 缺口), the 村（居）覆盖率,
    the 服务半径内儿童占比 and, with a staff table, the directors in post."""
    cards = []
    for kind, t in (run.get("quota") or {}).items():
        if isinstance(t, dict):
            cards.append((f"{_short(kind)}完成率", f"{t['percent']:.1f}%",
                          f"已建 {t['built']} / 任务 {t['required']}，缺口 {t['missing']}"))
    story = (run.get("coverage") or {}).get("care_point") or {}
    if story.get("own_site"):
        own = story["own_site"]
        cards.append((MEASURES["own_site"], f"{own['share_villages']:.1f}%",
                       f"{own['villages']} / {own['villages_total']} 个村（居）有站点"))
    if story.get("within_reach"):
        reach = story["within_reach"]
        cards.append((MEASURES["within_reach"], f"{reach['share_children']:.1f}%",
                      f"{reach['children']:,} / {reach['children_total']:,} 人"))
    staff = run.get("staff")
    if staff:
        rate = (100.0 * staff["directors"] / staff["directors_required"]
                if staff["directors_required"] else 100.0)
        cards.append(("儿童主任配备率", f"{rate:.1f}%",
                      f"{staff['directors']} / {staff['directors_required']}，"
                      f"{staff['villages_without_director']} 个村（居）无"))
    if not cards:
        return ""
    return "<div class='kpi'>" + "".join(
        f"<div>{_e(a)}<b>{_e(b)}</b>{_e(c)}</div>" for a, b, c in cards) + "</div>"


def since_line(run: dict) -> str:
    """本期（自上期以来）新建 n 个，完成率 +x 个百分点, per quota kind ("" without ``since``)."""
    since = run.get("since")
    if not since:
        return ""
    parts = []
    for kind, c in since["kinds"].items():
        text = f"{_short(kind)}新建 {c['built_since']} 个"
        if c.get("percent_change") is not None:
            text += f"（完成率 {c['percent_change']:+.1f} 个百分点）"
        parts.append(text)
    then = since.get("period") or Path(since["folder"]).name
    return (f"<p class='since'>与上期（{_e(then)}）相比：{_e('，'.join(parts))}。</p>")


def meanings(run: dict) -> str:
    """What the headline measures mean, said once."""
    story = (run.get("coverage") or {}).get("care_point")
    lines = ["完成率 = 已建 ÷ 任务数（超过任务数的部分不计入）"]
    if story:
        text = definitions("care_point", story)
        lines.append(f"{MEASURES['own_site']}：{text[0]}")
        if story.get("within_reach"):
            lines.append(f"{MEASURES['within_reach']}：{text[1]}")
    defaults = run.get("quota_defaults") or {}
    for kind, rule in defaults.items():
        lines.append(f"{_short(kind)}任务数按法定每镇（街道）{rule['per_town']} 个计"
                     "（未成年人保护法第八十一条）")
    return "<p class='def'>口径：" + _e("；".join(lines)) + "。</p>"


def laggards(progress: pd.DataFrame | None, kinds: list[str], *, top: int = LAGGARDS) -> str:
    """The towns furthest behind: most missing sites of all quota kinds, then the lowest
    care-point completion; per kind 已建/任务."""
    if progress is None or not kinds or not len(progress):
        return ""
    missing = sum(progress[f"missing_{k}"].astype(int) for k in kinds)
    key = progress[f"pct_{kinds[0]}"] if "care_point" not in kinds else progress["pct_care_point"]
    order = pd.DataFrame({"missing": missing, "pct": key}).sort_values(
        ["missing", "pct"], ascending=[False, True], kind="stable").index
    rows = []
    for i in [i for i in order if missing[i] > 0][:top]:
        r = progress.loc[i]
        cells = [f"<td class=t>{_e(r['town_name'])}</td>", f"<td><b>{int(missing[i])}</b></td>"]
        for k in kinds:
            done = f"{int(r[f'built_{k}'])}/{int(r[f'required_{k}'])}"
            style = " class=lack" if r[f"missing_{k}"] > 0 else ""
            cells.append(f"<td{style}>{done}（{float(r[f'pct_{k}']):.0f}%）</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        return "<p>各镇（街道）任务均已完成。</p>"
    head = "".join(f"<th>{_e(_short(k))}<br>已建/任务（完成率）</th>" for k in kinds)
    return (f"<table class='lag'><thead><tr><th>镇（街道）</th><th>缺口合计（个）</th>{head}"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def plan_lines(run: dict, progress: pd.DataFrame | None) -> list[str]:
    """What the plan proposes per kind (with the completion once built and the children
    newly within reach, never added across kinds) and what the water-safety plan costs."""
    lines = []
    props = run.get("proposals") or {}
    quota = run.get("quota") or {}
    for kind, v in (props.get("by_kind") or {}).items():
        if not isinstance(v, dict) or not (v.get("proposed") or v.get("upgrades")):
            continue
        what = f"新建 {v.get('proposed', 0)} 处" + (f"、升级 {v['upgrades']} 处"
                                                   if v.get("upgrades") else "")
        text = f"{_short(kind)}：拟{what}"
        after = _after_pct(progress, kind)
        if after is not None and kind in quota:
            text += f"，建成后完成率 {quota[kind]['percent']:.1f}% → {after:.1f}%"
        if v.get("children_newly_covered"):
            dist = v.get("threshold_m")
            how = f"{MODES.get(v.get('mode'), '')}{dist:,.0f} 米内" if dist else "服务半径内"
            text += f"，新增{how}儿童 {int(v['children_newly_covered']):,} 人"
        lines.append(text)
    if sum(1 for v in (props.get("by_kind") or {}).values()
           if isinstance(v, dict) and v.get("children_newly_covered")) > 1:
        lines.append("各类阵地服务半径不同，新增服务半径内儿童按类分列，不相加")
    if props.get("sites"):
        lines.append("阵地建设费用未测算（未设单价），选址明细见 proposed_sites.geojson 与 "
                     "progress.xlsx“建议选址”")
    water = run.get("water") or {}
    if water:  # what the budget buys and what full coverage needs, both (issue 25)
        lines.append(water_headline(water))
    return lines


def _after_pct(progress: pd.DataFrame | None, kind: str) -> float | None:
    """The county's completion of ``kind`` once every proposal is built."""
    if progress is None or f"missing_after_{kind}" not in progress.columns:
        return None
    req = float(progress[f"required_{kind}"].sum())
    left = float(progress[f"missing_after_{kind}"].sum())
    return round(100.0 * (req - left) / req, 1) if req else None


def action_summary(groups: list[tuple[str, list[str]]], *, per_group: int = 2,
                   skip: tuple[str, ...] = ("四、",)) -> str:
    """The first findings of each group by what to do, with how many more there are; the
    groups whose title starts with ``skip`` (done already) only counted."""
    if not groups:
        return "<p>无</p>"
    out, counted = [], []
    for title, lines in groups:
        if title.startswith(skip):
            counted.append(f"{title.split('、', 1)[-1]} {len(lines)} 条")
            continue
        items = "".join(f"<li>{_e(_clip(line))}</li>" for line in lines[:per_group])
        more = (f"<li class='more'>……等 {len(lines)} 条，见附录</li>"
                if len(lines) > per_group else "")
        out.append(f"<p class='grp'>{_e(title)}（{len(lines)} 条）</p><ul class='s'>{items}"
                   f"{more}</ul>")
    counted.append("各镇（街道）完成情况、覆盖、拟新建阵地、风险水域、“四个一”物资和地图见后页")
    out.append(f"<p class='meta'>{_e('；'.join(counted))}；数据处理情况见附录。</p>")
    return "".join(out)


def _clip(text: str, limit: int = 88) -> str:
    """A finding shortened for page 1 (the appendix has it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline_figures(run: dict) -> list[str]:
    """The coverage figures as every output prints them (for the page's own text)."""
    story = (run.get("coverage") or {}).get("care_point") or {}
    out = []
    if story.get("own_site"):
        out.append(village_coverage(story["own_site"]))
    if story.get("within_reach"):
        out.append(children_within_reach(story["within_reach"]))
    return out


def vintage_line(run: dict) -> str:
    """When the inputs are from, by file (``run.json`` ``inputs_vintage``), and the year of
    the patrol calendar."""
    parts, undated = [], []
    for v in run.get("inputs_vintage") or []:
        if v.get("source") == "file_date":
            undated.append(v)
        else:
            parts.append(f"{v['file']} {v['vintage']}")
    if undated:
        days = sorted({str(v["vintage"]) for v in undated})
        parts.append(f"其余 {len(undated)} 个文件未注明（文件日期 {'、'.join(days[:3])}）")
    patrol = ((run.get("water") or {}).get("patrol") or {}).get("year")
    if patrol:
        parts.append(f"巡查日历：{patrol}年")
    return "；".join(parts)
