"""Regenerate the bundled demo workspace (如皋市) or a workspace for another county.

    python scripts/build_demo.py                    # data/ for 如皋市, with quota and defects
    python scripts/build_demo.py --county 320681 --out /tmp/qidong --no-quota

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
    parser.add_argument("--no-defects", action="store_true", help="plant no defects")
    parser.add_argument("--no-extras", action="store_true", help="no roads/water layers")
    args = parser.parse_args()
    rugao = args.county == "320682"
    out = args.out or Path(__file__).resolve().parent.parent / "data"
    quota = None if args.no_quota or not rugao else REFERENCE / "rugao_2021_allocation.csv"
    start = time.perf_counter()
    stats = build_workspace(out, county_code=args.county, quota_csv=quota,
                            aliases=RUGAO_ALIASES if rugao else {}, seed=args.seed,
                            defects=not args.no_defects, extras=not args.no_extras)
    stats["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
