"""Report: write the output contract (progress.xlsx, progress.csv, villages.csv,
rejected.csv, run.json, ...) and the terminal summary.

CSV files are UTF-8 with a BOM so that Excel on Chinese Windows opens them correctly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner.glossary import SHORT_LABELS, quota_label
from planner.report._labels import chinese_part
from planner.report._xlsx import Book, text_width, write_table
from planner.report.safe import safe_frame

_SUB = ("任务数", "已建", "缺口", "超额", "完成率")
_SUB_KEYS = ("required", "built", "missing", "extra", "pct")


def is_percent(column: str) -> bool:
    """Whether a display column holds a percentage 0-100 (shown with a % format)."""
    return column.endswith(("完成率", "覆盖率", "占比", "%", "（%）"))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with BOM (readable by Excel on Chinese Windows).

    Cells are made safe first (:func:`planner.report.safe.safe_frame`): no formula, no
    personal column, no ID or phone number.
    """
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def progress_display(progress: pd.DataFrame, *, kinds: list[str],
                     villages: bool = True) -> tuple[pd.DataFrame, list]:
    """The annex-style table with a totals row and header groups.

    Columns are keyed ``"group|sub"`` (e.g. ``村（居）儿童关爱站点（个）|已建``) so that the
    repeated sub-labels stay unique; the sheet shows the part after ``|``.
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
        cols["村（居）全覆盖|村（居）数"] = progress["villages"]
        cols["村（居）全覆盖|有站点"] = progress["villages_with_care_point"]
        cols["村（居）全覆盖|覆盖率"] = (
            100.0 * progress["villages_with_care_point"]
            / progress["villages"].where(progress["villages"] > 0)).round(1)
        groups.append(("村（居）全覆盖", 3))
    table = pd.DataFrame(cols)
    total = {c: table[c].sum() for c in table.columns[2:]}
    total["序号"], total["镇（区、街道）"] = "合计", ""
    for kind in kinds:
        label = quota_label(kind)
        req = progress[f"required_{kind}"].sum()
        done = progress[f"built_{kind}"].sum()  # already capped at the quota
        total[f"{label}|完成率"] = round(100.0 * done / req, 1) if req else 100.0
    vill = progress["villages"].sum()
    if villages:
        total["村（居）全覆盖|覆盖率"] = round(
            100.0 * progress["villages_with_care_point"].sum() / vill, 1) if vill else 0.0
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return table, groups


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
                        findings: list[str] | None = None, unit: str = "",
                        date: dt.date | None = None, notes: Sequence[str] = (),
                        notice: Sequence[str] = ()) -> None:
    """``progress.xlsx``: the annex-1 progress sheet (任务进度), the annex-2 sheet of the
    organisations (社会组织任务) when the quota has them, then any extra sheets.

    Every sheet prints on A4 landscape, one page wide, with its header rows repeated; the
    task sheets carry the 填报单位 / 填报日期 line, a 备注 column and ``notes`` below.
    ``title`` is the county name and year, e.g. "如皋市2026年"; ``date`` defaults to today.
    ``notice`` (:func:`incomplete_notice`): the task sheets' titles say 数据不全 and the
    lines come first under them.
    """
    if notice:
        notes = [*notice, *notes]
    flag = "（数据不全）" if notice else ""
    date = date or dt.date.today()
    filled = (f"填报单位：{unit}（盖章）", f"填报日期：{date.year}年{date.month}月{date.day}日")
    annex1 = [k for k in kinds if k not in ANNEX2_KINDS]
    annex2 = [k for k in kinds if k in ANNEX2_KINDS]
    with Book(path) as book:
        if annex1 or not kinds:
            _task_sheet(book, book.sheet("任务进度"), progress, kinds=annex1,
                        title=f"{title}儿童关爱服务阵地建设任务完成情况{flag}", filled=filled,
                        notes=notes, villages=True)
        if annex2:
            _task_sheet(book, book.sheet("社会组织任务"), progress, kinds=annex2,
                        filled=filled, notes=notes[:len(notice) + 1],
                        title=f"{title}儿童服务类社会组织任务完成情况{flag}", villages=False)
        for name, frame in (sheets or {}).items():
            write_table(book, book.sheet(name), _capped(frame), title=name,
                        percent_cols=[c for c in frame.columns if is_percent(str(c))])
        if findings:
            write_table(book, book.sheet("发现的问题"),
                        pd.DataFrame({"序号": range(1, len(findings) + 1),
                                      "问题": [chinese_part(f) for f in findings]}),
                        title="数据与任务表问题")


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
                filled: tuple[str, str], notes: Sequence[str], villages: bool) -> None:
    """One task table: annex layout, 备注 column, filled-by line and notes."""
    if not kinds:
        write_table(book, ws, progress, title=title, filled_by=filled)
        return
    table, groups = progress_display(progress, kinds=kinds, villages=villages)
    remarks = [*_remarks(progress, kinds=kinds, villages=villages), ""]
    table["备注"] = remarks
    groups = [*groups, ("备注", 1)]
    write_table(book, ws, table, title=title, groups=groups,
                percent_cols=[c for c in table.columns if c.endswith(("完成率", "覆盖率"))],
                total_label="合计", header=lambda c: c.split("|")[-1], filled_by=filled,
                notes=notes, widths={len(table.columns) - 1: 24})


def _remarks(progress: pd.DataFrame, *, kinds: list[str], villages: bool) -> list[str]:
    """Per town: the quota asks for a different number of care points than it has villages;
    towns above their quota."""
    out = []
    for row in progress.to_dict("records"):
        if "town_code" in row and not row["town_code"]:
            out.append("未匹配到镇界，已建按 0 计：请在 [aliases] 中对应（见“镇名对照”表）")
            continue
        parts = []
        if villages and "care_point" in kinds and row["required_care_point"] != row["villages"]:
            parts.append(f"镇界内村（居）{row['villages']} 个")
        for kind in kinds:
            if row.get(f"extra_{kind}", 0):
                parts.append(f"{SHORT_LABELS.get(kind, kind)}超额 {row[f'extra_{kind}']} 个")
        out.append("；".join(parts))
    return out


def summary_lines(progress: pd.DataFrame, *, kinds: list[str], width: int = 100) -> list[str]:
    """A short fixed-width terminal table of progress per town (CJK-aware)."""
    header = ["镇（区、街道）", *[SHORT_LABELS.get(k, k) for k in kinds], "村居覆盖"]
    rows = []
    for r in progress.itertuples():
        cells = [str(r.town_name)]
        for k in kinds:
            cells.append(f"{getattr(r, 'built_' + k)}/{getattr(r, 'required_' + k)}")
        cells.append(f"{r.villages_with_care_point}/{r.villages}")
        rows.append(cells)
    table = [header, *rows]
    widths = [max(text_width(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        lines.append("  ".join(c + " " * (w - text_width(c)) for c, w in zip(row, widths,
                                                                              strict=True)))
    return [line[:width * 2] for line in lines]


def write_json(data: dict, path: Path) -> None:
    """``run.json`` (UTF-8, Chinese kept readable)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=_jsonable),
                    encoding="utf-8")


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
