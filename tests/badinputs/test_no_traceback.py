"""Bad inputs that used to end in a traceback: one line and exit 2 (or 1 with a log)."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest

from tests.badinputs.conftest import edit


def test_empty_csv(mini, cli):
    (mini / "children.csv").write_bytes(b"")
    res = cli(mini)
    assert res.code == 2
    assert re.search(r"children\.csv: the file is empty \(no header row\) for layer "
                     r"'children'", res.line)


def test_web_mercator_prj_on_degrees(mini, cli):
    towns = gpd.read_file(mini / "towns.geojson")
    towns.set_crs(3857, allow_override=True).to_file(mini / "towns.shp", encoding="utf-8")
    edit(mini / "planner.toml", 'path = "towns.geojson"', 'path = "towns.shp"')
    res = cli(mini)
    assert res.code == 2
    assert "towns.shp: coordinates look like degrees (x 120.5..120.6, y 32.3..32.4)" in res.line
    assert "'WGS 84 / Pseudo-Mercator'" in res.line
    assert not (mini / "o").exists()


def test_metres_declared_as_degrees(mini, cli):
    towns = gpd.read_file(mini / "towns.geojson").to_crs(32651)
    towns.set_crs(4326, allow_override=True).to_file(mini / "towns.gpkg")
    edit(mini / "planner.toml", 'path = "towns.geojson"', 'path = "towns.gpkg"')
    res = cli(mini)
    assert res.code == 2
    assert "towns.gpkg: coordinates are not degrees" in res.line


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('path = "towns.geojson"', "path = 5",
     "layer 'towns': path = 5 must be text in quotes"),
    ('x = "经度"', "x = 1",
     "layer 'facilities': x = 1 must be text in quotes"),
    ('town = "镇"', "town = 3", "[quota] town = 3 must be text in quotes"),
    ('path = "towns.geojson"', 'path = "../towns.geojson"',
     "layer 'towns' path '../towns.geojson' leaves the workspace folder"),
    ('path = "quota.csv"', 'path = "../../quota.csv"',
     "[quota] path '../../quota.csv' leaves the workspace folder"),
])
def test_wrong_type_or_escaping_path_in_settings(mini, cli, old, new, expected):
    edit(mini / "planner.toml", old, new)
    res = cli(mini, "check")
    assert res.code == 2
    assert expected in res.line


def test_decode_error_names_the_layer(mini, cli):
    edit(mini / "planner.toml", 'path = "facilities.csv"',
         'path = "facilities.csv"\nencoding = "ascii"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "facilities.csv: cannot decode as ascii" in res.line
    assert "for layer 'facilities' in planner.toml" in res.line
    assert "{role!r}" not in res.line


def test_projected_gcj02_names_the_layer(mini, cli):
    villages = gpd.read_file(mini / "villages.gpkg").to_crs(32651)
    villages.to_file(mini / "villages_utm.gpkg")
    edit(mini / "planner.toml", 'path = "villages.gpkg"',
         'path = "villages_utm.gpkg"\ndatum = "gcj02"')
    res = cli(mini, "check")
    assert res.code == 2
    assert "a projected layer cannot be in gcj02" in res.line
    assert "for layer 'villages'" in res.line


def test_no_workspace_names_the_demo_toml(tmp_path, cli):
    res = cli(tmp_path, "check")
    assert res.code == 2
    assert "no planner.toml here" in res.line
    assert re.search(r"its planner\.toml: \S+planner\.toml\)$", res.line)


def test_unexpected_error_is_logged_not_shown(mini, cli, monkeypatch):
    import planner.pipeline

    def boom(_settings):
        raise KeyError("a bug")

    monkeypatch.setattr(planner.pipeline, "load_workspace", boom)
    res = cli(mini)
    assert res.code == 1
    match = re.search(r"internal error \(KeyError\).* details are in (\S+planner-error-\S+\.log)",
                      res.line)
    assert match, res.line
    log = (mini / "o").resolve() / match.group(1).rsplit("/", 1)[-1]
    assert str(log) == match.group(1)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "KeyError: 'a bug'" in text


def test_unexpected_error_without_out_logs_in_default_output_folder(mini, capsys,
                                                                     monkeypatch, tmp_path):
    import planner.pipeline
    from planner.cli import main

    def boom(_settings):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(planner.pipeline, "load_workspace", boom)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(mini)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    logs = list((tmp_path / "outputs" / "测试县").glob("planner-error-*.log"))
    assert len(logs) == 1 and str(logs[0].resolve()) in err
    assert "ZeroDivisionError: a bug" in logs[0].read_text(encoding="utf-8")


def test_interrupt_is_one_line(mini, cli, monkeypatch):
    import planner.pipeline

    def stop(_settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.pipeline, "load_workspace", stop)
    res = cli(mini)
    assert res.code == 130
    # a run is all or nothing: the earlier outputs stay as they were
    assert res.line == ("planner: 已中断，上次的成果保持不变（interrupted; the earlier outputs "
                        "are unchanged）")


def test_library_warning_is_one_line(mini, cli, monkeypatch):
    import warnings

    import planner.pipeline

    real = planner.pipeline.load_workspace

    def noisy(settings):
        warnings.warn("something odd\nover two lines", UserWarning, stacklevel=1)
        return real(settings)

    monkeypatch.setattr(planner.pipeline, "load_workspace", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        res = cli(mini, "check")
    assert res.code == 0
    assert res.err == ["planner: warning: something odd over two lines (UserWarning)"]


def test_output_folder_that_is_a_file(mini, capsys):
    from planner.cli import main

    out = mini / "o"
    out.write_text("not a folder", encoding="utf-8")
    assert main(["run", str(mini), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"planner: 错误（error）：成果文件夹不可用：{out}")
    assert "这是一个文件而不是文件夹" in err and err.endswith("give a folder with --out")
    assert out.read_text(encoding="utf-8") == "not a folder"  # the user's file is untouched


def test_unreadable_layer_is_one_line(mini, cli, monkeypatch):
    import pandas as pd

    def locked(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(mini / "children.csv"))

    monkeypatch.setattr(pd, "read_csv", locked)
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.endswith("children.csv: cannot open the file of layer 'children' "
                             "(Permission denied); close it in other programs and check that "
                             "you may read it")


def test_symlinked_layer_inside_the_workspace_is_followed(tmp_path, cli):
    from tests.conftest import MINI

    ws = tmp_path / "linked"
    ws.mkdir()
    for f in MINI.iterdir():
        if f.name == "planner.toml":
            (ws / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        else:
            (ws / f.name).symlink_to(f)
    assert cli(ws, "check").code == 0
