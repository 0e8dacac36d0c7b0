"""Many counties at once: every workspace a task on a dask cluster, then a province roll-up.

``planner batch DIR|WORKSPACE... --out OUT`` finds the workspaces (a folder holding a
``planner.toml``, or a folder whose sub-folders hold one each), submits one
:func:`run_county` task per county to a ``dask.distributed`` cluster (a local cluster of
worker processes by default, an existing cluster with ``--scheduler ADDRESS``), and writes:

- ``OUT/counties/<key>/``: the county's usual outputs, written all or nothing
  (:mod:`planner.records.outputs`); a county whose folder holds a complete set is
  finished and is skipped on a re-run unless ``force`` (a county killed half-way is not);
- ``OUT/logs/<key>.log``: what the county printed, and the traceback if it failed;
- the province roll-up of :mod:`planner.report.province` (``province_progress.xlsx``,
  ``summary.json``, ``province_map.png``).

A failing county is reported in one line with its log and the others finish. With an
existing cluster the workers must see ``OUT`` and the workspaces at the same paths (a
shared file system), as they write the county outputs themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planner._errors import ConfigError, OutputFolderError
from planner.records.outputs import (
    files_under,
    foreign_files,
    is_complete,
    read_manifest,
    safe_name,
    write_manifest,
)

#: the batch's own files in OUT besides the county folders (written by the roll-up)
BATCH_FILES = ("batch.json", "summary.json", "province_progress.xlsx", "province_map.png",
               "province_sites.geojson")


@dataclass(frozen=True)
class County:
    """One workspace of a batch: its folder, a stable key, and where its outputs go."""

    workspace: Path
    key: str
    out: Path
    log: Path


@dataclass
class BatchResult:
    """What a batch did: per county its status (``ok``, ``skipped``, ``failed``)."""

    out: Path
    counties: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    summary: dict | None = None

    @property
    def failed(self) -> list[dict]:
        """The counties that failed, each with ``key``, ``error`` and ``log``."""
        return [c for c in self.counties if c["status"] == "failed"]


def find_workspaces(paths: Sequence[str | Path]) -> list[Path]:
    """The workspace folders named by ``paths``: each a workspace (holds ``planner.toml``)
    or a folder whose immediate sub-folders are workspaces (taken in name order)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.name == "planner.toml":
            path = path.parent
        if (path / "planner.toml").is_file():
            found.append(path.resolve())
            continue
        if not path.is_dir():
            raise ConfigError(f"{path}: no such folder; give workspace folders or a folder "
                              "of workspaces")
        subs = sorted(p.parent.resolve() for p in path.glob("*/planner.toml"))
        if not subs:
            raise ConfigError(f"{path}: neither a workspace (no planner.toml) nor a folder "
                              "of workspaces; build some with scripts/build_demo.py --province")
        found.extend(subs)
    unique = list(dict.fromkeys(found))
    if not unique:
        raise ConfigError("no workspaces given; pass workspace folders or a folder of them")
    return unique


def check_batch_out(out: Path, workspaces: Sequence[Path]) -> None:
    """Refuse (one line) a batch output folder that is a file, is or holds a workspace, or
    holds files the planner did not write (county folders are checked by their runs)."""
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out}: 这是一个文件而不是文件夹 / it is a file, not a folder; "
                                "give a folder with --out")
    for ws in workspaces:
        if out == ws or ws.is_relative_to(out) and not ws.is_relative_to(out / "counties"):
            raise OutputFolderError(
                f"{out}: 成果文件夹包含工作区 {ws}，不会写入 / the output folder is or holds a "
                "workspace; choose an empty folder with --out")
    if not out.is_dir():
        return
    ours = set((read_manifest(out) or {}).get("files", [])) | set(BATCH_FILES)
    foreign = [f for f in foreign_files(out) if f not in ours
               and not f.startswith("counties/")
               and not (f.startswith("logs/") and f.endswith(".log"))]
    if foreign:
        raise OutputFolderError(
            f"{out}: 其中有不是本程序写入的文件（{'、'.join(foreign[:3])}），不会覆盖，"
            "请用 --out 指定空文件夹或以前的批量成果文件夹 / the output folder holds files the "
            "planner did not write; choose an empty folder or an earlier batch output folder "
            "with --out")


def plan(workspaces: Sequence[Path], *, out: Path) -> list[County]:
    """Give every workspace a unique output key: its county code, else its folder name."""
    from planner._errors import PlannerError
    from planner.settings import load_settings

    counties, seen = [], set()
    for ws in workspaces:
        try:
            code = load_settings(ws).county_code
        except PlannerError:  # the county's task fails with the same message, logged
            code = None
        key = safe_name(re.sub(r"[^\w.-]+", "_", code or ws.name), fallback="county")
        base, n = key, 2
        while key in seen:
            key, n = f"{base}_{n}", n + 1
        seen.add(key)
        counties.append(County(workspace=ws, key=key, out=out / "counties" / key,
                               log=out / "logs" / f"{key}.log"))
    return counties


def run_county(workspace: str, out: str, log: str) -> dict:
    """Run one county (a dask task): outputs to ``out``, its printout to ``log``.

    Never raises for a county's own failure: returns ``status = "failed"`` with a one-line
    ``error`` (the traceback goes to the log), so that one county cannot stop the others.
    """
    from planner._errors import PlannerError
    from planner.pipeline import run

    Path(log).parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    status, error = "ok", None
    with open(log, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh), \
            contextlib.redirect_stderr(fh):
        try:
            run(workspace, out=out, echo=lambda line: print(line, flush=True))
        except PlannerError as exc:
            status, error = "failed", str(exc).splitlines()[0]
            print(f"planner: error: {exc}")
        except Exception as exc:  # a bug or a broken input; keep the others going
            status, error = "failed", f"{type(exc).__name__}: {str(exc).splitlines()[0]}" \
                if str(exc) else type(exc).__name__
            traceback.print_exc(file=fh)
    return {"status": status, "error": error, "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mib": _peak_rss_mib(), "pid": os.getpid()}


def _peak_rss_mib() -> int | None:
    """Peak resident memory of this worker process so far (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def batch(paths: Sequence[str | Path], *, out: str | Path, workers: int | None = None,
          scheduler: str | None = None, force: bool = False,
          echo: Callable[[str], None] = print, bar: bool | None = None,
          rollup: bool = True, place: str | None = None,
          place_kind: str = "care_home") -> BatchResult:
    """Run every county in ``paths`` as a dask task and write the province roll-up.

    Parameters
    ----------
    paths : sequence of path
        Workspaces, or folders of workspaces (see :func:`find_workspaces`).
    out : path
        Output folder of the batch.
    workers : int, optional
        Worker processes of the local cluster (default: the CPU count, at most 4).
        Ignored with ``scheduler``.
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``); used unchanged.
    force : bool
        Run counties again even if they finished before.
    echo : callable
        Where the per-county lines go.
    bar : bool, optional
        Draw a progress bar on stderr (default: when stderr is a terminal).
    rollup : bool
        Write the province roll-up after the counties.
    place : {"city", "province"}, optional
        Also place the missing sites of ``place_kind`` with one quota model per city or
        one for the province (:mod:`planner.propose.cross_county`): ``province_sites.geojson``
        and ``placement`` in ``summary.json``.
    """
    out = Path(out).resolve()
    workspaces = find_workspaces(paths)
    check_batch_out(out, workspaces)
    counties = plan(workspaces, out=out)
    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult(out=out)
    start = time.perf_counter()
    todo = []
    for county in counties:
        if not force and is_complete(county.out):
            result.counties.append(_record(county, {"status": "skipped", "error": None}))
        else:
            todo.append(county)
    skipped = len(counties) - len(todo)
    echo(f"{len(counties)} counties: {len(todo)} to run, {skipped} finished before "
         f"(skipped{'' if not skipped else '; --force runs them again'})")
    if todo:
        result.counties.extend(_submit(todo, workers=workers, scheduler=scheduler, echo=echo,
                                       bar=sys.stderr.isatty() if bar is None else bar))
    order = {c.key: i for i, c in enumerate(counties)}
    result.counties.sort(key=lambda c: order[c["key"]])
    result.seconds = round(time.perf_counter() - start, 2)
    if rollup:
        from planner.report.province import write_rollup

        result.summary = write_rollup(
            [Path(c["out"]) for c in result.counties if c["status"] != "failed"], out=out,
            failed=result.failed, seconds=result.seconds)
    if place:
        result.summary = _place(result, out=out, level=place, kind=place_kind, echo=echo)
    from planner.report.safe import write_document

    write_document(out / "batch.json", json.dumps(
        {"seconds": result.seconds, "counties": result.counties}, ensure_ascii=False,
        indent=1))
    write_manifest(out, [f for f in files_under(out) if not f.startswith("counties/")],
                   batch=True)
    done = sum(c["status"] == "ok" for c in result.counties)
    echo(f"finished {done}, skipped {skipped}, failed {len(result.failed)} in "
         f"{result.seconds:.1f} s; roll-up in {out}")
    for c in result.failed:
        echo(f"  failed {c['key']}: {c['error']} (log: {c['log']})")
    return result


def _place(result: BatchResult, *, out: Path, level: str, kind: str,
           echo: Callable[[str], None]) -> dict | None:
    """Place ``kind`` across the finished counties and record it in ``summary.json``."""
    from planner.propose.cross_county import place_across
    from planner.report.safe import write_geojson
    from planner.report.tables import write_json

    folders = [Path(c["out"]) for c in result.counties if c["status"] != "failed"]
    sites, placement = place_across(folders, kind=kind, level=level)
    write_geojson(sites, out / "province_sites.geojson")
    echo(f"placed {placement['sites']} new {kind} sites, one model per {level}: "
         f"{placement['objective']:,.0f} children newly within {placement['threshold_m']:g} m"
         " -> province_sites.geojson")
    summary = result.summary
    if summary is not None:
        summary["placement"] = placement
        write_json(summary, out / "summary.json")
    return summary


def _record(county: County, outcome: dict) -> dict:
    return {"key": county.key, "workspace": str(county.workspace), "out": str(county.out),
            "log": str(county.log), **outcome}


def _submit(todo: list[County], *, workers: int | None, scheduler: str | None,
            echo: Callable[[str], None], bar: bool) -> list[dict]:
    """Submit one task per county and collect the outcomes as they finish."""
    from distributed import as_completed

    records = []
    with _client(workers=workers, scheduler=scheduler, n_tasks=len(todo)) as client:
        futures = {}
        for county in todo:
            fut = client.submit(run_county, str(county.workspace), str(county.out),
                                str(county.log), key=f"county-{county.key}", pure=False)
            futures[fut] = county
        progress = _Bar(len(todo), enabled=bar)
        for i, fut in enumerate(as_completed(futures), start=1):
            county = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # the worker died (memory, signal): report, go on
                outcome = {"status": "failed", "error": f"worker lost: {type(exc).__name__}"}
            rec = _record(county, outcome)
            records.append(rec)
            line = f"[{i}/{len(todo)}] {county.key} {rec['status']}"
            if rec["status"] == "ok":
                line += f" {rec['seconds']:.1f} s"
            else:
                line += f": {rec['error']} (log: {county.log})"
            progress.clear()
            echo(line)
            progress.update(i)
        progress.close()
    return records


@contextlib.contextmanager
def _client(*, workers: int | None, scheduler: str | None, n_tasks: int):
    """A dask client: on ``scheduler`` if given, else on a new local process cluster."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ConfigError(f"cannot reach the dask scheduler at {scheduler} ({exc}); "
                              "check --scheduler, or leave it out to use a local cluster") \
                from exc
        with client:
            yield client
        return
    n = workers or min(os.cpu_count() or 1, 4)
    if n < 1:
        raise ConfigError(f"--workers {n}: give at least 1 worker")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with LocalCluster(n_workers=min(n, n_tasks), threads_per_worker=1, processes=True,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"},  # not port 8787
                      silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


class _Bar:
    """A one-line progress bar on stderr, redrawn in place (only on a terminal)."""

    def __init__(self, total: int, *, enabled: bool, width: int = 30):
        self.total, self.enabled, self.width = total, enabled, width
        self.start = time.perf_counter()
        self.update(0)

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        filled = round(self.width * done / max(self.total, 1))
        took = time.perf_counter() - self.start
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/"
                         f"{self.total} {took:5.0f} s")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (self.width + 24) + "\r")

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
