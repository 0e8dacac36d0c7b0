"""The demo's staff table (儿童工作队伍): counts only, in the form ``planner init`` writes
(``staff/staff.xlsx``, sheet 工作人员: 村居或镇代码, 名称, 所属镇, 岗位, 人数, 已培训).

Synthesised, plausible, not real: one 儿童主任 per village, a few villages without one
(posts vacant) and some large villages with two; one 儿童督导员 per town-level unit, a
couple vacant; most trained. Its own random stream (``seed`` and a fixed offset), so that
adding it changed no other file of the demo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.glossary import STAFF_ROLES

#: the share of villages without a 儿童主任, of large villages (more than
#: :data:`LARGE` children) with two, of towns without a 儿童督导员, and the trained share
VACANT_VILLAGES, SECOND_DIRECTOR, VACANT_TOWNS, TRAINED = 0.04, 0.25, 0.1, 0.85
LARGE = 800
#: added to the demo's seed: the staff table's own random stream
STREAM = 26


def staff_table(villages: pd.DataFrame, towns: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """One row per village (儿童主任) and per town (儿童督导员), counts only.

    ``villages``: village_code, village_name, town_name, children; ``towns``: town_code,
    town_name.
    """
    rng = np.random.default_rng(seed + STREAM)
    kids = pd.to_numeric(villages["children"], errors="coerce").fillna(0).to_numpy()
    directors = np.ones(len(villages), dtype=np.int64)
    directors[(kids > LARGE) & (rng.random(len(villages)) < SECOND_DIRECTOR)] = 2
    directors[rng.random(len(villages)) < VACANT_VILLAGES] = 0
    supervisors = (rng.random(len(towns)) >= VACANT_TOWNS).astype(np.int64)
    frame = pd.concat([
        pd.DataFrame({"村居或镇代码": villages["village_code"].astype(str).to_numpy(),
                      "名称": villages["village_name"].to_numpy(),
                      "所属镇": villages["town_name"].to_numpy(),
                      "岗位": STAFF_ROLES["child_director"], "人数": directors}),
        pd.DataFrame({"村居或镇代码": towns["town_code"].astype(str).to_numpy(),
                      "名称": towns["town_name"].to_numpy(),
                      "所属镇": towns["town_name"].to_numpy(),
                      "岗位": STAFF_ROLES["child_supervisor"], "人数": supervisors}),
    ], ignore_index=True)
    frame["已培训"] = rng.binomial(frame["人数"].to_numpy(), TRAINED)
    return frame


def write_staff(out: Path, villages: pd.DataFrame, towns: pd.DataFrame, *,
                seed: int) -> tuple[str, dict]:
    """``staff/staff.xlsx`` of a workspace in ``out``; its ``planner.toml`` lines and counts."""
    frame = staff_table(villages, towns, seed=seed)
    path = out / "staff" / "staff.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_excel(path, index=False, sheet_name="工作人员")
    toml = "\n".join([
        "# Synthetic staff table, counts only (see README.md).",
        "[layers.staff]", 'path = "staff/staff.xlsx"', 'vintage = "2021年"',
        'fields = { code = "村居或镇代码", role = "岗位", count = "人数", trained = "已培训" }',
        "",
    ])
    directors = frame["岗位"] == STAFF_ROLES["child_director"]
    return toml + "\n", {"child_directors": int(frame.loc[directors, "人数"].sum()),
                         "child_supervisors": int(frame.loc[~directors, "人数"].sum())}
