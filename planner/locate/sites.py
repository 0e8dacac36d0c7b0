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
from planner.glossary import KINDS, clean_text, town_stem
from planner.records.ledger import Ledger
from planner.validate.frames import map_unique


def locate_points(points: gpd.GeoDataFrame, *, villages: gpd.GeoDataFrame, crs: CRS,
                  tolerance_m: float, prefer: pd.DataFrame | None = None) -> pd.DataFrame:
    """Village and town of every point.

    Parameters
    ----------
    points, villages : GeoDataFrame
        In the same CRS (WGS-84); villages with ``village_code``, ``village_name``,
        ``town_code``, ``town_name`` (villages without a geometry are skipped).
    crs : CRS
        Metric CRS for the nearest-village fallback.
    tolerance_m : float
        Largest distance to a village for a point outside every polygon.
    prefer : DataFrame, optional
        Indexed like ``points``: ``declared_village_code`` and ``declared_town_code``. A
        point inside two overlapping villages takes the declared village, else one of the
        declared town, when one of them is.

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
    villages = villages[villages.geometry.notna()]
    points = points[points.geometry.notna()]
    if points.empty or villages.empty:
        return out
    hit = gpd.sjoin(points[["geometry"]], villages[[*cols, "geometry"]], how="inner",
                    predicate="within")
    if prefer is not None and len(hit):
        wish = prefer.loc[hit.index]
        score = (2 * (hit["village_code"].to_numpy() == wish["declared_village_code"].to_numpy())
                 + (hit["town_code"].to_numpy() == wish["declared_town_code"].to_numpy()))
        hit = hit.assign(_score=score).sort_values("_score", ascending=False, kind="stable")
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


def _by_declaration(facilities: gpd.GeoDataFrame, where: pd.DataFrame,
                    villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Sites placed by declaration take their declared village and town; sites with
    coordinates outside every village polygon (villages without geometry) take the town
    whose polygon holds them and, if it is in that town, their declared village."""
    names = villages.set_index("village_code")["village_name"]
    towns = villages.drop_duplicates("town_code").set_index("town_code")["town_name"]
    method = facilities.get("location_method", pd.Series("coordinates",
                                                         index=facilities.index))
    vcode = facilities.get("declared_village_code", pd.Series("", index=facilities.index))
    tcode = facilities.get("declared_town_code", pd.Series("", index=facilities.index))
    at = facilities.get("point_town_code", pd.Series("", index=facilities.index))
    loose = method != "coordinates"
    by_town = ~loose & (where["located_by"] == "") & (at != "")
    where = where.copy()
    where.loc[loose, "town_code"] = tcode[loose]
    where.loc[loose, "village_code"] = vcode[loose]
    where.loc[loose, "located_by"] = "declared"
    own = by_town & (villages.set_index("village_code")["town_code"].reindex(
        vcode).to_numpy() == at.to_numpy())
    where.loc[by_town, "town_code"] = at[by_town]
    where.loc[by_town, "village_code"] = vcode[by_town].where(own[by_town], "")
    where.loc[by_town, "located_by"] = "town"
    sel = loose | by_town
    code = where.loc[sel, "village_code"]
    where.loc[sel, "village_code"] = code.where(code.fillna("") != "", None)
    where.loc[sel, "village_name"] = where.loc[sel, "village_code"].map(names)
    where.loc[sel, "town_name"] = where.loc[sel, "town_code"].map(towns)
    where.loc[sel, "offset_m"] = np.nan
    return where


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

    Sites placed by declaration (``location_method`` other than ``coordinates``) take their
    declared village and town. A village-level site (care point) that ends in no village is
    rejected. Closes the ledger for the facility files (records accepted = located ones)
    and stops the run when a file lost more than its share (:meth:`Ledger.check_loss`).
    """
    prefer = facilities[["declared_village_code", "declared_town_code"]] \
        if "declared_village_code" in facilities.columns else None
    where = locate_points(facilities, villages=villages, crs=crs, tolerance_m=tolerance_m,
                          prefer=prefer)
    where = _by_declaration(facilities, where, villages)
    out = facilities.join(where)
    lost = out["located_by"] == ""
    for file, rows in out[lost].groupby("_file"):
        ledger.reject("facilities", file, rows,
                      "不在任何村界内 / not inside any village polygon: check the position")
    out = out[~lost].copy()
    village_level = np.array([KINDS.get(k, ("", ""))[1] == "village" for k in out["kind"]],
                             dtype=bool)
    nowhere = village_level & out["village_code"].isna().to_numpy(dtype=bool)
    for file, rows in out[nowhere].groupby("_file"):
        ledger.reject("facilities", file, rows,
                      "无法确定所属村（居）：村（居）没有边界时请填写所属村 / no village: the "
                      "villages have no boundaries here, so write the site's village")
    out = out[~nowhere].copy()
    for file, rows in out[out["located_by"] == "nearest"].groupby("_file"):
        ledger.repair("facilities", file, rows["_row"],
                      "在村界缝隙中，归入最近的村 / in a gap between villages: assigned to the "
                      "nearest village")
    out["town_agrees"] = town_matches(out["declared_town"], out["town_name"], aliases=aliases)
    if "declared_village_code" in out.columns:
        declared = out["declared_village_code"].fillna("") != ""
        out["village_agrees"] = (out["declared_village_code"] == out["village_code"]) \
            .astype("boolean").where(declared, pd.NA)
    for (_layer, file), counts in ledger.counts.items():
        if _layer == "facilities":
            counts["accepted"] = int((out["_file"] == file).sum())
    ledger.check_loss("facilities")
    return out.reset_index(drop=True)


def disagreements(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Facilities whose declared town (or declared village) differs from the one they lie
    in."""
    bad = facilities["town_agrees"].fillna(True).eq(False)
    if "village_agrees" in facilities.columns:
        bad |= facilities["village_agrees"].fillna(True).eq(False)
    cols = ["facility_id", "name", "kind", "declared_town", "town_name", "village_name",
            "_file", "_row"]
    if "declared_village" in facilities.columns:
        cols.insert(4, "declared_village")
    return facilities.loc[bad, cols].reset_index(drop=True)


def disagreement_records(table: pd.DataFrame) -> list[dict]:
    """:func:`disagreements` as JSON-ready records, the source row as ``row``."""
    return table.drop(columns=["_row"]).assign(row=table["_row"]).to_dict("records")
