"""The output folder: refused when it holds a user's files, one run at a time, all or nothing
(a killed run leaves the earlier complete set), no stale files, every path confined.

The kill and the full disk are real: a child process killed with SIGKILL while it writes,
and a 256 KiB tmpfs mounted in a private user + mount namespace (``unshare -rm``; the test
is skipped where the kernel does not allow one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner._errors import OutputFolderError
from planner.records.outputs import (
    MANIFEST,
    OutputFolder,
    confine,
    foreign_files,
    is_complete,
    safe_name,
)
from tests.fsfaults import in_namespace, needs_tmpfs

ROOT = Path(__file__).resolve().parents[2]


def _write_set(staging: Path, names: dict[str, str]) -> None:
    for name, text in names.items():
        (staging / name).write_text(text, encoding="utf-8")


def _run_once(target: Path, names: dict[str, str]) -> None:
    with OutputFolder(target) as staging:
        _write_set(staging, {"run.json": json.dumps({"inputs": [], "timings_s": {}}),
                             **names})


def _visible(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def test_a_run_replaces_its_own_earlier_outputs_and_leaves_no_stale_file(tmp_path):
    out = tmp_path / "outputs" / "县"
    _run_once(out, {"progress.csv": "a", "water_risk.csv": "w"})
    assert is_complete(out)
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"] == [
        "progress.csv", "run.json", "water_risk.csv"]
    _run_once(out, {"progress.csv": "b"})  # no water this time
    assert set(_visible(out)) == {"progress.csv", "run.json"}
    assert _visible(out)["progress.csv"] == "b"
    assert sorted(p.name for p in out.parent.iterdir()) == ["县"]  # no lock, no staging


@pytest.mark.parametrize("user_file", ["planner.toml", "facilities.csv", "notes/说明.docx"])
def test_a_folder_holding_a_users_file_is_refused_and_left_alone(tmp_path, user_file):
    out = tmp_path / "ws"
    (out / user_file).parent.mkdir(parents=True, exist_ok=True)
    (out / user_file).write_text("用户的数据", encoding="utf-8")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    with pytest.raises(OutputFolderError, match="--out") as err:
        OutputFolder(out).open()
    assert "\n" not in str(err.value)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert (out / user_file).read_text(encoding="utf-8") == "用户的数据"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]


def test_a_users_file_added_to_an_output_folder_stops_the_next_run(tmp_path):
    out = tmp_path / "out"
    _run_once(out, {"progress.csv": "a"})
    (out / "我的批注.xlsx").write_bytes(b"mine")
    assert foreign_files(out) == ["我的批注.xlsx"]
    with pytest.raises(OutputFolderError):
        _run_once(out, {"progress.csv": "b"})
    assert (out / "我的批注.xlsx").read_bytes() == b"mine"
    assert _visible(out)["progress.csv"] == "a"


def test_error_logs_and_outputs_of_a_run_before_manifests_are_the_planners(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"inputs": [], "timings_s": {}}),
                                  encoding="utf-8")
    for name in ("progress.xlsx", "map_quota.png", "planner-error-20250101-000000.log"):
        (out / name).write_text("x", encoding="utf-8")
    assert foreign_files(out) == []
    _run_once(out, {"progress.csv": "new"})
    assert set(_visible(out)) == {"progress.csv", "run.json"}
    # the same names beside a run.json the planner did not write are not adopted
    other = tmp_path / "other"
    other.mkdir()
    (other / "run.json").write_text("{}", encoding="utf-8")
    (other / "progress.xlsx").write_text("x", encoding="utf-8")
    assert foreign_files(other) == ["progress.xlsx", "run.json"]


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    target = tmp_path / "out"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="file"):
        OutputFolder(target).open()
    with pytest.raises(OutputFolderError):  # nor a folder below a file
        OutputFolder(target / "sub").open()
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_names_are_confined_to_the_folder(tmp_path):
    for bad in ("../../etc/passwd", "/tmp/x", "a/../../b"):
        with pytest.raises(OutputFolderError):
            confine(tmp_path, bad)
    assert confine(tmp_path, "sub/run.json") == (tmp_path / "sub" / "run.json").resolve()
    for text in ("../../etc", "..", "a/b\\c", "\u202e县\u200b", "\x00", ".hidden", "", None):
        name = safe_name(text)
        assert name and "/" not in name and "\\" not in name and ".." not in name
        assert not name.startswith(".") and "\u202e" not in name and "\x00" not in name
        assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert safe_name("如皋市") == "如皋市"


def test_a_second_run_on_the_same_folder_is_refused_in_one_line(tmp_path):
    out = tmp_path / "out"
    first = OutputFolder(out)
    first.open()
    with pytest.raises(OutputFolderError, match="another run") as err:
        OutputFolder(out).open()
    assert "\n" not in str(err.value)
    first.abort()
    _run_once(out, {"progress.csv": "after"})  # free again
    assert _visible(out)["progress.csv"] == "after"


def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            env=os.environ | {"PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)


def test_kill_9_while_writing_leaves_the_earlier_complete_set(tmp_path):
    out = tmp_path / "out"
    _run_once(out, {"progress.csv": "v1", "water_risk.csv": "v1"})
    before = _visible(out)
    proc = _child(f"""
        import time
        from pathlib import Path
        from planner.records.outputs import OutputFolder
        folder = OutputFolder(Path({str(out)!r}))
        staging = folder.open()
        (staging / "progress.csv").write_text("half", encoding="utf-8")
        print("writing", flush=True)
        time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == "writing"
    with pytest.raises(OutputFolderError):  # it holds the lock while alive
        OutputFolder(out).open()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert _visible(out) == before and is_complete(out)
    _run_once(out, {"progress.csv": "v2"})  # the dead run's lock is taken over
    assert _visible(out)["progress.csv"] == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # its staging is gone


def test_a_run_killed_between_the_two_renames_gets_its_earlier_set_back(tmp_path,
                                                                       monkeypatch):
    out = tmp_path / "out"
    _run_once(out, {"progress.csv": "v1"})
    real = os.rename
    calls = []

    def power_cut(src, dst):
        calls.append(src)
        if len(calls) == 2:  # the old folder is aside, the new one not yet in place
            raise KeyboardInterrupt
        real(src, dst)

    folder = OutputFolder(out)
    staging = folder.open()
    _write_set(staging, {"run.json": "{}", "progress.csv": "v2"})
    monkeypatch.setattr(os, "rename", power_cut)
    with pytest.raises(KeyboardInterrupt):
        folder.commit()
    monkeypatch.setattr(os, "rename", real)
    folder._lock.release()  # the process "died": its lock goes with it
    assert not out.exists() and not is_complete(out)  # what batch sees: not finished
    OutputFolder(out).open()  # the next run puts the earlier set back first
    assert _visible(out)["progress.csv"] == "v1" and is_complete(out)


def test_an_error_while_writing_keeps_the_earlier_set(tmp_path):
    out = tmp_path / "out"
    _run_once(out, {"progress.csv": "v1"})
    with pytest.raises(ZeroDivisionError), OutputFolder(out) as staging:
        (staging / "progress.csv").write_text("half", encoding="utf-8")
        1 / 0  # noqa: B018
    assert _visible(out)["progress.csv"] == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_moved_file_by_file_where_the_folder_cannot_be_renamed(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _run_once(out, {"progress.csv": "v1", "water_risk.csv": "w"})
    monkeypatch.chdir(out)  # the user's shell sits in it: it is never renamed
    _run_once(out, {"progress.csv": "v2"})
    assert set(_visible(out)) == {"progress.csv", "run.json"}
    assert is_complete(out) and out.samefile(".")
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [MANIFEST]


@needs_tmpfs
def test_a_full_disk_is_one_line_and_keeps_the_earlier_set():
    done = in_namespace("""
        import json
        from pathlib import Path
        from planner._errors import OutputFolderError
        from planner.records.outputs import OutputFolder
        out = Path("/mnt/planner-test/out")
        with OutputFolder(out) as staging:
            (staging / "run.json").write_text(json.dumps({"inputs": [], "timings_s": {}}))
            (staging / "progress.csv").write_text("v1")
        try:
            with OutputFolder(out) as staging:
                (staging / "progress.csv").write_text("v2")
                (staging / "planner.gpkg").write_bytes(b"x" * 400_000)
        except OutputFolderError as exc:
            print(str(exc))
        print((out / "progress.csv").read_text())
        print(sorted(p.name for p in Path("/mnt/planner-test").iterdir()))
    """, mount="size=256k")
    assert done.returncode == 0, done.stderr
    message, kept, left = done.stdout.strip().splitlines()
    assert "磁盘空间不足" in message and "disk is full" in message
    assert kept == "v1" and left == "['out']"


@needs_tmpfs
def test_a_read_only_folder_is_one_line_before_anything_is_written():
    done = in_namespace("""
        from pathlib import Path
        from planner._errors import OutputFolderError
        from planner.records.outputs import OutputFolder
        for target in ("/mnt/planner-test/out", "/mnt/planner-test"):
            try:
                OutputFolder(Path(target)).open()
            except OutputFolderError as exc:
                print(type(exc).__name__, "\\n" in str(exc), "--out" in str(exc))
    """, mount="size=64k,ro")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["OutputFolderError False True"] * 2


def test_one_lock_whatever_the_folder_is_called(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    first = OutputFolder(tmp_path / "real" / "out")
    first.open()
    for other in ("link/out", "real/../real/out", tmp_path / "link" / "out"):
        with pytest.raises(OutputFolderError, match="another run"):
            OutputFolder(other).open()
    first.abort()
