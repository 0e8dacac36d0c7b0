"""Printable weekly patrol sheets: ``patrol_sheets.xlsx``, one sheet per town, one block per
village.

Each block is the village's patrols of one representative week (the first full week of the
summer holiday in the plan, else the plan's first week): day, time slot, the route as the
ordered water names, length and time, boxes to tick and a line to sign. Time slots follow
the afternoon peak of child drownings (13:00-18:00): the first round from 13:00, a second
round from 15:30; on school days a single round after school (16:30-18:00).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from planner.report._xlsx import stamp
from planner.report.safe import neutralise

_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEAD = ("日期", "星期", "时段", "巡查路线（按顺序）", "里程（公里）", "用时（小时）",
         "检查情况", "巡查人签字")


def sheet_week(calendar: pd.DataFrame, *, summer_start: str = "07-01") -> list[dt.date]:
    """The seven dates of the representative week (see module doc)."""
    dates = pd.to_datetime(pd.Series(calendar["date"]).drop_duplicates().sort_values())
    if dates.empty:
        return []
    year = dates.iloc[0].year
    start = pd.Timestamp(f"{year}-{summer_start}")
    mondays = dates[(dates.dt.day_of_week == 0) & (dates >= start)]
    first = mondays.iloc[0] if len(mondays) else dates.iloc[0]
    return [(first + pd.Timedelta(days=i)).date() for i in range(7)]


def _slot(round_no: int, school_day: bool) -> str:
    if school_day:
        return "16:30–18:00（放学后）" if round_no == 1 else "18:00–19:00"
    return "13:00–15:30" if round_no == 1 else "15:30–18:00"


def write_patrol_sheets(routes: pd.DataFrame, calendar: pd.DataFrame, path: Path, *,
                        title: str) -> int:
    """Write the sheets; returns the number of village blocks written."""
    week = sheet_week(calendar)
    cal = calendar[pd.to_datetime(calendar["date"]).dt.date.isin(week)]
    cal = cal.merge(routes, on=["route_id", "village_code"], how="left",
                    suffixes=("", "_r"))
    order = ["town_name", "village_code", "village_name", "date", "round", "route_no"]
    cal = cal.sort_values(order, kind="stable")
    day = pd.to_datetime(cal["date"])
    school = ((day.dt.day_of_week < 5) & (cal["season"] == "平时")).to_numpy()
    rounds = cal["round"].astype(int).to_numpy()
    # the rows' printed values, column by column (no per-row pandas access)
    printed = zip(day.dt.strftime("%m-%d"), cal["weekday"],
                  [_slot(k, sc) for k, sc in zip(rounds, school, strict=True)],
                  cal["water_names"], [round(float(m) / 1000, 1) for m in cal["length_m"]],
                  [round(float(h), 1) for h in cal["hours"]], strict=True)
    keys = zip(cal["town_name"], cal["village_code"], cal["village_name"], strict=True)
    rows = zip(keys, printed, strict=True)
    wb = Workbook()
    wb.remove(wb.active)
    blocks = 0
    styles: dict = {}
    for town, t_rows in groupby(rows, key=lambda kv: kv[0][0]):
        ws = wb.create_sheet(str(town)[:31] or "未分镇")
        for col, width in zip("ABCDEFGH", (11, 6, 20, 70, 10, 10, 16, 14), strict=True):
            ws.column_dimensions[col].width = width
        r = 1
        for (_t, _code, name), v_rows in groupby(t_rows, key=lambda kv: kv[0]):
            ws.cell(row=r, column=1, value=neutralise(f"{title} {town} {name} 防溺水巡查表（"
                    f"{week[0]:%m月%d日}–{week[-1]:%m月%d日}）")).font = Font(bold=True, size=12)
            r += 1
            for c, head in enumerate(_HEAD, start=1):
                cell = ws.cell(row=r, column=c, value=head)
                stamp(cell, styles, "head", font=Font(bold=True), border=_BOX)
            r += 1
            for _key, vals in v_rows:
                for c, v in enumerate((*vals, "☐正常 ☐异常", ""), start=1):
                    cell = ws.cell(row=r, column=c, value=neutralise(v))
                    stamp(cell, styles, "body", border=_BOX, alignment=_WRAP)
                r += 1
            ws.cell(row=r, column=1, value="发现险情或缺损器材，当即报告村（居）委会；"
                    "本表每周交镇（街道）存档。  村（居）负责人签字：__________")
            r += 2
            blocks += 1
    if not wb.sheetnames:
        wb.create_sheet("无巡查")
    wb.save(path)
    return blocks
