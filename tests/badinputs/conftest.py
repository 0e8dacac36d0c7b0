"""Helpers of the bad-input suite: a copy of the mini workspace, broken one way per test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from planner.cli import main


@dataclass
class Outcome:
    """What the command line did: exit code, its stderr lines, the output folder."""

    code: int
    err: list[str]
    out: Path
    stdout: str = ""

    @property
    def line(self) -> str:
        """The one stderr line (asserts there is exactly one)."""
        assert len(self.err) == 1, self.err
        return self.err[0]


@pytest.fixture
def cli(capsys):
    """Run ``planner run|check <ws>`` and return an :class:`Outcome`."""

    def _run(ws: Path, command: str = "run") -> Outcome:
        out = ws / "o"
        args = [command, str(ws)] + (["--out", str(out)] if command == "run" else [])
        code = main(args)
        captured = capsys.readouterr()
        err = [line for line in captured.err.splitlines() if line.strip()]
        assert not any("Traceback" in line for line in err)
        return Outcome(code=code, err=err, out=out, stdout=captured.out)

    return _run


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in a UTF-8 text file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def rejected(out: Path):
    """``rejected.csv`` of a run as a DataFrame of text."""
    import pandas as pd

    return pd.read_csv(out / "rejected.csv", dtype=str, keep_default_na=False)
