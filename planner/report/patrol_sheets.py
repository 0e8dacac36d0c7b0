"""Printable patrol sheets for the whole season: ``patrol_sheets.xlsx``, one sheet per town,
one A4 page per village.

Each village's page says the year and the season, lists its routes (the ordered waters,
length and time), and holds the season calendar: one row per week, one column per weekday,
each day with its date and the numbers of the routes to walk that day (节 marks a
statutory day off, 班 a weekend day worked instead, 调休), a box to tick and a line for the
cadre to sign each week.
Time slots follow the afternoon peak of child drownings (13:00-18:00): on rest days the first
round from 13:00 and a second from 15:30; on school days one round after school
(16:30-18:00). Patrols the weekly-hour cap dropped are counted on the village's page.

Every sheet prints on A4 portrait, one page wide; every village starts a new page.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from planner.report._xlsx import Book, boxed
from planner.report.safe import neutralise

_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
#: column widths: week, Monday .. Sunday, signature
_WIDTHS = (13, *([11] * 7), 12)
_SLOTS = ("日历格中 ☐ 后为当天要走的线路编号（“1×2”为线路1走两轮），走完打勾。"
          "时段：周末、节假日 13:00–15:30 第1轮、15:30–18:00 第2轮；上学日 16:30–18:00"
          "（放学后）。发现险情或缺损器材，当即报告村（居）委会；本表每周交镇（街道）存档。")
#: what ``calendar`` (run.json water.patrol.calendar) means for the sheets
CALENDAR_NOTES = {
    "chinese_calendar": "节假日与调休依国务院办公厅通知。",
    "lunar": "本年度节假日安排尚未公布：端午、中秋按农历推算，调休未知，公布后请按通知调整。",
    "fixed": "节假日按 planner.toml 中 [water] holidays 所列日期，未含调休。",
}


def slot(round_no: int, school_day: bool) -> str:
    """The time slot of a patrol round on a school day or a rest day."""
    if school_day:
        return "16:30–18:00（放学后）" if round_no == 1 else "18:00–19:00"
    return "13:00–15:30" if round_no == 1 else "15:30–18:00"


def _text(value: object) -> str:
    """A printed text cell: empty for a missing value, formula-like text made inert."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(neutralise(str(value)))


def season_weeks(days: pd.DataFrame) -> list[dt.date]:
    """The Mondays of the weeks that hold a day of ``days`` (the season calendar)."""
    dates = pd.to_datetime(pd.Series(days["date"]))
    if dates.empty:
        return []
    first = dates.min() - pd.Timedelta(days=int(dates.min().day_of_week))
    return [d.date() for d in pd.date_range(first, dates.max(), freq="7D")]


def _day_marks(days: pd.DataFrame) -> dict[dt.date, str]:
    """节 for a statutory day off, 班 for a weekend day worked (调休)."""
    marks = {}
    for date, off, worked in zip(pd.to_datetime(days["date"]).dt.date, days["holiday"],
                                 days["makeup_workday"], strict=True):
        marks[date] = "节" if off else ("班" if worked else "")
    return marks


def _village_days(plan: pd.DataFrame) -> dict[dt.date, str]:
    """Per date: the numbers of the routes walked that day ("1、2"; a route walked in
    both rounds as "1×2")."""
    out: dict[dt.date, str] = {}
    dates = pd.to_datetime(plan["date"]).dt.date
    for date, group in plan.assign(_d=dates).groupby("_d", sort=True):
        counts = group["route_no"].astype(int).value_counts().sort_index()
        out[date] = "、".join(f"{n}" + (f"×{c}" if c > 1 else "") for n, c in counts.items())
    return out


class _Formats:
    def __init__(self, book: Book) -> None:
        self.title = book.fmt(bold=True, font_size=13)
        self.note = book.fmt(font_size=10, text_wrap=True, valign="top")
        self.head = book.fmt(**boxed(bold=True, align="center", bg_color="#EEEEEE"))
        self.body = book.fmt(**boxed(text_wrap=True, valign="top"))
        self.day = book.fmt(**boxed(font_size=9))
        self.off = book.fmt(**boxed(font_size=9, bg_color="#FDE2E2"))
        self.out = book.fmt(**boxed(bg_color="#DDDDDD"))


def _routes_block(ws, r: int, routes: pd.DataFrame, f: _Formats) -> int:
    """The village's routes; returns the next free row."""
    ws.write_string(r, 0, "线路", f.head)
    ws.merge_range(r, 1, r, 6, "途经水域（按巡查顺序）", f.head)
    ws.write_row(r, 7, ("里程（公里）", "用时（小时）"), f.head)
    r += 1
    for row in routes.itertuples():
        ws.write_string(r, 0, f"线路{int(row.route_no)}", f.body)
        ws.merge_range(r, 1, r, 6, _text(row.water_names), f.body)
        for c, value in ((7, float(row.length_m) / 1000), (8, float(row.hours))):
            ws.write_number(r, c, round(value, 1), f.body)
        lines = max(1, math.ceil(len(_text(row.water_names)) / 40))
        ws.set_row(r, 15 * min(lines, 4))
        r += 1
    return r


def _calendar_block(ws, r: int, *, weeks: list[dt.date], season: set[dt.date],
                    marks: dict[dt.date, str], walked: dict[dt.date, str],
                    f: _Formats) -> int:
    """One row per week of the season; returns the next free row."""
    ws.write_row(r, 0, ("周次", *_WEEKDAYS, "巡查人签字"), f.head)
    r += 1
    for n, monday in enumerate(weeks, start=1):
        sunday = monday + dt.timedelta(days=6)
        ws.write_string(r, 0, f"第{n}周 {monday:%m.%d}–{sunday:%m.%d}", f.day)
        for c in range(7):
            day = monday + dt.timedelta(days=c)
            if day not in season:
                ws.write_blank(r, c + 1, None, f.out)
                continue
            text = f"{day:%m-%d}{marks.get(day, '')} " + (
                f"☐{walked[day]}" if day in walked else "—")
            ws.write_string(r, c + 1, text, f.off if marks.get(day) == "节" else f.day)
        ws.write_blank(r, 8, None, f.day)
        r += 1
    return r


def write_patrol_sheets(routes: pd.DataFrame, plan: pd.DataFrame, path: Path, *,
                        title: str, days: pd.DataFrame, year: int, calendar: str,
                        dropped: dict[str, int] | None = None) -> int:
    """Write the season's sheets; returns the number of village pages.

    Parameters
    ----------
    routes : DataFrame
        ``patrol_routes.csv``: each route once (``route_id``, town, village, ``water_names``,
        ``length_m``, ``hours``).
    plan : DataFrame
        ``patrol_plan.csv``: date, village, ``round``, ``route_no``, ``route_id``.
    days : DataFrame
        The season calendar (:func:`planner.propose.patrol.patrol_calendar`): ``date``,
        ``holiday``, ``makeup_workday``.
    year, calendar
        The season's year and where its holidays come from (``CALENDAR_NOTES``).
    dropped : dict, optional
        Patrols the weekly-hour cap dropped, per village code.
    """
    weeks, season = season_weeks(days), set(pd.to_datetime(days["date"]).dt.date)
    marks, dropped = _day_marks(days), dropped or {}
    # each distinct route of a village gets its number on the village's page
    routes = routes.sort_values(["town_name", "village_code", "route_id"], kind="stable")
    routes["route_no"] = routes.groupby("village_code").cumcount() + 1
    plan = plan.drop(columns=["route_no"], errors="ignore").merge(
        routes[["route_id", "route_no"]], on="route_id", how="left")
    first, last = min(season, default=None), max(season, default=None)
    pages = 0
    with Book(path) as book:
        f = _Formats(book)
        for town, t_routes in routes.groupby("town_name", sort=False):
            ws = book.sheet(str(town) or "未分镇")
            _page_setup(ws)
            r, breaks = 0, []
            for (code, name), v_routes in t_routes.groupby(["village_code", "village_name"],
                                                           sort=False):
                if r:
                    breaks.append(r)
                ws.write_string(r, 0, _text(f"{title} {town} {name} {year}年防溺水巡查表"),
                                f.title)
                ws.merge_range(r + 1, 0, r + 1, 8, _text(
                    f"巡查季：{first:%Y年%m月%d日}至{last:%Y年%m月%d日}。"
                    + CALENDAR_NOTES.get(calendar, "")
                    + (f"本村另有 {dropped[code]} 次巡查超出每周巡查时长上限，未排入本表，"
                       "请镇（街道）统筹人手。" if dropped.get(code) else "")), f.note)
                ws.set_row(r + 1, 30)
                r = _routes_block(ws, r + 3, v_routes, f)
                walked = _village_days(plan[plan["village_code"] == code])
                r = _calendar_block(ws, r + 1, weeks=weeks, season=season, marks=marks,
                                    walked=walked, f=f)
                ws.merge_range(r, 0, r, 8, _SLOTS, f.note)
                ws.set_row(r, 30)
                ws.write_string(r + 1, 0, "村（居）负责人签字：______________    "
                                "镇（街道）审核：______________")
                r += 3
                pages += 1
            ws.set_h_pagebreaks(breaks)
        if not book.workbook.worksheets():
            book.sheet("无巡查")
    return pages


def _page_setup(ws) -> None:
    """A4 portrait, one page wide, centred, "第 n 页 共 m 页" footer."""
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&C第 &P 页 共 &N 页")
    for col, width in enumerate(_WIDTHS):
        ws.set_column(col, col, width)
