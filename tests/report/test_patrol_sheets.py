"""Season patrol sheets: one A4 page per village, the whole season, printable."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.propose.patrol import patrol_calendar
from planner.report.patrol_sheets import season_weeks, slot, write_patrol_sheets
from planner.settings import WaterConfig

YEAR = 2026


def _tables(year: int = YEAR):
    routes = pd.DataFrame({
        "route_id": ["R1", "R2", "R3", "R4"], "town_code": ["T1", "T1", "T2", "T1"],
        "town_name": ["东镇", "东镇", "西镇", "东镇"], "village_code": ["V1", "V2", "V3", "V1"],
        "village_name": ["甲村", "乙村", "丙村", "甲村"], "stops": [2, 1, 3, 1],
        "water_ids": ["W1;W2", "W3", "W4;W5;W6", "W7"],
        "water_names": ["东塘 → 西河", "坑塘W3", "a → b → c", "北河"],
        "length_m": [3200.0, 1500.0, 5100.0, 800.0], "hours": [0.43, 0.21, 0.68, 0.1],
        "method": "network"})
    days = patrol_calendar(year, config=WaterConfig())
    rows = []
    for d in pd.to_datetime(days["date"]).dt.date:
        for rid, v, t in (("R1", "V1", "T1"), ("R2", "V2", "T1"), ("R3", "V3", "T2")):
            if rid == "R3" and d.day % 2:
                continue
            rows.append({"date": d, "town_code": t, "village_code": v, "round": 1,
                         "route_no": 1, "route_id": rid})
        if d.weekday() >= 5:  # a second round on weekends, on another route
            rows.append({"date": d, "town_code": "T1", "village_code": "V1", "round": 2,
                         "route_no": 1, "route_id": "R4"})
    return routes, pd.DataFrame(rows), days


def _write(tmp_path, **kw):
    routes, plan, days = _tables()
    path = tmp_path / "patrol_sheets.xlsx"
    args = {"title": "测试县", "days": days, "year": YEAR, "calendar": "chinese_calendar"}
    pages = write_patrol_sheets(routes, plan, path, **(args | kw))
    return pages, load_workbook(path), plan


def _walked(ws, village: str) -> dict[dt.date, int]:
    """Patrols per date read back from one village's calendar (independent parser)."""
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] and village in str(r[0]))
    out = {}
    for r in rows[start + 1:]:
        if r[0] and "防溺水巡查表" in str(r[0]):
            break
        for cell in r[1:8]:
            m = re.match(r"(\d\d)-(\d\d)[节班]? ☐(.+)", str(cell or ""))
            if m:
                date = dt.date(YEAR, int(m[1]), int(m[2]))
                out[date] = sum(int(x.split("×")[1]) if "×" in x else 1
                                for x in m[3].split("、"))
    return out


def test_every_patrol_of_the_season_is_on_its_village_page(tmp_path) -> None:
    pages, wb, plan = _write(tmp_path)
    assert pages == 3 and wb.sheetnames == ["东镇", "西镇"]
    for sheet, village, code in (("东镇", "甲村", "V1"), ("东镇", "乙村", "V2"),
                                 ("西镇", "丙村", "V3")):
        expected = plan[plan["village_code"] == code].groupby("date").size().to_dict()
        assert _walked(wb[sheet], village) == expected


def test_every_village_starts_a_page_and_sheets_fit_one_page_wide(tmp_path) -> None:
    _, wb, _ = _write(tmp_path)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9 and setup.orientation == "portrait"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
        titles = [c.row for c in ws["A"] if c.value and "防溺水巡查表" in str(c.value)]
        breaks = sorted(b.id for b in ws.row_breaks.brk)
        assert breaks == [t - 1 for t in titles[1:]]  # a break right above every later title


def test_the_season_has_every_week_and_the_year_and_marks_holidays(tmp_path) -> None:
    _, wb, _ = _write(tmp_path)
    ws = wb["西镇"]
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    weeks = [t for t in text if t.startswith("第") and "周 " in t]
    # 1 May 2026 is a Friday and 30 September a Wednesday: 23 Monday-to-Sunday rows
    assert len(weeks) == len(season_weeks(_tables()[2])) == 23
    assert any(f"{YEAR}年防溺水巡查表" in t for t in text)
    assert any(t.startswith("06-19节") for t in text)   # 端午 2026
    assert any(t.startswith("05-09班") for t in text)   # a Saturday worked (调休)


def test_a_year_without_a_notice_says_so_and_dropped_patrols_are_counted(tmp_path) -> None:
    _, wb, _ = _write(tmp_path, calendar="lunar", dropped={"V2": 12})
    east = " ".join(str(c.value) for row in wb["东镇"].iter_rows() for c in row if c.value)
    assert "调休未知" in east and "另有 12 次巡查超出" in east
    west = " ".join(str(c.value) for row in wb["西镇"].iter_rows() for c in row if c.value)
    assert "超出" not in west


def test_routes_are_numbered_per_village(tmp_path) -> None:
    _, wb, _ = _write(tmp_path)
    rows = [[c.value for c in row] for row in wb["东镇"].iter_rows()]
    listed = [(r[0], r[1]) for r in rows if re.fullmatch(r"线路\d+", str(r[0]))]
    assert listed == [("线路1", "东塘 → 西河"), ("线路2", "北河"), ("线路1", "坑塘W3")]


@pytest.mark.parametrize(("school", "start"), [(True, "16:30"), (False, "13:00")])
def test_slots(school, start) -> None:
    assert slot(1, school).startswith(start)


def test_a_water_name_that_looks_like_a_formula_stays_text(tmp_path) -> None:
    routes, plan, days = _tables()
    routes.loc[0, "water_names"] = '=HYPERLINK("http://x","点我")'
    path = tmp_path / "patrol_sheets.xlsx"
    write_patrol_sheets(routes, plan, path, title="测试", days=days, year=YEAR,
                        calendar="chinese_calendar")
    cells = [c for row in load_workbook(path)["东镇"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert sum(str(c.value).endswith('=HYPERLINK("http://x","点我")') for c in cells) == 1


def _printed_pages(ws) -> list[float]:
    """Printed height (points) of each village's page: rows between the page breaks at
    the fit-to-width scale (column widths in Excel character units -> points)."""
    widths = [ws.column_dimensions[c].width for c in "ABCDEFGHI"]
    width_pt = sum(int(w * 7 + 5) for w in widths) * 0.75
    printable_w = (8.27 - 0.8) * 72
    scale = min(1.0, printable_w / width_pt)
    heights = [ws.row_dimensions[r].height or 15.0 for r in range(1, ws.max_row + 1)]
    cuts = [0, *sorted(b.id for b in ws.row_breaks.brk), ws.max_row]
    return [sum(heights[a:b]) * scale for a, b in zip(cuts, cuts[1:], strict=False)]


def test_each_village_fits_one_a4_page(tmp_path) -> None:
    _, wb, _ = _write(tmp_path)
    printable_h = (11.69 - 1.1) * 72 - 30  # margins 0.5 + 0.6 in, and the footer
    for ws in wb.worksheets:
        assert max(_printed_pages(ws)) <= printable_h
