"""Codes for a town layer that carries names only.

A real township layer often has a name column and no code. The codes are then taken from
the county's reference divisions (NBS 2023, :func:`planner.datasets.reference`) by
normalised name (exact, then the stem without 镇 / 街道 / 开发区 ...); a town the reference
does not know gets a stable generated code (the county code, ``T`` and six hex digits of
the name's SHA-1), the same on every run. Parts of one town drawn as separate features
(same name) are merged. Every code made is a repair note, and one finding says how many
came from where.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import shapely

from planner import datasets
from planner.core.names import match_towns
from planner.geo.crs import WGS84
from planner.glossary import town_stem
from planner.records.ledger import Ledger
from planner.settings import LayerSpec

#: share of a layer's town names a county of the reference must hold to be taken as its own
_MIN_SHARE = 0.5


def generated_code(name: str, county_code: str | None) -> str:
    """A stable code for a town the reference divisions do not know."""
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return f"{county_code or '000000'}T{digest}"


def reference_towns(county_code: str | None, names: pd.Series) -> tuple[pd.DataFrame, str]:
    """The reference towns of ``county_code`` or, without one, of the Jiangsu county whose
    towns hold most of ``names`` (at least half)."""
    try:
        ref = pd.read_csv(datasets.reference("divisions"), dtype=str,
                          usecols=["county_code", "town_code", "town_name"])
    except (FileNotFoundError, KeyError, ValueError):
        return pd.DataFrame(columns=["town_code", "town_name"]), ""
    towns = ref.drop_duplicates("town_code")
    if county_code:
        return towns[towns["county_code"] == str(county_code)], str(county_code)
    stems = set(names.map(town_stem))
    hits = towns.assign(hit=towns["town_name"].map(town_stem).isin(stems)) \
        .groupby("county_code")["hit"].sum()
    if hits.empty or hits.max() < _MIN_SHARE * len(stems):
        return towns.iloc[:0], ""
    best = str(hits.idxmax())
    return towns[towns["county_code"] == best], best


def _merge_parts(frame: gpd.GeoDataFrame, spec: LayerSpec, ledger: Ledger) -> gpd.GeoDataFrame:
    """One feature per town name; ``_parts`` counts the records merged into it."""
    frame = frame.assign(_parts=1)
    dup = frame["town_name"].duplicated(keep=False) & (frame["town_name"] != "")
    if not dup.any():
        return frame
    ledger.repair(spec.name, spec.path.name, frame.loc[dup, "_row"],
                  "同名镇界的几块已合并为一个镇 / parts of one town (same name, no code) merged")
    parts = frame[dup].groupby("town_name", sort=False)
    merged = parts.agg(_row=("_row", "first"), _parts=("_parts", "sum"))
    merged["geometry"] = [shapely.union_all(g.to_numpy()) for _, g in parts.geometry]
    merged = gpd.GeoDataFrame(merged.reset_index(), geometry="geometry", crs=WGS84)
    rest = frame[~dup]
    return gpd.GeoDataFrame(pd.concat([rest, merged[rest.columns.intersection(
        merged.columns)]], ignore_index=True).sort_values("_row"), geometry="geometry",
        crs=WGS84).reset_index(drop=True)


def derive_town_codes(frame: gpd.GeoDataFrame, spec: LayerSpec, ledger: Ledger, *,
                      county_code: str | None) -> tuple[gpd.GeoDataFrame, list[str], dict]:
    """Codes for a names-only town layer.

    Returns
    -------
    (towns, findings, derived)
        The towns with ``town_code`` (and ``_parts``), one finding, and what was derived
        (for ``run.json`` ``derived``).
    """
    frame = _merge_parts(frame, spec, ledger)
    ref, county = reference_towns(county_code, frame["town_name"])
    codes, _how = match_towns(frame["town_name"], ref, aliases={}) if len(ref) else (
        pd.Series("", index=frame.index), None)
    codes = pd.Series(codes.to_numpy(), index=frame.index)
    codes[codes.duplicated(keep="first") & (codes != "")] = ""  # one town per reference code
    made = codes == ""
    codes[made] = [generated_code(n, county or county_code) for n in frame.loc[made,
                                                                               "town_name"]]
    frame = frame.assign(town_code=codes)
    file = spec.path.name
    ledger.repair(spec.name, file, frame.loc[~made, "_row"],
                  "镇代码按名称取自参考区划 / town_code taken from the reference divisions by name")
    ledger.repair(spec.name, file, frame.loc[made, "_row"],
                  "镇代码为生成代码（参考区划中没有此镇名） / town_code generated: the name is not "
                  "in the reference divisions")
    shown = "、".join(f"{n}→{c}" for n, c in zip(frame.loc[made, "town_name"],
                                                frame.loc[made, "town_code"], strict=True))
    finding = (f"镇界图层没有镇代码：{int((~made).sum())} 个镇按名称取自参考区划"
               f"{f'（{county}）' if county else ''}，{int(made.sum())} 个生成了代码"
               f"{'（' + shown + '）' if shown else ''}；需要时请在镇界图层中补上代码 / the towns "
               f"layer has no codes: {int((~made).sum())} taken from the reference divisions by "
               f"name, {int(made.sum())} generated")
    derived = {"how": "reference_by_name" if not made.any() else "reference_and_generated",
               "label": "镇代码为推算（按名称取自参考区划或生成）",
               "reference": int((~made).sum()), "generated": int(made.sum()),
               "county_code": county or county_code}
    return frame, [finding], derived
