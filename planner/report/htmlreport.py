"""``report.html``: the county's progress report, in Chinese, ready to print on A4.

Page 1 is for a leader (:mod:`planner.report.frontpage`): period and issuing unit, the
headline figures and the change since the last report, the towns furthest behind, what the
plan proposes and costs, and what needs doing. After a page break come the details: the
annex table per town (and the staff), coverage per kind, proposed sites, each town's
riskiest waters, the "四个一" budget (what it buys under each plan and what full coverage
needs, the budget table and chart, the requisition), patrols and overdue inspections
(:mod:`planner.report.water_figures`), the maps (full width, one or two to a page), then the
findings grouped by what to do and, in an appendix, how the inputs were processed.
Sections whose stage was not run say "未计算". The page is a Jinja2 template
(``_assets/report.html.j2``, autoescaped); the tables are built here with every input text
escaped; the maps are embedded as data URIs, so the file can be mailed or printed alone.
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

from planner.glossary import (
    CHILD_GROUPS,
    KINDS,
    KIT_ITEM_COUNTS,
    KIT_ITEMS,
    MODES,
    TIERS,
    date_label,
)
from planner.report.safe import write_document
from planner.report.water_figures import (
    CHART_FILE,
    PLAN,
    SURE,
    budget_table,
    kit_lines,
    patrol_items,
    printed,
    side_by_side,
)

NOT_COMPUTED = "未计算"
_TOP = 10  # rows of the proposal table

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
h1{font-size:20px;margin:0 0 2px}h2{font-size:15px;margin:12px 0 4px;border-bottom:2px solid
 #1a9850;padding-bottom:2px}.meta{color:#444;font-size:12px;margin:1px 0}
table{border-collapse:collapse;width:100%;font-size:11.5px;margin:2px 0}
th,td{border:1px solid #999;padding:2px 4px;text-align:center}th{background:#eef3ee}
td.t{text-align:left}tr.total td{font-weight:bold;background:#f6f6f6}td.lack{color:#b2182b}
.nc{color:#888;font-style:italic}
.maps figure{margin:6px 0 10px;text-align:center;break-inside:avoid}
.maps img{width:100%;height:auto;border:1px solid #ccc}
.maps figcaption{font-size:11px;color:#555}
ul.f{margin:2px 0;padding-left:18px;font-size:11.5px}
.kpi{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;margin:4px 0}
.kpi div{border:1px solid #ccc;border-radius:4px;padding:3px 7px;font-size:11.5px}
.kpi b{display:block;font-size:19px;color:#1a9850}
.since{font-weight:bold;margin:4px 0}.def{font-size:11px;color:#444;margin:3px 0}
p.grp{font-weight:bold;margin:5px 0 1px}li.more{color:#666;list-style:none}
ul.s{margin:2px 0;padding-left:18px}
.warn{border:2px solid #d73027;background:#fde0dd;color:#a50026;padding:4px 8px;margin:4px 0}
.break{break-before:page;page-break-before:always}
@page{size:A4 portrait;margin:12mm 12mm 12mm 12mm}
@media print{body{margin:0;max-width:none;font-size:10.5pt}h1{font-size:16pt}
 h2{font-size:12pt;margin:7px 0 3px}table{font-size:8.5pt}th,td{padding:1px 3px}
 .kpi div{font-size:8.5pt;padding:1px 5px}.kpi b{font-size:13pt}.meta,.def{font-size:8.5pt}
 .kpi{gap:4px}
 #summary ul.s{font-size:9.5pt}#details section,table,figure{break-inside:avoid}
 a{color:inherit}ul.f{font-size:9pt}.maps img{max-height:245mm;width:auto;max-width:100%}}
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
           text_cols: Sequence[str] = (), total_label: str | None = None,
           emphasis: Sequence[bool] | None = None) -> str:
    """An HTML table; columns named ``group|sub`` get a two-row header; rows flagged in
    ``emphasis`` (and a ``total_label`` row) are shown in bold."""
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
    strong = list(emphasis) if emphasis is not None else [False] * len(frame)
    for row, bold in zip(frame.itertuples(index=False), strong, strict=True):
        first = str(row[0])
        cls = " class='total'" if bold or (total_label is not None and first == total_label) \
            else ""
        cells = "".join(f"<td{' class=t' if c in text_cols else ''}>{_cell(c, v)}</td>"
                        for c, v in zip(cols, row, strict=True))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody></table>"


def _cell(column: object, value: object) -> str:
    """A table cell: completion and coverage rates with a % sign."""
    if str(column).endswith(("完成率", "覆盖率", "配备率", "占比")) \
            and isinstance(value, float | int | np.number) \
            and np.isfinite(value):
        return f"{float(value):.1f}%"
    return _esc(value)


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the columns that have no value at all (e.g. unnamed waters)."""
    filled = frame.astype(object).where(frame.notna(), "").astype(str).ne("").any()
    return frame.loc[:, filled]


def _not_computed() -> str:
    return f"<p class='nc'>{NOT_COMPUTED}</p>"


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
            "即“服务半径内儿童占比”；按村（居）统计见 coverage.csv、villages.csv</p>")
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
    return ("<p>本年预算方案的物资申领（按镇，同 requisition.csv）：</p>"
            + _table(show, labels=_COLUMNS, text_cols=["town_name"], total_label="合计"))


def _budget(run: dict) -> str:
    """What the budget buys under each plan and what full coverage needs, side by side;
    the budget table (issue 25)."""
    w = run.get("water") or {}
    if not w.get("budget"):
        return ""
    table = budget_table(w)
    out = "<ul class='s'>" + "".join(f"<li>{html.escape(t)}</li>" for t in kit_lines(w)) \
        + "</ul>"
    if (table["key"] != "curve").any():
        out += "<p>本年预算能做什么、全覆盖需要什么：</p>" + _table(side_by_side(table),
                                                                text_cols=["项目"])
    if (table["key"] == "curve").any():
        out += ("<p>预算曲线：费用与危险岸线风险覆盖（按危险度加权）的对应关系，含本年预算的两种"
                "安排与全覆盖，供确定预算（同 water_actions.xlsx 预算曲线表、budget_curve.png）。"
                "</p>" + _table(printed(table), text_cols=[PLAN, SURE],
                                emphasis=table["chosen"].tolist()))
    return out


def _patrols(run: dict, *, villages: pd.DataFrame | None,
             actions: pd.DataFrame | None) -> str:
    """Patrols and overdue inspections (:func:`planner.report.water_figures.patrol_items`)."""
    items = patrol_items(run.get("water"), villages=villages, actions=actions)
    if not items:
        return _not_computed()
    return "<ul class='s'>" + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>"


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


def _chart(images: Sequence[Path]) -> tuple[str, list[Path]]:
    """The budget chart, full width (for the budget section), and the other images."""
    chart = [Path(p) for p in images if Path(p).name == CHART_FILE]
    rest = [Path(p) for p in images if Path(p).name != CHART_FILE]
    return (_images(chart) if chart else ""), rest


def _inputs(run: dict) -> str:
    """The appendix: per input file what was read, used, rejected and repaired, and when
    the data are from."""
    inputs = run.get("inputs") or []
    if not inputs:
        return _not_computed()
    when = {(v["layer"], v["file"]): (v["vintage"] if v.get("source") != "file_date"
                                       else f"文件日期 {v['vintage']}")
            for v in run.get("inputs_vintage") or []}
    frame = pd.DataFrame([{
        "图层": _LAYERS.get(i["layer"], i["layer"]), "文件": i["file"],
        "数据时点": when.get((i["layer"], i["file"]), "—"), "读入": i["read"],
        "使用": i["accepted"], "拒收": i["rejected"], "修复": i["repaired"],
        "编码": i.get("encoding", "")} for i in inputs])
    total = {"图层": "合计", **{c: int(frame[c].sum()) for c in ("读入", "使用", "拒收", "修复")}}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    head = (f"<p>读入记录 {int(total['读入']):,} 条，使用 {int(total['使用']):,} 条，拒收 "
            f"{run.get('rejected', 0)} 条（rejected.csv），修复 {run.get('repaired', 0)} 条"
            f"（repairs.csv）；镇（街道）{run.get('towns')} 个，村（居）{run.get('villages')} 个。"
            "每条记录或被使用，或连同原因列入 rejected.csv。</p>")
    return head + _table(frame, text_cols=["图层", "文件", "数据时点"], total_label="合计")


#: input layer -> how the appendix names it
_LAYERS = {"county": "县界", "towns": "镇界", "villages": "村界", "children": "儿童人数",
           "settlements": "居民点", "facilities": "阵地", "quota": "任务表", "water": "水域",
           "kits": "“四个一”设施", "schools": "学校", "water_osm": "水域（OSM）",
           "staff": "儿童工作队伍", "candidates": "候选点", "incidents": "溺水事件"}


def _actions(groups: Sequence[tuple[str, list[str]]]) -> str:
    """Every finding, grouped by what to do."""
    if not groups:
        return "<p>无</p>"
    return "".join(f"<p class='grp'>{html.escape(title)}（{len(lines)} 条）</p><ul class='f'>"
                   + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
                   for title, lines in groups)


def write_report(path: str | Path, *, title: str, progress_table: pd.DataFrame, run: dict,
                 images: Sequence[Path] = (), proposals: pd.DataFrame | None = None,
                 water_top: pd.DataFrame | None = None,
                 requisition: pd.DataFrame | None = None,
                 progress: pd.DataFrame | None = None,
                 villages: pd.DataFrame | None = None,
                 water_actions: pd.DataFrame | None = None,
                 actions: Sequence[tuple[str, list[str]]] | None = None,
                 staff_table: pd.DataFrame | None = None, notice: Sequence[str] = (),
                 derived: Sequence[str] = ()) -> Path:
    """Write ``report.html`` (page 1 for a leader, details after a page break).

    Parameters
    ----------
    path : path
        The HTML file to write.
    title : str
        Report title (escaped), with the county and period, e.g.
        ``"如皋市2026年第四季度儿童关爱服务阵地建设与防溺水工作进展"``.
    progress_table : DataFrame
        The annex-style table from :func:`planner.report.tables.progress_display` (columns
        named ``group|sub`` get a two-row header; a ``合计`` row is shown in bold).
    run : dict
        The content of ``run.json`` (period, quota totals, coverage, proposals, water,
        staff, change since the last report, inputs).
    images : sequence of paths
        PNG maps to embed, each full width.
    proposals, water_top, requisition : DataFrame, optional
        Proposed sites, water bodies ranked by risk, the "四个一" requisition per town;
        ``None`` prints "未计算".
    progress : DataFrame, optional
        The progress table (the towns furthest behind, the completion once built).
    villages : DataFrame, optional
        ``village_code, village_name, town_name``: the names of the villages losing most
        patrols to the weekly-hour cap.
    water_actions : DataFrame, optional
        The water actions (:func:`planner.propose.actions.water_actions`): overdue
        inspections per town.
    actions : sequence of (group, lines), optional
        The findings grouped by what to do (:func:`planner.report.findings.action_groups`);
        without it the Chinese parts of ``run["findings"]``, ungrouped.
    staff_table : DataFrame, optional
        Staff per town (儿童工作队伍), shown after the annex table.
    notice : sequence of str
        The 数据不全 lines of an accepted incomplete run, shown boxed at the top of page 1.
    derived : sequence of str
        What the planner derived instead of reading (labels of ``Workspace.derived``),
        listed under the title.
    """
    from planner.report import frontpage as fp

    first = progress_table.columns[0] if len(progress_table.columns) else None
    total = "合计" if first is not None and (progress_table[first].astype(str) == "合计").any() \
        else None
    text_cols = [c for c in progress_table.columns if "镇" in str(c) or "备注" in str(c)]
    if actions is None:
        found = [_chinese(f) for f in run.get("findings") or []]
        actions = [("发现的问题", found)] if found else []
    kinds = [k for k, v in (run.get("quota") or {}).items() if isinstance(v, dict)]
    chart, maps = _chart(images)
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "_assets"),
                      autoescape=True, keep_trailing_newline=True)
    page = env.get_template("report.html.j2").render(
        title=title, css=Markup(_CSS), notice=list(notice), derived=list(derived),
        workspace=str(run.get("workspace", "")),
        county_code=str(run.get("county_code") or ""), today=dt.date.today().isoformat(),
        unit=str(run.get("issuing_unit") or ""), as_of=_date(run.get("as_of")),
        period=str(run.get("period") or ""), vintage=fp.vintage_line(run),
        kpis=Markup(fp.kpis(run) or _not_computed()), since=Markup(fp.since_line(run)),
        meanings=Markup(fp.meanings(run)), figures=fp.headline_figures(run),
        laggards=Markup(fp.laggards(progress, kinds) or _not_computed()),
        plan=fp.plan_lines(run, progress),
        summary_actions=Markup(fp.action_summary(list(actions))),
        progress=Markup(_table(progress_table, text_cols=text_cols, total_label=total)),
        staff=Markup("" if staff_table is None else _table(
            staff_table, text_cols=["镇（街道）"], total_label="合计")),
        coverage=Markup(_coverage(run)), proposals=Markup(_proposals(proposals, run)),
        water=Markup(_water(water_top, run)), budget=Markup(_budget(run) + chart),
        patrols=Markup(_patrols(run, villages=villages, actions=water_actions)),
        requisition=Markup(_requisition(requisition)),
        images=Markup(_images(maps)), actions=Markup(_actions(actions)),
        inputs=Markup(_inputs(run)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_document(path, page)
    return path


def _date(iso: object) -> str:
    """``2026年12月31日`` from an ISO date ("" when absent)."""
    if not iso:
        return ""
    return date_label(dt.date.fromisoformat(str(iso)))


def _chinese(text: object) -> str:
    """The Chinese part of a bilingual message (:func:`planner.report.findings.chinese`)."""
    from planner.report.findings import chinese

    return chinese(text)
