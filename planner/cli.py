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
import errno
import signal
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

from planner._beside import Terminated, clear_stops, on_stop_signal, stop_all, stop_requested
from planner._errors import PlannerError, one_line
from planner._version import __version__
from planner.datasets import EXAMPLES
from planner.records.privacy import mask_personal


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
    run.add_argument("--example", choices=sorted(EXAMPLES),
                     help="运行自带的另一个示例：bureau = 民政局手里的数据（村名单无村界、镇界只有"
                          "镇名、台账多数无坐标）（run a bundled example instead of the demo）")
    run.add_argument("--online", action="store_true",
                     help="从 OpenStreetMap 下载道路，需联网，默认不下载"
                          "（download roads; needs internet）")
    run.add_argument("-q", "--quiet", action="store_true", dest="run_quiet",
                     help="只输出错误（print errors only）")
    run.add_argument("--as-of", metavar="DATE",
                     help="统计截至日期，如 2026-12-31，默认今天；其季度为报告期"
                          "（reporting date, YYYY-MM-DD; default today）")
    run.add_argument("--since", type=Path, metavar="DIR",
                     help="上一期的成果文件夹：报告和附表写出本期变化"
                          "（an earlier run's output folder: report the change since）")
    run.add_argument("--accept-incomplete", action="store_true",
                     help="阵地清单丢失的记录超过 [validate] max_unusable_share 时仍然运行，成果"
                          "标明“数据不全”（run although a site list lost more records than "
                          "allowed; the outputs say the result is incomplete）")
    run.add_argument("--scenario", metavar="NAME",
                     help="按工作区中保存的方案运行（规划工作台 planner studio 保存在 方案/ 中）"
                          "（run a scenario saved in the workspace）")
    comp = sub.add_parser("compare", help="比较两次运行的进度（compare with an earlier run）")
    comp.add_argument("earlier", type=Path, help="上次运行的输出文件夹 (earlier output folder)")
    comp.add_argument("current", type=Path, help="本次运行的输出文件夹 (current output folder)")
    comp.add_argument("--target-year", type=int,
                      help="目标年份，如 2025：计算到该年底每季度需建数")
    check = sub.add_parser("check", help="只检查输入数据，不写成果（validate only）")
    check.add_argument("workspace", nargs="?", type=Path,
                       help="工作区文件夹，不写则用自带示例（workspace folder）")
    check.add_argument("--example", choices=sorted(EXAMPLES),
                       help="检查自带的另一个示例（check a bundled example）")
    check.add_argument("--accept-incomplete", action="store_true",
                       help="阵地清单丢失的记录过多时也列出检查结果（list the check even when a "
                            "site list lost too many records）")
    studio = sub.add_parser("studio", help="规划工作台：在本机网页上移动阵地、调整预算，即时看到"
                            "覆盖、任务、器材和费用（a local planning page）")
    studio.add_argument("workspace", nargs="?", type=Path,
                        help="工作区文件夹，不写则用自带示例（workspace folder）")
    studio.add_argument("--port", type=int, help="端口，默认自动选择空闲端口（port）")
    studio.add_argument("--no-browser", action="store_true",
                        help="不自动打开浏览器（do not open a browser）")
    studio.add_argument("--accept-incomplete", action="store_true",
                        help="阵地清单丢失的记录过多时仍然打开，页面标明“数据不全”（open "
                             "although a site list lost too many records; the page says so）")
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


def _stopped(exc: BaseException) -> int | None:
    """130 (Ctrl-C) or 143 (SIGTERM) when ``exc`` is, or was caused by, a stop signal (a C
    extension may turn one into an ImportError); else ``None``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Terminated):
            return 143
        if isinstance(seen, KeyboardInterrupt):
            return 130
        seen = seen.__cause__ or seen.__context__
    signum = stop_requested()
    return None if signum is None else 128 + signum


def _stopped_line(code: int) -> str:
    stop_all()
    what = ("已终止", "terminated") if code == 143 else ("已中断", "interrupted")
    return (f"planner: {what[0]}，上次的成果保持不变（{what[1]}; the earlier outputs are "
            "unchanged）")


#: errno values of file-system errors that are the user's situation, not a bug
_FS_ERRORS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT,
              errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOENT, errno.EBUSY,
              errno.ETXTBSY, errno.ENAMETOOLONG, errno.ELOOP, errno.EIO, errno.EFBIG,
              errno.EMFILE, errno.ENFILE, errno.EXDEV}
_FS_WHY = {errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EROFS: "只读",
           errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "磁盘配额已满", errno.EFBIG: "文件过大",
           errno.ENOTDIR: "路径中有文件而不是文件夹", errno.EISDIR: "是文件夹而不是文件",
           errno.EEXIST: "已存在", errno.ENOENT: "不存在", errno.EBUSY: "被占用",
           errno.ETXTBSY: "被占用", errno.ENAMETOOLONG: "路径太长"}


def _fs_line(exc: OSError) -> str:
    """One line for a file-system error: which file, why, what to do."""
    where = exc.filename or "?"
    if getattr(exc, "filename2", None):
        where = f"{where} → {exc.filename2}"
    why = _FS_WHY.get(exc.errno, "读写失败")
    return (f"planner: 错误（error）：文件读写失败：{where}：{why}（{exc.strerror or exc}）；请检查"
            "该路径（权限、磁盘空间、是否被其他程序打开），或换一个文件夹 / cannot read or write "
            "it: check the path (permissions, free space, another program) or use another "
            "folder")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    args = _parser().parse_args(argv)
    clear_stops()
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_stop_signal)
    except ValueError:  # not the main thread: leave the signals alone
        pass
    try:
        return _main(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main(args: argparse.Namespace) -> int:
    """Run the command of ``args`` (stop signals are handled by :func:`main`)."""
    from planner.settings import overriding

    if getattr(args, "example", None):
        if args.workspace is not None:
            print("planner: 错误（error）：planner.toml 设置有误：give a workspace folder or "
                  "--example, not both", file=sys.stderr)
            return 2
        from planner import datasets

        args.workspace = datasets.example(args.example)
    flags = {"accept_incomplete": True} if getattr(args, "accept_incomplete", False) else {}
    try:
        with warnings.catch_warnings(), overriding(**flags):
            warnings.showwarning = _warning_line
            if args.command == "run":
                from planner.pipeline import run

                quiet = args.quiet or args.run_quiet
                result = run(args.workspace, out=args.out, online=args.online,
                             show_progress=not quiet, echo=_silent if quiet else print,
                             as_of=_as_of(args.as_of),
                             since=args.since, scenario=args.scenario)
                if args.verbose and not quiet:
                    _details(result.run)
            elif args.command == "studio":
                from planner.studio.server import serve

                return serve(args.workspace, port=args.port,
                             open_browser=not args.no_browser)
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
        print(mask_personal(f"planner: 错误（error）：{exc.zh}：{one_line(exc)}"),
              file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in _FS_ERRORS:
            log = _write_log(exc, out=None)
            print(_internal(exc, log), file=sys.stderr)
            return 1
        print(mask_personal(_fs_line(exc)), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        code = _stopped(exc)
        print(_stopped_line(code), file=sys.stderr)
        return code
    except Exception as exc:  # a bug: keep the traceback out of the terminal, in a log
        code = _stopped(exc)
        if code is not None:  # a stop signal another error stands for
            print(_stopped_line(code), file=sys.stderr)
            return code
        log = _write_log(exc, out=_out_folder(args))
        print(_internal(exc, log), file=sys.stderr)
        return 1
    return 0


def _as_of(text: str | None) -> dt.date | None:
    """``--as-of``: a date given as YYYY-MM-DD (``None`` if not given)."""
    from planner.settings import reporting_date

    try:
        return reporting_date(text, where="--as-of")
    except PlannerError as exc:  # a flag, not planner.toml
        raise PlannerError(str(exc)) from None


def _internal(exc: BaseException, log: Path) -> str:
    return (f"planner: 内部错误，是程序缺陷而不是数据问题，详情见 {log}，请把该文件发给开发人员"
            f"（internal error ({type(exc).__name__}); this is a bug, not your data: the "
            f"details are in {log}; please send that file to the developers）")


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a library's warning on one line, without the source line under it."""
    print(mask_personal(f"planner: warning: {one_line(message)} ({category.__name__})"),
          file=sys.stderr)


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
        from planner.records.outputs import default_folder

        return default_folder(settings_for(args.workspace).name)
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
            path.write_text(mask_personal(text), encoding="utf-8")
            return path.resolve()
        except OSError:
            continue
    return Path(tempfile.gettempdir())  # nowhere writable: name the temp folder


def _silent(_line: str) -> None:
    """``-q``: progress and summary lines are dropped."""


def _details(run: dict) -> None:
    """``-v``: seconds per stage and every finding."""
    from planner.glossary import STAGE_LABELS

    print("各阶段用时（秒）：" + "，".join(
        f"{STAGE_LABELS.get(name, name)} {sec}" for name, sec in
        (run.get("timings_s") or {}).items()))
    for i, finding in enumerate(run.get("findings") or [], start=1):
        print(f"  {i}. {finding}")


def _compare(earlier: Path, current: Path, *, target_year: int | None, quiet: bool) -> int:
    """``planner compare``: 进度对比.xlsx in the current folder and the county lines."""
    from planner.measure.history import compare_folders, compare_sheet
    from planner.records.outputs import owned_or_absent, record_written
    from planner.report.tables import write_comparison_xlsx

    table, tot, lines = compare_folders(earlier, current, target_year=target_year)
    path = current / "进度对比.xlsx"
    owned_or_absent(current, path.name)
    write_comparison_xlsx(path, sheet=compare_sheet(table, kinds=list(tot)),
                          title=f"任务进度对比（{earlier.name} → {current.name}）")
    record_written(current, path.name)
    if not quiet:
        for line in lines:
            print(line)
        print(f"→ {path}")
    return 0


def _check(workspace: Path | None) -> int:
    """``planner check``: per file what was read, used, rejected and repaired, Chinese first."""
    from planner.pipeline import check, settings_for
    from planner.report.findings import chinese
    from planner.report.summary import aligned

    ws, _quota = check(settings_for(workspace))
    rows = [("图层", "文件", "读入", "使用", "拒收", "修复", "编码")]
    rows += [(item["layer"], item["file"], str(item["read"]), str(item["accepted"]),
              str(item["rejected"]), str(item["repaired"]), str(item["encoding"]))
             for item in ws.ledger.summary()]
    for line in aligned(rows, left=2):
        print(line)
    for rec in ws.ledger.rejected[:20]:
        print(mask_personal(f"  拒收 {rec['file']} 第 {rec['row']} 行：{chinese(rec['reason'])}"))
    if len(ws.ledger.rejected) > 20:
        print(f"  …… 另有 {len(ws.ledger.rejected) - 20} 条，运行后见 rejected.csv")
    for finding in ws.findings + ws.ledger.findings():
        print(mask_personal(f"  发现：{chinese(finding)}"))
    for loss in ws.ledger.incomplete():
        print(mask_personal(
            f"  数据不全：{loss['file']} 共 {loss['read']} 条记录，{loss['unusable']} 条不能使用"
            f"（{100 * loss['share']:.1f}%），主要原因：{chinese(loss['main_reason'])}"))
    print(f"距离计算坐标系（metric CRS）：{ws.crs.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
