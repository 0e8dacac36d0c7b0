"""Matching written village names: exact, normalised, unambiguous prefix, never a guess."""

import pandas as pd

from planner.core.names import VillageIndex, match_towns, village_norm, village_stem

VILLAGES = pd.DataFrame({
    "village_code": ["1", "2", "3", "4", "5", "6"],
    "village_name": ["丁北村委会", "新庄社区居委会", "新庄村委会", "长江新村村民委员会",
                     "东陈村委会", "东陈村委会"],
    "town_code": ["A", "A", "A", "A", "A", "B"],
})
INDEX = VillageIndex.of(VILLAGES)


def test_norm_and_stem_fold_suffixes_width_and_spaces():
    assert village_norm("丁北村委会") == village_norm(" 丁 北 村 ") == "丁北村"
    assert village_norm("新庄居委会") == village_norm("新庄社区居民委员会") == "新庄社区"
    assert village_stem("丁北村委会") == village_stem("丁北") == "丁北"
    assert village_norm("ＡＢ村委会（新）") == "AB村"


def test_stages_in_order():
    assert INDEX.match(name="丁北村委会", town="A").method == "exact"
    hit = INDEX.match(name="丁北村", town="A")
    assert (hit.code, hit.method) == ("1", "normalised")
    assert INDEX.match(name="丁北", town="A").method == "normalised"
    hit = INDEX.match(name="长江", town="A")  # the beginning of one village's name
    assert (hit.code, hit.method) == ("4", "prefix")
    assert INDEX.match(code="3").method == "code"
    assert INDEX.match(code="99").code == ""


def test_never_a_guess_between_two():
    hit = INDEX.match(name="新庄", town="A")  # 新庄社区 and 新庄村 share the stem
    assert hit.code == "" and hit.method == "ambiguous" and set(hit.candidates) == {"2", "3"}
    assert INDEX.match(name="新庄村", town="A").code == "3"  # normalised name is unique
    assert INDEX.match(name="东陈村").method == "ambiguous"  # two towns, none declared
    assert INDEX.match(name="东陈村", town="B").code == "6"
    assert INDEX.match(name="西", town="A").code == ""  # too short for a prefix


def test_match_towns_by_code_name_alias_stem():
    towns = pd.DataFrame({"town_code": ["T1", "T2"], "town_name": ["白蒲镇", "如城街道"]})
    codes, how = match_towns(pd.Series(["白蒲", "T2", "城北", "无此镇"]), towns,
                             aliases={"城北": "如城街道"})
    assert codes.tolist() == ["T1", "T2", "T2", ""]
    assert how.tolist() == ["stem", "code", "alias", ""]
