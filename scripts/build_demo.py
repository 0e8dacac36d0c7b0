"""Regenerate the bundled demo workspace (如皋市) or a workspace for another county.

    python scripts/build_demo.py                    # data/ for 如皋市, with quota and defects
    python scripts/build_demo.py --county 320681 --out /tmp/qidong --no-quota
    python scripts/build_demo.py --province /tmp/jiangsu [--workers 2] [--no-extras]

``--province`` builds every county-level unit of the reference divisions (104 in Jiangsu)
into ``OUT/<code>/`` in parallel on a local dask cluster; the 9 development zones without
an outline get an approximate one (see ``scripts/synth/province.py``).

Deterministic: the same seed writes the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.synth.demo import REFERENCE, build_workspace  # noqa: E402

RUGAO_ALIASES = {"城北街道": "如皋市经济开发区", "城南街道": "如皋高新技术产业开发区"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", default="320682", help="6-digit county code")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-quota", action="store_true", help="write no quota table")
    parser.add_argument("--rule-quota", action="store_true",
                        help="a quota table by the 如皋 2021 rule (1 关爱之家 and 1 social "
                             "organisation per town, 1 care point per village)")
    parser.add_argument("--no-defects", action="store_true", help="plant no defects")
    parser.add_argument("--no-extras", action="store_true", help="no roads/water layers")
    parser.add_argument("--province", type=Path, metavar="OUT",
                        help="build every county-level unit into OUT/<code>/")
    parser.add_argument("--workers", type=int, help="worker processes for --province")
    args = parser.parse_args()
    if args.province:
        from scripts.synth.province import build_province

        start = time.perf_counter()
        stats = build_province(args.province, seed=args.seed, extras=not args.no_extras,
                               defects=not args.no_defects, workers=args.workers)
        approx = [c for c, s in stats.items() if s.get("outline") == "approximate"]
        print(json.dumps({"units": len(stats), "approximate_outline": approx,
                          "villages": sum(s["villages"] for s in stats.values()),
                          "seconds": round(time.perf_counter() - start, 1)},
                         ensure_ascii=False))
        return
    rugao = args.county == "320682"
    out = args.out or Path(__file__).resolve().parent.parent / "data"
    quota = None if args.no_quota or not rugao else REFERENCE / "rugao_2021_allocation.csv"
    start = time.perf_counter()
    if args.rule_quota and not rugao:
        from scripts.synth.province import build_county

        stats = build_county(str(out), args.county, seed=args.seed, extras=not args.no_extras,
                             defects=not args.no_defects)
        stats["seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(stats, ensure_ascii=False))
        return
    stats = build_workspace(out, county_code=args.county, quota_csv=quota,
                            aliases=RUGAO_ALIASES if rugao else {}, seed=args.seed,
                            defects=not args.no_defects, extras=not args.no_extras)
    stats["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
