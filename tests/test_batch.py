"""planner batch: counties as dask tasks, failures isolated, re-runs skip finished counties,
and the province roll-up equals the sum of the county run.json files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from openpyxl import load_workbook

from planner._errors import ConfigError
from planner.batch import batch, find_workspaces, plan
from planner.cli import main
from planner.core.optimise import max_cover
from planner.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
#: three small units: a district, and two development zones without a reference outline
SMALL = {"320102": [], "321371": ["--rule-quota"], "320971": ["--rule-quota"]}


def _figures(value):
    """run.json without what legitimately differs between two runs (timings)."""
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items()
                if k != "timings_s" and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return value


def _tomlset(ws: Path, name: str, code: str) -> None:
    toml = ws / "planner.toml"
    text = toml.read_text(encoding="utf-8").replace(
        'name = "测试县"', f'name = "{name}"\ncounty_code = "{code}"')
    toml.write_text(text, encoding="utf-8")


def test_find_workspaces_folder_of_workspaces(mini, tmp_path):
    group = tmp_path / "group"
    for name in ("b", "a"):
        shutil.copytree(mini, group / name)
    found = find_workspaces([group, mini / "planner.toml"])
    assert [p.name for p in found] == ["a", "b", "mini"]


def test_find_workspaces_rejects_a_folder_without_workspaces(tmp_path):
    with pytest.raises(ConfigError, match="neither a workspace"):
        find_workspaces([tmp_path])
    with pytest.raises(ConfigError, match="no such folder"):
        find_workspaces([tmp_path / "nope"])


def test_plan_keys_are_unique(mini, tmp_path):
    other = tmp_path / "other" / "mini"
    shutil.copytree(mini, other)
    keys = [c.key for c in plan([mini, other], out=tmp_path / "o")]
    assert keys == ["mini", "mini_2"]


def test_cli_batch_unusable_input_exits_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.slow
def test_failure_isolated_skip_and_force(mini, tmp_path):
    """One broken county fails with one line and its log; the other finishes; a re-run
    skips the finished county unless forced."""
    group = tmp_path / "group"
    good, bad = group / "good", group / "bad"
    shutil.copytree(mini, good)
    shutil.copytree(mini, bad)
    _tomlset(good, "甲县", "320102")
    _tomlset(bad, "乙县", "320111")
    (bad / "villages.gpkg").unlink()
    lines: list[str] = []
    out = tmp_path / "out"
    result = batch([group], out=out, workers=2, echo=lines.append, bar=False)
    status = {c["key"]: c["status"] for c in result.counties}
    assert status == {"320102": "ok", "320111": "failed"}
    failed = result.failed[0]
    assert "villages.gpkg" in failed["error"] and "\n" not in failed["error"]
    assert "villages.gpkg" in Path(failed["log"]).read_text(encoding="utf-8")
    assert any(line.startswith("[") and "320111 failed" in line for line in lines)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["province"]["counties"] == 1
    assert [f["key"] for f in summary["failed"]] == ["320111"]
    again = batch([group], out=out, workers=1, echo=lines.append, bar=False)
    assert {c["key"]: c["status"] for c in again.counties} == {"320102": "skipped",
                                                               "320111": "failed"}
    (bad / "planner.toml").unlink()  # now only the good county is given, forced
    forced = batch([good], out=out, workers=1, force=True, echo=lines.append, bar=False)
    assert [c["status"] for c in forced.counties] == ["ok"]


@pytest.fixture(scope="module")
def three_counties(tmp_path_factory) -> Path:
    """Three small demo counties built with scripts/build_demo.py --no-extras."""
    root = tmp_path_factory.mktemp("counties")
    for code, extra in SMALL.items():
        subprocess.run([sys.executable, "-m", "scripts.build_demo", "--county", code,
                        "--out", str(root / code), "--no-extras", *extra], cwd=ROOT,
                       check=True, capture_output=True)
        # a small county's few planted bad rows are a larger share than the 5 % a run may
        # lose ([validate] max_unusable_share): these synthetic counties allow 10 %
        with (root / code / "planner.toml").open("a", encoding="utf-8") as toml:
            toml.write("\n[validate]\nmax_unusable_share = 0.1\n")
    return root


@pytest.fixture(scope="module")
def batched(three_counties, tmp_path_factory) -> Path:
    """planner batch over the three counties, with care homes placed province-wide."""
    out = tmp_path_factory.mktemp("batch")
    result = batch([three_counties], out=out, workers=2, echo=lambda _l: None, bar=False,
                   place="province")
    assert [c["status"] for c in result.counties] == ["ok"] * 3
    return out


@pytest.mark.slow
def test_batch_equals_separate_runs_and_rollup_is_their_sum(three_counties, batched,
                                                            tmp_path):
    out = batched
    runs = {}
    for code in SMALL:
        alone = tmp_path / "alone" / code
        run(three_counties / code, out=alone, echo=lambda _l: None)
        mine = json.loads((alone / "run.json").read_text(encoding="utf-8"))
        theirs = json.loads((out / "counties" / code / "run.json").read_text(encoding="utf-8"))
        assert _figures(theirs) == _figures(mine), code
        for name in ("progress.csv", "villages.csv", "coverage.csv"):
            assert (alone / name).read_bytes() == (out / "counties" / code / name
                                                   ).read_bytes(), (code, name)
        runs[code] = mine
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    prov = summary["province"]
    quota = [r["quota"] for r in runs.values() if r["quota"]]
    assert len(quota) == 2  # 320971 and 321371 have a quota table, 320102 none
    villages = sum(q["villages"] if q else r["villages"]
                   for r, q in ((r, r["quota"]) for r in runs.values()))
    assert prov["villages"] == villages
    with_point = sum(int(pd.read_csv(out / "counties" / c / "progress.csv")[
        "villages_with_care_point"].sum()) for c in SMALL)
    assert prov["villages_with_care_point"] == with_point
    assert prov["towns"] == sum(r["towns"] for r in runs.values())
    assert prov["facilities"] == sum(sum(r["facilities"].values()) for r in runs.values())
    assert prov["rejected"] == sum(r["rejected"] for r in runs.values())
    for kind in ("care_home", "care_point", "social_org"):
        for sub in ("required", "built", "missing"):
            assert prov["quota"][kind][sub] == sum(q[kind][sub] for q in quota), (kind, sub)
        done = sum(min(b, r) for c in ("320971", "321371") for b, r in pd.read_csv(
            out / "counties" / c / "progress.csv")[[f"built_{kind}", f"required_{kind}"]]
            .itertuples(index=False))
        req = sum(q[kind]["required"] for q in quota)
        assert prov["quota"][kind]["percent"] == round(100.0 * done / req, 1)
    cities = {c["city_code"]: c["city_name"] for c in summary["cities"]}
    assert cities == {"3201": "南京市", "3209": "盐城市", "3213": "宿迁市"}
    _check_xlsx(out / "province_progress.xlsx", prov, n_towns=prov["towns"])
    assert (out / "province_map.png").stat().st_size > 10_000


def _check_xlsx(path: Path, prov: dict, *, n_towns: int) -> None:
    """The 全省合计 row of the form holds the province totals; one row per town."""
    ws = load_workbook(path)["全省进度"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    head = [c.value for c in ws[3]]
    total = rows[-1]
    assert total[1] == "全省合计"
    village_col = head.index("村（居）数")
    assert total[village_col] == prov["villages"]
    assert total[village_col + 1] == prov["villages_with_care_point"]
    towns = [r for r in rows if r[3] not in ("小计", "", None)]
    assert len(towns) == n_towns
    subtotal = [r for r in rows if r[3] == "小计"]
    assert sum(r[village_col] for r in subtotal) == prov["villages"]
    # subtotals and the province total stand out: bold, on their own fills
    at = 4 + next(i for i, r in enumerate(rows) if r[3] == "小计")
    sub, last = ws.cell(at, village_col + 1), ws.cell(3 + len(rows), village_col + 1)
    assert sub.font.b and sub.fill.fgColor.rgb.endswith("F7F7F7")
    assert last.font.b and last.fill.fgColor.rgb.endswith("F2F2F2")
    plain = ws.cell(4, village_col + 1)
    assert not plain.font.b and plain.fill.fill_type is None


@pytest.mark.slow
def test_province_placement_equals_separate_county_models(batched):
    """The two quota counties are 150 km apart, so one province model must do exactly what
    two county models do; those are rebuilt here with geodesic distances."""
    out = batched
    placement = json.loads((out / "summary.json").read_text(encoding="utf-8"))["placement"]
    sites = gpd.read_file(out / "province_sites.geojson")
    threshold = placement["threshold_m"]
    geod = pyproj.Geod(ellps="WGS84")
    total = 0.0
    for code in ("320971", "321371"):
        gpkg = out / "counties" / code / "planner.gpkg"
        vil = gpd.read_file(gpkg, layer="villages").to_crs(4326)
        fac = gpd.read_file(gpkg, layer="facilities").to_crs(4326)
        fac = fac[fac["kind"] == "care_home"]
        prog = pd.read_csv(out / "counties" / code / "progress.csv", dtype={"town_code": str})
        pts = vil.geometry.representative_point()
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
        n = len(vil)
        d = geod.inv(*np.broadcast_arrays(lon[:, None], lat[:, None], lon[None], lat[None]))[2]
        e = geod.inv(*np.broadcast_arrays(lon[:, None], lat[:, None], fac.geometry.x.to_numpy()[
            None], fac.geometry.y.to_numpy()[None]))[2]
        towns, group = np.unique(vil["town_code"], return_inverse=True)
        missing = prog.set_index("town_code")["missing_care_home"].reindex(towns).fillna(0)
        counts = np.minimum(missing.to_numpy(int), np.bincount(group))
        sol = max_cover(vil["children"].to_numpy(float), d <= threshold, groups=group,
                        counts=counts, covered=(e <= threshold).any(axis=1))
        total += sol.objective
        assert sol.selected.size == counts.sum() == (sites["county_code"] == code).sum()
        assert n == (vil["village_code"].str[:6] == code).sum()
    assert placement["objective"] == pytest.approx(total)
    assert placement["sites"] == len(sites)


@pytest.mark.slow
def test_existing_cluster_used_unchanged(mini, tmp_path):
    """--scheduler: the tasks run on the given cluster, which stays up afterwards."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                      silence_logs=50) as cluster:
        result = batch([mini], out=tmp_path / "out", scheduler=cluster.scheduler_address,
                       echo=lambda _l: None, bar=False)
        assert [c["status"] for c in result.counties] == ["ok"]
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 1
            assert result.counties[0]["pid"] in set(client.run(os.getpid).values())
    assert (tmp_path / "out" / "counties" / "mini" / "run.json").is_file()


def test_unreachable_scheduler_is_a_config_error(mini, tmp_path, monkeypatch):
    import distributed

    real = distributed.Client
    # nothing listens on port 9: give up after one second rather than the planner's ten
    monkeypatch.setattr(distributed, "Client",
                        lambda address, timeout=None, **kw: real(address, timeout="1s", **kw))
    with pytest.raises(ConfigError, match="cannot reach the dask scheduler"):
        batch([mini], out=tmp_path / "out", scheduler="tcp://127.0.0.1:9",
              echo=lambda _l: None, bar=False)


def test_rollup_refuses_a_stale_county(mini_result, tmp_path):
    """A county whose progress.csv no longer matches its run.json is not summed."""
    from planner._errors import InputFileError
    from planner.report.province import write_rollup

    folder = tmp_path / "county"
    shutil.copytree(mini_result.out, folder)
    progress = pd.read_csv(folder / "progress.csv", dtype={"town_code": str})
    progress.loc[0, "built_care_home"] += 1
    progress.to_csv(folder / "progress.csv", index=False)
    with pytest.raises(InputFileError, match="disagree on built care_home"):
        write_rollup([folder], out=tmp_path / "roll")


def test_batch_out_holding_a_users_file_or_a_workspace_is_refused(mini, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "名单.xlsx").write_bytes(b"mine")
    assert main(["batch", str(mini), "--out", str(out)]) == 2
    assert main(["batch", str(mini), "--out", str(mini.parent)]) == 2
    assert main(["batch", str(mini), "--out", str(mini)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all("--out" in line for line in err)
    assert (out / "名单.xlsx").read_bytes() == b"mine"
    assert sorted(p.name for p in mini.parent.iterdir()) == ["mini", "out"]


def test_plan_keys_stay_inside_counties(mini, tmp_path):
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[workspace]", '[workspace]\ncounty_code = "../../x"'), encoding="utf-8")
    (county,) = plan([mini], out=tmp_path / "o")
    assert county.out.parent == tmp_path / "o" / "counties" and ".." not in county.key


@pytest.mark.slow
def test_a_county_killed_half_way_is_not_finished(mini, tmp_path):
    """A county folder with a run.json but no complete set (a file of it gone, or outputs
    of an older version) is run again; a complete one is skipped."""
    out = tmp_path / "out"
    result = batch([mini], out=out, workers=1, echo=lambda _l: None, bar=False)
    assert [c["status"] for c in result.counties] == ["ok"]
    county = out / "counties" / "mini"
    (county / "planner.gpkg").unlink()  # half-written: a layer file missing
    again = batch([mini], out=out, workers=1, echo=lambda _l: None, bar=False)
    assert [c["status"] for c in again.counties] == ["ok"]
    assert (county / "planner.gpkg").is_file()
    third = batch([mini], out=out, workers=1, echo=lambda _l: None, bar=False)
    assert [c["status"] for c in third.counties] == ["skipped"]
