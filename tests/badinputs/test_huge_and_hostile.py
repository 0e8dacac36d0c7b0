"""Huge inputs and hostile text: bounded work, nothing lost, nothing live."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.badinputs._scan import live_formulas, output_texts


def _facilities(mini) -> pd.DataFrame:
    return pd.read_csv(mini / "facilities.csv", dtype=str, encoding="gb18030",
                       keep_default_na=False)


@pytest.mark.slow
def test_a_list_pasted_twenty_thousand_times(mini, cli):
    """Every copy of a pasted row is rejected as a duplicate of its first; books balance."""
    frame = _facilities(mini)
    row = frame.iloc[[3]]  # 甲山镇儿童关爱之家, inside the county
    pasted = pd.concat([frame] + [row] * 20_000, ignore_index=True)
    pasted.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini, "check")
    assert res.code == 0
    line = next(x for x in res.stdout.splitlines() if x.startswith("facilities"))
    assert "read  20009  accepted      6  rejected 20003" in line
    assert "rejected facilities.csv row 11: 重复记录 / duplicate of facilities.csv row 5 " \
           "(0 m apart): keep one" in res.stdout


def test_html_in_names_is_escaped_in_the_report(mini, cli):
    frame = _facilities(mini)
    frame.iloc[0, 0] = "<script>alert(1)</script>"
    frame.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    report = (res.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in report


def test_control_characters_and_long_names(mini, cli):
    frame = _facilities(mini)
    frame.iloc[0, 0] = "东村\x07儿童之家\x00"
    frame.iloc[1, 0] = "长" * 5000
    frame.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    assert live_formulas(res.out) == []
    inputs = json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]
    fac = next(i for i in inputs if i["layer"] == "facilities")
    assert fac["read"] == fac["accepted"] + fac["rejected"] == 9


def test_every_output_is_free_of_live_formulas_on_the_mini(mini_result):
    texts = output_texts(mini_result.out)
    assert "progress.xlsx" in texts
    assert live_formulas(mini_result.out) == []
