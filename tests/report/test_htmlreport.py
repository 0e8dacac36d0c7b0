"""report.html: sections, escaping, 'not computed' for stages that did not run."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from planner.report.htmlreport import NOT_COMPUTED, write_report
from planner.report.staticmaps import write_static_maps
from planner.report.tables import progress_display
from tests.report.test_webmap import HOSTILE, full_layers


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    return parser


def _table(result):
    return progress_display(result.progress, kinds=list(result.quota.kinds))[0]


def test_report_with_every_section(demo_result, tmp_path):
    layers = full_layers(demo_result, synthetic=True)
    images = write_static_maps(layers, tmp_path, title="如皋市")
    water = layers.water.drop(columns="geometry")
    req = pd.DataFrame({"town_name": ["如城街道", "东陈镇"], "new_kits": [3, 2],
                        "signs": [3, 2], "lifebuoys": [4, 2], "ropes": [3, 2],
                        "rope_m": [90.0, 60.0], "poles": [3, 2]})
    page = write_report(tmp_path / "report.html", title="如皋市儿童关爱服务阵地建设任务完成情况",
                        progress_table=_table(demo_result), run=demo_result.run,
                        images=images, proposals=layers.proposed_sites, water_top=water,
                        requisition=req, progress=demo_result.progress
                        ).read_text(encoding="utf-8")
    parsed = _parse(page)
    text = "".join(parsed.text)
    assert parsed.tags.count("img") == len(images) == 3
    assert "@media print" in page and "@page" in page
    totals = demo_result.run["quota"]["care_point"]
    assert f"已建 {totals['built']} / 任务 {totals['required']}" in text
    # the requisition's total row: 3 + 2 new kits, 4 + 2 lifebuoys, 150 m of rope
    assert re.search(r"<tr class='total'><td class=t>合计</td><td>5</td><td>5</td><td>6</td>"
                     r"<td>5</td><td>150</td><td>5</td></tr>", page)
    assert "东河" in text and "拟新建（含升级）4 处" in text
    # every stage given: only coverage may be "not computed" (when the run has no access)
    expected_nc = 0 if (demo_result.run.get("access") or {}).get("county_shares") else 1
    assert text.count(NOT_COMPUTED) == expected_nc


def test_report_without_optional_stages_and_hostile_text(demo_result, tmp_path):
    table = _table(demo_result)
    table.iloc[0, 1] = HOSTILE[0]
    run = dict(demo_result.run, access=None, water=None,
               findings=[HOSTILE[1]], workspace=HOSTILE[1])
    page = write_report(tmp_path / "r.html", title=HOSTILE[0], progress_table=table, run=run
                        ).read_text(encoding="utf-8")
    for raw in HOSTILE:
        assert raw not in page
    parsed = _parse(page)
    assert "script" not in parsed.tags[parsed.tags.index("body"):]
    assert "img" not in parsed.tags
    text = "".join(parsed.text)
    assert HOSTILE[0] in text and HOSTILE[1] in text  # shown as text
    # the towns furthest behind (no progress given), coverage, proposals, water,
    # requisition, patrols and maps: not computed
    assert text.count(NOT_COMPUTED) == 7


def _pdf_pages(page: Path, tmp_path: Path) -> list[str]:
    """Print ``page`` on A4 in headless Chromium; the text of each PDF page (NFKC)."""
    import base64
    import io

    from pypdf import PdfReader
    from selenium.webdriver.common.print_page_options import PrintOptions

    from tests.report.test_webmap import _browser

    with _browser(tmp_path) as driver:
        driver.get(page.resolve().as_uri())
        options = PrintOptions()
        options.page_width, options.page_height = 21.0, 29.7
        options.margin_top = options.margin_bottom = 1.0
        options.margin_left = options.margin_right = 1.0
        pdf = base64.b64decode(driver.print_page(options))
    return [unicodedata.normalize("NFKC", p.extract_text()).translate(_RADICALS)
            for p in PdfReader(io.BytesIO(pdf)).pages]


#: CJK radicals a PDF's text layer may give for the ideographs the font drew (NFKC keeps them)
_RADICALS = str.maketrans("⺠⻅⻛⻚⻓⻔⻋⻢⻄⻝⻨⻩⻬⻰⻜⻘⻙⻤",
                          "民见风页长门车马西食麦黄齐龙飞青韦鬼")


@pytest.mark.browser
def test_page_one_is_one_a4_page_for_a_leader(demo_result, tmp_path):
    """Printed on A4 in Chromium, page 1 holds the period, the issuing unit, the headline
    figures, the towns furthest behind, the plan and what it costs and what needs doing --
    and nothing after: the details start on page 2; the processing counts are in the
    appendix, not on page 1."""
    run = demo_result.run
    pages = _pdf_pages(demo_result.out / "report.html", tmp_path)
    first = pages[0]
    for text in ("一、总体情况", "二、进度最慢的镇（街道）", "三、规划建议与费用",
                 "四、需要处理的问题", f"填报单位：{run['issuing_unit']}", run["period"], "¥"):
        assert unicodedata.normalize("NFKC", text) in first, text
    for kind, t in run["quota"].items():  # every quota kind's completion, as in run.json
        if isinstance(t, dict):
            assert f"{t['percent']:.1f}%" in first, kind
    assert "五、" not in first and "读入记录" not in first
    details = unicodedata.normalize("NFKC", "五、各镇（街道）任务完成情况")
    assert pages[1].lstrip().startswith(details)
    appendix = next(p for p in pages if unicodedata.normalize("NFKC", "附录二、数据处理情况") in p)
    assert "读入记录" in appendix


def test_page_one_names_the_towns_behind_and_the_findings(demo_result):
    """The towns furthest behind are those with most sites missing; the findings name the
    village, town, file and row, grouped by what to do."""
    page = (demo_result.out / "report.html").read_text(encoding="utf-8")
    summary = page[page.index("<section id=\"summary\">"):page.index("<section id=\"details\"")]
    p = demo_result.progress
    missing = sum(p[f"missing_{k}"] for k in demo_result.kinds)
    worst = p.loc[missing.sort_values(ascending=False, kind="stable").index[0], "town_name"]
    lag = summary[summary.index("二、进度最慢"):summary.index("三、")]
    assert f"<td class=t>{worst}</td><td><b>{int(missing.max())}</b></td>" in lag
    assert lag.count("<tr>") == 1 + 5  # the header and five towns
    for group in ("一、请更正数据后重新运行", "二、请核对", "三、请决定"):
        assert group in summary
    # the village that lost its children by a row error, with the file and row
    rejected = demo_result.workspace.ledger.rejected_frame()
    row = rejected[(rejected["layer"] == "children")
                   & rejected["reason"].str.startswith("分项人数大于总数")].iloc[0]
    code = re.search(r"village_code=(\d+)", row["record"])[1]
    vil = demo_result.villages.set_index("village_code").loc[code]
    assert f"{vil['village_name']}（{vil['town_name']}）的儿童人数未计入" in summary
    assert f"children.xlsx 第 {row['row']} 行（儿童 " in summary
    # every town-level unit without a quota, by name
    appendix = page[page.index("附录一"):]
    for name in demo_result.run["towns_without_quota"]:
        assert name in appendix
    for rec in demo_result.run["located_disagreements"]:
        assert f"{rec['name']}（" in appendix and f"第 {rec['row']} 行" in appendix


def test_report_is_chinese_with_percent_and_ranks_from_one(demo_result):
    page = (demo_result.out / "report.html").read_text(encoding="utf-8")
    text = "".join(_parse(page[page.index("<body>"):]).text)
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,} [A-Za-z]{3,}", text)  # no English
    assert "not computed" not in text and "covers" not in text
    total = re.search(r"<tr class='total'>(.*?)</tr>", page).group(1)
    assert re.search(r"<td>\d+\.\d%</td>", total)  # 完成率 with %
    kinds = demo_result.run["proposals"]["by_kind"]
    if demo_result.run["proposals"]["sites"]:
        body = page[page.index("拟新建阵地</h2>"):page.index("各镇（街道）风险水域")]
        first = re.findall(r"<tr><td>(\d+)</td>", body)
        assert first[:3] == ["1", "2", "3"], first
        assert any("children_newly_covered" in v for v in kinds.values())
    assert "有未满足需求的村（居）" not in text


def test_children_newly_within_reach_one_figure_per_kind(demo_result):
    """Never summed across kinds with different distances; the same figure on page 1, page
    2, run.json and the sites; never more than the children counted."""
    page = (demo_result.out / "report.html").read_text(encoding="utf-8")
    first, second = page.split('<section id="details"')
    sites = demo_result.proposals
    total = demo_result.run["coverage"]["care_point"]["own_site"]["children_total"]
    reach = demo_result.run["coverage"]["care_point"]["within_reach"]
    by_kind = demo_result.run["proposals"]["by_kind"]
    for kind in ("care_point", "care_home"):
        n = by_kind[kind]["children_newly_covered"]
        assert n == int(sites.loc[sites["kind"] == kind, "children_newly_covered"].sum())
        assert 0 < n <= total
        figure = f"{n:,} 人"
        assert figure in first and figure in second
    assert by_kind["care_point"]["children_newly_covered"] <= \
        reach["children_total"] - reach["children"]  # only those not yet within reach
    summed = sum(by_kind[k]["children_newly_covered"] for k in ("care_point", "care_home"))
    assert f"{summed:,}" not in page and "不相加" in first
