"""The province roll-up of a batch: ``province_progress.xlsx``, ``summary.json`` and
``province_map.png`` from the county output folders.

Every figure is a sum of the counties' own outputs: town rows come from each county's
``progress.csv``, county totals from its ``run.json`` (checked against the town rows), and
city and province totals are sums of the county totals. The city of a county is the one
whose 4-digit code prefixes the county code in the reference divisions
(``data/reference/jiangsu_divisions.csv``); a county outside it is put under "其他".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner._errors import InputFileError
from planner.glossary import KINDS
from planner.report.tables import write_json

#: output file names
FILES = {"xlsx": "province_progress.xlsx", "summary": "summary.json",
         "map": "province_map.png"}
_COUNT_SUBS = ("required", "built", "missing")
_OTHER_CITY = ("", "其他")


def read_county(folder: Path) -> tuple[dict, pd.DataFrame]:
    """A finished county's ``run.json`` and its town rows (``progress.csv``)."""
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    towns = pd.read_csv(folder / "progress.csv", dtype={"town_code": str}, encoding="utf-8-sig")
    return run, towns


def cities(divisions: Path | None = None) -> dict[str, tuple[str, str]]:
    """4-digit city code -> (city code, city name), from the reference divisions."""
    from planner import datasets

    path = divisions or datasets.reference("divisions")
    table = pd.read_csv(path, dtype=str, usecols=["city_code", "city_name"]).drop_duplicates()
    return {r.city_code: (r.city_code, r.city_name) for r in table.itertuples()}


def county_totals(run: dict) -> dict:
    """The additive figures of one ``run.json``: quota counts per kind, villages, ...

    ``villages`` and ``villages_with_care_point`` are those of the quota towns when there
    is a quota (as in ``run.json``'s quota totals), else of all towns.
    """
    quota = run.get("quota") or {}
    water = run.get("water") or {}
    out = {"towns": int(run["towns"]),
           "villages": int(quota["villages"] if quota else run["villages"]),
           "villages_with_care_point": int(quota["villages_with_care_point"]) if quota
           else None,
           "facilities": int(sum((run.get("facilities") or {}).values())),
           "rejected": int(run.get("rejected", 0)),
           "proposed_sites": int((run.get("proposals") or {}).get("sites", 0)),
           "proposed_kits": int(water.get("proposed_kits", 0))}
    for kind in KINDS:
        if isinstance(quota.get(kind), dict):
            for sub in _COUNT_SUBS:
                out[f"{sub}_{kind}"] = int(quota[kind][sub])
    return out


def _frames(folders: Sequence[Path], city_of: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Town rows and county rows of all counties, each with city and county columns."""
    towns, counties = [], []
    for folder in folders:
        run, table = read_county(folder)
        code = str(run.get("county_code") or "")
        city_code, city_name = city_of.get(code[:4], _OTHER_CITY)
        ids = {"city_code": city_code, "city_name": city_name, "county_code": code,
               "county_name": run["workspace"]}
        tot = county_totals(run)
        if tot["villages_with_care_point"] is None:
            tot["villages_with_care_point"] = int(table["villages_with_care_point"].sum())
        for kind in KINDS:
            if f"required_{kind}" in table.columns:
                done = np.minimum(table[f"built_{kind}"], table[f"required_{kind}"]).sum()
                tot[f"done_{kind}"] = int(done)
                _check(folder, kind, table, tot)
        counties.append({**ids, **tot, "folder": str(folder)})
        towns.append(table.assign(**ids))
    town_frame = pd.concat(towns, ignore_index=True) if towns else pd.DataFrame()
    return town_frame, pd.DataFrame(counties)


def _check(folder: Path, kind: str, table: pd.DataFrame, tot: dict) -> None:
    """run.json and progress.csv of one county must agree (else the folder is stale)."""
    for sub in _COUNT_SUBS:
        if int(table[f"{sub}_{kind}"].sum()) != tot.get(f"{sub}_{kind}"):
            raise InputFileError(f"{folder}: run.json and progress.csv disagree on {sub} "
                             f"{kind}; run the county again (planner batch --force)")


def _kinds(frame: pd.DataFrame) -> list[str]:
    return [k for k in KINDS if f"required_{k}" in frame.columns]


def _sum(frame: pd.DataFrame, kinds: list[str]) -> dict:
    """Totals of county rows (counts added; percentages recomputed from the sums)."""
    out: dict = {"counties": len(frame)}
    for col in ("towns", "villages", "villages_with_care_point", "facilities", "rejected",
                "proposed_sites", "proposed_kits"):
        out[col] = int(frame[col].sum())
    out["village_coverage_pct"] = _pct(out["villages_with_care_point"], out["villages"])
    out["quota"] = {}
    for kind in kinds:
        has = frame[f"required_{kind}"].notna()
        part = frame[has]
        entry = {sub: int(part[f"{sub}_{kind}"].sum()) for sub in _COUNT_SUBS}
        entry["percent"] = _pct(int(part[f"done_{kind}"].sum()), entry["required"],
                                empty=100.0)
        entry["counties"] = int(has.sum())
        out["quota"][kind] = entry
    return out


def _pct(part: float, whole: float, *, empty: float | None = None) -> float | None:
    return round(100.0 * part / whole, 1) if whole else empty


def summarise(folders: Sequence[Path], *, divisions: Path | None = None) -> dict:
    """The roll-up as plain data: province, city and county totals, and the town rows."""
    towns, counties = _frames(folders, cities(divisions))
    if counties.empty:
        return {"province": {"counties": 0}, "cities": [], "counties": [], "kinds": [],
                "_towns": towns, "_counties": counties}
    kinds = _kinds(counties)
    counties = counties.sort_values(["city_code", "county_code"], kind="stable")
    by_city = []
    for (code, name), part in counties.groupby(["city_code", "city_name"], sort=True):
        by_city.append({"city_code": code, "city_name": name, **_sum(part, kinds)})
    county_rows = []
    for row in counties.to_dict("records"):
        one = pd.DataFrame([row])
        county_rows.append({k: row[k] for k in ("city_code", "city_name", "county_code",
                                                "county_name")} | _sum(one, kinds))
    return {"province": _sum(counties, kinds), "cities": by_city, "counties": county_rows,
            "kinds": kinds, "_towns": towns, "_counties": counties}


def write_rollup(folders: Sequence[Path], *, out: Path, failed: Sequence[dict] = (),
                 seconds: float | None = None, divisions: Path | None = None) -> dict:
    """Write ``province_progress.xlsx``, ``summary.json`` and ``province_map.png`` to ``out``.

    Parameters
    ----------
    folders : sequence of Path
        Output folders of finished counties (each with ``run.json`` and ``progress.csv``).
    failed : sequence of dict
        Counties that failed (``key``, ``error``, ``log``): listed, not counted.
    seconds : float, optional
        Wall time of the batch, recorded in ``summary.json``.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = summarise(folders, divisions=divisions)
    towns, counties = data.pop("_towns"), data.pop("_counties")
    data["failed"] = [{k: c.get(k) for k in ("key", "workspace", "error", "log")}
                      for c in failed]
    if seconds is not None:
        data["batch_seconds"] = seconds
    write_json(data, out / FILES["summary"])
    from planner.report._province_xlsx import write_province_xlsx

    write_province_xlsx(out / FILES["xlsx"], summary=data, towns=towns)
    if len(counties):
        from planner.report._province_map import write_province_map

        write_province_map(out / FILES["map"], counties=counties)
    return data
