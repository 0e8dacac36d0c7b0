"""The command line: exit status and one-line messages on unusable input."""

import pytest

from planner.cli import main


def test_run_mini_succeeds(mini, tmp_path, capsys):
    assert main(["run", str(mini), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    # Chinese first: stage lines, the town table with 缺口 and 完成率, the kinds' totals
    assert "[1/9] 读入与校验 ..." in out and "省标关爱之家：任务 3，已建 1，缺口 2" in out
    assert "缺口 完成率" in out and "成果文件夹：" in out
    assert "care_home" not in out and "required" not in out and "outputs:" not in out
    assert (tmp_path / "o" / "run.json").exists()


def test_check_prints_the_ledger(mini, capsys):
    assert main(["check", str(mini)]) == 0
    out = capsys.readouterr().out
    assert "facilities.csv" in out and "拒收" in out and "EPSG:32651" in out
    assert "rejected" not in out and "finding:" not in out  # Chinese first


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace('path = "quota.csv"', 'path = "missing.csv"'),
     r"missing\.csv: file not found \(layer 'quota'\)"),
    (lambda t: t.replace('datum = "gcj02"', 'datum = "xian80"'), "unknown datum 'xian80'"),
    (lambda t: t.replace('x = "经度"', 'x = "lng"'), r"column\(s\) \['lng'\] missing"),
])
def test_unusable_input_one_line_message(mini, capsys, edit, expected):
    toml = mini / "planner.toml"
    toml.write_text(edit(toml.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["run", str(mini), "--out", str(mini / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert pytest.importorskip("re").search(expected, err), err


def test_missing_workspace(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert "no planner.toml" in capsys.readouterr().err


def test_version(capsys):
    from planner import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"planner {__version__}"


@pytest.mark.slow  # a whole run of its own
def test_quiet_and_verbose(mini, tmp_path, capsys):
    assert main(["-q", "run", str(mini), "--out", str(tmp_path / "q")]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "q" / "run.json").exists()
    assert main(["-v", "run", str(mini), "--out", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "] 读入与校验" in out and "各阶段用时（秒）：读入与校验" in out
