"""Province-size budgeted kit placement: the whole water-safety stage with a budget.

Synthesises the Jiangsu-like province of :mod:`benchmarks.bench_water` (about 340,000
water bodies), runs :func:`planner.propose.water_safety.water_safety` without patrols in budget
mode (``--budget`` yuan, default ¥10 million, about 9,600 new kits at the default prices)
and prints, per run, the stage timings, the budgeted choice (method, status, gap against
its bound, seconds), the budget curve and the peak memory. Several runs (``--runs``): the
median total is printed. Target: under 2 minutes and 8 GB on 2 cores.

Run: ``python benchmarks/bench_budget.py [--homes 75000] [--budget 1e7] [--runs 3]``
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import statistics
import sys
import time

from benchmarks.bench_water import _CRS, _province, _rss_gb
from planner.measure.risk import WaterConfig
from planner.propose.water_safety import water_safety
from scripts.synth.water import synth_water


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--homes", type=int, default=75_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=10_000_000.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--exact-max", type=int, default=None,
                    help="MILP size limit in non-zeros (default: the setting's)")
    args = ap.parse_args(argv)
    p = _province(args.homes, args.seed)
    layers = synth_water(p["county"], villages=p["villages"], settlements=p["settlements"],
                         crs=_CRS, seed=args.seed)
    cfg = WaterConfig(budget_yuan=args.budget)
    if args.exact_max is not None:
        cfg = dataclasses.replace(cfg, budget_exact_max=args.exact_max)
    totals, report = [], {}
    for run in range(args.runs):
        t = time.perf_counter()
        res = water_safety(layers["water"], kits=layers["kits"], settlements=p["settlements"],
                           schools=layers["schools"], towns=p["towns"], crs=_CRS, config=cfg,
                           today=dt.date(2025, 6, 1), plan_patrols=False)
        totals.append(time.perf_counter() - t)
        s = res.summary
        report = {
            "run": run + 1, "water_bodies": int(len(layers["water"])),
            "bank_segments": s["bank_segments"], "tiers": s["risky_waters_by_tier"],
            "budget": {k: s["budget"][k] for k in (
                "budget_yuan", "spend_yuan", "new_kits", "fixed_kits", "candidates",
                "elements", "nonzeros", "risk_covered_share", "method", "status", "gap",
                "seconds")},
            "budget_curve": [{k: c[k] for k in ("kits", "yuan", "risk_covered_share",
                                                "method", "status", "gap")}
                             for c in s["budget_curve"]],
            "stages_s": {k: round(v, 2) for k, v in res.timings.items() if k != "patrol"},
            "water_safety_total_s": round(totals[-1], 2),
            "peak_rss_gb": round(_rss_gb(), 2),
        }
        print(json.dumps(report, ensure_ascii=False), flush=True)
    med = statistics.median(totals)
    print(f"median total over {len(totals)} runs: {med:.1f} s; peak RSS "
          f"{_rss_gb():.2f} GB; budgeted choice {report['budget']['method']} "
          f"({report['budget']['status']}), gap {report['budget']['gap']:.4%}")
    ok = med < 120 and _rss_gb() < 8
    print("target (< 120 s, < 8 GB):", "met" if ok else "NOT met", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
