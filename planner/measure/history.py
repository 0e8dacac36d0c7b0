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
    """``progress.csv`` and ``run.json`` of an output folder.

    ``progress.csv`` is read as ``planner run`` reads a table: re-saved by Excel it may be
    GBK, UTF-16 or tab-separated, and its numbers are read back from text.
    """
    from planner.load.files import detect_encoding, sniff_delimiter

    folder = Path(folder)
    for name in ("progress.csv", "run.json"):
        if not (folder / name).is_file():
            raise InputFileError(f"{folder / name}: file not found; give the output folder "
                                 "of a planner run")
    path = folder / "progress.csv"
    encoding = detect_encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as handle:
            sep = sniff_delimiter(handle.readline())
        progress = pd.read_csv(path, dtype=str, encoding=encoding, sep=sep,
                               keep_default_na=False)
    except (UnicodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: not readable as a planner progress table ({exc}); "
                             "give the progress.csv of a planner run") from exc
    progress.columns = [str(c).strip() for c in progress.columns]
    for col in progress.columns:
        if col.startswith(("built_", "missing_", "required_")):
            progress[col] = pd.to_numeric(progress[col].str.replace(",", "").str.strip(),
                                          errors="coerce").fillna(0)
    if "town_code" not in progress.columns or "town_name" not in progress.columns:
        raise InputFileError(f"{path}: columns town_code and town_name missing; give the "
                             "progress.csv of a planner run")
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (UnicodeError, ValueError) as exc:
        raise InputFileError(f"{folder / 'run.json'}: not a planner run.json ({exc}); run "
                             "planner again into that folder") from exc
    return progress, run if isinstance(run, dict) else {}


def same_county(earlier: dict, current: dict, *, folders: tuple[Path, Path]) -> None:
    """Refuse (one line) to compare the runs of two different counties."""
    for key in ("county_code", "workspace"):
        a, b = earlier.get(key), current.get(key)
        if a and b:
            if str(a) != str(b):
                raise InputFileError(
                    f"{folders[0]} 与 {folders[1]} 是两个不同的县（{key} {a} ≠ {b}），"
                    "不能比较进度；请给同一个县两次运行的成果文件夹 / the two folders hold "
                    "runs of different counties; give two output folders of the same county")
            return


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
    out = current[["town_code", "town_name"]].copy()
    out["town_code"] = out["town_code"].astype(str)
    key = "town_code"
    codes = set(earlier["town_code"].astype(str))
    if out["town_code"].isin(codes).sum() * 2 < len(out):  # codes mangled (Excel: 3.2E+08)
        key = "town_name"
    then = earlier.drop_duplicates(key).set_index(earlier.drop_duplicates(key)[key].astype(str))
    left = None if target_year is None else quarters_left(today or dt.date.today(),
                                                          target_year)
    for kind in kinds:
        now = current[f"built_{kind}"].to_numpy(dtype=np.float64).astype(np.int64)
        before = (then[f"built_{kind}"].reindex(out[key].astype(str)).fillna(0)
                  .to_numpy(dtype=np.int64) if f"built_{kind}" in then else np.zeros_like(now))
        out[f"built_then_{kind}"] = before
        out[f"built_now_{kind}"] = now
        out[f"built_since_{kind}"] = now - before
        remaining = current[f"missing_{kind}"].to_numpy(dtype=np.float64).astype(np.int64)
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
    same_county(run_before, run_now, folders=(Path(earlier), Path(current)))
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
