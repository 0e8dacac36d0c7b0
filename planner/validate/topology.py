"""Checks across features and layers that single records cannot show.

Zero-area units are rejected; overlapping villages, villages inside no town and towns
sharing a name are reported as findings that name them; an alias pointing at no town
stops the run with one line. Areas are measured in the workspace's metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import ConfigError
from planner.glossary import clean_text
from planner.records.ledger import Ledger
from planner.settings import LayerSpec

#: a unit smaller than this (m²) has no area to speak of
MIN_AREA_M2 = 1.0
#: overlaps smaller than this share of the smaller village are digitising noise
OVERLAP_SHARE = 0.01
_LIST = 10


def _names(values, limit: int = _LIST) -> str:
    values = [str(v) for v in values]
    more = f" 等 {len(values)} 个 / and {len(values) - limit} more" if len(values) > limit \
        else ""
    return "、".join(values[:limit]) + more


def reject_zero_area(frame: gpd.GeoDataFrame, spec: LayerSpec, ledger: Ledger, *,
                     crs: CRS) -> gpd.GeoDataFrame:
    """Reject polygons with (almost) no area: under :data:`MIN_AREA_M2` square metres."""
    if frame.empty:
        return frame
    area = shapely.area(frame.geometry.to_crs(crs).to_numpy())
    zero = area < MIN_AREA_M2
    ledger.reject(spec.name, spec.path.name, frame[zero],
                  "面积为零 / the polygon has no area (a line or a point drawn as a polygon): "
                  "redraw the boundary")
    return frame[~zero]


def overlap_findings(villages: gpd.GeoDataFrame, *, crs: CRS) -> list[str]:
    """One finding listing villages that overlap (beyond 1 % of the smaller one)."""
    if len(villages) < 2:
        return []
    geoms = villages.geometry.to_crs(crs).to_numpy()
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if not i.size:
        return []
    inter = shapely.area(shapely.intersection(geoms[i], geoms[j]))
    smaller = np.minimum(shapely.area(geoms[i]), shapely.area(geoms[j]))
    big = (inter > MIN_AREA_M2) & (inter > OVERLAP_SHARE * smaller)
    if not big.any():
        return []
    names = villages["village_name"].astype(str).to_numpy()
    pairs = [f"{names[a]}×{names[b]}（{s:.0f} m²）"
             for a, b, s in zip(i[big], j[big], inter[big], strict=True)]
    return [f"{len(pairs)} 处村界重叠 / village boundaries overlap, children may be counted "
            f"twice: {_names(pairs)}; fix the boundaries"]


def orphan_findings(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame) -> list[str]:
    """Findings listing villages whose interior lies inside no town boundary, and villages
    inside another town than the one their ``town_code`` names."""
    if villages.empty or towns.empty:
        return []
    points = shapely.point_on_surface(villages.geometry.to_numpy())
    inside, town = shapely.STRtree(towns.geometry.to_numpy()).query(points, predicate="within")
    orphan = np.ones(len(villages), dtype=bool)
    orphan[inside] = False
    out = []
    if orphan.any():
        names = villages.loc[orphan, "village_name"].astype(str)
        out.append(f"{int(orphan.sum())} 个村不在任何镇界内 / villages inside no town boundary "
                   f"(kept under their town_code): {_names(names)}; fix the town or village "
                   "boundaries")
    if "town_code" in villages.columns:
        held = villages["town_code"].astype(str).to_numpy()[inside]
        found = towns["town_code"].astype(str).to_numpy()[town]
        other = held != found
        if other.any():
            vnames = villages["village_name"].astype(str).to_numpy()[inside[other]]
            tname = dict(zip(towns["town_code"].astype(str), towns["town_name"].astype(str),
                             strict=True))
            pairs = [f"{v}（{tname.get(a, a)}→{tname.get(b, b)}）"
                     for v, a, b in zip(vnames, held[other], found[other], strict=True)]
            out.append(f"{len(pairs)} 个村位于所属镇以外的镇界内 / villages inside another "
                       f"town than their town_code (counted under their town_code): "
                       f"{_names(pairs)}; fix the codes or the boundaries")
    return out


def same_name_towns(towns: pd.DataFrame) -> dict[str, list[str]]:
    """Town names held by more than one town code: name -> codes."""
    names = towns["town_name"].map(clean_text)
    dup = names.duplicated(keep=False) & (names != "")
    return {n: sorted(towns.loc[dup & (names == n), "town_code"].astype(str))
            for n in names[dup].unique()}


def same_name_findings(towns: pd.DataFrame) -> list[str]:
    """One finding per town name used by two or more towns."""
    return [f"两个镇同名 / towns share the name {n} (codes {', '.join(codes)}): the quota "
            "table must name them by code" for n, codes in same_name_towns(towns).items()]


def check_aliases(aliases: dict[str, str], towns: pd.DataFrame, *, source: str) -> None:
    """Stop if an alias points at a town that is in neither the codes nor names of towns."""
    codes = set(towns["town_code"].astype(str))
    names = set(towns["town_name"].map(clean_text))
    for alias, target in aliases.items():
        if clean_text(target) not in codes and clean_text(target) not in names:
            raise ConfigError(
                f"{source}: [aliases] {alias!r} = {target!r}, but no town in the towns "
                f"layer is named or coded {target!r}; give a town name or code from the "
                "towns layer"
            )
