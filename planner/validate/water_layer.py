"""Water bodies and "四个一" kits as inputs: classification, normalisation, banks and segments.

Water bodies come from a workspace layer (``type`` given as a code or a Chinese label) or from
OpenStreetMap tags (``natural=water`` + ``water=*``, ``waterway=*``, ``landuse=reservoir``...).
Banks are polygon exteriors (every part of a multipolygon) and lines; they are split into
segments of equal length no longer than ``segment_m`` and handled as numbers along the bank
(arc-length coordinates), so that scoring and kit placement never loop over features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputFileError
from planner.core.water_model import complete_kits
from planner.geo.crs import check_metric
from planner.glossary import KIT_ITEMS, WATER_TYPE_ALIASES, WATER_TYPES
from planner.settings import WaterConfig

#: ``natural=water`` without a ``water=*`` subtype is a pond (坑塘) below this area and a
#: lake (湖泊) from it up: 5 ha, larger than the fish ponds of the Jiangsu plain, smaller
#: than a town's park lake.
LAKE_MIN_M2: Final[float] = 50_000.0

# OSM tag value -> type, by key; first match in this key order wins.
_OSM_WATER: Final[dict[str, str]] = {
    "pond": "pond", "fishpond": "pond", "basin": "pond", "lagoon": "pond", "oxbow": "pond",
    "wastewater": "pond", "reflecting_pool": "pond", "moat": "canal",
    "lake": "lake", "reservoir": "reservoir", "river": "river", "canal": "canal",
    "stream": "ditch", "ditch": "ditch", "drain": "ditch", "stream_pool": "pond",
    "pool": "pond", "lock": "canal", "canal;river": "canal", "fish_pond": "pond",
    "sea": "coast", "lagoon;sea": "coast",
}
_OSM_WATERWAY: Final[dict[str, str]] = {
    "river": "river", "riverbank": "river", "canal": "canal", "stream": "ditch",
    "ditch": "ditch", "drain": "ditch", "brook": "ditch", "dock": "canal",
    "tidal_channel": "river",
}
_OSM_NATURAL: Final[dict[str, str]] = {
    "coastline": "coast", "bay": "coast", "strait": "coast",
}
_OSM_LANDUSE: Final[dict[str, str]] = {
    "reservoir": "reservoir", "basin": "pond", "aquaculture": "pond", "construction": "other",
}

_TRUE: Final = {"1", "true", "t", "yes", "y", "是", "有", "√", "x"}
_FALSE: Final = {"0", "false", "f", "no", "n", "否", "无", "", "nan", "none", "×"}


def classify_osm(tags: pd.DataFrame, *, area_m2: np.ndarray | None = None) -> np.ndarray:
    """Water type codes from OpenStreetMap tags.

    Parameters
    ----------
    tags : DataFrame
        Columns among ``natural``, ``water``, ``waterway``, ``landuse`` (missing columns are
        treated as empty).
    area_m2 : ndarray, optional
        Area of each feature in square metres (0 for lines); decides whether a
        ``natural=water`` without a ``water=*`` subtype is a pond or a lake
        (:data:`LAKE_MIN_M2`). Without it such water is a pond.

    Returns
    -------
    ndarray of str
        One code of :data:`WATER_TYPES` per row; ``waterway`` wins over ``water`` which wins
        over ``landuse`` and ``natural`` (``coastline``, ``bay``, ``strait`` -> ``coast``);
        anything else is ``other``.
    """
    n = len(tags)

    def col(name: str) -> pd.Series:
        if name not in tags:
            return pd.Series([""] * n, index=tags.index, dtype=object)
        return tags[name].astype(object).where(tags[name].notna(), "").astype(str) \
            .str.strip().str.lower()

    out = pd.Series(["other"] * n, index=tags.index, dtype=object)
    natural = col("natural")
    big = (np.zeros(n, dtype=bool) if area_m2 is None
           else np.asarray(area_m2, dtype=float) >= LAKE_MIN_M2)
    out[natural.eq("water").to_numpy() & ~big] = "pond"
    out[natural.eq("water").to_numpy() & big] = "lake"
    for key, table in (("natural", _OSM_NATURAL), ("landuse", _OSM_LANDUSE),
                       ("water", _OSM_WATER), ("waterway", _OSM_WATERWAY)):
        mapped = col(key).map(table)
        out[mapped.notna()] = mapped[mapped.notna()]
    return out.to_numpy(dtype=object)


def water_type_codes(values: pd.Series, *, source: str, rows: Any = None) -> np.ndarray:
    """Map type codes, Chinese labels or aliases to codes; raise on an unknown value.

    Raises
    ------
    InputFileError
        Naming the first row whose type is unknown and the accepted values.
    """
    keys = values.fillna("").astype(str).str.strip()
    lowered = keys.str.lower()
    codes = lowered.map(WATER_TYPE_ALIASES)
    codes = codes.where(codes.notna(), keys.map(WATER_TYPE_ALIASES))
    bad = codes.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputFileError(
            f"{source} 第 {_row_of(values, row, rows)} 行：水域类型 {keys.iloc[row]!r} 无法识别，"
            f"请填坑塘/沟渠/河流等 / {source} row {_row_of(values, row, rows)}: unknown water type "
            f"{keys.iloc[row]!r}; use one of {', '.join(WATER_TYPES)} or a Chinese label "
            "such as 坑塘/沟渠/河流"
        )
    return codes.to_numpy(dtype=object)


def _row_of(frame: pd.DataFrame | pd.Series, i: int, rows: Any = None) -> int:
    """The file row of position ``i``: ``rows[i]``, the ``_row`` column the reader gave a
    frame, else ``i + 1``."""
    if rows is not None:
        return int(np.asarray(rows)[i])
    if isinstance(frame, pd.DataFrame) and "_row" in frame:
        return int(frame["_row"].iat[i])
    return i + 1


def normalise_water(water: gpd.GeoDataFrame, *, source: str = "water layer",
                    metric_crs: Any = None) -> gpd.GeoDataFrame:
    """Normalise a water layer to ``water_id, name, type, type_label, geometry``.

    The type comes from a ``type`` column (code or Chinese label) or, failing that, from OSM
    tag columns (see :func:`classify_osm`; with ``metric_crs`` a ``natural=water`` without
    subtype is a pond or a lake by its area). Missing ids become ``W000001``...; geometries
    must be polygons or lines (multi-parts allowed); empty geometries are rejected.

    Raises
    ------
    InputFileError
        On a missing CRS, a point or empty geometry, or an unknown type.
    """
    if water.crs is None:
        raise InputFileError(f"{source}：没有坐标系，请在 planner.toml 中声明 datum / {source} "
                             "has no CRS; declare its datum in planner.toml")
    n = len(water)
    if "type" in water:
        codes = water_type_codes(water["type"], source=source,
                                 rows=water["_row"] if "_row" in water else None)
    elif any(k in water for k in ("natural", "water", "waterway", "landuse")):
        area = (shapely.area(water.geometry.to_crs(metric_crs).to_numpy())
                if metric_crs is not None and n else None)
        codes = classify_osm(pd.DataFrame(water.drop(columns=water.geometry.name)),
                             area_m2=area)
    else:
        raise InputFileError(
            f"{source}：没有水域类型列（type）也没有 OpenStreetMap 标签；请加 type 列（如 坑塘、"
            f"河流），或在 planner.toml 的 fields 中指明 / {source} has neither a 'type' "
            "column nor OSM tags; add 'type' (e.g. 坑塘, 河流) or map it in fields"
        )
    geom = water.geometry.to_numpy()
    kind = shapely.get_type_id(geom)
    ok = np.isin(kind, (1, 2, 3, 5, 6)) & ~shapely.is_empty(geom)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise InputFileError(
            f"{source} 第 {_row_of(water, row)} 行：水域须为面或线 / {source} row "
            f"{_row_of(water, row)}: water geometry must be a polygon or line, got "
            f"{'nothing' if geom[row] is None else geom[row].geom_type}; "
            "draw ponds as polygons and rivers/ditches as lines"
        )
    ids = (water["water_id"].astype(str).to_numpy() if "water_id" in water
           else np.array([f"W{i + 1:06d}" for i in range(n)], dtype=object))
    names = water["name"].fillna("").astype(str).to_numpy() if "name" in water else [""] * n
    return gpd.GeoDataFrame(
        {"water_id": np.asarray(ids, dtype=object), "name": np.asarray(names, dtype=object),
         "type": np.asarray(codes, dtype=object),
         "type_label": np.array([WATER_TYPES[c] for c in codes], dtype=object)},
        geometry=geom, crs=water.crs, index=pd.RangeIndex(n),
    )


#: the columns of a normalised water layer and of a normalised kit layer
WATER_COLUMNS: Final[tuple[str, ...]] = ("water_id", "name", "type", "type_label")
KIT_COLUMNS: Final[tuple[str, ...]] = ("kit_id", *KIT_ITEMS, "rope_m", "last_inspected",
                                       "complete")


def as_water(water: gpd.GeoDataFrame, *, source: str = "water layer") -> gpd.GeoDataFrame:
    """``water`` if validation normalised it already (:data:`WATER_COLUMNS`), else
    :func:`normalise_water` of it: nothing is normalised twice."""
    if all(c in water.columns for c in WATER_COLUMNS):
        return water
    return normalise_water(water, source=source)


def as_kits(kits: gpd.GeoDataFrame | None, *, source: str = "kits layer",
            min_rope_m: float = WaterConfig.min_rope_m) -> gpd.GeoDataFrame:
    """``kits`` if validation normalised them already (:data:`KIT_COLUMNS`), else
    :func:`normalise_kits` of them."""
    if kits is not None and len(kits) and all(c in kits.columns for c in KIT_COLUMNS):
        return kits
    return normalise_kits(kits, source=source, min_rope_m=min_rope_m)


def _bools(values: pd.Series, *, column: str, source: str, rows: Any = None) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy()
    keys = values.astype(str).str.strip().str.lower()
    keys = keys.where(values.notna(), "")
    keys = keys.str.replace(r"\.0$", "", regex=True)
    true, false = keys.isin(_TRUE), keys.isin(_FALSE)
    bad = ~(true | false)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(
            f"{source} 第 {_row_of(values, row, rows)} 行：{column} 列的值 {values.iloc[row]!r} "
            f"不是是/否 / {source} row {_row_of(values, row, rows)}: column {column!r} value "
            f"{values.iloc[row]!r} is not yes/no; use 1/0, true/false or 是/否"
        )
    return true.to_numpy()


def normalise_kits(kits: gpd.GeoDataFrame | None, *, source: str = "kits layer",
                   crs: object = "EPSG:4326",
                   min_rope_m: float = WaterConfig.min_rope_m) -> gpd.GeoDataFrame:
    """Normalise a kit layer to ``kit_id, has_sign, has_lifebuoy, has_rope, has_pole, rope_m,
    last_inspected, complete, geometry`` (points).

    Missing item columns count as present only if the layer has none of them (a layer of plain
    kit points lists complete kits). ``last_inspected`` is parsed as a date (NaT if unknown).
    ``complete`` follows the planner's one rule
    (:func:`planner.core.water_model.complete_kits`): all four items and a rope of at least
    ``min_rope_m`` (``[water] min_rope_m``) where its length is known. ``None`` gives an
    empty layer in ``crs``.
    """
    cols = ["kit_id", *KIT_ITEMS, "rope_m", "last_inspected", "complete"]
    if kits is None or len(kits) == 0:
        empty = {c: pd.Series([], dtype=object) for c in cols}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs),
                                crs=kits.crs if kits is not None and kits.crs else crs)
    if kits.crs is None:
        raise InputFileError(f"{source}：没有坐标系，请在 planner.toml 中声明 datum / {source} "
                             "has no CRS; declare its datum in planner.toml")
    geom = kits.geometry.to_numpy()
    ok = (shapely.get_type_id(geom) == 0) & ~shapely.is_empty(geom)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise InputFileError(f"{source} 第 {_row_of(kits, row)} 行：“四个一”点位须为点 / "
                             f"{source} row {_row_of(kits, row)}: a kit must be a point; fix "
                             "its geometry")
    n = len(kits)
    any_item = any(c in kits for c in KIT_ITEMS)
    data: dict[str, object] = {
        "kit_id": (kits["kit_id"].astype(str).to_numpy() if "kit_id" in kits
                   else [f"K{i + 1:06d}" for i in range(n)]),
    }
    for c in KIT_ITEMS:
        data[c] = (_bools(kits[c], column=c, source=source,
                          rows=kits["_row"] if "_row" in kits else None) if c in kits
                   else np.full(n, not any_item))
    rope = (pd.to_numeric(kits["rope_m"], errors="coerce") if "rope_m" in kits
            else pd.Series(np.nan, index=kits.index))
    data["rope_m"] = rope.to_numpy(dtype=float)
    if "last_inspected" in kits:
        data["last_inspected"] = pd.to_datetime(kits["last_inspected"], errors="coerce",
                                                format="mixed").to_numpy()
    else:
        data["last_inspected"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    items = np.column_stack([np.asarray(data[c], dtype=bool) for c in KIT_ITEMS])
    data["complete"] = complete_kits(items, data["rope_m"], min_rope_m=min_rope_m)
    return gpd.GeoDataFrame(data, geometry=geom, crs=kits.crs, index=pd.RangeIndex(n))


@dataclass(frozen=True)
class Banks:
    """Banks in the metric CRS: one entry per polygon exterior or line part.

    Attributes
    ----------
    geometry : ndarray of LineString / LinearRing
    water : ndarray of int
        Row of the water body in the normalised layer.
    closed : ndarray of bool
        True for polygon exteriors (rings; arc-length coordinates wrap at ``length``).
    length : ndarray of float
        Length in metres.
    """

    geometry: np.ndarray
    water: np.ndarray
    closed: np.ndarray
    length: np.ndarray


def banks(water: gpd.GeoDataFrame, *, crs: object, clip: shapely.Geometry | None = None
          ) -> Banks:
    """Banks of the water bodies in the metric ``crs`` (raises CRSError if geographic).

    With ``clip`` (a metric polygon, e.g. the county) only the parts of the banks inside it
    count: a bank wholly inside keeps its ring, a bank crossing the outline becomes the open
    lines inside it (the outline itself, where it cuts through the water, is no bank).
    """
    crs = check_metric(crs, where="the water-safety CRS")
    geom = water.geometry.to_crs(crs).to_numpy()
    parts, idx = shapely.get_parts(geom, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    lines = shapely.force_2d(np.where(poly, shapely.get_exterior_ring(parts), parts))
    if clip is not None and len(lines):
        lines, idx, poly = _clip_lines(lines, idx, poly, clip)
    keep = shapely.length(lines) > 0
    lines, idx, poly = lines[keep], idx[keep], poly[keep]
    return Banks(geometry=lines, water=idx.astype(np.int64), closed=poly,
                 length=shapely.length(lines))


def _clip_lines(lines: np.ndarray, idx: np.ndarray, closed: np.ndarray,
                clip: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of ``lines`` inside ``clip``, in the order of ``idx`` (see :func:`banks`)."""
    shapely.prepare(clip)
    inside = shapely.contains_properly(clip, lines)
    cut = np.flatnonzero(~inside & shapely.intersects(clip, lines))
    sub, which = shapely.get_parts(shapely.intersection(lines[cut], clip), return_index=True)
    ok = np.isin(shapely.get_type_id(sub), (1, 2)) & (shapely.length(sub) > 0)
    if ok.any():  # rejoin the pieces of one bank that the cut left touching
        grp, inv = np.unique(which[ok], return_inverse=True)
        merged = shapely.line_merge(shapely.multilinestrings(sub[ok], indices=inv))
        sub, j = shapely.get_parts(merged, return_index=True)
        which = grp[j]
    else:
        sub, which = sub[:0], which[:0]
    keep = np.flatnonzero(inside)
    out = np.r_[lines[keep], sub].astype(object)
    out_idx = np.r_[idx[keep], idx[cut][which]].astype(np.int64)
    out_closed = np.r_[closed[keep], np.zeros(len(sub), bool)]
    order = np.argsort(out_idx, kind="stable")
    return out[order], out_idx[order], out_closed[order]


@dataclass(frozen=True)
class Segments:
    """Bank segments as arc-length intervals ``[s0, s1]`` on bank ``bank`` (sorted by bank, s0).

    ``x``, ``y`` are the metric coordinates of each segment's midpoint.
    """

    bank: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def length(self) -> np.ndarray:
        """Segment lengths in metres."""
        return self.s1 - self.s0


def split_banks(bank: Banks, *, segment_m: float) -> Segments:
    """Split every bank into ``ceil(length / segment_m)`` equal segments (vectorised)."""
    if not segment_m > 0:
        raise InputFileError(f"segment length must be positive, got {segment_m}; fix [water]")
    n = np.maximum(1, np.ceil(bank.length / segment_m - 1e-9)).astype(np.int64)
    seg_bank = np.repeat(np.arange(len(n)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    i = np.arange(n.sum()) - first
    step = (bank.length / n)[seg_bank]
    s0 = i * step
    s1 = np.where(i + 1 == n[seg_bank], bank.length[seg_bank], (i + 1) * step)
    mid = shapely.line_interpolate_point(bank.geometry[seg_bank], 0.5 * (s0 + s1))
    xy = shapely.get_coordinates(mid)
    return Segments(bank=seg_bank, s0=s0, s1=s1, x=xy[:, 0], y=xy[:, 1])


def bank_points(bank: Banks, which: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Points at arc-length ``pos`` (wrapped on rings) along banks ``which``."""
    length = bank.length[which]
    pos = np.where(bank.closed[which], np.mod(pos, length), np.clip(pos, 0, length))
    return shapely.line_interpolate_point(bank.geometry[which], pos)
