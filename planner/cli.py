"""Command line: ``planner run``, ``planner check``, ``planner init``, ``planner batch``.

Unusable input stops with a one-line message (what, which file, which row, how to fix)
and exit status 2; success exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner._errors import PlannerError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="儿童关爱阵地与防溺水规划 / child-care site and water-safety planner",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every stage and write the outputs")
    run.add_argument("workspace", nargs="?", type=Path,
                     help="workspace folder with planner.toml (default: the bundled demo)")
    run.add_argument("--out", type=Path, help="output folder (default outputs/<name>/)")
    run.add_argument("--online", action="store_true",
                     help="download roads from OpenStreetMap (needs internet; off by default)")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="print nothing but errors (no stage lines, no progress bars)")
    check = sub.add_parser("check", help="validate a workspace only")
    check.add_argument("workspace", nargs="?", type=Path)
    init = sub.add_parser("init", help="start a workspace for a county of the reference data")
    init.add_argument("county", help="county name or 6-digit code, e.g. 启东市 or 320681")
    init.add_argument("folder", type=Path, help="folder to create")
    batch = sub.add_parser("batch", help="run many counties as dask tasks, then a province "
                           "roll-up")
    batch.add_argument("workspaces", nargs="+", type=Path, metavar="DIR|WORKSPACE",
                       help="workspace folders, or folders of workspace folders")
    batch.add_argument("--out", type=Path, required=True, help="output folder of the batch")
    batch.add_argument("--workers", type=int, help="local worker processes (default: CPUs)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing dask scheduler, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--force", action="store_true",
                       help="run counties again even if they finished before")
    batch.add_argument("--place", choices=["city", "province"],
                       help="also place missing sites with one quota model per city or "
                            "for the whole province")
    batch.add_argument("--place-kind", default="care_home",
                       choices=["care_home", "care_point", "protection_station"],
                       help="the kind placed by --place (default care_home)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from planner.pipeline import run

            if args.quiet:
                run(args.workspace, out=args.out, online=args.online, show_progress=False,
                    echo=lambda _line: None)
            else:
                run(args.workspace, out=args.out, online=args.online)
        elif args.command == "init":
            from planner.init import init_workspace

            toml = init_workspace(args.county, args.folder)
            print(f"workspace written: {toml} (read {args.folder / '填报说明.txt'})")
        elif args.command == "batch":
            from planner.batch import batch

            result = batch(args.workspaces, out=args.out, workers=args.workers,
                           scheduler=args.scheduler, force=args.force, place=args.place,
                           place_kind=args.place_kind)
            return 1 if result.failed else 0
        else:
            return _check(args.workspace)
    except PlannerError as exc:
        print(f"planner: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _check(workspace: Path | None) -> int:
    from planner.pipeline import settings_for, validate

    ws, _quota = validate(settings_for(workspace))
    for item in ws.ledger.summary():
        print(f"{item['layer']:<12} {item['file']:<28} read {item['read']:>6}  accepted "
              f"{item['accepted']:>6}  rejected {item['rejected']:>4}  repaired "
              f"{item['repaired']:>4}  ({item['encoding']})")
    for rec in ws.ledger.rejected[:20]:
        print(f"  rejected {rec['file']} row {rec['row']}: {rec['reason']}")
    if len(ws.ledger.rejected) > 20:
        print(f"  ... and {len(ws.ledger.rejected) - 20} more")
    print(f"metric CRS: {ws.crs.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
