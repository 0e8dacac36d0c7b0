"""Zero-width and bidi characters pasted from chat apps and web pages: removed when a file
is read and listed as repairs, so duplicates are still found and no output carries them."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from planner.load.invisible import INVISIBLE
from tests.badinputs._scan import output_texts

ZW, RLO, BOM, ZWJ = "\u200b", "\u202e", "\ufeff", "\u200d"


def test_invisible_characters_are_removed_and_listed(mini, cli):
    path = mini / "facilities.csv"
    fac = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    first = fac.iloc[0].copy()
    twin = first.copy()  # the same care home pasted again from a chat, 50 m east
    twin["名称"] = first["名称"][:2] + ZW + first["名称"][2:] + ZWJ
    twin["经度"] = f"{float(first['经度']) + 0.0005:.7f}"
    fac.loc[len(fac)] = twin
    fac.loc[1, "所属镇"] = RLO + fac.loc[1, "所属镇"]  # a bidi override before the town
    fac.columns = [BOM + fac.columns[0], *fac.columns[1:]]  # a BOM glued to the header
    fac.to_csv(path, index=False, encoding="utf-8")
    villages = gpd.read_file(mini / "villages.gpkg")
    villages.loc[2, "name"] = villages.loc[2, "name"] + ZW
    villages.to_file(mini / "villages.gpkg")
    res = cli(mini)
    assert res.code == 0, res.err
    repairs = pd.read_csv(res.out / "repairs.csv", dtype=str)
    cleaned = repairs[repairs["note"].str.contains("invisible characters")]
    assert {(r.file, r.row) for r in cleaned.itertuples()} == {
        ("facilities.csv", "3"), ("facilities.csv", str(len(fac) + 1)), ("villages.gpkg", "3")}
    rejected = pd.read_csv(res.out / "rejected.csv", dtype=str)
    dup = rejected[(rejected["file"] == "facilities.csv")
                   & (rejected["row"] == str(len(fac) + 1))]
    assert len(dup) == 1 and "重复" in dup["reason"].iloc[0]  # found though spelled apart
    run = json.loads((res.out / "run.json").read_text(encoding="utf-8"))
    fac_in = next(i for i in run["inputs"] if i["file"] == "facilities.csv")
    assert fac_in["repaired"] >= 2
    for name, text in output_texts(res.out).items():
        assert not INVISIBLE.search(text.replace("\ufeff", "", 1)), name
