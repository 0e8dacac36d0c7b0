"""Benchmark: wall time and peak memory of `planner run` on the bundled demo.

    python benchmarks/bench_run.py [WORKSPACE] [--repeat 3]

Runs the real command in a child process each time (a cold start, as a user sees it) and
prints the wall time of each run, the median, and the child's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", nargs="?", default=str(ROOT / "data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "planner", "run", args.workspace, "--out", out],
                           check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"planner run {args.workspace}")
    print("wall time per run (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median wall time: {statistics.median(times):.2f} s")
    print(f"peak memory (max RSS of a run): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
