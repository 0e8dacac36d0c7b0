"""Every command meets a read-only folder, a full disk or a file where a folder should be
with one line and exit status 2 -- never a traceback, never a half-written output set.

The faults are real: a tmpfs mounted read-only, or small enough to fill, in a private
mount namespace (:mod:`tests.fsfaults`).
"""

from __future__ import annotations

import pytest

from tests.fsfaults import MOUNT, ROOT, in_namespace, needs_tmpfs

MINI = ROOT / "tests" / "data" / "mini"
pytestmark = [needs_tmpfs, pytest.mark.e2e]

#: runs the planner's command line and prints its exit status, then stderr's lines
_MAIN = """
import contextlib, io, sys
from planner.cli import main
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = main({argv!r})
print(code)
print(err.getvalue(), end="")
"""


def _main(argv: list[str], *, mount: str, setup: str = "") -> tuple[int, list[str]]:
    done = in_namespace(_MAIN.format(argv=["-q", *argv]), mount=mount, setup=setup)
    assert done.returncode == 0, done.stderr
    code, *lines = done.stdout.splitlines()
    assert "Traceback" not in done.stdout + done.stderr
    return int(code), lines


@pytest.mark.parametrize("argv", [
    ["run", str(MINI), "--out", f"{MOUNT}/out"],
    ["run", str(MINI), "--out", str(MOUNT)],
    ["init", "灌云县", f"{MOUNT}/ws"],
    ["batch", str(MINI), "--out", f"{MOUNT}/batch"],
])
def test_a_read_only_place_is_one_line(argv):
    code, lines = _main(argv, mount="size=64k,ro")
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("planner: 错误（error）：")


def test_compare_into_a_read_only_folder_is_one_line(mini_result):
    setup = (f"cp -r {mini_result.out} {MOUNT}/a && cp -r {mini_result.out} {MOUNT}/b && "
             f"mount -o remount,ro {MOUNT}")
    code, lines = _main(["compare", f"{MOUNT}/a", f"{MOUNT}/b"], mount="size=4m",
                        setup=setup)
    assert code == 2 and len(lines) == 1 and "进度对比.xlsx" in lines[0], lines


@pytest.mark.slow  # several planners in a namespace of their own
def test_a_disk_that_fills_keeps_the_earlier_outputs():
    """The first run fits; the second, staged beside it, fills the disk."""
    script = f"""
        import contextlib, hashlib, io, json
        from pathlib import Path
        from planner.cli import main
        out = Path("{MOUNT}/out")

        def digest():
            return {{p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                    for p in sorted(out.iterdir())}}

        print(main(["-q", "run", "{MINI}", "--out", str(out)]))
        before = digest()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            print(main(["-q", "run", "{MINI}", "--out", str(out)]))
        print(json.dumps(err.getvalue().splitlines(), ensure_ascii=False))
        print(digest() == before, sorted(p.name for p in out.parent.iterdir()))
    """
    done = in_namespace(script, mount="size=1000k")
    assert done.returncode == 0, done.stderr
    first, second, err, kept = done.stdout.splitlines()[-4:]
    assert (first, second) == ("0", "2")
    assert "磁盘空间不足" in err and err.count("planner:") == 1 and "Traceback" not in err
    assert kept == "True ['out']"


@pytest.mark.slow  # several planners in a namespace of their own
def test_a_file_where_the_folder_should_be():
    setup = f"echo x > {MOUNT}/f"
    for argv in (["run", str(MINI), "--out", f"{MOUNT}/f"],
                 ["run", str(MINI), "--out", f"{MOUNT}/f/out"],
                 ["init", "灌云县", f"{MOUNT}/f"],
                 ["batch", str(MINI), "--out", f"{MOUNT}/f"],
                 ["compare", f"{MOUNT}/f", f"{MOUNT}/f"],
                 ["check", f"{MOUNT}/f"]):
        code, lines = _main(argv, mount="size=64k", setup=setup)
        assert code == 2 and len(lines) == 1, (argv, lines)
