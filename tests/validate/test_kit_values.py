"""Kit values that cannot be -- a rope of −30 m, an inspection dated next year or in 1900,
a date that is no date -- are repaired to "unknown" with the reason, the kit kept."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner.settings import load_settings
from planner.validate.intake import load_workspace


def test_impossible_kit_values_are_repaired_with_a_reason(mini):
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    rows = [  # 经度, 纬度, 救生绳, 绳长米, 最近检查
        ("120.55", "32.35", "是", "30", "2024-05-01"),   # fine
        ("120.56", "32.36", "是", "-30", "2024-05-01"),  # a stray minus
        ("120.57", "32.37", "是", "3000", future),      # a zero too many; next year
        ("120.55", "32.36", "是", "", "1900-01-00"),    # Excel's blank date
        ("120.56", "32.35", "是", "25", "上周"),         # no date at all
        ("120.54", "32.35", "是", "20", "1899-12-30"),
    ]
    table = pd.DataFrame(rows, columns=["经度", "纬度", "救生绳", "绳长米", "最近检查"])
    table.to_csv(mini / "kits.csv", index=False, encoding="utf-8")
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + (
        '\n[layers.kits]\npath = "kits.csv"\nx = "经度"\ny = "纬度"\n'
        'fields = { has_rope = "救生绳", rope_m = "绳长米", last_inspected = "最近检查" }\n'),
        encoding="utf-8")
    ws = load_workspace(load_settings(mini))
    kits = ws.extra["kits"].set_index("_row")
    assert len(kits) == len(rows)  # every kit kept
    assert kits.loc[2, "rope_m"] == 30.0
    assert np.isnan(kits.loc[3, "rope_m"]) and np.isnan(kits.loc[4, "rope_m"])
    assert kits.loc[2, "last_inspected"] == pd.Timestamp("2024-05-01")
    assert kits.loc[[4, 5, 6, 7], "last_inspected"].isna().all()
    notes = {}
    for rec in ws.ledger.repairs:
        if rec["file"] == "kits.csv":
            notes.setdefault(rec["row"], []).append(rec["note"])
    assert set(notes) == {3, 4, 5, 6, 7}
    assert "-30" in notes[3][0] and "impossible" in notes[3][0]
    assert any("future" in n for n in notes[4]) and any("3000" in n for n in notes[4])
    assert "not a date" in notes[6][0] and "上周" in notes[6][0]
    assert any("before 1990" in n for n in notes[7])
    # completeness is judged on the repaired values, by the one rule: a rope of unknown
    # length counts, as the -30 m rope now is (only the rope is given: no kit is complete)
    from planner.core.water_model import complete_kits
    from planner.glossary import KIT_ITEMS

    again = complete_kits(kits[list(KIT_ITEMS)].to_numpy(bool), kits["rope_m"].to_numpy(float),
                          min_rope_m=ws.settings.water.min_rope_m)
    assert kits["complete"].tolist() == again.tolist()


def test_a_repaired_rope_is_judged_again(mini):
    """A complete kit with a −30 m rope: short as written, unknown once repaired, so the
    kit counts as complete (as any kit with a rope of unknown length)."""
    table = pd.DataFrame([("120.56", "32.36", "是", "是", "是", "是", "-30")],
                         columns=["经度", "纬度", "警示牌", "救生圈", "救生绳", "救生杆", "绳长米"])
    table.to_csv(mini / "kits.csv", index=False, encoding="utf-8")
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + (
        '\n[layers.kits]\npath = "kits.csv"\nx = "经度"\ny = "纬度"\n'
        'fields = { has_sign = "警示牌", has_lifebuoy = "救生圈", has_rope = "救生绳", '
        'has_pole = "救生杆", rope_m = "绳长米" }\n'), encoding="utf-8")
    kits = load_workspace(load_settings(mini)).extra["kits"]
    assert np.isnan(kits["rope_m"].iloc[0]) and bool(kits["complete"].iloc[0])
