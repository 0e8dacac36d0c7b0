"""The planner's errors: all ValueErrors, each with its Chinese label, every message on one
line — and the command line shows each one as one line with exit status 2."""

from __future__ import annotations

import inspect

import pytest

from planner import _errors, cli
from planner._errors import PlannerError, one_line

ERRORS = [cls for _name, cls in inspect.getmembers(_errors, inspect.isclass)
          if issubclass(cls, PlannerError)]


def test_every_error_is_a_value_error_with_its_own_label():
    assert {"PlannerError", "ConfigError", "InputFileError", "DatumError", "CRSError",
            "ModelError"} <= {cls.__name__ for cls in ERRORS}
    assert all(issubclass(cls, ValueError) for cls in ERRORS)
    labels = [cls.zh for cls in ERRORS]
    assert len(set(labels)) == len(labels) and all(labels)


@pytest.mark.parametrize("message", [
    "towns.shp, row 3: no geometry;\n  draw it or drop the row",
    "a\tb\r\nc   d", "one line already", "  leading and trailing  \n",
])
def test_message_on_one_line(message):
    words = message.split()
    for cls in ERRORS:
        assert str(cls(message)) == " ".join(words)
    assert one_line(message) == " ".join(words)
    assert one_line(KeyError("x\ny")) == "'x\\ny'"  # str() of a KeyError quotes it


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_cli_shows_each_error_on_one_line_with_exit_2(cls, monkeypatch, capsys, tmp_path):
    def fail(_workspace):
        raise cls(f"{tmp_path / 'quota.csv'}, row 7:\nbad value; fix it")

    monkeypatch.setattr(cli, "_check", fail)
    assert cli.main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert lines == [f"planner: 错误（error）：{cls.zh}：{tmp_path / 'quota.csv'}, row 7: "
                     "bad value; fix it"]
    assert "Traceback" not in captured.err + captured.out
