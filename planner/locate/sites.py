"""Locate: assign each point to its village and town by geometry.

A point inside a village polygon takes that village (and the village's town). A point in
no polygon (a gap or just over the border) takes the nearest village within the
workspace tolerance, measured in the metric CRS; farther points are rejected.
Where a record also declares a town, disagreements with the located town are listed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.geo.crs import check_metric
from planner.glossary import clean_text, town_stem
from planner.records.ledger import Ledger
from planner.validate.frames import map_unique


def locate_points(points: gpd.GeoDataFrame, *, villages: gpd.GeoDataFrame, crs: CRS,
                  tolerance_m: float) -> pd.DataFrame:
    """Village and town of every point.

    Parameters
    ----------
    points, villages : GeoDataFrame
        In the same CRS (WGS-84); villages with ``village_code``, ``village_name``,
        ``town_code``, ``town_name``.
    crs : CRS
        Metric CRS for the nearest-village fallback.
    tolerance_m : float
        Largest distance to a village for a point outside every polygon.

    Returns
    -------
    DataFrame
        Indexed like ``points``: village_code, village_name, town_code, town_name,
        located_by ('within', 'nearest' or '' when not located) and offset_m.
    """
    check_metric(crs, where="the locate CRS")
    cols = ["village_code", "village_name", "town_code", "town_name"]
    out = pd.DataFrame(index=points.index, columns=cols, dtype=object)
    out["located_by"] = ""
    out["offset_m"] = np.nan
    if points.empty:
        return out
    hit = gpd.sjoin(points[["geometry"]], villages[[*cols, "geometry"]], how="inner",
                    predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    out.loc[hit.index, cols] = hit[cols].to_numpy()
    out.loc[hit.index, "located_by"] = "within"
    out.loc[hit.index, "offset_m"] = 0.0
    rest = points.index.difference(hit.index)
    if len(rest):
        near = gpd.sjoin_nearest(
            points.loc[rest, ["geometry"]].to_crs(crs), villages[[*cols, "geometry"]].to_crs(crs),
            how="inner", max_distance=tolerance_m, distance_col="offset_m",
        )
        near = near[~near.index.duplicated(keep="first")]
        out.loc[near.index, cols] = near[cols].to_numpy()
        out.loc[near.index, "located_by"] = "nearest"
        out.loc[near.index, "offset_m"] = near["offset_m"].to_numpy()
    return out


def town_matches(declared: pd.Series, located: pd.Series, *, aliases: dict[str, str]) -> pd.Series:
    """Whether each declared town name names the located town (exact, alias or stem).

    Returns a nullable boolean Series: ``<NA>`` where nothing was declared.
    """
    alias = {clean_text(k): clean_text(v) for k, v in aliases.items()}
    dec = map_unique(declared.fillna(""), clean_text)
    dec_resolved = map_unique(dec, lambda t: alias.get(t, t))
    loc = map_unique(located.fillna(""), clean_text)
    same = (dec_resolved == loc) | (map_unique(dec, town_stem) == map_unique(loc, town_stem))
    return same.astype("boolean").where(dec != "", pd.NA)


def locate_facilities(facilities: gpd.GeoDataFrame, *, villages: gpd.GeoDataFrame, crs: CRS,
                      tolerance_m: float, aliases: dict[str, str],
                      ledger: Ledger) -> gpd.GeoDataFrame:
    """Locate facilities, reject those in no village, and flag declared-town disagreements.

    Also closes the ledger for the facility files (records accepted = located ones).
    """
    where = locate_points(facilities, villages=villages, crs=crs, tolerance_m=tolerance_m)
    out = facilities.join(where)
    lost = out["located_by"] == ""
    for file, rows in out[lost].groupby("_file"):
        ledger.reject("facilities", file, rows,
                      "不在任何村界内 / not inside any village polygon: check the position")
    out = out[~lost].copy()
    for file, rows in out[out["located_by"] == "nearest"].groupby("_file"):
        ledger.repair("facilities", file, rows["_row"],
                      "在村界缝隙中，归入最近的村 / in a gap between villages: assigned to the "
                      "nearest village")
    out["town_agrees"] = town_matches(out["declared_town"], out["town_name"], aliases=aliases)
    for (_layer, file), counts in ledger.counts.items():
        if _layer == "facilities":
            counts["accepted"] = int((out["_file"] == file).sum())
    return out.reset_index(drop=True)


def disagreements(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Facilities whose declared town differs from the town they lie in."""
    bad = facilities["town_agrees"].fillna(True).eq(False)
    cols = ["facility_id", "name", "kind", "declared_town", "town_name", "village_name",
            "_file", "_row"]
    return facilities.loc[bad, cols].reset_index(drop=True)


def disagreement_records(table: pd.DataFrame) -> list[dict]:
    """:func:`disagreements` as JSON-ready records, the source row as ``row``."""
    return table.drop(columns=["_row"]).assign(row=table["_row"]).to_dict("records")
