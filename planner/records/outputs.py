"""The output folder of a run: never a user's file overwritten, all or nothing, one run at
a time.

:class:`OutputFolder` guards a run's output folder ``T``:

1. **Refusal.** ``T`` must be absent, empty, or hold only files the planner wrote: those
   listed in its manifest ``.planner-outputs.json`` (written with every set of outputs),
   planner error logs, and -- for folders written before the manifest existed -- the
   planner's own output names beside a planner ``run.json``. Anything else (a workspace's
   ``planner.toml``, an input table, a sub-folder of the user's) stops the run in one line
   before any stage runs, so a user's file is never overwritten or deleted.
2. **Lock.** One run at a time per folder (:class:`planner.records.lock.FolderLock`, a
   file ``.T.planner-lock`` beside it): a second run is refused in one line; the lock of a
   dead process is taken over.
3. **Staging.** The run writes into ``.T.planner-new-<pid>`` beside ``T``; at the end the
   folders are swapped (``T`` → ``.T.planner-old-<pid>``, staging → ``T``, old removed). A
   run killed before the swap leaves the previous complete set untouched; one killed
   between the two renames leaves no ``T`` and the previous set in ``.planner-old``, which
   the next run puts back before it starts. Files of an earlier run that this run did not
   write are gone with the old folder -- they were all the planner's.
4. **Confinement.** :meth:`OutputFolder.path` refuses any name leading outside the folder;
   :func:`safe_name` turns a workspace name or county code into one harmless folder name.

Where ``T`` cannot be renamed (it is the current directory, a mount point, or its parent
is not writable) the files are moved one by one instead, ``run.json`` last, with the
manifest written first so every file in ``T`` stays known as the planner's.
:func:`is_complete` is what ``planner batch`` asks before it skips a county.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import json
import os
import re
import shutil
import time
from pathlib import Path

from planner._beside import check_stop, hold_signals, release_signals, stop_all
from planner._errors import OutputFolderError, PlannerError
from planner._version import __version__
from planner.records.lock import FolderLock

MANIFEST = ".planner-outputs.json"
#: files the planner may leave in an output folder outside its manifest
PLANNER_EXTRA = ("planner-error-*.log", ".planner-lock", ".planner-new-*",
                 f"{MANIFEST}.*.tmp")
#: output names of runs written before the manifest existed (adopted beside their run.json)
LEGACY_NAMES = (
    "run.json", "progress.xlsx", "progress.csv", "villages.csv", "coverage.csv",
    "rejected.csv", "repairs.csv", "facilities.csv", "proposed_sites.geojson",
    "water_risk.csv", "proposed_kits.geojson", "patrol_plan.csv", "patrol_routes.csv",
    "patrol_sheets.xlsx", "requisition.csv", "water_actions.xlsx", "map.html",
    "report.html", "planner.gpkg", "map_*.png", "budget_curve.png", "进度对比.xlsx",
    "town_matching.csv", "planner.qgs",
    "planner.gpkg-journal", "planner.gpkg-wal", "planner.gpkg-shm",
)
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')


def safe_name(text: object, *, fallback: str = "workspace") -> str:
    """``text`` as one harmless folder or file name: no separator, no ``..``, no control or
    invisible character, no leading dot, at most 80 characters; ``fallback`` if nothing is
    left."""
    name = _UNSAFE.sub("_", str(text if text is not None else "")).strip().strip(".")
    name = re.sub(r"\.{2,}", "_", name)[:80].strip()
    return name if name and name not in {".", ".."} else fallback


def default_folder(name: object) -> Path:
    """The default output folder of a workspace: ``outputs/<name>`` with the name made one
    harmless folder name (a ``[workspace] name`` holding ``../`` stays inside outputs/)."""
    return Path("outputs") / safe_name(name)


def confine(folder: str | Path, name: str | Path) -> Path:
    """``folder / name``, refused in one line unless it stays inside ``folder``."""
    base = Path(folder).resolve()
    path = (base / name).resolve()
    if path == base or not path.is_relative_to(base):
        raise OutputFolderError(
            f"{name}: 成果文件名会写到成果文件夹 {base} 之外，已拒绝 / an output name leads "
            "outside the output folder; refused")
    return path


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of an output folder, or ``None`` (absent or unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return data


def write_manifest(folder: str | Path, files: list[str], *, state: str = "complete",
                   **extra: object) -> None:
    """Write the manifest of ``folder`` atomically (a temporary file renamed over it)."""
    folder = Path(folder)
    data = {"planner": __version__, "state": state, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **extra, "files": sorted(set(files))}
    tmp = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def is_complete(folder: str | Path) -> bool:
    """Whether ``folder`` holds a finished run: a complete manifest, its ``run.json`` and
    every file it lists."""
    folder = Path(folder)
    data = read_manifest(folder)
    if data is None or data.get("state") != "complete" or "run.json" not in data["files"]:
        return False
    return all((folder / f).is_file() for f in data["files"])


def record_written(folder: str | Path, name: str) -> None:
    """Add ``name`` (a file the planner just wrote in an output folder) to its manifest."""
    data = read_manifest(folder)
    if data is not None:
        extra = {k: v for k, v in data.items() if k not in ("files", "state", "written",
                                                              "planner")}
        write_manifest(folder, [*data["files"], name], state=data.get("state", "complete"),
                       **extra)


def owned_or_absent(folder: str | Path, name: str) -> None:
    """Refuse (one line) to write ``name`` into an output folder where a file of that name
    exists that the planner did not write."""
    folder = Path(folder)
    if not (folder / name).exists():
        return
    data = read_manifest(folder)
    ours = set(data["files"]) if data is not None else _legacy(folder, files_under(folder))
    if name not in ours:
        raise OutputFolderError(
            f"{folder / name}: 这个文件不是本程序写入的，不会覆盖；请移走或改名后重试 / not "
            "written by the planner: it is never overwritten; move or rename it and try again")


def files_under(folder: Path) -> list[str]:
    """Every file under ``folder`` as a POSIX path relative to it (the manifest left out)."""
    out = []
    for path in folder.rglob("*"):
        if path.is_file() or path.is_symlink():
            rel = path.relative_to(folder).as_posix()
            if rel != MANIFEST:
                out.append(rel)
    return sorted(out)


def _legacy(folder: Path, files: list[str]) -> set[str]:
    """Files of a run written before manifests existed: known output names beside a
    ``run.json`` the planner wrote (it has ``inputs`` and ``timings_s``)."""
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(run, dict) or not {"inputs", "timings_s"} <= set(run):
        return set()
    return {f for f in files if any(fnmatch.fnmatchcase(f, p) for p in LEGACY_NAMES)}


def foreign_files(folder: str | Path) -> list[str]:
    """Files and folders in ``folder`` the planner did not write (relative names)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = files_under(folder)
    data = read_manifest(folder)
    ours = set(data["files"]) if data is not None else _legacy(folder, files)
    foreign = [f for f in files
               if f not in ours and not any(fnmatch.fnmatchcase(f, p) for p in PLANNER_EXTRA)]
    empty_dirs = [p.relative_to(folder).as_posix() + "/" for p in folder.rglob("*")
                  if p.is_dir() and not p.is_symlink() and not any(p.iterdir())]
    return foreign + empty_dirs


def _refuse_foreign(target: Path) -> None:
    foreign = foreign_files(target)
    if not foreign:
        return
    what = "、".join(foreign[:3]) + (f" 等 {len(foreign)} 个" if len(foreign) > 3 else "")
    workspace = (target / "planner.toml").exists()
    why = ("它是一个工作区（含 planner.toml）" if workspace else "其中有不是本程序写入的文件")
    raise OutputFolderError(
        f"{target}: {why}：{what}；成果不会覆盖或删除它们，请用 --out 指定一个空文件夹或以前的成果"
        f"文件夹 / the output folder holds files the planner did not write ({len(foreign)}); "
        "they are never overwritten: choose an empty folder or an earlier output folder "
        "with --out")


def disk_full(exc: BaseException, where: Path) -> bool:
    """Whether ``exc`` (or its cause) says the disk is full, or ``where`` has no room."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _DISK_FULL:
            return True
        text = str(seen).lower()
        if "no space left" in text or "disk is full" in text or "disk full" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    try:
        st = os.statvfs(where)
    except (OSError, AttributeError):
        return False
    return st.f_bavail * st.f_frsize < 1024 * 1024  # under 1 MiB left: effectively full


def _cwd_inside(path: Path) -> bool:
    try:
        return Path.cwd().resolve().is_relative_to(path)
    except OSError:
        return True


def _fs_error(path: Path, exc: OSError, doing: str) -> OutputFolderError:
    """A one-line refusal for a file-system error on the output folder."""
    if exc.errno in _DISK_FULL:
        why = "磁盘空间不足 / the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "没有写入权限或为只读 / not writable (read-only or no permission)"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = "路径中有同名文件而不是文件夹 / a file stands where a folder is needed"
    else:
        why = exc.strerror or type(exc).__name__
    return OutputFolderError(
        f"{exc.filename or path}: 无法{doing}成果文件夹（{why}）；上次的成果保持不变，"
        "请腾出空间或用 --out 选择可写的文件夹 / cannot use the output folder; the earlier "
        "outputs are unchanged")


class OutputFolder:
    """The guarded output folder of one run (see the module doc).

    Use as a context manager -- ``with OutputFolder(path) as staging:`` writes into
    ``staging`` and the outputs replace the folder's earlier ones only when the block ends
    without an error -- or call :meth:`open`, then :meth:`commit` or :meth:`abort`.

    Parameters
    ----------
    target : path
        The output folder (created on commit if missing).
    info : dict, optional
        Extra keys of the manifest (workspace name, county code).
    """

    def __init__(self, target: str | Path, *, info: dict | None = None) -> None:
        # one folder, one lock: however it is named (relative, through a symlink)
        self.target = Path(os.path.realpath(Path(target).expanduser()))
        self.info = dict(info or {})
        name = safe_name(self.target.name, fallback="outputs")
        self._side = self.target.parent / f".{name}.planner"
        self.staging: Path | None = None
        self._swap = False
        self._lock: FolderLock | None = None

    # -- opening -------------------------------------------------------------------------
    def open(self) -> Path:
        """Check the folder, take its lock, put back what a killed swap left, and make the
        staging folder; return the staging folder to write into."""
        t = self.target
        if t.exists() and not t.is_dir():
            raise OutputFolderError(
                f"{t}: 这是一个文件而不是文件夹，成果不会写入它 / it is a file, not a folder; "
                "give a folder with --out")
        try:
            t.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _fs_error(t.parent, exc, "建立") from exc
        self._swap = os.access(t.parent, os.W_OK) and not _cwd_inside(t) \
            and not (t.exists() and os.path.ismount(t))
        lock_at = Path(f"{self._side}-lock") if self._swap else t / ".planner-lock"
        if not self._swap:
            try:
                t.mkdir(exist_ok=True)
            except OSError as exc:
                raise _fs_error(t, exc, "建立") from exc
        self._lock = FolderLock(lock_at, folder=t)
        self._lock.acquire()
        try:
            self._recover()
            _refuse_foreign(t)
            self.staging = (Path(f"{self._side}-new-{os.getpid()}") if self._swap
                            else t / f".planner-new-{os.getpid()}")
            shutil.rmtree(self.staging, ignore_errors=True)
            try:
                self.staging.mkdir()
            except OSError as exc:
                raise _fs_error(self.staging, exc, "写入") from exc
        except BaseException:
            self._lock.release()
            raise
        return self.staging

    def _leftovers(self, kind: str) -> list[Path]:
        """Staging (``new``) or swapped-out (``old``) folders of earlier runs, newest first."""
        places = [self._side.parent] if self._swap else [self.target]
        prefix = f"{self._side.name}-{kind}-" if self._swap else f".planner-{kind}-"
        found = [p for place in places if place.is_dir() for p in place.iterdir()
                 if p.name.startswith(prefix) and p.is_dir()]
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def _recover(self) -> None:
        """Under the lock: a run killed between the swap's two renames left no folder and
        the complete earlier set aside -- put it back; drop every stale staging folder."""
        for path in self._leftovers("new"):  # we hold the lock: no one writes them
            shutil.rmtree(path, ignore_errors=True)
        olds = self._leftovers("old")
        if olds and not self.target.exists():
            os.rename(olds[0], self.target)
            olds = olds[1:]
        for path in olds:
            shutil.rmtree(path, ignore_errors=True)

    # -- writing -------------------------------------------------------------------------
    def path(self, name: str | Path) -> Path:
        """Where the output ``name`` is written, confined to the staging folder."""
        if self.staging is None:
            raise RuntimeError("the output folder is not open")
        return confine(self.staging, name)

    # -- finishing -----------------------------------------------------------------------
    def commit(self) -> Path:
        """Put the staged outputs in place of the earlier ones; return the folder."""
        if self.staging is None:
            raise RuntimeError("the output folder is not open")
        staging, t = self.staging, self.target
        held = hold_signals()  # Ctrl-C and SIGTERM wait until the folders are in place
        try:
            check_stop()  # a stop signal swallowed on the way: the run does not count
            files = files_under(staging)
            write_manifest(staging, files, **self.info)
            if not (self._swap and self._swap_in(staging)):
                self._move_in(staging, files)
        except OSError as exc:
            self.abort()
            raise _fs_error(t, exc, "写入") from exc
        except BaseException:
            self.abort()
            raise
        finally:
            release_signals(held)
        self.staging = None
        self._lock.release()
        return t

    def _swap_in(self, staging: Path) -> bool:
        """Swap the folders; ``False`` when ``T`` cannot be renamed (then nothing moved)."""
        t = self.target
        old = Path(f"{self._side}-old-{os.getpid()}")
        if t.exists():
            try:
                os.rename(t, old)
            except OSError:
                return False
        try:
            os.rename(staging, t)
        except OSError:
            if old.exists():
                os.rename(old, t)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return True

    def _move_in(self, staging: Path, files: list[str]) -> None:
        """Move the staged files into ``T`` one by one (``run.json`` last), remove the
        earlier run's files this run did not write, then the staging folder."""
        t = self.target
        t.mkdir(parents=True, exist_ok=True)
        before = read_manifest(t)
        earlier = set(before["files"]) if before else set(_legacy(t, files_under(t)))
        write_manifest(t, sorted(earlier | set(files)), state="committing", **self.info)
        with contextlib.suppress(FileNotFoundError):
            (t / "run.json").unlink()  # no earlier run.json beside half-moved files
        for rel in sorted(files, key=lambda f: f == "run.json"):
            (t / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, t / rel)
        for rel in sorted(earlier - set(files)):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (t / rel).unlink()
        write_manifest(t, files, **self.info)
        shutil.rmtree(staging, ignore_errors=True)

    def abort(self, exc: BaseException | None = None) -> None:
        """Stop the stages still writing beside the run, drop the staged outputs and the
        lock; the earlier outputs stay as they were. With ``exc`` (what stopped the run):
        a full disk is raised as one :class:`OutputFolderError` line."""
        staging = self.staging
        full = (exc is not None and staging is not None and not isinstance(exc, PlannerError)
                and isinstance(exc, Exception) and disk_full(exc, staging))
        stop_all()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            self.staging = None
        if self._lock is not None:
            self._lock.release()
        if full:
            raise OutputFolderError(
                f"{self.target}: 磁盘空间不足，成果没有写完，上次的成果保持不变；"
                "请腾出空间后重新运行 / the disk is full: the outputs were not written and "
                "the earlier ones are unchanged; free some space and run again") from exc

    def __enter__(self) -> Path:
        return self.open()

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None:
            self.commit()
        else:
            self.abort(exc)
