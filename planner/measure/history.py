"""Progress over time: compare this run's quota progress with an earlier run's.

Per town and quota kind: built then and now, built since, what remains, and -- with a
target date (e.g. Jiangsu's 十四五 target: end of 2025) -- the pace needed per quarter
to close the gap in time. Both runs are read from their output folders (``progress.csv``
and ``run.json``), so any two reports can be compared, e.g. for a quarterly 通报.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from planner._errors import InputFileError


class EarlierRun(NamedTuple):
    """An earlier run's output folder as read by :func:`read_earlier`."""

    folder: Path
    progress: pd.DataFrame
    run: dict


def read_run(folder: str | Path) -> tuple[pd.DataFrame, dict]:
    """``progress.csv`` and ``run.json`` of an output folder."""
    folder = Path(folder)
    for name in ("progress.csv", "run.json"):
        if not (folder / name).is_file():
            raise InputFileError(f"{folder / name}: file not found; give the output folder "
                                 "of a planner run")
    progress = pd.read_csv(folder / "progress.csv", dtype={"town_code": str},
                           encoding="utf-8-sig")
    return progress, json.loads((folder / "run.json").read_text(encoding="utf-8"))


def read_earlier(folder: str | Path) -> EarlierRun:
    """The earlier run ``planner run --since FOLDER`` compares with (read before the run
    writes anything, so the folder may be the one the run writes into)."""
    progress, run = read_run(folder)
    return EarlierRun(Path(folder), progress, run)


def change_since(earlier: EarlierRun, progress: pd.DataFrame, *, quota: dict,
                 kinds: list[str]) -> dict:
    """What changed since ``earlier`` (``run.json`` ``since``): its date and period, and per
    quota kind built then and now, built since (:func:`compare`), what remains and the
    completion rate then, now and its change in percentage points. A kind the earlier run
    had no quota for counts as 0 built then and has no earlier rate."""
    table = compare(earlier.progress, progress, kinds=kinds)
    tot = totals(table, kinds=kinds)
    before = earlier.run.get("quota") or {}
    out: dict = {"folder": str(earlier.folder), "as_of": earlier.run.get("as_of"),
                 "period": earlier.run.get("period"), "kinds": {}}
    for kind in kinds:
        then = (before.get(kind) or {}).get("percent")
        now = quota[kind]["percent"]
        out["kinds"][kind] = {
            **tot[kind], "percent_then": then, "percent_now": now,
            "percent_change": None if then is None else round(now - then, 1)}
    return out


def quarters_left(today: dt.date, target_year: int) -> int:
    """Whole or started quarters from ``today`` to the end of ``target_year`` (0 if past)."""
    if today.year > target_year:
        return 0
    return (target_year - today.year) * 4 + (4 - (today.month - 1) // 3)


def compare(earlier: pd.DataFrame, current: pd.DataFrame, *, kinds: list[str],
            target_year: int | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Per town (``current``'s rows) and kind: ``built_then_``, ``built_now_``,
    ``built_since_`` (now − then; negative when a site was closed or no longer counts),
    ``remaining_`` (missing now) and, with ``target_year``, ``per_quarter_`` (remaining ÷
    quarters left, rounded up; the remaining number itself when no quarter is left).

    Towns missing from ``earlier`` count as 0 built then.
    """
    then = earlier.set_index(earlier["town_code"].astype(str))
    out = current[["town_code", "town_name"]].copy()
    out["town_code"] = out["town_code"].astype(str)
    left = None if target_year is None else quarters_left(today or dt.date.today(),
                                                          target_year)
    for kind in kinds:
        now = current[f"built_{kind}"].to_numpy(dtype=np.int64)
        before = (then[f"built_{kind}"].reindex(out["town_code"]).fillna(0)
                  .to_numpy(dtype=np.int64) if f"built_{kind}" in then else np.zeros_like(now))
        out[f"built_then_{kind}"] = before
        out[f"built_now_{kind}"] = now
        out[f"built_since_{kind}"] = now - before
        remaining = current[f"missing_{kind}"].to_numpy(dtype=np.int64)
        out[f"remaining_{kind}"] = remaining
        if left is not None:
            out[f"per_quarter_{kind}"] = [math.ceil(r / left) if left else int(r)
                                          for r in remaining]
    return out


def totals(table: pd.DataFrame, *, kinds: list[str]) -> dict:
    """County totals of :func:`compare` per kind (JSON-ready)."""
    out = {}
    for kind in kinds:
        cols = [c for c in table.columns if c.endswith(f"_{kind}")]
        out[kind] = {c.removesuffix(f"_{kind}"): int(table[c].sum()) for c in cols}
    return out


def compare_folders(earlier: str | Path, current: str | Path, *,
                    target_year: int | None = None,
                    today: dt.date | None = None) -> tuple[pd.DataFrame, dict, list[str]]:
    """:func:`compare` of two output folders: the table, its totals and Chinese lines."""
    from planner.glossary import SHORT_LABELS

    before, run_before = read_run(earlier)
    now, run_now = read_run(current)
    kinds = [k for k, v in (run_now.get("quota") or {}).items()
             if isinstance(v, dict) and "required" in v and f"built_{k}" in now.columns]
    table = compare(before, now, kinds=kinds, target_year=target_year, today=today)
    tot = totals(table, kinds=kinds)
    lines = []
    for kind in kinds:
        t = tot[kind]
        text = (f"{SHORT_LABELS.get(kind, kind)}：上次已建 {t['built_then']}，本次已建 "
                f"{t['built_now']}，新增 {t['built_since']}，尚缺 {t['remaining']}")
        if target_year is not None:
            text += f"；到{target_year}年底每季度需建 {t['per_quarter']}（各镇合计）"
        lines.append(text)
    return table, tot, lines


def compare_sheet(table: pd.DataFrame, *, kinds: list[str]) -> pd.DataFrame:
    """The table of :func:`compare` with Chinese headers (for ``进度对比.xlsx``)."""
    from planner.glossary import SHORT_LABELS

    subs = {"built_then": "上次已建", "built_now": "本次已建", "built_since": "期间新增",
            "remaining": "尚缺", "per_quarter": "每季度需建"}
    cols = {"镇（区、街道）": table["town_name"]}
    for kind in kinds:
        for key, text in subs.items():
            if f"{key}_{kind}" in table.columns:
                cols[f"{SHORT_LABELS.get(kind, kind)}{text}"] = table[f"{key}_{kind}"]
    return pd.DataFrame(cols)
