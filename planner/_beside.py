"""Run a stage in a forked child process beside the parent's next stages.

The report and the maps of a run read the same finished results and write different
files; on a machine with two cores they can be written at the same time. The child is a
``fork`` of the parent, so it sees the results without copying them: a
:class:`multiprocessing.Process` of the standard library's ``fork`` context, whose value
or exception comes back over a :func:`multiprocessing.Pipe` (pickled), the exception
unchanged. No thread is started in the parent, so several stages may run beside it at
once (the maps that do not need the water stage, and the patrols inside it).

Forking is only safe from a single-threaded process (a lock held by another thread
would stay locked in the child). Where that cannot be promised -- no ``fork`` on this
system, more than one thread (a dask worker, a notebook kernel), or
``PLANNER_SERIAL=1`` in the environment -- the stage runs in the parent, after the
other, with the same result.

A child never outlives its parent and never writes after it: it asks the kernel (Linux
``PR_SET_PDEATHSIG``) to be killed when the parent ends, however it ends (``kill -9``
included); it ignores Ctrl-C, which reaches the whole process group, and leaves the
stopping to the parent, which terminates every live child (:func:`stop_all`) when it is
interrupted or fails -- so no traceback is printed by a child on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

#: the children started and not yet waited for (stopped together by :func:`stop_all`)
_LIVE: list[Beside] = []


_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: the stop signals received (by :func:`on_stop_signal`)
_STOPS: list[int] = []


class Terminated(BaseException):
    """SIGTERM arrived: raised where the process is, so that it cleans up as on Ctrl-C."""


def _stop_exception(signum: int) -> BaseException:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def on_stop_signal(signum: int, _frame: object) -> None:
    """A handler for SIGINT and SIGTERM: note the signal and raise where the process is
    (:class:`KeyboardInterrupt` or :class:`Terminated`)."""
    _STOPS.append(signum)
    raise _stop_exception(signum)


def check_stop() -> None:
    """Raise again a stop signal that code in between swallowed (a library's ``__del__``,
    a C extension that turned it into another error)."""
    if _STOPS:
        raise _stop_exception(_STOPS[0])


def clear_stops() -> None:
    """Forget the stop signals received (a new command starts)."""
    _STOPS.clear()


def stop_requested() -> int | None:
    """The first stop signal received, if any."""
    return _STOPS[0] if _STOPS else None


def hold_signals() -> set | None:
    """Block SIGINT and SIGTERM in this thread; the mask before (``None`` where unknown)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def release_signals(held: set | None) -> None:
    """Restore the signal mask :func:`hold_signals` returned."""
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _die_with_parent(parent: int) -> None:
    """In the child: be killed with the parent; Ctrl-C is the parent's to handle. Runs
    with SIGINT and SIGTERM blocked (see :meth:`Beside.__init__`) and unblocks them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def _run_job(job: Callable[[], object], conn: Connection, parent: int) -> None:
    """In the child: run the inherited job and send back (ok, value or exception, seconds)."""
    _die_with_parent(parent)
    _LIVE.clear()  # the parent's other children are not this one's to stop
    _STOPS.clear()
    t0 = time.perf_counter()
    try:
        reply = (True, job(), time.perf_counter() - t0)
    except BaseException as exc:  # every error goes back to the parent, which raises it
        exc.add_note("(in the forked child:)\n" + "".join(traceback.format_exception(exc)))
        reply = (False, exc, time.perf_counter() - t0)
    try:
        conn.send(reply)
    except Exception as exc:  # a value or error that cannot be pickled
        conn.send((False, RuntimeError(f"the forked stage's {'value' if reply[0] else 'error'}"
                                       f" could not be sent back: {exc}"), reply[2]))
    finally:
        conn.close()


def can_fork() -> bool:
    """Whether a stage may run in a forked child here (see the module doc)."""
    return ("fork" in mp.get_all_start_methods() and threading.active_count() == 1
            and os.environ.get("PLANNER_SERIAL", "") not in ("1", "true", "yes"))


class Beside:
    """A stage started in a forked child (or, where that is not safe, run on ``wait``).

    Parameters
    ----------
    job : callable
        The stage, without arguments; what it returns comes back from :meth:`wait`
        (pickled, when it ran in the child).
    """

    def __init__(self, job: Callable[[], object]) -> None:
        self._job = job
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.seconds: float | None = None
        if can_fork():
            ctx = mp.get_context("fork")
            self._conn, send = ctx.Pipe(duplex=False)
            for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
                stream.flush()
            # what the child inherits is frozen: its garbage collections leave those
            # objects alone (no time spent on them, no pages copied from the parent)
            gc.freeze()
            try:
                self._proc = ctx.Process(target=_run_job, args=(job, send, os.getpid()),
                                         daemon=True)
                # the child starts with SIGINT and SIGTERM held back until it has set its
                # own handlers (the parent's would raise in the child's start-up code)
                held = hold_signals()
                try:
                    self._proc.start()
                finally:
                    release_signals(held)
                _LIVE.append(self)
            finally:
                gc.unfreeze()
                send.close()

    @property
    def forked(self) -> bool:
        """Whether the stage runs in a child process."""
        return self._proc is not None

    def wait(self):
        """Wait for the stage (running it now if it was not forked) and return its value;
        :attr:`seconds` is then the stage's own time. An exception of the stage is
        raised here."""
        if self._proc is None:
            t0 = time.perf_counter()
            value = self._job()
            self.seconds = time.perf_counter() - t0
            return value
        try:
            ok, value, self.seconds = self._conn.recv()
        except EOFError:
            self._proc.join()
            raise RuntimeError("the forked stage ended without a result (exit code "
                               f"{self._proc.exitcode}); run again with PLANNER_SERIAL=1 "
                               "to run it in this process") from None
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while waiting: stop it
            self.cancel()
            raise
        finally:
            self._conn.close()
            self._proc.join()
            self._forget()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (after the parent failed)."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()
        self._forget()

    def _forget(self) -> None:
        with contextlib.suppress(ValueError):
            _LIVE.remove(self)


def stop_all() -> None:
    """Terminate every child still running (the parent is interrupted or failed)."""
    for job in list(_LIVE):
        job.cancel()
