"""Benchmark: build and run all of Jiangsu with ``planner batch``; wall time and peak memory.

    python benchmarks/bench_province.py [--out DIR] [--workers 2] [--no-extras] [--codes ...]

Phase 1 builds a demo workspace for every county-level unit of the reference data (104,
``scripts/build_demo.py --province``), phase 2 runs them with :func:`planner.batch.batch`
(one dask task per county on a local cluster) and writes the province roll-up. Printed:
the wall time of each phase, the peak memory of the whole process tree (this process, the
dask scheduler and its workers, summed, sampled every 0.2 s with psutil), the largest
single worker, and the size of the outputs. ``--codes`` limits the run to some counties.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import psutil


class _PeakMemory:
    """Samples the summed RSS of this process and all its descendants in a thread."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    from planner.batch import batch
    from scripts.synth.province import build_province, county_codes

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="working folder (default: a temporary one)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-extras", action="store_true", help="no roads and water layers")
    ap.add_argument("--codes", nargs="*", help="only these county codes")
    ap.add_argument("--skip-build", action="store_true", help="reuse OUT/workspaces")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        spaces, out = root / "workspaces", root / "batch"
        codes = args.codes or county_codes()
        with _PeakMemory() as mem_build:
            t0 = time.perf_counter()
            if not args.skip_build:
                build_province(spaces, codes=codes, extras=not args.no_extras,
                               workers=args.workers, echo=lambda _l: None)
            t_build = time.perf_counter() - t0
        with _PeakMemory() as mem_run:
            t0 = time.perf_counter()
            result = batch([spaces / c for c in codes], out=out, workers=args.workers,
                           force=True, echo=lambda _l: None, bar=False)
            t_run = time.perf_counter() - t0
        prov = result.summary["province"]
        worst = max((c.get("peak_rss_mib") or 0 for c in result.counties), default=0)
        print(f"Jiangsu demo: {len(codes)} county-level units, {prov['towns']:,} towns, "
              f"{prov['villages']:,} villages; extras (roads, water): {not args.no_extras}; "
              f"workers: {args.workers or 'default'}")
        print(f"build workspaces: {t_build:7.1f} s wall, peak memory "
              f"{mem_build.peak / 2**20:,.0f} MiB (process tree); "
              f"{_size(spaces) / 2**20:,.0f} MiB of inputs")
        print(f"planner batch:    {t_run:7.1f} s wall, peak memory "
              f"{mem_run.peak / 2**20:,.0f} MiB (process tree), largest worker {worst} MiB; "
              f"{_size(out) / 2**20:,.0f} MiB of outputs; failed {len(result.failed)}")
        print(f"total:            {t_build + t_run:7.1f} s (target <= 600 s on 2 cores)")


if __name__ == "__main__":
    main()
