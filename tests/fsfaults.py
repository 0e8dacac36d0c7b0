"""File-system faults as they happen: a small tmpfs that fills, a read-only one.

A command runs in a private user + mount namespace (``unshare -rm``) where a tmpfs of the
given size and options is mounted at ``/mnt/planner-test``; tests using it are skipped where
the kernel allows no such namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOUNT = Path("/mnt/planner-test")


def in_namespace(script: str, *, mount: str, setup: str = "") -> subprocess.CompletedProcess:
    """Run the Python ``script`` with a tmpfs (``mount`` options, e.g. ``size=256k`` or
    ``size=64k,ro``) at :data:`MOUNT`; ``setup``: shell lines run after mounting."""
    shell = (f"mkdir -p {MOUNT} && mount -t tmpfs -o {mount} none {MOUNT} && {setup or ':'}"
             f" && exec {sys.executable} -c \"$0\"")
    return subprocess.run(["unshare", "-rm", "sh", "-c", shell, textwrap.dedent(script)],
                          cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)


@cache
def can_mount() -> bool:
    """Whether :func:`in_namespace` works here."""
    try:
        done = in_namespace("print('ok')", mount="size=64k")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "ok"


needs_tmpfs = pytest.mark.skipif("not __import__('tests.fsfaults').fsfaults.can_mount()",
                                 reason="no user + mount namespace here")
