"""Command line: ``planner run``, ``check``, ``init``, ``batch``, ``compare``; ``--version``,
``-q``, ``-v``.

Unusable input stops with a one-line message (what, which file, which row, how to fix)
and exit status 2; success exits 0. Anything unexpected (a bug) never shows a traceback:
one line names the log file that holds it (in the output folder, else a temporary
``planner-logs`` folder) and the exit status is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

from planner._errors import PlannerError, one_line
from planner._version import __version__


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
    run = sub.add_parser("run", help="运行全部步骤并写出成果（run every stage, write the outputs）")
    run.add_argument("workspace", nargs="?", type=Path,
                     help="含 planner.toml 的工作区文件夹，不写则用自带示例"
                          "（workspace folder; default: the demo）")
    run.add_argument("--out", type=Path,
                     help="成果文件夹，默认 outputs/<名称>/（output folder）")
    run.add_argument("--online", action="store_true",
                     help="从 OpenStreetMap 下载道路，需联网，默认不下载"
                          "（download roads; needs internet）")
    run.add_argument("-q", "--quiet", action="store_true", dest="run_quiet",
                     help="只输出错误（print errors only）")
    comp = sub.add_parser("compare", help="比较两次运行的进度（compare with an earlier run）")
    comp.add_argument("earlier", type=Path, help="上次运行的输出文件夹 (earlier output folder)")
    comp.add_argument("current", type=Path, help="本次运行的输出文件夹 (current output folder)")
    comp.add_argument("--target-year", type=int,
                      help="目标年份，如 2025：计算到该年底每季度需建数")
    check = sub.add_parser("check", help="只检查输入数据，不写成果（validate only）")
    check.add_argument("workspace", nargs="?", type=Path,
                       help="工作区文件夹，不写则用自带示例（workspace folder）")
    init = sub.add_parser("init", help="为参考数据中的县新建工作区（start a county workspace）")
    init.add_argument("county", help="县名或 6 位代码，如 启东市 或 320681（county name or code）")
    init.add_argument("folder", type=Path, help="要新建的文件夹（folder to create）")
    batch = sub.add_parser("batch", help="批量运行多个县（dask）并汇总全省（run many counties, "
                           "then a province roll-up）")
    batch.add_argument("workspaces", nargs="+", type=Path, metavar="DIR|WORKSPACE",
                       help="工作区文件夹，或包含多个工作区的文件夹（workspace folders）")
    batch.add_argument("--out", type=Path, required=True, help="批量成果文件夹（output folder）")
    batch.add_argument("--workers", type=int,
                       help="本机并行进程数，默认 CPU 数，最多 4（worker processes）")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="已有的 dask 调度器地址，如 tcp://10.0.0.5:8786（dask scheduler）")
    batch.add_argument("--force", action="store_true",
                       help="已完成的县也重新运行（run finished counties again）")
    batch.add_argument("--place", choices=["city", "province"],
                       help="跨县布点：每市或全省一个模型（place missing sites per city or "
                            "for the whole province）")
    batch.add_argument("--place-kind", default="care_home",
                       choices=["care_home", "care_point", "protection_station"],
                       help="--place 布点的阵地类型，默认 care_home（kind to place）")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            if args.command == "run":
                from planner.pipeline import run

                quiet = args.quiet or args.run_quiet
                result = run(args.workspace, out=args.out, online=args.online,
                             show_progress=not quiet, echo=_silent if quiet else print)
                if args.verbose and not quiet:
                    _details(result.run)
            elif args.command == "compare":
                return _compare(args.earlier, args.current, target_year=args.target_year,
                                quiet=args.quiet)
            elif args.command == "init":
                from planner.init import init_workspace

                toml = init_workspace(args.county, args.folder)
                if not args.quiet:
                    print(f"已建立工作区：{toml}（请先阅读 {args.folder / '填报说明.txt'}）")
            elif args.command == "batch":
                from planner.batch import batch

                result = batch(args.workspaces, out=args.out, workers=args.workers,
                               scheduler=args.scheduler, force=args.force, place=args.place,
                               place_kind=args.place_kind)
                return 1 if result.failed else 0
            else:
                return _check(args.workspace)
    except PlannerError as exc:
        print(f"planner: 错误（error）：{exc.zh}：{one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = _out_folder(args)
        if where is None or not exc.filename or not _under(Path(str(exc.filename)), where):
            log = _write_log(exc, out=None)
            print(_internal(exc, log), file=sys.stderr)
            return 1
        print(f"planner: 错误（error）：无法写入 {exc.filename}（{exc.strerror}），请用 --out 选择"
              "可写的成果文件夹 / cannot write it; choose an output folder you can write to "
              "with --out", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("planner: 已中断，成果可能不完整（interrupted; outputs may be incomplete）",
              file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: keep the traceback out of the terminal, in a log
        log = _write_log(exc, out=_out_folder(args))
        print(_internal(exc, log), file=sys.stderr)
        return 1
    return 0


def _internal(exc: BaseException, log: Path) -> str:
    return (f"planner: 内部错误，是程序缺陷而不是数据问题，详情见 {log}，请把该文件发给开发人员"
            f"（internal error ({type(exc).__name__}); this is a bug, not your data: the "
            f"details are in {log}; please send that file to the developers）")


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a library's warning on one line, without the source line under it."""
    print(f"planner: warning: {one_line(message)} ({category.__name__})", file=sys.stderr)


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _out_folder(args: argparse.Namespace) -> Path | None:
    """The run's output folder if it can be known (``--out``, else outputs/<name>)."""
    if args.command != "run":
        return None
    if args.out is not None:
        return args.out
    try:
        from planner.pipeline import settings_for

        return Path("outputs") / settings_for(args.workspace).name
    except Exception:  # the settings themselves failed: fall back to the temp folder
        return None


def _write_log(exc: BaseException, *, out: Path | None) -> Path:
    """Write the traceback of ``exc`` to ``planner-error-<time>.log``; return its path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for folder in ([out] if out is not None else []) + [
            Path(tempfile.gettempdir()) / "planner-logs"]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"planner-error-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path.resolve()
        except OSError:
            continue
    return Path(tempfile.gettempdir())  # nowhere writable: name the temp folder


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
    from planner.measure.history import compare_folders, compare_sheet
    from planner.report.tables import write_comparison_xlsx

    table, tot, lines = compare_folders(earlier, current, target_year=target_year)
    path = current / "进度对比.xlsx"
    write_comparison_xlsx(path, sheet=compare_sheet(table, kinds=list(tot)),
                          title=f"任务进度对比（{earlier.name} → {current.name}）")
    if not quiet:
        for line in lines:
            print(line)
        print(f"→ {path}")
    return 0


def _check(workspace: Path | None) -> int:
    from planner.pipeline import check, settings_for

    ws, _quota = check(settings_for(workspace))
    for item in ws.ledger.summary():
        print(f"{item['layer']:<12} {item['file']:<28} read {item['read']:>6}  accepted "
              f"{item['accepted']:>6}  rejected {item['rejected']:>4}  repaired "
              f"{item['repaired']:>4}  ({item['encoding']})")
    for rec in ws.ledger.rejected[:20]:
        print(f"  rejected {rec['file']} row {rec['row']}: {rec['reason']}")
    if len(ws.ledger.rejected) > 20:
        print(f"  ... and {len(ws.ledger.rejected) - 20} more")
    for finding in ws.findings + ws.ledger.findings():
        print(f"  finding: {finding}")
    print(f"metric CRS: {ws.crs.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
