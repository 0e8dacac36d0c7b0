"""progress.xlsx laid out like the official annexes and ready to print."""

import datetime as dt
import re

from openpyxl import load_workbook

from planner.report._labels import for_people, label


def _evaluate(formula: str, value) -> float | str:
    """The value of one of the annex's formula shapes, ``value(ref)`` giving a cell's value:
    SUM(A1:A9), MAX(a-b,0), IF(a>0,b/a,1 or 0) and a/b (what the annexes write, nothing
    more)."""
    from openpyxl.utils import range_boundaries

    body = formula.removeprefix("=")
    if m := re.fullmatch(r"SUM\((\w+):(\w+)\)", body):
        c0, r0, c1, r1 = range_boundaries(f"{m[1]}:{m[2]}")
        return sum(v for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                   if isinstance(v := value((r, c)), int | float))
    if m := re.fullmatch(r"MAX\((\w+)-(\w+),0\)", body):
        return max(value(m[1]) - value(m[2]), 0)
    if m := re.fullmatch(r"IF\((\w+)>0,(\w+)/(\w+),([01])\)", body):
        assert m[1] == m[3], formula
        return value(m[2]) / value(m[1]) if value(m[1]) > 0 else int(m[4])
    if m := re.fullmatch(r"(\w+)/(\w+)", body):
        return value(m[1]) / value(m[2])
    raise AssertionError(f"unexpected formula {formula}")


def _calculate(ws, edits: dict[str, float] | None = None) -> dict:
    """Every cell of ``ws`` (formulas as written) calculated, with ``edits`` typed in first."""
    from openpyxl.utils import coordinate_to_tuple

    memo: dict = {}

    def value(ref):
        key = coordinate_to_tuple(ref) if isinstance(ref, str) else ref
        if key not in memo:
            cell = ws.cell(*key)
            raw = (edits or {}).get(cell.coordinate, cell.value)
            memo[key] = _evaluate(raw, value) if isinstance(raw, str) and raw.startswith("=") \
                else raw
        return memo[key]

    return {c.coordinate: value(c.coordinate) for row in ws.iter_rows() for c in row}


def test_annex_every_kind_with_live_formulas_and_cached_values(demo_result):
    """Annex 1 holds the care homes, care points and the workstations (the law's one per town,
    cited), annex 2 the organisations; every 缺口, rate and 合计 is a formula whose calculated
    value equals the planner's cached one, and a site typed in by hand moves the totals."""
    path = demo_result.out / "progress.xlsx"
    formulas, cached = load_workbook(path), load_workbook(path, data_only=True)
    run = demo_result.run
    assert run["quota_defaults"] == {"protection_station": {
        "per_town": 1, "source": run["quota_defaults"]["protection_station"]["source"]}}
    assert "第八十一条" in run["quota_defaults"]["protection_station"]["source"]
    for sheet, kinds in (("任务进度", ["care_home", "care_point", "protection_station"]),
                         ("社会组织任务", ["social_org"])):
        ws, wv = formulas[sheet], cached[sheet]
        groups = [ws.cell(3, c).value for c in range(3, ws.max_column)
                  if ws.cell(3, c).value is not None]
        labels = {"care_home": "省标", "care_point": "村（居）儿童关爱站点",
                  "protection_station": "未成年人保护工作站", "social_org": "儿童服务类社会组织"}
        assert [g for g in groups if not g.startswith("村（居）覆盖")] == [
            g for g in groups if any(g.startswith(labels[k]) for k in kinds)]
        assert len([g for g in groups if not g.startswith("村（居）覆盖")]) == len(kinds)
        total = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
        calc = _calculate(ws)
        n_formulas = 0
        for row in ws.iter_rows(min_row=5, max_row=total):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    n_formulas += 1
                    want = wv[cell.coordinate].value
                    assert abs(calc[cell.coordinate] - want) < 6e-4, (sheet, cell.coordinate)
        assert n_formulas >= 2 * 14 * len(kinds) + 4 * len(kinds)
        # the county totals of run.json, from the cached 合计 row
        for i, kind in enumerate(kinds):
            col = 3 + 5 * i
            t = run["quota"][kind]
            got = [wv.cell(total, col + j).value for j in range(5)]
            assert got == [t["required"], t["built"], t["missing"], t["extra"],
                           round(t["percent"] / 100, 6)], (sheet, kind)
        # a site entered by hand: 已建 of the first town + 1 moves 缺口, 完成率 and 合计
        col = 3 + 5 * (len(kinds) - 1)
        req, built = ws.cell(5, col).value, ws.cell(5, col + 1).value
        if built < req:
            ref = ws.cell(5, col + 1).coordinate
            after = _calculate(ws, {ref: built + 1})
            assert after[ws.cell(5, col + 2).coordinate] == req - built - 1
            assert after[ws.cell(total, col + 1).coordinate] == \
                calc[ws.cell(total, col + 1).coordinate] + 1
    notes = " ".join(str(c.value) for row in formulas["任务进度"].iter_rows() for c in row
                     if str(c.value).startswith(("注", "2.", "3.")))
    assert "未成年人保护法》第八十一条" in notes


def test_annex_total_is_the_county_village_coverage(demo_result):
    """The village-coverage group adds a row for the units outside the quota table, so its
    合计 is the county's 村（居）覆盖率 of run.json."""
    cached = load_workbook(demo_result.out / "progress.xlsx", data_only=True)["任务进度"]
    head = [cached.cell(4, c).value for c in range(1, cached.max_column + 1)]
    n_col = head.index("村（居）数") + 1
    total = next(r for r in range(5, cached.max_row + 1) if cached.cell(r, 1).value == "合计")
    own = demo_result.run["coverage"]["care_point"]["own_site"]
    assert [cached.cell(total, n_col + j).value for j in range(3)] == [
        own["villages_total"], own["villages"], round(own["share_villages"] / 100, 6)]
    other = cached.cell(total - 1, 2).value
    assert other.startswith("其他") and str(len(demo_result.run["towns_without_quota"])) in other
    assert demo_result.run["towns_without_quota"][0] in cached.cell(
        total - 1, cached.max_column).value


def test_progress_sheet_layout(demo_result):
    wb = load_workbook(demo_result.out / "progress.xlsx")
    ws = wb["任务进度"]
    year = dt.date.today().year
    period = demo_result.run["period"]
    assert period.startswith(f"{year}年第")
    assert ws["A1"].value == f"如皋市{period}儿童关爱服务阵地建设任务完成情况"
    assert ws["A2"].value == "填报单位：如皋市民政局（盖章）"
    assert any(str(c.value).startswith("统计截至：") and f"填报日期：{year}年" in str(c.value)
               for c in ws[2])
    assert ws["A3"].value == "序号" and ws["B3"].value == "镇（区、街道）"
    assert ws["C3"].value.startswith('省标儿童"关爱之家"')
    subs = [ws.cell(4, c).value for c in range(3, 8)]
    assert subs == ["任务数", "已建", "缺口", "超额", "完成率"]
    assert ws.cell(3, ws.max_column).value == "备注"
    assert ws.freeze_panes == "C5"
    total = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    cached = load_workbook(demo_result.out / "progress.xlsx", data_only=True)["任务进度"]
    assert cached.cell(total, 3).value == 14 and cached.cell(total, 8).value == 347
    assert ws.cell(5, 7).number_format == "0.0%"
    assert ws.column_dimensions["B"].width >= 20
    names = [ws.cell(r, 2).value for r in range(5, total)]
    assert "城北街道（如皋市经济开发区）" in names
    assert ws.cell(total + 2, 1).value.startswith("注：")
    assert {"村（居）", "被拒记录", "发现的问题", "覆盖情况"} <= set(wb.sheetnames)
    # annex 2 (organisations) has a sheet of its own
    org = wb["社会组织任务"]
    assert org["A1"].value == f"如皋市{period}儿童服务类社会组织任务完成情况"
    assert org["C3"].value.startswith("儿童服务类社会组织")
    assert "社会组织" not in "".join(str(c.value) for c in ws[3])


def test_every_sheet_prints_one_page_wide_landscape_in_chinese(demo_result):
    wb = load_workbook(demo_result.out / "progress.xlsx")
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # one page wide: fitToWidth is 1, or absent (1 is its default in OOXML); the annex
        # tables one page tall too, the others as many pages as they need
        tall = (1, None) if ws.title in ("任务进度", "社会组织任务") else (0,)
        assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight in tall
        assert ws.print_title_rows.startswith("$1:")
        head = int(ws.print_title_rows.split(":")[1].lstrip("$"))
        headers = [c.value for r in range(2, head + 1) for c in ws[r] if c.value is not None]
        assert headers and not [h for h in headers
                                if re.fullmatch(r"[a-z][a-z0-9_]*", str(h))], ws.title
        for row in ws.iter_rows(min_row=head + 1):
            for cell in row:
                if isinstance(cell.value, float) and cell.number_format != "0.0%":
                    # no raw floats such as 234.7540845 (coordinates keep 6 places)
                    assert round(cell.value, 6) == cell.value, (ws.title, cell.coordinate)
                    if not 70 < abs(cell.value) < 140 and not 15 < abs(cell.value) < 55:
                        assert round(cell.value, 1) == cell.value, (ws.title, cell.value)


def test_labels_for_people():
    import pandas as pd

    frame = pd.DataFrame({"dist_m_care_point": [1234.567, float("inf")],
                          "covshare_care_point": [0.4718, 1.0], "has_care_point": [True, False],
                          "kind": ["care_point", "care_home"], "unmet_need": [4353.33, 0.0]})
    out = for_people(frame)
    assert list(out.columns) == ["距最近村（居）儿童关爱站点（米）",
                                 "村（居）儿童关爱站点服务半径内儿童占比", "本村有关爱站点",
                                 "类型", "未满足需求（儿童·公里）"]
    assert out.iloc[0].tolist() == [1235.0, 47.2, "是", "村（居）儿童关爱站点", 4353.3]
    assert pd.isna(out.iloc[1, 0]) and out.iloc[1, 2] == "否"
    assert label("sites_care_home") == '儿童"关爱之家"（个）'


#: A4 landscape in points
_A4_LANDSCAPE = (842.0, 595.0)


def _column_pixels(ws) -> list[int]:
    """Each used column's printed width in pixels: a column ``w`` characters wide as the
    file stores it (its 5-px padding included) is ``w * 7`` px in Calibri 11 (7 px a
    character); unset columns are 8.43 wide (64 px). (openpyxl keeps a run of equal
    columns as one dimension spanning ``min``..``max``.)"""
    widths = dict.fromkeys(range(1, ws.max_column + 1), 8.43)
    for dim in ws.column_dimensions.values():
        if dim.width and dim.min:
            for c in range(dim.min, (dim.max or dim.min) + 1):
                widths[c] = dim.width
    return [int(widths[c] * 7 + 0.5) for c in range(1, ws.max_column + 1)]


def _printed_points(ws, body_pt: float) -> float:
    """The size body text of ``body_pt`` prints at: the page set-up's scale, or with "fit
    to" the scale that fits the columns to the printable width of A4 landscape (and, fitted
    one page tall, the rows to its height)."""
    m = ws.page_margins
    width = _A4_LANDSCAPE[0] - 72 * (m.left + m.right)
    height = _A4_LANDSCAPE[1] - 72 * (m.top + m.bottom)
    if not ws.sheet_properties.pageSetUpPr.fitToPage:
        return body_pt * (ws.page_setup.scale or 100) / 100
    scale = min(1.0, width / (0.75 * sum(_column_pixels(ws))))
    if ws.page_setup.fitToHeight in (1, None):  # one page tall (1 is the OOXML default)
        rows = sum((ws.row_dimensions[r].height or 15) for r in range(1, ws.max_row + 1))
        scale = min(scale, height / rows)
    return body_pt * scale


def test_every_sheet_prints_its_body_text_at_8_pt_or_more(demo_result):
    """From each sheet's page set-up and column widths: the body text (11 pt) prints at
    8 pt or more; long texts wrap (被拒记录 reasons), longitude/latitude show 6 decimals."""
    path = demo_result.out / "progress.xlsx"
    wb = load_workbook(path)
    for ws in wb:
        head = int(ws.print_title_rows.split(":")[1].lstrip("$"))
        body = ws.cell(head + 1, 1).font.sz or 11
        assert _printed_points(ws, body) >= 8.0, (ws.title, _printed_points(ws, body))
    rejected = wb["被拒记录"]
    head = int(rejected.print_title_rows.split(":")[1].lstrip("$"))
    reasons = [c for c in rejected[head] if c.value == "原因"][0].column
    cell = rejected.cell(head + 1, reasons)
    assert cell.alignment.wrap_text
    assert _column_pixels(rejected)[reasons - 1] <= 7 * 39  # wrapped at 36 characters
    assert (rejected.row_dimensions[head + 1].height or 15) > 15  # its lines fit the row
    sites = wb["建议选址"]
    head = int(sites.print_title_rows.split(":")[1].lstrip("$"))
    names = [c.value for c in sites[head]]
    for axis in ("经度", "纬度"):
        cell = sites.cell(head + 1, names.index(axis) + 1)
        assert cell.number_format == "0.000000" and round(cell.value, 6) == cell.value
    # the village sheet's widths come from its content, not its long headers
    villages = wb["村（居）"]
    head = int(villages.print_title_rows.split(":")[1].lstrip("$"))
    labels = [str(c.value) for c in villages[head]]
    longest = max(range(len(labels)), key=lambda i: len(labels[i]))
    assert "（米）" in labels[longest] or "占比" in labels[longest]  # a number column
    assert _column_pixels(villages)[longest] < 7 * len(labels[longest])  # header wraps
    assert (villages.row_dimensions[head].height or 15) >= 30
