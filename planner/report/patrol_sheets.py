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
import math
from itertools import groupby
from pathlib import Path

import pandas as pd

from planner.report._xlsx import Book, boxed
from planner.report.safe import neutralise

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


def _text(value: object) -> str:
    """A printed text cell: empty for a missing value, formula-like text made inert."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(neutralise(str(value)))


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
    blocks = 0
    with Book(path) as book:
        title_fmt, head_fmt = book.fmt(bold=True, font_size=12), book.fmt(**boxed(bold=True))
        body_fmt = book.fmt(**boxed(text_wrap=True, valign="top"))
        for town, t_rows in groupby(rows, key=lambda kv: kv[0][0]):
            ws = book.sheet(str(town) or "未分镇")
            for col, width in enumerate((11, 6, 20, 70, 10, 10, 16, 14)):
                ws.set_column(col, col, width)
            r = 0
            for (_t, _code, name), v_rows in groupby(t_rows, key=lambda kv: kv[0]):
                ws.write_string(r, 0, str(neutralise(
                    f"{title} {town} {name} 防溺水巡查表（{week[0]:%m月%d日}–"
                    f"{week[-1]:%m月%d日}）")), title_fmt)
                ws.write_row(r + 1, 0, _HEAD, head_fmt)
                r += 2
                for _key, vals in v_rows:
                    date, weekday, slot, waters, km, hours = vals
                    for c, text in enumerate((date, weekday, slot, waters)):
                        ws.write_string(r, c, _text(text), body_fmt)
                    for c, number in ((4, km), (5, hours)):
                        if math.isfinite(number):
                            ws.write_number(r, c, number, body_fmt)
                        else:
                            ws.write_blank(r, c, None, body_fmt)
                    ws.write_string(r, 6, "☐正常 ☐异常", body_fmt)
                    ws.write_blank(r, 7, None, body_fmt)
                    r += 1
                ws.write_string(r, 0, "发现险情或缺损器材，当即报告村（居）委会；"
                                "本表每周交镇（街道）存档。  村（居）负责人签字：__________")
                r += 2
                blocks += 1
        if not book.workbook.worksheets():
            book.sheet("无巡查")
    return blocks
