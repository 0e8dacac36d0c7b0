"""Run one stage in a forked child process beside the parent's next stage.

The report and the maps of a run read the same finished results and write different
files; on a machine with two cores they can be written at the same time. The child is a
``fork`` of the parent, so it sees the results without copying them, through the
standard library's :class:`concurrent.futures.ProcessPoolExecutor`; its exceptions come
back to the parent unchanged.

Forking is only safe from a single-threaded process (a lock held by another thread
would stay locked in the child). Where that cannot be promised -- no ``fork`` on this
system, more than one thread (a dask worker, a notebook kernel), or
``PLANNER_SERIAL=1`` in the environment -- the stage runs in the parent, after the
other, with the same result.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

_job: Callable[[], object] | None = None


def _run_job() -> tuple[object, float]:
    """In the child: run the inherited job; its value (pickled back) and seconds."""
    t0 = time.perf_counter()
    assert _job is not None
    value = _job()
    return value, time.perf_counter() - t0


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
        global _job
        self._job = job
        self._future: Future | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.seconds: float | None = None
        if can_fork():
            _job = job
            self._pool = ProcessPoolExecutor(max_workers=1,
                                             mp_context=mp.get_context("fork"))
            # what the child inherits is frozen: its garbage collections leave those
            # objects alone (no time spent on them, no pages copied from the parent)
            gc.freeze()
            try:
                self._future = self._pool.submit(_run_job)
            finally:
                gc.unfreeze()
                _job = None

    @property
    def forked(self) -> bool:
        """Whether the stage runs in a child process."""
        return self._future is not None

    def wait(self):
        """Wait for the stage (running it now if it was not forked) and return its value;
        :attr:`seconds` is then the stage's own time. An exception of the stage is
        raised here."""
        if self._future is None:
            t0 = time.perf_counter()
            value = self._job()
            self.seconds = time.perf_counter() - t0
            return value
        try:
            value, self.seconds = self._future.result()
            return value
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def cancel(self) -> None:
        """Stop waiting for the child (after the parent failed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
