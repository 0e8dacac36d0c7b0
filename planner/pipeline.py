"""The pipeline: load -> validate -> locate -> measure -> propose -> report.

:func:`run` executes the stages in order, prints progress, times each stage and writes
the outputs of the contract in DESIGN.md into the output folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from .config import Config, load_config
from .locate import disagreements, locate_facilities
from .progress import quota_findings, quota_progress, totals
from .quota import QuotaTable, read_quota
from .report import (
    summary_lines,
    villages_table,
    write_csv,
    write_json,
    write_progress_xlsx,
)
from .workspace import Workspace, load_workspace

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


@dataclass
class RunResult:
    """What a run produced: the validated workspace, the tables and ``run.json``."""

    workspace: Workspace
    quota: QuotaTable | None
    progress: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    run: dict
    out: Path | None
    tables: dict = field(default_factory=dict)


class _Stages:
    """Prints ``[i/n] stage ...`` lines and records each stage's seconds."""

    def __init__(self, names: list[str], echo: Callable[[str], None]):
        self.names, self.echo, self.seconds = names, echo, {}

    def __call__(self, name: str):
        stages = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()
                i = stages.names.index(name) + 1
                stages.echo(f"[{i}/{len(stages.names)}] {name} ...")

            def __exit__(self, *exc):
                stages.seconds[name] = round(time.perf_counter() - self.t0, 3)
                return False

        return _Stage()


def validate(config: Config) -> tuple[Workspace, QuotaTable | None]:
    """Load, validate and locate: everything ``planner check`` does."""
    ws = load_workspace(config)
    ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                      tolerance_m=config.locate_tolerance_m,
                                      aliases=config.aliases, ledger=ws.ledger)
    quota = None
    if config.quota is not None:
        quota = read_quota(config.quota, ws.towns, aliases=config.aliases, ledger=ws.ledger)
    return ws, quota


def run(workspace: str | Path | None = None, *, out: str | Path | None = None,
        echo: Callable[[str], None] = print, write: bool = True) -> RunResult:
    """Run every stage on a workspace and write the outputs.

    Parameters
    ----------
    workspace : path, optional
        Workspace folder or its ``planner.toml``; the bundled demo if omitted.
    out : path, optional
        Output folder; default ``outputs/<workspace name>/`` in the current directory.
    echo : callable
        Where progress lines go (``print`` by default).
    write : bool
        Write the output files (tests of the numbers may skip it).
    """
    config = load_config(workspace or DEMO)
    stages = _Stages(["load + validate", "locate", "measure", "report"], echo)
    with stages("load + validate"):
        ws = load_workspace(config)
    with stages("locate"):
        ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                          tolerance_m=config.locate_tolerance_m,
                                          aliases=config.aliases, ledger=ws.ledger)
        quota = None
        if config.quota is not None:
            quota = read_quota(config.quota, ws.towns, aliases=config.aliases,
                               ledger=ws.ledger)
    with stages("measure"):
        progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                                  quota=quota)
        kinds = list(quota.kinds) if quota else []
        findings = ws.findings + quota_findings(progress, quota=quota)
        vtable = villages_table(ws.villages, ws.facilities)
        conflicts = disagreements(ws.facilities)
    problems = ws.ledger.reconcile()
    if problems:  # a bug, not bad input: the books must balance
        raise RuntimeError("ledger does not balance: " + "; ".join(problems))
    result_run = {
        "workspace": config.name,
        "county_code": config.county_code,
        "metric_crs": ws.crs.to_string(),
        "inputs": ws.ledger.summary(),
        "rejected": len(ws.ledger.rejected),
        "repaired": len(ws.ledger.repairs),
        "towns": len(ws.towns),
        "villages": len(ws.villages),
        "facilities": {k: int(v) for k, v in ws.facilities["kind"].value_counts().items()},
        "quota": totals(progress, kinds=kinds) if quota else None,
        "quota_matching": (quota.table[["quota_town", "town_code", "match"]].to_dict("records")
                           if quota else []),
        "towns_without_quota": quota.towns_without_quota if quota else [],
        "located_disagreements": conflicts.drop(columns=["_row"]).assign(
            row=conflicts["_row"]).to_dict("records"),
        "findings": findings,
        "timings_s": stages.seconds,
    }
    result = RunResult(workspace=ws, quota=quota, progress=progress, villages=vtable,
                       run=result_run, out=None,
                       tables={"disagreements": conflicts})
    if write:
        with stages("report"):
            out_dir = Path(out) if out else Path("outputs") / config.name
            out_dir.mkdir(parents=True, exist_ok=True)
            _write(result, out_dir, kinds=kinds)
            result.out = out_dir
        result_run["timings_s"] = stages.seconds
        write_json(result_run, out_dir / "run.json")
        _summary(result, kinds=kinds, echo=echo)
    return result


def _write(result: RunResult, out: Path, *, kinds: list[str]) -> None:
    ws = result.workspace
    write_csv(result.progress, out / "progress.csv")
    write_csv(result.villages, out / "villages.csv")
    write_csv(ws.ledger.rejected_frame(), out / "rejected.csv")
    write_csv(ws.ledger.repairs_frame(), out / "repairs.csv")
    fac = ws.facilities.drop(columns=["geometry"]).assign(
        lon=ws.facilities.geometry.x.round(6), lat=ws.facilities.geometry.y.round(6))
    write_csv(fac.rename(columns={"_file": "file", "_row": "row", "_datum": "datum"}),
              out / "facilities.csv")
    title = f"{ws.config.name}儿童关爱服务阵地建设任务完成情况"
    sheets = {"村（居）": result.villages, "位置与申报不符": result.tables["disagreements"],
              "被拒记录": ws.ledger.rejected_frame()}
    write_progress_xlsx(out / "progress.xlsx", title=title, progress=result.progress,
                        kinds=kinds, sheets=sheets, findings=result.run["findings"])


def _summary(result: RunResult, *, kinds: list[str], echo: Callable[[str], None]) -> None:
    run = result.run
    echo("")
    for line in summary_lines(result.progress, kinds=kinds):
        echo(line)
    echo("")
    if run["quota"]:
        for kind in kinds:
            t = run["quota"][kind]
            echo(f"{kind}: required {t['required']}, built {t['built']}, "
                 f"missing {t['missing']}, {t['percent']}% complete")
    read = sum(i["read"] for i in run["inputs"])
    echo(f"records read {read}, rejected {run['rejected']} (rejected.csv), "
         f"repaired {run['repaired']} (repairs.csv); findings: {len(run['findings'])}")
    echo(f"outputs: {result.out}")
