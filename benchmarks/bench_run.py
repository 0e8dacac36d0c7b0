"""Benchmark: wall time and peak memory of `planner run` on the bundled demo.

    python benchmarks/bench_run.py [WORKSPACE] [--repeat 3] [--serial]

Runs the real command in a child process each time (a cold start, as a user sees it) and
prints the wall time of each run and the median. Memory is measured in separate runs
(``--memory-runs``), not timed: reading every process's page map every 0.1 s takes CPU
that the run would otherwise have (on 2 cores it slowed the timed run by about 0.4 s). It
is sampled over the run's whole process tree (``planner run`` forks children to run
stages beside each other, see ``planner/_beside.py``):

* peak PSS of the tree -- each shared page counted once, split between the processes
  sharing it: the memory the run really takes;
* peak RSS of the tree -- pages a forked child still shares with its parent counted
  twice (an upper bound);
* peak RSS of the largest single process.

``--serial`` sets ``PLANNER_SERIAL=1``: every stage in one process, one after another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _run_once(workspace: str, out: str, env: dict[str, str], *, sample: bool
              ) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    proc = psutil.Popen([sys.executable, "-m", "planner", "run", workspace, "--out", out,
                         "-q"], env=env)
    peak = {"pss": 0, "rss": 0, "single": 0}
    if not sample:
        proc.wait()
    while proc.poll() is None:
        pss = rss = single = 0
        try:
            tree = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            break
        for p in tree:
            try:
                info = p.memory_full_info()
            except psutil.Error:
                continue
            pss, rss, single = pss + info.pss, rss + info.rss, max(single, info.rss)
        peak = {"pss": max(peak["pss"], pss), "rss": max(peak["rss"], rss),
                "single": max(peak["single"], single)}
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"planner run failed with exit code {proc.returncode}")
    return wall, {k: v / MIB for k, v in peak.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", nargs="?", default=str(ROOT / "data"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-runs", type=int, default=2,
                        help="further runs, not timed, that sample the memory")
    parser.add_argument("--serial", action="store_true",
                        help="PLANNER_SERIAL=1: no forked stages")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.serial:
        env["PLANNER_SERIAL"] = "1"
    times, peaks = [], []
    for i in range(args.repeat + args.memory_runs):
        with tempfile.TemporaryDirectory() as out:
            wall, peak = _run_once(args.workspace, out, env, sample=i >= args.repeat)
        if i < args.repeat:
            times.append(wall)
        else:
            peaks.append(peak)
    print(f"planner run {args.workspace}" + ("  (serial)" if args.serial else ""))
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("wall time per run (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median wall time: {statistics.median(times):.2f} s")
    for key, label in (("pss", "peak PSS of the process tree"),
                       ("rss", "peak RSS of the process tree (shared pages twice)"),
                       ("single", "peak RSS of the largest process")):
        print(f"{label}: {max((p[key] for p in peaks), default=0):.0f} MiB "
              f"(of {len(peaks)} sampled runs)")


if __name__ == "__main__":
    main()
