"""Personal columns (names, ID numbers, phones) never reach an output; a finding names them."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.badinputs._scan import output_texts
from tests.badinputs.conftest import rejected

NAME, ID, PHONE = "王小明", "320682200801011234", "13912345678"


def _children_with_people(mini):
    path = mini / "children.csv"
    frame = pd.read_csv(path, dtype=str)
    frame["联系人姓名"] = NAME
    frame["身份证号"] = ID
    frame["联系电话"] = PHONE
    frame.loc[len(frame)] = ["320999009999", "5", "1", "0", "1", NAME, ID, PHONE]  # unknown
    frame.to_csv(path, index=False)


def _facilities_with_people(mini):
    path = mini / "facilities.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    frame["负责人"] = NAME
    frame["手机"] = PHONE
    frame["备注"] = "请联系" + PHONE  # personal by value, not by header
    frame.to_csv(path, index=False, encoding="gb18030")


def _assert_nowhere(out, *values):
    texts = output_texts(out)
    assert {"rejected.csv", "facilities.csv", "progress.xlsx", "planner.gpkg"} <= set(texts)
    for name, text in texts.items():
        for value in values:
            assert value not in text, (name, value)


@pytest.mark.slow  # a whole run of its own
def test_personal_columns_of_children_never_written(mini, cli):
    _children_with_people(mini)
    res = cli(mini)
    assert res.code == 0
    _assert_nowhere(res.out, NAME, ID, PHONE)
    rej = rejected(res.out)
    row = rej[(rej["file"] == "children.csv") & (rej["row"] == "6")]
    assert row["record"].tolist() == [
        "village_code=320999009999; children=5; left_behind=1; vulnerable=0; under5=1; "
        "vulnerable_red=0; vulnerable_orange=0; vulnerable_yellow=0; vulnerable_blue=0"]
    run = (res.out / "run.json").read_text(encoding="utf-8")
    assert "列 / columns 联系人姓名、身份证号、联系电话" in run


@pytest.mark.slow  # a whole run of its own
def test_personal_columns_of_facilities_never_written(mini, cli):
    _facilities_with_people(mini)
    res = cli(mini)
    assert res.code == 0
    _assert_nowhere(res.out, NAME, PHONE, "请联系")
    fac = pd.read_csv(res.out / "facilities.csv", dtype=str)
    assert set(fac.columns) <= {"facility_id", "name", "kind", "standard", "declared_town",
                                "row", "datum", "file", "lon", "lat", "village_code",
                                "village_name", "town_code", "town_name", "located_by",
                                "town_agrees", "distance_m"} | set(fac.columns[fac.columns
                                                                              .str.islower()])
    assert "facilities.csv（facilities）含个人信息" in (res.out / "run.json").read_text(
        encoding="utf-8")
    assert "列 / columns 负责人、手机、备注" in (res.out / "run.json").read_text(
        encoding="utf-8")


@pytest.mark.slow  # a whole run of its own
def test_phone_inside_a_site_name_is_masked(mini, cli):
    path = mini / "facilities.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    frame.iloc[0, 0] = "甲山儿童之家 " + PHONE
    frame.to_csv(path, index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    _assert_nowhere(res.out, PHONE)
    fac = pd.read_csv(res.out / "facilities.csv", dtype=str)
    assert "甲山儿童之家[已隐去]" in fac["name"].tolist()  # clean_text drops the space


def test_check_prints_the_withheld_columns(mini, cli):
    _children_with_people(mini)
    res = cli(mini, "check")
    assert res.code == 0
    out = res.stdout
    assert "发现：children.csv（children）含个人信息" in out
    assert NAME not in out and ID not in out and PHONE not in out


@pytest.mark.parametrize(("header", "value", "withheld"), [
    ("监护人", "李四", True),
    ("家庭住址", "某村3组", True),
    ("remark", "320682200801011234", True),  # an 18-digit ID number
    ("remark", "0513-87654321", True),  # a landline
    ("儿童主任", "张三", True),
    ("备注", "联系 zhang.san@163.com", True),  # an e-mail address
    ("备注", "新建", False),
    ("地址", "甲山村委会", False),
])
def test_personal_by_header_or_value(header, value, withheld):
    from planner.records.privacy import withhold_personal

    frame = pd.DataFrame({"_row": [2], "村代码": ["320999001001"], header: [value],
                          "经度": ["120.13912345678"]})
    out, cols, masked = withhold_personal(frame, keep={"村代码", "经度"})
    assert (cols == [header]) is withheld
    assert set(out.columns) == {"_row", "村代码", "经度"} | (set() if withheld else {header})
    assert masked == 0


def test_a_form_footer_spread_over_cells_is_dropped_with_its_names(mini, cli):
    """The signature line under a table as Excel users type it: the label in one cell, the
    name in the next (填表人： | 张三丰 | 审核人： | 李四光), in the facilities and quota tables."""
    path = mini / "facilities.csv"
    fac = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    fac.loc[len(fac)] = ["填表人：", "张三丰", "审核人：", "李四光", "", "", ""]
    fac.loc[len(fac)] = ["填表日期：2024年6月", "", "联系电话", "139 1234 5678", "", "", ""]
    fac.to_csv(path, index=False, encoding="gb18030")
    quota = pd.read_csv(mini / "quota.csv", dtype=str)
    quota.loc[len(quota)] = ["制表人：欧阳修远", "", ""]
    quota.to_csv(mini / "quota.csv", index=False)
    res = cli(mini)
    assert res.code == 0, res.err
    _assert_nowhere(res.out, "张三丰", "李四光", "欧阳修远", "1234 5678")
    rej = rejected(res.out)
    footers = rej[rej["reason"].str.contains("signature line")]
    assert {(r.file, r.row) for r in footers.itertuples()} == {
        ("facilities.csv", str(len(fac))), ("facilities.csv", str(len(fac) + 1)),
        ("quota.csv", str(len(quota) + 1))}
    assert (footers["record"] == "").all()
