"""``report.html``: the county's progress report, in Chinese, ready to print.

Page 1 (one A4 page) is the summary: completion per kind, the two coverage measures, the
quota table per town and what needs attention. After a page break come the details:
coverage per kind, proposed sites, the top water risks, the "四个一" requisition, the
static maps and the findings. Sections whose stage was not run say "未计算". The page is
a Jinja2 template (``_assets/report.html.j2``, autoescaped); the tables are built here
with every input text escaped; the maps are embedded as data URIs, so the file can be
mailed or printed on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from planner.glossary import CHILD_GROUPS, KINDS, KIT_ITEM_COUNTS, KIT_ITEMS, MODES, TIERS
from planner.measure.coverage import story_lines

NOT_COMPUTED = "未计算"
_TOP = 10  # rows of the proposal and water tables

_COLUMNS = {
    "kind": "类型", "town_name": "镇（街道）", "village_name": "村（居）", "rank": "排序",
    "children_newly_covered": "新增服务半径内儿童", "reason": "理由", "water_id": "编号",
    "name": "名称", "locator": "水域（名称或位置）",
    "type_label": "类型", "tier_label": "风险等级", "tier": "风险等级", "score": "风险分",
    "home_m": "距最近住户（米）", "children_500": "500米内儿童", "new_kits": "新设（套）",
    "completed_kits": "补齐（套）", "rope_m": "绳长（米）",
    **{count: KIT_ITEMS[item] for item, (count, _unit) in KIT_ITEM_COUNTS.items()},
}
_PROPOSAL_COLS = ["序号", "kind", "town_name", "village_name", "children_newly_covered", "reason"]
_WATER_COLS = ["town_name", "rank", "locator", "type_label", "tier_label", "score", "home_m",
               "children_500"]
_PER_TOWN = 3  # waters per town in the priority list
_REQ_COLS = ["town_name", "new_kits", "completed_kits", "signs", "lifebuoys", "ropes", "rope_m",
             "poles"]

_CSS = """
body{font-family:"Noto Sans SC","Microsoft YaHei","PingFang SC","Source Han Sans SC",
 "WenQuanYi Micro Hei",sans-serif;margin:16px auto;max-width:1100px;color:#222;font-size:13px}
h1{font-size:20px;margin:0 0 2px}h2{font-size:15px;margin:14px 0 4px;border-bottom:2px solid
 #1a9850;padding-bottom:2px}.meta{color:#555;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:11.5px;margin:2px 0}
th,td{border:1px solid #999;padding:2px 4px;text-align:center}th{background:#eef3ee}
td.t{text-align:left}tr.total td{font-weight:bold;background:#f6f6f6}
.nc{color:#888;font-style:italic}.cols{display:flex;gap:14px}.cols>div{flex:1;min-width:0}
.maps{display:flex;gap:8px}.maps figure{flex:1;margin:0;text-align:center}
.maps img{width:100%;border:1px solid #ccc}.maps figcaption{font-size:11px;color:#555}
ul.f{margin:2px 0;padding-left:18px;font-size:11.5px}.kpi{display:flex;gap:10px;margin:4px 0}
.kpi div{flex:1;border:1px solid #ccc;border-radius:4px;padding:4px 8px}
.kpi b{display:block;font-size:17px;color:#1a9850}
ul.s{margin:2px 0;padding-left:18px}
.warn{border:2px solid #d73027;background:#fde0dd;color:#a50026;padding:4px 8px;margin:4px 0}
.break{break-before:page;page-break-before:always}
@page{size:A4 portrait;margin:10mm}
@media print{body{margin:0;max-width:none;font-size:10px}h1{font-size:16px}
 h2{font-size:12px;margin:6px 0 3px}table{font-size:8px}th,td{padding:1px 2px}
 #details section,table,figure{break-inside:avoid}.kpi b{font-size:13px}a{color:inherit}
 ul.s,ul.f{font-size:9.5px}.kpi{margin:2px 0}.kpi div{padding:2px 5px}}
"""


def _esc(value: object) -> str:
    """A value as escaped display text (numbers formatted, missing as a dash)."""
    if value is None or value is pd.NaT:
        return "—"
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "—"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    return html.escape(str(value))


def _table(frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
           text_cols: Sequence[str] = (), total_label: str | None = None) -> str:
    """An HTML table; columns named ``group|sub`` get a two-row header."""
    labels = labels or {}
    cols = list(frame.columns)
    split = [str(c).split("|", 1) if "|" in str(c) else [str(c)] for c in cols]
    two = any(len(s) == 2 for s in split)
    head = ["<tr>"]
    i = 0
    while i < len(cols):
        if len(split[i]) == 2:
            j = i
            while j < len(cols) and len(split[j]) == 2 and split[j][0] == split[i][0]:
                j += 1
            head.append(f"<th colspan='{j - i}'>{html.escape(split[i][0])}</th>")
            i = j
        else:
            span = " rowspan='2'" if two else ""
            head.append(f"<th{span}>{html.escape(labels.get(cols[i], split[i][0]))}</th>")
            i += 1
    head.append("</tr>")
    if two:
        head.append("<tr>" + "".join(f"<th>{html.escape(s[1])}</th>" for s in split
                                     if len(s) == 2) + "</tr>")
    body = []
    for row in frame.itertuples(index=False):
        first = str(row[0])
        cls = " class='total'" if total_label is not None and first == total_label else ""
        cells = "".join(f"<td{' class=t' if c in text_cols else ''}>{_cell(c, v)}</td>"
                        for c, v in zip(cols, row, strict=True))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody></table>"


def _cell(column: object, value: object) -> str:
    """A table cell: completion and coverage rates with a % sign."""
    if str(column).endswith(("完成率", "覆盖率")) and isinstance(value, float | int | np.number) \
            and np.isfinite(value):
        return f"{float(value):.1f}%"
    return _esc(value)


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the columns that have no value at all (e.g. unnamed waters)."""
    filled = frame.astype(object).where(frame.notna(), "").astype(str).ne("").any()
    return frame.loc[:, filled]


def _not_computed() -> str:
    return f"<p class='nc'>{NOT_COMPUTED}</p>"


def _kpis(run: dict) -> str:
    items = []
    quota = run.get("quota") or {}
    for kind, t in quota.items():
        if isinstance(t, dict) and kind in KINDS:
            items.append((f"{KINDS[kind][0]}完成率", f"{t['percent']}%",
                          f"已建 {t['built']} / 任务 {t['required']}，缺 {t['missing']}"))
    for kind, story in (run.get("coverage") or {}).items():
        own, reach = story["own_site"], story.get("within_reach")
        items.append((f"{KINDS[kind][0]}：{own['name']}", f"{own['share_villages']}%",
                      f"村（居）{own['villages']} / {own['villages_total']}"))
        if reach:
            items.append((f"{KINDS[kind][0]}：{reach['name']}儿童", f"{reach['share_children']}%",
                          f"{reach['children']:,} / {reach['children_total']:,} 人"))
    if not items:
        return _not_computed()
    return "<div class='kpi'>" + "".join(
        f"<div>{html.escape(a)}<b>{html.escape(b)}</b>{html.escape(c)}</div>"
        for a, b, c in items) + "</div>"


def _coverage(run: dict) -> str:
    access = run.get("access")
    if not access or not access.get("county_shares"):
        return _not_computed()
    rows = []
    for kind, shares in access["county_shares"].items():
        rows.append({"类型": KINDS.get(kind, (kind,))[0],
                     **{CHILD_GROUPS[g]: (None if shares.get(g) is None else
                                     f"{100 * shares[g]:.1f}%") for g in CHILD_GROUPS}})
    method = {"network": "按路网距离", "straight_line": "按直线距离"}.get(
        access.get("method"), str(access.get("method", "")))
    note = (f"<p class='meta'>各类阵地服务半径内的儿童占比（{html.escape(method)}），"
            "即“服务半径内”口径；按村（居）统计见 coverage.csv、villages.csv</p>")
    return note + _table(pd.DataFrame(rows), text_cols=["类型"])


def newly_within_reach(run: dict, proposals: pd.DataFrame | None = None) -> str:
    """Children newly within reach of the proposals, per kind with the kind's own distance:
    kinds with different distances are never added up (one child may count for several
    kinds). The figures of ``run.json`` ``proposals.by_kind``; per kind from ``proposals``
    where the run has none."""
    by_kind = (run.get("proposals") or {}).get("by_kind") or {}
    parts = []
    kinds = [k for k in KINDS if k in by_kind or (
        proposals is not None and len(proposals) and (proposals["kind"] == k).any())]
    for kind in kinds:
        info = by_kind.get(kind) or {}
        n = info.get("children_newly_covered")
        mine = None if proposals is None or "children_newly_covered" not in proposals else \
            proposals.loc[proposals["kind"] == kind, "children_newly_covered"]
        if n is None and mine is not None and len(mine):
            n = int(mine.sum())
        if n is None:
            continue
        dist = info.get("threshold_m")
        how = (f"{MODES.get(info.get('mode'), '')}{dist:,.0f} 米内" if dist else "服务半径内")
        parts.append(f"{KINDS[kind][0]}（{how}）{int(n):,} 人")
    return "；".join(parts)


def _proposals(proposals: pd.DataFrame | None, run: dict) -> str:
    if proposals is None:
        notes = {n for v in ((run.get("proposals") or {}).get("by_kind") or {}).values()
                 if isinstance(v, dict) for n in v.get("notes") or [] if "无法选址" in n}
        return "".join(f"<p class='nc'>{html.escape(_chinese(n))}</p>" for n in notes) \
            or _not_computed()
    if len(proposals) == 0:
        return "<p>无需新建（任务已完成）</p>"
    frame = pd.DataFrame(proposals).drop(columns="geometry", errors="ignore")
    counts = frame.groupby("kind").size()
    head = "；".join(f"{KINDS.get(k, (k,))[0]} {n} 处" for k, n in counts.items())
    show = frame.sort_values(["kind", "rank"]).copy() if "rank" in frame else frame.copy()
    show.insert(0, "序号", np.arange(1, len(show) + 1))
    show["kind"] = show["kind"].map(lambda k: KINDS.get(k, (k,))[0])
    show = _drop_empty(show[[c for c in _PROPOSAL_COLS if c in show.columns]].head(_TOP))
    more = f"（前 {_TOP} 处，全部见 proposed_sites.geojson）" if len(frame) > _TOP else ""
    kids = newly_within_reach(run, frame)
    kids = f"；新增服务半径内儿童：{kids}（各类服务半径不同，不相加）" if kids else ""
    return (f"<p>拟新建（含升级）{len(frame)} 处：{html.escape(head)}{html.escape(kids)}"
            f"{more}</p>"
            + _table(show, labels=_COLUMNS, text_cols=["reason", "village_name", "town_name"]))


def _water(water_top: pd.DataFrame | None, run: dict) -> str:
    """Risky waters by tier, where the homes come from, and the priority list: the first
    few waters of each town (a county list of ten ties from one cluster helps nobody)."""
    if water_top is None:
        return _not_computed()
    frame = pd.DataFrame(water_top).drop(columns="geometry", errors="ignore").copy()
    if "tier_label" not in frame and "tier" in frame:
        frame["tier_label"] = frame["tier"].map(lambda t: TIERS.get(str(t), str(t)))
    if "locator" not in frame:
        frame["locator"] = frame.get("name", "")
    summary = (run.get("water") or {}).get("risky_waters_by_tier") or {}
    head = "，".join(f"{TIERS[t]} {summary[t]} 处" for t in ("A", "B", "C") if t in summary)
    tiered = frame[frame["tier"].astype(str) != "N"] if "tier" in frame else frame
    top = (tiered.sort_values("rank", kind="stable").groupby("town_name", sort=False)
           .head(_PER_TOWN).sort_values(["town_name", "rank"], kind="stable"))
    show = _drop_empty(top[[c for c in _WATER_COLS if c in top.columns]])
    return ((f"<p>风险水域：{html.escape(head)}；下表为各镇（街道）排在前 {_PER_TOWN} 位的"
             f"水域（全部见 water_risk.csv）</p>" if head else "")
            + _homes_line(run)
            + _table(show, labels=_COLUMNS, text_cols=["locator", "town_name"]))


def _homes_line(run: dict) -> str:
    """Where the homes behind the water-risk distances come from (run.json water.homes)."""
    h = (run.get("water") or {}).get("homes") or {}
    if h.get("method") == "village_area_grid":
        text = (f"住户位置：没有居民点图层，按村（居）儿童数均匀分布在村域中水域以外的部分"
                f"（每 {h['grid_m']:g} 米一个点，共 {h['points']:,} 个点）；距离与暴露按此计算。")
    elif h.get("method") == "settlements":
        text = (f"住户位置：居民点图层 {h['points']:,} 个点；落在水域内的点不作住户"
                f"（距水边 30 米内的 {h.get('moved_to_shore', 0)} 个移到岸上，更深的 "
                f"{h.get('in_water', 0)} 个的儿童分布到本村水域以外的部分）。")
    else:
        return ""
    return f"<p class='meta'>{html.escape(text)}</p>"


def _requisition(requisition: pd.DataFrame | None) -> str:
    if requisition is None:
        return _not_computed()
    frame = pd.DataFrame(requisition)
    show = frame[[c for c in _REQ_COLS if c in frame.columns]].copy()
    total = {c: show[c].sum() for c in show.columns if c != "town_name"}
    show = pd.concat([show, pd.DataFrame([{"town_name": "合计", **total}])], ignore_index=True)
    return _table(show, labels=_COLUMNS, text_cols=["town_name"], total_label="合计")


def _budget(run: dict) -> str:
    """Spend, what remains, and the budget curve (issue 13)."""
    w = run.get("water") or {}
    b = w.get("budget")
    if not b:
        return ""
    line = (f"<p>预算 ¥{b['budget_yuan']:,.0f}，安排 ¥{b['spend_yuan']:,.0f}，剩余 "
            f"¥{b['remaining_yuan']:,.0f}；" if b.get("budget_yuan") is not None
            else f"<p>全覆盖方案费用 ¥{b['spend_yuan']:,.0f}；")
    line += (f"新建“四个一” {b['new_kits']} 处，补齐/更换救生绳 {b['fixed_kits']} 处，"
             f"危险岸线（按危险度加权）覆盖 {b['risk_covered_share']:.1%}"
             f"（求解 {_esc(b['method'])}，{_esc(b['status'])}，最优性差距 "
             f"{b.get('gap', 0.0):.2%}）。</p>")
    full = b.get("full_coverage")
    if full:
        line += (f"<p>全覆盖（每一米危险岸线都在救援点可及范围内）最省方案：新建 "
                 f"{full['new_kits']} 处（精确最少 {full['min_new_kits']} 处，区间覆盖算法）、"
                 f"补齐/更换救生绳 {full['fixed_kits']} 处，共 ¥{full['yuan']:,.0f}"
                 f"（{_esc(full['status'])}，费用差距 {full['gap']:.2%}）"
                 + ("；本年预算已够全覆盖，余款不再安排。" if b.get("method") == "full_coverage"
                    else "。") + "</p>")
    curve = pd.DataFrame(w.get("budget_curve") or [])
    if len(curve):
        curve = curve.assign(risk_covered_share=(100 * curve["risk_covered_share"]).round(1))
        line += "<p>预算曲线：点位数与费用对应的风险覆盖比例（供确定预算）。</p>" + _table(
            curve[["kits", "yuan", "risk_covered_share", "status", "gap"]],
            labels={"kits": "点位数（新建+补齐）", "yuan": "费用（元）",
                    "risk_covered_share": "风险覆盖（%）", "status": "求解状态",
                    "gap": "最优性差距"})
    return line


def _images(images: Sequence[Path]) -> str:
    if not images:
        return _not_computed()
    figs = []
    for path in images:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        name = html.escape(Path(path).stem)
        figs.append(f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                    f"<figcaption>{name}.png</figcaption></figure>")
    return "<div class='maps'>" + "".join(figs) + "</div>"


def _inputs(run: dict) -> str:
    inputs = run.get("inputs") or []
    read = sum(int(i.get("read", 0)) for i in inputs)
    return (f"读入记录 {read} 条，拒收 {run.get('rejected', 0)} 条（rejected.csv），"
            f"修复 {run.get('repaired', 0)} 条（repairs.csv）；镇（街道）"
            f"{run.get('towns')} 个，村（居）{run.get('villages')} 个")


def _chinese(text: object) -> str:
    """The Chinese part of a bilingual message ("中文 / English" -> "中文")."""
    return str(text).split(" / ")[0].strip()


def attention(run: dict, *, progress: pd.DataFrame | None = None,
              villages: pd.DataFrame | None = None, top: int = 5) -> list[str]:
    """The summary's "需要关注" lines: the least complete towns per kind, the villages with
    most children beyond a care point's reach, what the proposals would add, water risk."""
    lines = []
    quota = run.get("quota") or {}
    if progress is not None:
        for kind in [k for k in quota if k in KINDS and f"pct_{k}" in progress.columns]:
            low = progress[progress[f"missing_{kind}"] > 0].sort_values(f"pct_{kind}").head(3)
            if len(low):
                names = "、".join(f"{r['town_name']}（{r[f'pct_{kind}']:.1f}%，缺"
                                 f"{int(r[f'missing_{kind}'])}）" for _, r in low.iterrows())
                lines.append(f"{KINDS[kind][0]}完成率最低：{names}")
    story = (run.get("coverage") or {}).get("care_point") or {}
    reach = story.get("within_reach")
    if reach and villages is not None and "covshare_care_point" in villages.columns:
        villages = villages[villages["covshare_care_point"].notna()]  # measured ones only
        out = (villages["children"].fillna(0) * (1 - villages["covshare_care_point"]))
        worst = villages.assign(_out=out).sort_values("_out", ascending=False).head(top)
        names = "、".join(f"{r['village_name']}（{r['town_name']}，{r['_out']:,.0f} 人）"
                         for _, r in worst.iterrows() if r["_out"] >= 0.5)
        beyond = reach["children_total"] - reach["children"]
        lines.append(f"关爱站点服务半径外儿童 {beyond:,} 人，最多的村（居）：{names}")
    props = run.get("proposals") or {}
    if props.get("sites"):
        kids = newly_within_reach(run)
        kids = f"，新增服务半径内儿童：{kids}（各类服务半径不同，不相加）" if kids else ""
        lines.append(f"建议新建（含升级）阵地 {props['sites']} 处{kids}（明细见下页）")
    water = run.get("water") or {}
    if water:
        tiers = water.get("risky_waters_by_tier") or {}
        lines.append(f"一级风险水域 {tiers.get('A', 0)} 处；需新设“四个一”物资 "
                     f"{water.get('proposed_kits', 0)} 套")
    return lines


def write_report(path: str | Path, *, title: str, progress_table: pd.DataFrame, run: dict,
                 images: Sequence[Path] = (), proposals: pd.DataFrame | None = None,
                 water_top: pd.DataFrame | None = None,
                 requisition: pd.DataFrame | None = None,
                 progress: pd.DataFrame | None = None,
                 villages: pd.DataFrame | None = None, notice: Sequence[str] = (),
                 derived: Sequence[str] = ()) -> Path:
    """Write ``report.html`` (page 1 the summary, details after a page break).

    Parameters
    ----------
    path : path
        The HTML file to write.
    title : str
        Report title (escaped), e.g. ``"如皋市儿童关爱服务阵地建设任务完成情况"``.
    progress_table : DataFrame
        The annex-style table from :func:`planner.report.tables.progress_display` (columns named
        ``group|sub`` get a two-row header; a ``合计`` row is shown in bold).
    run : dict
        The content of ``run.json`` (quota totals, coverage, water summary, findings).
    images : sequence of paths
        PNG maps to embed (see :func:`planner.report.staticmaps.write_static_maps`).
    proposals, water_top, requisition : DataFrame, optional
        Proposed sites, water bodies ranked by risk, the "四个一" requisition per town;
        ``None`` prints "未计算".
    progress, villages : DataFrame, optional
        The progress and villages tables, for the "需要关注" lines.
    notice : sequence of str
        The 数据不全 lines of an accepted incomplete run, shown boxed at the top of page 1.
    derived : sequence of str
        What the planner derived instead of reading (labels of ``Workspace.derived``),
        listed under the title.
    """
    first = progress_table.columns[0] if len(progress_table.columns) else None
    total = "合计" if first is not None and (progress_table[first].astype(str) == "合计").any() \
        else None
    text_cols = [c for c in progress_table.columns if "镇" in str(c)]
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "_assets"),
                      autoescape=True, keep_trailing_newline=True)
    page = env.get_template("report.html.j2").render(
        title=title, css=Markup(_CSS), notice=list(notice), derived=list(derived),
        workspace=str(run.get("workspace", "")),
        county_code=str(run.get("county_code") or ""), today=dt.date.today().isoformat(),
        inputs=_inputs(run), kpis=Markup(_kpis(run)),
        story=story_lines(run.get("coverage") or {}),
        progress=Markup(_table(progress_table, text_cols=text_cols, total_label=total)),
        attention=attention(run, progress=progress, villages=villages),
        coverage=Markup(_coverage(run)), proposals=Markup(_proposals(proposals, run)),
        water=Markup(_water(water_top, run)), budget=Markup(_budget(run)),
        requisition=Markup(_requisition(requisition)),
        images=Markup(_images(images)),
        findings=[_chinese(f) for f in run.get("findings") or []])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
