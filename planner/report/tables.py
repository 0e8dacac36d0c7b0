"""Report: write the output contract (progress.xlsx, progress.csv, villages.csv,
rejected.csv, run.json, ...) and the terminal summary.

CSV files are UTF-8 with a BOM so that Excel on Chinese Windows opens them correctly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

from planner.glossary import SHORT_LABELS, date_label, quota_label
from planner.report._fields import typed
from planner.report._labels import chinese_part
from planner.report._xlsx import Book, text_width, write_table
from planner.report.safe import safe_frame, write_document

_SUB = ("任务数", "已建", "缺口", "超额", "完成率")
_SUB_KEYS = ("required", "built", "missing", "extra", "pct")


def is_percent(column: str) -> bool:
    """Whether a display column holds a percentage 0-100 (shown with a % format)."""
    return column.endswith(("完成率", "覆盖率", "占比", "%", "（%）"))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with BOM (readable by Excel on Chinese Windows).

    Cells are made safe first (:func:`planner.report.safe.safe_frame`): no formula, no
    personal column, no ID or phone number; codes are text and whole counts integers
    (:func:`planner.report._fields.typed`: no ``320682001.0``).
    """
    typed(safe_frame(frame)).to_csv(path, index=False, encoding="utf-8-sig")


#: the village-coverage group of the annex: villages, villages with a care point of their own
COVERAGE_GROUP = "村（居）覆盖"
COVERAGE_SUBS = ("村（居）数", "有站点", "覆盖率")


def outside_quota(run: dict, progress: pd.DataFrame) -> dict | None:
    """The annex row of the town-level units outside the quota table: their villages and
    villages with a care point of their own (the county's figures of ``run["coverage"]`` less
    the quota towns'), so that the annex's 合计 is the county's 村（居）覆盖率. ``None`` when
    every village lies in a quota town."""
    own = ((run.get("coverage") or {}).get("care_point") or {}).get("own_site")
    if not own or "villages" not in progress.columns:
        return None
    n = int(own["villages_total"]) - int(progress["villages"].sum())
    has = int(own["villages"]) - int(progress["villages_with_care_point"].sum())
    names = list(run.get("towns_without_quota") or [])
    if n <= 0 and not names:
        return None
    return {"label": f"其他（不在任务表中的镇级单位 {len(names)} 个）", "villages": n,
            "villages_with_care_point": has, "note": "、".join(names)}


def progress_display(progress: pd.DataFrame, *, kinds: list[str], villages: bool = True,
                     outside: dict | None = None) -> tuple[pd.DataFrame, list]:
    """The annex-style table with a totals row and header groups.

    Columns are keyed ``"group|sub"`` (e.g. ``村（居）儿童关爱站点（个）|已建``) so that the
    repeated sub-labels stay unique; the sheet shows the part after ``|``. ``outside``
    (:func:`outside_quota`) adds a row, before 合计, with the villages of the town-level
    units that have no quota (its task columns empty).
    """
    cols: dict[str, pd.Series] = {
        "序号": pd.Series(np.arange(1, len(progress) + 1), dtype=object),
        "镇（区、街道）": _town_labels(progress),
    }
    groups: list[tuple[str, int]] = [("序号", 1), ("镇（区、街道）", 1)]
    for kind in kinds:
        label = quota_label(kind)
        for sub, key in zip(_SUB, _SUB_KEYS, strict=True):
            cols[f"{label}|{sub}"] = progress[f"{key}_{kind}"]
        groups.append((label, len(_SUB)))
    if villages:
        n, has = progress["villages"], progress["villages_with_care_point"]
        cols[f"{COVERAGE_GROUP}|村（居）数"] = n
        cols[f"{COVERAGE_GROUP}|有站点"] = has
        cols[f"{COVERAGE_GROUP}|覆盖率"] = (100.0 * has / n.where(n > 0)).round(1)
        groups.append((COVERAGE_GROUP, 3))
    table = pd.DataFrame(cols)
    if villages and outside is not None:
        extra = {"序号": "", "镇（区、街道）": outside["label"],
                 f"{COVERAGE_GROUP}|村（居）数": outside["villages"],
                 f"{COVERAGE_GROUP}|有站点": outside["villages_with_care_point"],
                 f"{COVERAGE_GROUP}|覆盖率": _rate(outside["villages_with_care_point"],
                                                outside["villages"])}
        table = pd.concat([table.astype(object), pd.DataFrame([extra], dtype=object)],
                          ignore_index=True)
    total = {c: _whole(pd.to_numeric(table[c], errors="coerce").sum())
             for c in table.columns[2:]}
    total["序号"], total["镇（区、街道）"] = "合计", ""
    for kind in kinds:
        label = quota_label(kind)
        total[f"{label}|完成率"] = _rate(progress[f"built_{kind}"].sum(),
                                       progress[f"required_{kind}"].sum(), empty=100.0)
    if villages:
        total[f"{COVERAGE_GROUP}|覆盖率"] = _rate(total[f"{COVERAGE_GROUP}|有站点"],
                                               total[f"{COVERAGE_GROUP}|村（居）数"])
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return table, groups


def _whole(value: float) -> float | int:
    """A sum as an integer when it is one (counts summed over a column with blanks)."""
    return int(value) if float(value).is_integer() else float(value)


def _rate(part, whole, *, empty: float | None = None) -> float | None:
    """100 * part / whole with one decimal (``empty`` when whole is 0)."""
    return round(100.0 * float(part) / float(whole), 1) if whole else empty


#: the annex's derived columns by sub-label: 缺口 = a − b (not below 0); a rate = a ÷ b
#: (``whole``: its value when b is 0, ``None`` for a plain quotient)
GAPS = {"缺口": ("任务数", "已建")}
RATES = {"完成率": ("已建", "任务数", 1), "覆盖率": ("有站点", "村（居）数", None)}


def annex_formulas(columns: Sequence[str], *, gaps: dict | None = None,
                   rates: dict | None = None) -> Callable[[str, int, int, int], str | None]:
    """The live formulas of an annex table (:func:`progress_display`, :func:`staff_display`)
    for :func:`planner.report._xlsx.write_table`: per row each gap (default 缺口 = 任务数 −
    已建) and rate (完成率 = 已建 ÷ 任务数, 覆盖率 = 有站点 ÷ 村（居）数) of its column group;
    the 合计 row's counts are sums of the rows above and its rates the same quotients. A
    hand-corrected 已建 updates them in Excel; the planner's values are cached in the
    cells. Columns are keyed ``"group|sub"``."""
    gaps, rates = gaps or GAPS, rates or RATES
    pos = {str(c): i for i, c in enumerate(columns)}

    def ref(group: str, sub: str, row: int) -> str:
        return xl_rowcol_to_cell(row, pos[f"{group}|{sub}"])

    def formula(column: str, i: int, row: int, n: int) -> str | None:
        group, _, sub = column.partition("|")
        if not sub:
            return None
        if i == n - 1 and sub not in rates:
            col = pos[column]
            return f"=SUM({xl_rowcol_to_cell(row - i, col)}:{xl_rowcol_to_cell(row - 1, col)})"
        if sub in gaps:
            a, b = gaps[sub]
            return f"=MAX({ref(group, a, row)}-{ref(group, b, row)},0)"
        if sub in rates:
            top, bottom, whole = rates[sub]
            num, den = ref(group, top, row), ref(group, bottom, row)
            return f"={num}/{den}" if whole is None else f"=IF({den}>0,{num}/{den},{whole})"
        return None

    return formula


#: the staff annex's groups and what each sub-column is (planner.measure.staff); "（人）" marks
#: them as counts of people, which the privacy guard keeps (a header naming 主任 is dropped)
STAFF_GROUPS = {
    "儿童主任（人）": {"应配": "directors_required", "已配": "directors",
                   "缺口": "directors_missing", "配备率": None,
                   "无儿童主任的村（居）": "villages_without_director"},
    "儿童督导员（人）": {"应配": "supervisors_required", "已配": "supervisors",
                    "缺口": "supervisors_missing", "配备率": None},
    "培训（人）": {"在岗人数": "staff", "已培训": "trained", "培训占比": None},
}
STAFF_GAPS = {"缺口": ("应配", "已配")}
STAFF_RATES = {"配备率": ("已配", "应配", 1), "培训占比": ("已培训", "在岗人数", 0)}


def staff_display(progress: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The staff annex (儿童工作队伍): per town directors and supervisors required, in post,
    missing and the staffing rate, villages without a director, staff trained; a 合计 row.
    Columns keyed ``"group|sub"`` as :func:`progress_display`'s."""
    cols: dict[str, pd.Series] = {
        "序号": pd.Series(np.arange(1, len(progress) + 1), dtype=object),
        "镇（区、街道）": progress["town_name"].astype(str),
    }
    groups: list[tuple[str, int]] = [("序号", 1), ("镇（区、街道）", 1)]
    for group, subs in STAFF_GROUPS.items():
        for sub, column in subs.items():
            if column is None:  # a rate of two counts of the group
                top, bottom, _if_none = STAFF_RATES[sub]
                column = [_rate(x, y) for x, y in zip(progress[subs[top]],
                                                      progress[subs[bottom]], strict=True)]
                cols[f"{group}|{sub}"] = pd.Series(column, dtype=float)
            else:
                cols[f"{group}|{sub}"] = progress[column]
        groups.append((group, len(subs)))
    table = pd.DataFrame(cols)
    total = {c: _whole(pd.to_numeric(table[c], errors="coerce").sum())
             for c in table.columns[2:]}
    total["序号"], total["镇（区、街道）"] = "合计", ""
    for group, subs in STAFF_GROUPS.items():
        for sub, (top, bottom, _if_none) in STAFF_RATES.items():
            if sub in subs:
                total[f"{group}|{sub}"] = _rate(total[f"{group}|{top}"],
                                                total[f"{group}|{bottom}"])
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True), groups


def _town_labels(progress: pd.DataFrame) -> pd.Series:
    """The boundary town name, with the quota table's own name beside it where they differ."""
    names = progress["town_name"].astype(str)
    if "quota_town" not in progress.columns:
        return names
    quota = progress["quota_town"].astype(str)
    return names.where(quota == names, quota + "（" + names + "）")


def incomplete_notice(losses: Sequence[dict]) -> list[str]:
    """The 数据不全 lines of an accepted run whose site lists lost more records than allowed
    (:meth:`planner.records.ledger.Ledger.incomplete`): one per file, with the counts."""
    return [f"数据不全：{loss['file']} 共 {loss['read']} 条记录，{loss['unusable']} 条未能使用"
            f"（{100 * loss['share']:.1f}%，超过允许的 {100 * loss['limit']:g}%），主要原因"
            f"（{loss['main_reason_rows']} 条）：{str(loss['main_reason']).split(' / ')[0]}；"
            "本表各数未计入这些记录，是在用户确认接受不完整结果后生成的（见 rejected.csv）。"
            for loss in losses]


#: kinds of the second annex (a task table of their own: 如皋 2021 附件2)
ANNEX2_KINDS = ("social_org",)


def write_progress_xlsx(path: Path, *, title: str, progress: pd.DataFrame, kinds: list[str],
                        sheets: dict[str, pd.DataFrame] | None = None,
                        findings: list[str] | pd.DataFrame | None = None, unit: str = "",
                        date: dt.date | None = None, notes: Sequence[str] = (),
                        filed: dt.date | None = None, outside: dict | None = None,
                        remarks: dict[str, list[str]] | None = None,
                        notice: Sequence[str] = (), staff_notes: Sequence[str] | None = None
                        ) -> None:
    """``progress.xlsx``: the annex-1 progress sheet (任务进度), the annex-2 sheet of the
    organisations (社会组织任务) when the quota has them, then any extra sheets.

    Every sheet prints on A4 landscape, one page wide, with its header rows repeated; the
    task sheets carry the 填报单位 / 统计截至 / 填报日期 line, a 备注 column and ``notes``
    below, their 缺口, rates and 合计 row as live formulas; every other sheet's title starts
    with ``title``. ``title`` is the county name and period, e.g. "如皋市2026年第四季度";
    ``date`` (the reporting date, 统计截至) and ``filed`` (填报日期) default to today;
    ``outside``: the annex row of the units without a quota (:func:`outside_quota`);
    ``remarks``: further 备注 per town_code. ``findings``: a list of texts, or a frame shown
    as it is (the 发现的问题 sheet). ``notice`` (:func:`incomplete_notice`): the task sheets'
    titles say 数据不全 and the lines come first under them. ``staff_notes``: with them (a
    staff table was given) a 儿童工作队伍 annex (:func:`staff_display`) follows the task
    sheets, its notes under it.
    """
    if notice:
        notes = [*notice, *notes]
    flag = "（数据不全）" if notice else ""
    date, filed = date or dt.date.today(), filed or dt.date.today()
    filled = (f"填报单位：{unit}（盖章）",
              f"统计截至：{date_label(date)}　填报日期：{date_label(filed)}")
    annex1 = [k for k in kinds if k not in ANNEX2_KINDS]
    annex2 = [k for k in kinds if k in ANNEX2_KINDS]
    with Book(path) as book:
        if annex1 or not kinds:
            _task_sheet(book, book.sheet("任务进度"), progress, kinds=annex1,
                        title=f"{title}儿童关爱服务阵地建设任务完成情况{flag}", filled=filled,
                        notes=notes, villages=True, outside=outside, remarks=remarks)
        if annex2:
            _task_sheet(book, book.sheet("社会组织任务"), progress, kinds=annex2,
                        filled=filled, notes=notes[:len(notice) + 1], remarks=remarks,
                        title=f"{title}儿童服务类社会组织任务完成情况{flag}", villages=False)
        if staff_notes is not None:
            table, groups = staff_display(progress)
            write_table(book, book.sheet("儿童工作队伍"), table,
                        title=f"{title}儿童工作队伍配备情况{flag}", groups=groups,
                        percent_cols=[c for c in table.columns if is_percent(str(c))
                                      or str(c).endswith("配备率")],
                        total_label="合计", header=lambda c: c.split("|")[-1],
                        filled_by=filled, notes=staff_notes,
                        formulas=annex_formulas(list(table.columns), gaps=STAFF_GAPS,
                                                rates=STAFF_RATES))
        for name, frame in (sheets or {}).items():
            write_table(book, book.sheet(name), _capped(frame), title=f"{title}　{name}",
                        percent_cols=[c for c in frame.columns if is_percent(str(c))])
        if findings is not None and len(findings):
            frame = findings if isinstance(findings, pd.DataFrame) else pd.DataFrame(
                {"序号": range(1, len(findings) + 1),
                 "问题": [chinese_part(f) for f in findings]})
            write_table(book, book.sheet("发现的问题"), frame,
                        title=f"{title}　数据与任务表问题")


#: the most rows an extra sheet of progress.xlsx lists (the CSV/JSON outputs hold them all)
XLSX_ROWS = 10_000


def write_comparison_xlsx(path: Path, *, sheet: pd.DataFrame, title: str) -> None:
    """``进度对比.xlsx`` of ``planner compare``: one sheet 进度对比 holding ``sheet``.

    Parameters
    ----------
    path : Path
        The workbook to write.
    sheet : DataFrame
        The comparison with Chinese headers (:func:`planner.measure.history.compare_sheet`).
    title : str
        The title row above the table.
    """
    with Book(path) as book:
        write_table(book, book.sheet("进度对比"), sheet, title=title)


def _capped(frame: pd.DataFrame, *, limit: int = XLSX_ROWS) -> pd.DataFrame:
    """The first ``limit`` rows of ``frame`` and a last row saying how many were left out."""
    if len(frame) <= limit or frame.empty:
        return frame
    note = {c: None for c in frame.columns}
    note[frame.columns[0]] = (f"…… 另有 {len(frame) - limit} 行未列出，见 CSV/JSON 输出 / "
                              f"{len(frame) - limit} more rows in the CSV/JSON outputs")
    head = frame.head(limit).astype(object)
    return pd.concat([head, pd.DataFrame([note], dtype=object)], ignore_index=True)


def _task_sheet(book: Book, ws, progress: pd.DataFrame, *, kinds: list[str], title: str,
                filled: tuple[str, str], notes: Sequence[str], villages: bool,
                outside: dict | None = None,
                remarks: dict[str, list[str]] | None = None) -> None:
    """One task table: annex layout, 备注 column, filled-by line and notes; one page."""
    if not kinds:
        write_table(book, ws, progress, title=title, filled_by=filled)
        return
    outside = outside if villages else None
    table, groups = progress_display(progress, kinds=kinds, villages=villages, outside=outside)
    notes_of = _remarks(progress, kinds=kinds, villages=villages, more=remarks)
    if outside is not None:
        notes_of.append(outside["note"])
    table["备注"] = [*notes_of, ""]
    groups = [*groups, ("备注", 1)]
    write_table(book, ws, table, title=title, groups=groups,
                percent_cols=[c for c in table.columns if c.endswith(("完成率", "覆盖率"))],
                total_label="合计", header=lambda c: c.split("|")[-1], filled_by=filled,
                notes=notes, formulas=annex_formulas(list(table.columns)))
    ws.fit_to_pages(1, 1)  # an annex table prints on one page


def _remarks(progress: pd.DataFrame, *, kinds: list[str], villages: bool,
             more: dict[str, list[str]] | None = None) -> list[str]:
    """Per town: the quota asks for a different number of care points than it has villages;
    towns above their quota; the caller's remarks (``more``, by town_code)."""
    out = []
    for row in progress.to_dict("records"):
        if "town_code" in row and not row["town_code"]:
            out.append("未匹配到镇界，已建按 0 计：请在 [aliases] 中对应（见“镇名对照”表）")
            continue
        parts = list((more or {}).get(str(row.get("town_code")), []))
        if villages and "care_point" in kinds and row["required_care_point"] != row["villages"]:
            parts.append(f"镇界内村（居）{row['villages']} 个")
        for kind in kinds:
            if row.get(f"extra_{kind}", 0):
                parts.append(f"{SHORT_LABELS.get(kind, kind)}超额 {row[f'extra_{kind}']} 个")
        out.append("；".join(parts))
    return out


def summary_lines(progress: pd.DataFrame, *, kinds: list[str],
                  outside: dict | None = None) -> list[str]:
    """The terminal's town table (CJK-aware columns): per kind 已建/任务, 缺口 and 完成率,
    then 村（居）覆盖 (villages with a care point of their own / villages); the row of the
    units outside the quota (``outside``, :func:`outside_quota`) and a 合计 row."""
    table, _groups = progress_display(progress.assign(quota_town=progress["town_name"]),
                                      kinds=kinds, outside=outside)
    head1, head2 = ["镇（区、街道）"], [""]
    for kind in kinds:
        head1 += [SHORT_LABELS.get(kind, kind), "", ""]
        head2 += ["已建/任务", "缺口", "完成率"]
    head1.append(COVERAGE_GROUP)
    head2.append("有站点/村（居）")
    rows = [head1, head2]
    for rec in table.to_dict("records"):
        name = ("合计" if rec["序号"] == "合计" else "其他（无任务）" if rec["序号"] == ""
                else str(rec["镇（区、街道）"]))
        cells = [name]
        for kind in kinds:
            label = quota_label(kind)
            req = rec[f"{label}|任务数"]
            if req is None or pd.isna(req):
                cells += ["", "", ""]
                continue
            cells += [f"{int(rec[f'{label}|已建'])}/{int(req)}",
                      str(int(rec[f"{label}|缺口"])), f"{rec[f'{label}|完成率']:.1f}%"]
        cells.append(f"{int(rec[f'{COVERAGE_GROUP}|有站点'])}/"
                     f"{int(rec[f'{COVERAGE_GROUP}|村（居）数'])}")
        rows.append(cells)
    widths = [max(text_width(row[i]) for row in rows[1:]) for i in range(len(head1))]
    widths[0] = max(widths[0], text_width(head1[0]))
    for k in range(len(kinds)):  # a kind's label spans its three columns
        span = slice(1 + 3 * k, 4 + 3 * k)
        short = text_width(head1[1 + 3 * k]) - (sum(widths[span]) + 2)
        if short > 0:
            widths[3 + 3 * k] += short
    return [_line(row, widths, spans=len(kinds) if row is head1 else 0) for row in rows]


def _line(cells: list[str], widths: list[int], *, spans: int = 0) -> str:
    """One terminal row: two spaces between kinds, one inside a kind's three columns; with
    ``spans`` the kinds' labels run over their three columns."""
    out = _pad(cells[0], widths[0])
    for k in range((len(cells) - 2) // 3):
        group = slice(1 + 3 * k, 4 + 3 * k)
        if spans:
            text = _pad(cells[1 + 3 * k], sum(widths[group]) + 2)
        else:
            text = " ".join(_pad(c, w) for c, w in zip(cells[group], widths[group],
                                                          strict=True))
        out += "  " + text
    return (out + "  " + cells[-1]).rstrip()


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def write_json(data: dict, path: Path) -> None:
    """``run.json`` (UTF-8, Chinese kept readable)."""
    write_document(path, json.dumps(data, ensure_ascii=False, indent=1, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value)}")
