"""One run at a time per output folder: the lock file, the refusal naming its holder, and a
dead holder's lock taken over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner._errors import OutputFolderError
from planner.records.lock import FolderLock, pid_alive

ROOT = Path(__file__).resolve().parents[2]
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="flock (fcntl) locks")


def _holder_process(path: Path) -> subprocess.Popen:
    """A Python process that takes the lock at ``path``, says so on stdout and waits."""
    code = textwrap.dedent(f"""
        import sys, time
        from planner.records.lock import FolderLock
        lock = FolderLock({str(path)!r}, folder="out")
        lock.acquire()
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin or kills this process
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_acquire_stamps_the_holder_and_release_removes_the_file(tmp_path):
    path = tmp_path / ".out.planner-lock"
    lock = FolderLock(path, folder=tmp_path / "out")
    assert not lock.held
    with lock:
        assert lock.held
        assert path.read_text(encoding="utf-8") == f"{os.getpid()} {socket.gethostname()}\n"
    assert not lock.held and not path.exists()
    lock.release()  # again: nothing to do
    with lock:  # and it can be taken again
        assert lock.held


@needs_flock
def test_a_second_lock_is_refused_naming_the_holder_and_the_folder(tmp_path):
    path = tmp_path / ".out.planner-lock"
    with FolderLock(path, folder=tmp_path / "out"):
        second = FolderLock(path, folder=tmp_path / "out")
        with pytest.raises(OutputFolderError) as err:
            second.acquire()
        message = str(err.value)
        assert message.startswith(f"{tmp_path / 'out'}: ")
        assert f"进程 / process {os.getpid()} @ {socket.gethostname()}" in message
        assert "another run is writing this output folder" in message and "\n" not in message
        assert not second.held
    with FolderLock(path, folder=tmp_path / "out") as third:  # released: free again
        assert third.held


@needs_flock
def test_an_unreadable_stamp_still_gives_the_refusal(tmp_path):
    path = tmp_path / ".out.planner-lock"
    with FolderLock(path, folder="out"):
        path.write_bytes(b"\xff\xfe\x00")  # not UTF-8: the holder cannot be named
        with pytest.raises(OutputFolderError, match="另一进程 / another process"):
            FolderLock(path, folder="out").acquire()


@needs_flock
def test_a_lock_of_another_process_holds_until_it_dies_then_is_taken_over(tmp_path):
    path = tmp_path / ".out.planner-lock"
    proc = _holder_process(path)
    try:
        assert pid_alive(proc.pid)
        with pytest.raises(OutputFolderError, match=f"process {proc.pid} @"):
            FolderLock(path, folder="out").acquire()
    finally:
        proc.send_signal(signal.SIGKILL)  # dies without releasing anything
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()
    assert path.exists() and path.read_text(encoding="utf-8").startswith(f"{proc.pid} ")
    assert not pid_alive(proc.pid)
    with FolderLock(path, folder="out") as lock:  # the system released the dead one's lock
        assert lock.held
        assert path.read_text(encoding="utf-8").startswith(f"{os.getpid()} ")


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(0) and not pid_alive(-1)


def test_a_lock_where_no_file_can_be_made_is_one_line(tmp_path):
    path = tmp_path / "missing" / ".out.planner-lock"
    with pytest.raises(OutputFolderError, match="cannot create the lock file") as err:
        FolderLock(path, folder=tmp_path / "missing" / "out").acquire()
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
