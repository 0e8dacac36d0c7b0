"""Sites attributed by declaration: the village (code, or name with its town) or the town a
site list names, matched to the workspace's villages and towns.

A bureau's ledger (台账) lists 镇 / 村 / 名称 / 类型, most rows without coordinates. Such a
row is kept when it declares where it is (:func:`declared_rows`); its declaration is matched
(:func:`resolve_declarations`: village code, then the name within the declared town --
exact, normalised, unambiguous prefix -- see :mod:`planner.core.names`), and the locate
stage puts it at its village's (or town's) representative point, marked approximate.

Declarations also guard the counts: a site whose declared village or town was itself
rejected is held out of every count and listed in ``rejected.csv``, never credited to a
neighbour whose polygon happens to hold its point.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.core.names import VillageIndex, match_towns
from planner.geo.crs import WGS84
from planner.glossary import KINDS, clean_text
from planner.records.ledger import Ledger
from planner.settings import LayerSpec

#: the facility fields a site list may use to declare its place (besides declared_town)
DECLARED_FIELDS = ("declared_village", "declared_village_code")


def declares_place(spec: LayerSpec) -> bool:
    """Whether the layer maps a column declaring a site's village or town."""
    return any(f in spec.fields for f in (*DECLARED_FIELDS, "declared_town"))


def _cells(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None or column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].map(clean_text)


def _no_coordinates(frame: pd.DataFrame, spec: LayerSpec) -> np.ndarray:
    """Rows whose longitude or latitude cell is not a number (blank, '-', '见附件')."""
    if not spec.x or spec.x not in frame.columns or spec.y not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    bad = np.zeros(len(frame), dtype=bool)
    for col in (spec.x, spec.y):
        text = frame[col].astype(str).str.normalize("NFKC").str.strip().str.replace(",", ".")
        bad |= ~np.isfinite(pd.to_numeric(text, errors="coerce").to_numpy(dtype=float))
    return bad


def declared_rows(frame: pd.DataFrame, spec: LayerSpec) -> np.ndarray:
    """Rows of a raw site table without usable coordinates that declare a village or town
    (they are located by declaration instead of being rejected)."""
    declares = np.zeros(len(frame), dtype=bool)
    for name in (*DECLARED_FIELDS, "declared_town"):
        if name in spec.fields:
            declares |= (_cells(frame, spec.column(name)) != "").to_numpy()
    return _no_coordinates(frame, spec) & declares


def without_geometry(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Raw rows as WGS-84 features without a geometry yet (located by declaration)."""
    out = frame.copy()
    out["_datum"] = ""
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries([None] * len(out), index=out.index,
                                                        crs=WGS84), crs=WGS84)


def dedupe_declared(frame: gpd.GeoDataFrame, ledger: Ledger) -> gpd.GeoDataFrame:
    """Reject a site without coordinates that repeats an earlier one: same kind and name,
    same declared village (code or name) and town."""
    loose = frame.geometry.isna()
    if not loose.any():
        return frame
    key = frame.loc[loose, ["kind", "name", "declared_town", *DECLARED_FIELDS]].astype(str)
    named = frame.loc[loose, "name"].astype(str) != ""
    dup = key.duplicated(keep="first") & named
    first = key.assign(_row=frame.loc[loose, "_row"], _file=frame.loc[loose, "_file"]) \
        .groupby(list(key.columns), sort=False)[["_file", "_row"]].transform("first")
    rows = frame.loc[dup[dup].index]
    for file in rows["_file"].unique():
        sel = rows[rows["_file"] == file]
        ledger.reject_each("facilities", file, sel, [
            f"重复记录 / duplicate of {first.at[i, '_file']} row {first.at[i, '_row']} (same "
            "name, kind and declared village): keep one" for i in sel.index])
    return frame.drop(index=rows.index)


def rejected_town_table(rejected_units: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Town codes and names of rejected towns and of the towns of rejected villages that are
    not a town of the workspace (e.g. a farm whose villages have no boundary)."""
    units = rejected_units.fillna("")
    own = units[units["level"] == "town"][["code", "name"]]
    vil = units[(units["level"] == "village") & (units["town_code"] != "")
                & ~units["town_code"].isin(towns["town_code"])]
    out = pd.concat([own.rename(columns={"code": "town_code", "name": "town_name"}),
                     vil[["town_code", "town_name"]]], ignore_index=True)
    return out[out["town_code"] != ""].drop_duplicates("town_code").reset_index(drop=True)


def resolve_declarations(frame: gpd.GeoDataFrame, *, towns: pd.DataFrame,
                         villages: pd.DataFrame, rejected_units: pd.DataFrame,
                         aliases: dict[str, str]) -> pd.DataFrame:
    """Match every site's declared town and village.

    Returns
    -------
    DataFrame
        Indexed like ``frame``: ``declared_town_code`` and ``declared_village_code`` (the
        matched codes, '' if none), ``match_method`` (how the declaration matched: ``code``,
        ``exact``, ``normalised``, ``prefix``, ``alias``, ``stem``, ``ambiguous`` or '') and
        ``problem`` (why the declaration cannot place the site, '' if it can) and
        ``held_out`` (the declared village or town was rejected).
    """
    town_text = _cells(frame, "declared_town")
    vname = _cells(frame, "declared_village")
    vcode = _cells(frame, "declared_village_code")
    tcode, tmethod = match_towns(town_text, towns, aliases=aliases) if len(frame) else (
        pd.Series("", index=frame.index), pd.Series("", index=frame.index))
    tcode, tmethod = tcode.set_axis(frame.index), tmethod.set_axis(frame.index)
    index = VillageIndex.of(villages)
    gone_villages = rejected_units[rejected_units["level"] == "village"].fillna("")
    gone_index = VillageIndex.of(gone_villages.rename(columns={
        "code": "village_code", "name": "village_name"}))
    gone_towns = rejected_town_table(rejected_units, towns)
    gone_tcode = match_towns(town_text, gone_towns, aliases=aliases)[0].set_axis(frame.index) \
        if len(frame) and len(gone_towns) else pd.Series("", index=frame.index)
    out = pd.DataFrame({"declared_town_code": tcode, "declared_village_code": "",
                        "match_method": tmethod.where(town_text != "", ""), "problem": "",
                        "held_out": False}, index=frame.index)
    village_of = villages.set_index("village_code")["town_code"]
    for i in frame.index[(vname != "") | (vcode != "")]:
        town = tcode.at[i] or None
        hit = index.match(code=vcode.at[i], name=vname.at[i], town=town)
        if hit.code:
            out.loc[i, ["declared_village_code", "match_method"]] = [hit.code, hit.method]
            if not tcode.at[i]:
                out.at[i, "declared_town_code"] = village_of.get(hit.code, "")
            continue
        gone = gone_index.match(code=vcode.at[i], name=vname.at[i], town=None)
        written = vcode.at[i] or vname.at[i]
        if gone.code:
            out.loc[i, ["problem", "held_out"]] = [
                f"所申报的村（居）“{written}”已被拒收（见 rejected.csv），该站点不计入任何统计 / "
                "the declared village was rejected: the site is held out of every count; fix "
                "that village first", True]
        elif hit.method == "ambiguous":
            names = villages.set_index("village_code").loc[list(hit.candidates)]
            which = "、".join(f"{r.town_name}{r.village_name}" for r in names.itertuples())
            out.loc[i, ["problem", "match_method"]] = [
                f"村名“{written}”对应多个村（居）：{which}；请填村代码或所属镇 / the village name "
                "fits several villages: give its code or its town", "ambiguous"]
        else:
            out.at[i, "problem"] = (
                f"所申报的村（居）“{written}”不在村（居）名单中 / the declared village is not in "
                "the villages layer: write its name or code as in the village list")
    town_gone = (tcode == "") & (gone_tcode != "")
    out.loc[town_gone, "held_out"] = True
    out.loc[town_gone & (out["problem"] == ""), "problem"] = (
        "所申报的镇（街道）已被拒收或没有镇界（见 rejected.csv），该站点不计入任何统计 / the "
        "declared town was rejected: the site is held out of every count; fix that town first")
    return out


def place_problems(frame: gpd.GeoDataFrame, resolved: pd.DataFrame) -> pd.Series:
    """Why each site cannot be counted ('' where it can): held out for a rejected declared
    unit, or without coordinates and without a usable declaration for its kind's level."""
    loose = frame.geometry.isna().to_numpy(dtype=bool)
    village_level = np.array([KINDS.get(k, ("", ""))[1] == "village" for k in frame["kind"]],
                             dtype=bool)
    no_village = (resolved["declared_village_code"] == "").to_numpy(dtype=bool)
    no_town = (resolved["declared_town_code"] == "").to_numpy(dtype=bool)
    held = resolved["held_out"].to_numpy(dtype=bool)
    why = resolved["problem"].where(resolved["held_out"].astype(bool), "")
    need = loose & ~held & ((village_level & no_village) | no_town)
    default = ("坐标缺失或不是数字，也没有可用的所属村（居） / no coordinates and no usable "
               "declared village: fill in the coordinates or the village (name with its town, "
               "or code)")
    why[need] = resolved.loc[need, "problem"].where(resolved.loc[need, "problem"] != "",
                                                    default)
    return why


def _points(geoms: gpd.GeoSeries, crs) -> gpd.GeoSeries:
    """Representative points of WGS-84 geometries, found in the metric CRS."""
    return geoms.to_crs(crs).representative_point().to_crs(WGS84)


def approximate_positions(frame: gpd.GeoDataFrame, resolved: pd.DataFrame, *,
                          towns: gpd.GeoDataFrame, villages: gpd.GeoDataFrame,
                          crs) -> tuple[gpd.GeoSeries, pd.Series]:
    """Where each site stands and how it was placed (``location_method``).

    Sites with coordinates keep them (``coordinates``); the others stand at their declared
    village's point (its 村委会 point where known, else its polygon's representative point:
    ``village_point``), else at their town's (``town_point``); a village without any
    geometry leaves the site without a position (``none``).
    """
    geom = np.array(frame.geometry.to_numpy(), dtype=object)
    how = pd.Series("coordinates", index=frame.index, dtype=object)
    loose = frame.geometry.isna().to_numpy()
    placed = villages[villages.geometry.notna()]
    vpoint = dict(zip(placed["village_code"], _points(placed.geometry, crs).to_numpy(),
                      strict=True))
    if "seat_lon" in villages.columns:
        seat = villages["seat_lon"].notna()
        vpoint |= dict(zip(villages.loc[seat, "village_code"], shapely.points(
            villages.loc[seat, "seat_lon"], villages.loc[seat, "seat_lat"]), strict=True))
    tpoint = dict(zip(towns["town_code"], _points(towns.geometry, crs).to_numpy(),
                      strict=True))
    vcode = resolved["declared_village_code"].to_numpy()
    tcode = resolved["declared_town_code"].to_numpy()
    by_village = loose & (vcode != "")
    geom[by_village] = [vpoint.get(c) for c in vcode[by_village]]
    how[by_village] = np.where(pd.isna(geom[by_village]), "none", "village_point")
    by_town = loose & (vcode == "") & (tcode != "")
    geom[by_town] = [tpoint.get(c) for c in tcode[by_town]]
    how[by_town] = "town_point"
    return gpd.GeoSeries(geom, index=frame.index, crs=WGS84), how


def point_towns(frame: gpd.GeoDataFrame, resolved: pd.DataFrame, *,
                towns: gpd.GeoDataFrame) -> pd.Series:
    """The town whose polygon holds each site's point ('' if none): where two towns overlap
    the declared one wins when it is one of them."""
    out = pd.Series("", index=frame.index, dtype=object)
    placed = frame[frame.geometry.notna()]
    if placed.empty:
        return out
    hit = gpd.sjoin(placed[["geometry"]], towns[["town_code", "geometry"]], how="inner",
                    predicate="within")
    hit["_declared"] = hit["town_code"].to_numpy() == \
        resolved.loc[hit.index, "declared_town_code"].to_numpy()
    hit = hit.sort_values("_declared", ascending=False, kind="stable")
    hit = hit[~hit.index.duplicated(keep="first")]
    out.loc[hit.index] = hit["town_code"].to_numpy()
    return out
