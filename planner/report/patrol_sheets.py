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
    wb = Workbook()
    wb.remove(wb.active)
    blocks = 0
    styles: dict = {}
    order = ["town_name", "village_code", "date", "round", "route_no"]
    for town, tgrp in cal.sort_values(order, kind="stable").groupby("town_name", sort=True):
        ws = wb.create_sheet(str(town)[:31] or "未分镇")
        for col, width in zip("ABCDEFGH", (11, 6, 20, 70, 10, 10, 16, 14), strict=True):
            ws.column_dimensions[col].width = width
        r = 1
        for (_code, name), vgrp in tgrp.groupby(["village_code", "village_name"], sort=True):
            ws.cell(row=r, column=1, value=neutralise(f"{title} {town} {name} 防溺水巡查表（"
                    f"{week[0]:%m月%d日}–{week[-1]:%m月%d日}）")).font = Font(bold=True, size=12)
            r += 1
            for c, head in enumerate(_HEAD, start=1):
                cell = ws.cell(row=r, column=c, value=head)
                stamp(cell, styles, "head", font=Font(bold=True), border=_BOX)
            r += 1
            for row in vgrp.itertuples(index=False):
                day = pd.Timestamp(row.date)
                school = (day.day_of_week < 5 and row.season == "平时")
                vals = (f"{day:%m-%d}", row.weekday, _slot(int(row.round), school),
                        row.water_names, round(float(row.length_m) / 1000, 1),
                        round(float(row.hours), 1), "☐正常 ☐异常", "")
                for c, v in enumerate(vals, start=1):
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
