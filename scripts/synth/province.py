"""Demo workspaces for every county-level unit of Jiangsu (``build_demo.py --province``).

Every unit of ``data/reference/jiangsu_divisions.csv`` is built; none is skipped. 95 of the
104 units have a real outline in ``jiangsu_counties_gcj02.geojson``. The other 9 are the
cities' development zones (经济技术开发区, 苏州工业园区, 镇江新区: codes ``3xxx71`` and
``320576``), whose land is carved out of existing districts and which the outline source
does not publish. For them :func:`approximate_outline` draws an **approximate outline**: a
disc whose area is the unit's village count times its city's mean area per village,
centred on the representative point of the city's first (urban core) district and clipped
to the city. It overlaps that district, as the real zone does; ``planner.toml`` of such a
workspace says so in its first line, and ``build_stats.json`` has ``"outline":
"approximate"``.

Quota tables: 如皋市 (320682) gets the real 2021 allocation; every other unit a table by
the same rule (one provincial-standard 关爱之家 and one child-service social organisation
per town, one care point per village), marked as such in ``planner.toml``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.geo.crs import WGS84
from planner.geo.datum import transform_geometry
from scripts.synth.demo import REFERENCE, build_workspace, polygonal, reference

RUGAO = "320682"
RUGAO_ALIASES = {"城北街道": "如皋市经济开发区", "城南街道": "如皋高新技术产业开发区"}
RULE_NOTE = ("Quota by the 2021 如皋 rule (synthetic): 1 provincial 关爱之家 and 1 social "
             "organisation per town, 1 care point per village.")


def divisions() -> pd.DataFrame:
    """The reference divisions (one row per village)."""
    return reference("jiangsu_divisions.csv")


def county_codes() -> list[str]:
    """Every county-level unit of the reference divisions, in code order."""
    return sorted(divisions()["county_code"].unique())


def approximate_outline(county_code: str) -> tuple[shapely.Geometry, str, str]:
    """An approximate WGS-84 outline for a unit without one, its name and a note saying so.

    See the module docstring for the construction.
    """
    div = divisions()
    mine = div[div["county_code"] == county_code]
    if mine.empty:
        raise ValueError(f"county code {county_code} not in jiangsu_divisions.csv")
    name = str(mine["county_name"].iloc[0])
    frame = reference("jiangsu_counties_gcj02.geojson")
    city = frame[frame["county_code"].str[:4] == county_code[:4]].sort_values("county_code")
    if city.empty:
        raise ValueError(f"county code {county_code}: no outline for its city "
                         f"{county_code[:4]} either")
    geoms = gpd.GeoSeries(transform_geometry(city.geometry.to_numpy(), datum="gcj02"),
                          crs=WGS84).make_valid()
    crs = geoms.estimate_utm_crs()
    metric = geoms.to_crs(crs)
    city_villages = div[div["county_code"].isin(city["county_code"])]
    per_village = metric.area.sum() / max(len(city_villages), 1)
    radius = float(np.sqrt(len(mine) * per_village / np.pi))
    centre = metric.iloc[0].representative_point()
    disc = shapely.intersection(centre.buffer(radius, quad_segs=16),
                                shapely.union_all(metric.to_numpy()))
    outline = gpd.GeoSeries([disc], crs=crs).to_crs(WGS84).iloc[0]
    note = (f"APPROXIMATE OUTLINE: {name} has none in the reference data; a disc of "
            f"{np.pi * radius ** 2 / 1e6:.0f} km2 around {city['county_name'].iloc[0]} "
            "(see scripts/synth/province.py)")
    return polygonal(outline), name, note


def rule_quota(county_code: str) -> pd.DataFrame:
    """A quota table by the 如皋 2021 rule for every town of the county."""
    div = divisions()
    div = div[div["county_code"] == county_code]
    per_town = div.groupby("town_code", sort=True).agg(town_name=("town_name", "first"),
                                                       villages=("village_code", "size"))
    return pd.DataFrame({"town_name": per_town["town_name"].to_numpy(),
                         "care_home_provincial_standard": 1,
                         "village_care_points": per_town["villages"].to_numpy(),
                         "child_service_social_orgs": 1})


def build_county(out: str, county_code: str, *, seed: int = 2021, extras: bool = True,
                 defects: bool = True) -> dict:
    """Build one unit's workspace into ``out`` (a dask task of :func:`build_province`)."""
    if county_code == RUGAO:
        return build_workspace(Path(out), county_code=county_code,
                               quota_csv=REFERENCE / "rugao_2021_allocation.csv",
                               aliases=RUGAO_ALIASES, seed=seed, extras=extras,
                               defects=defects)
    with tempfile.TemporaryDirectory() as tmp:
        quota = Path(tmp) / "quota.csv"
        rule_quota(county_code).to_csv(quota, index=False)
        return build_workspace(Path(out), county_code=county_code, quota_csv=quota,
                               seed=seed, extras=extras, defects=defects,
                               quota_note=RULE_NOTE)


def build_province(out: Path, *, codes: list[str] | None = None, seed: int = 2021,
                   extras: bool = True, defects: bool = True, workers: int | None = None,
                   echo: Callable[[str], None] = print) -> dict[str, dict]:
    """Build a workspace per county-level unit into ``out/<code>/``, in parallel (dask).

    Returns the build statistics per county code; a unit that cannot be built raises
    (after the others finished) rather than being skipped.
    """
    import os

    from distributed import Client, LocalCluster, as_completed

    codes = codes or county_codes()
    out.mkdir(parents=True, exist_ok=True)
    n = min(workers or min(os.cpu_count() or 1, 4), len(codes))
    stats, errors = {}, {}
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"},  # not port 8787
                      silence_logs=50) as cluster, \
            Client(cluster) as client:
        futures = {client.submit(build_county, str(out / code), code, seed=seed,
                                 extras=extras, defects=defects, key=f"build-{code}",
                                 pure=False): code for code in codes}
        for i, fut in enumerate(as_completed(futures), start=1):
            code = futures[fut]
            try:
                stats[code] = fut.result()
            except Exception as exc:  # reported below; the others go on
                errors[code] = f"{type(exc).__name__}: {exc}"
                echo(f"[{i}/{len(codes)}] {code} FAILED: {errors[code]}")
                continue
            note = " (approximate outline)" if stats[code].get("outline") == "approximate" \
                else ""
            echo(f"[{i}/{len(codes)}] {code} {stats[code]['county']}: "
                 f"{stats[code]['villages']} villages{note}")
    if errors:
        raise RuntimeError(f"{len(errors)} units not built: "
                           + "; ".join(f"{c}: {e}" for c, e in sorted(errors.items())))
    return dict(sorted(stats.items()))
