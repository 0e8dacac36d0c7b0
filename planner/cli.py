"""Command line: ``planner run``, ``planner check``; ``--version``, ``-q``, ``-v``.

Unusable input stops with a one-line message (what, which file, which row, how to fix)
and exit status 2; success exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner import __version__
from planner._errors import PlannerError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="儿童关爱阵地与防溺水规划 / child-care site and water-safety planner",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="只输出错误（print errors only）")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="另输出各阶段用时和全部发现的问题（also stage times and findings）")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every stage and write the outputs")
    run.add_argument("workspace", nargs="?", type=Path,
                     help="workspace folder with planner.toml (default: the bundled demo)")
    run.add_argument("--out", type=Path, help="output folder (default outputs/<name>/)")
    run.add_argument("--online", action="store_true",
                     help="download roads from OpenStreetMap (needs internet; off by default)")
    comp = sub.add_parser("compare", help="比较两次运行的进度（compare with an earlier run）")
    comp.add_argument("earlier", type=Path, help="上次运行的输出文件夹 (earlier output folder)")
    comp.add_argument("current", type=Path, help="本次运行的输出文件夹 (current output folder)")
    comp.add_argument("--target-year", type=int,
                      help="目标年份，如 2025：计算到该年底每季度需建数")
    check = sub.add_parser("check", help="validate a workspace only")
    check.add_argument("workspace", nargs="?", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from planner.pipeline import run

            result = run(args.workspace, out=args.out, online=args.online,
                         echo=_silent if args.quiet else print)
            if args.verbose and not args.quiet:
                _details(result.run)
        elif args.command == "compare":
            return _compare(args.earlier, args.current, target_year=args.target_year,
                            quiet=args.quiet)
        else:
            return _check(args.workspace)
    except PlannerError as exc:
        print(f"planner: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _silent(_line: str) -> None:
    """``-q``: progress and summary lines are dropped."""


def _details(run: dict) -> None:
    """``-v``: seconds per stage and every finding."""
    print("各阶段用时（秒） / stage seconds: " + ", ".join(
        f"{name} {sec}" for name, sec in (run.get("timings_s") or {}).items()))
    for i, finding in enumerate(run.get("findings") or [], start=1):
        print(f"  {i}. {finding}")


def _compare(earlier: Path, current: Path, *, target_year: int | None, quiet: bool) -> int:
    """``planner compare``: 进度对比.xlsx in the current folder and the county lines."""
    from openpyxl import Workbook

    from planner.measure.history import compare_folders, compare_sheet
    from planner.report._xlsx import write_table

    table, tot, lines = compare_folders(earlier, current, target_year=target_year)
    wb = Workbook()
    write_table(wb.active, compare_sheet(table, kinds=list(tot)),
                title=f"任务进度对比（{earlier.name} → {current.name}）")
    wb.active.title = "进度对比"
    path = current / "进度对比.xlsx"
    wb.save(path)
    if not quiet:
        for line in lines:
            print(line)
        print(f"→ {path}")
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
