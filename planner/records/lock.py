"""One run at a time per output folder: an exclusive lock on a small file beside it.

The lock is an ``flock`` on the file (``fcntl``), so the system releases it when the
process that holds it ends in any way -- a ``kill -9``, a power cut of the process, an
out-of-memory kill: a lock left by a dead process is simply taken over. The file holds the
holder's process id and host, for the one-line refusal a second run gets. Where ``fcntl``
is missing (Windows) the file is created exclusively and a lock whose process is no longer
alive is taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from planner._errors import OutputFolderError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _holder(path: Path) -> str:
    """Who holds the lock at ``path``, as written in it ("进程 1234 @ host")."""
    try:
        pid, _, host = path.read_text(encoding="utf-8").partition(" ")
    except (OSError, UnicodeError):
        return "另一进程 / another process"
    return f"进程 / process {pid.strip()}" + (f" @ {host.strip()}" if host.strip() else "")


class FolderLock:
    """An exclusive lock held in ``path`` (a file beside the folder it guards).

    Parameters
    ----------
    path : path
        The lock file.
    folder : path
        The folder it guards (named in the refusal).
    """

    def __init__(self, path: str | Path, *, folder: str | Path) -> None:
        self.path, self.folder = Path(path), Path(folder)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`OutputFolderError` naming the holder."""
        for _ in range(20):  # a release racing with us may replace the file: try again
            if self._try_once():
                return
        raise self._busy()

    def _busy(self) -> OutputFolderError:
        return OutputFolderError(
            f"{self.folder}: 另一次运行（{_holder(self.path)}）正在写入这个成果文件夹，请等它结束或"
            "用 --out 换一个文件夹 / another run is writing this output folder; wait for it "
            "or choose another folder with --out")

    def _try_once(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputFolderError(
                f"{self.path}: 无法建立锁文件（{exc.strerror}），成果文件夹所在位置不可写 / "
                "cannot create the lock file: choose an output folder you can write to "
                "with --out") from exc
        if fcntl is None:  # pragma: no cover - Windows
            return self._try_pidfile(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise self._busy() from None
        try:  # the file we locked must still be the one at the path
            same = os.path.samestat(os.fstat(fd), os.stat(self.path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return False
        self._stamp(fd)
        return True

    def _try_pidfile(self, fd: int) -> bool:  # pragma: no cover - Windows
        text = os.read(fd, 200).decode("utf-8", "replace")
        pid = int(text.split()[0]) if text.split() and text.split()[0].isdigit() else 0
        if pid and pid != os.getpid() and pid_alive(pid):
            os.close(fd)
            raise self._busy()
        self._stamp(fd)
        return True

    def _stamp(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Give the lock up and remove its file (nothing when not held)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
