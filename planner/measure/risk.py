"""Drowning-risk scoring of water bodies and bank segments, and the ``[water]`` settings.

The score (0-100) is a product of four documented factors, each kept as a column::

    hazard = 100 * T * P * E          (the risk of the water as it is, ignoring kits)
    score  = hazard * M               (what is left once existing complete kits are counted)

``T`` type factor
    relative risk of the water type divided by the largest one. Defaults (Xiamen child
    drownings 1-14 y, Injury Prevention 2007): pond .30, ditch .21, construction pit .12,
    well .12, river .10, reservoir .09. That study gives no canal or lake figure: a canal
    (明渠) is taken as a river (.10) and a lake as a reservoir (.09); ``other`` is .05.
    The coast (海岸/近岸海域, OSM ``natural=coastline``) gets ``other``'s .05: Xiamen is a
    coastal city, yet none of its 67 child drownings was at sea (only 1 "other", 1.5 %);
    .05 rather than .015 because tidal flats (滩涂) of 启东 and 灌云 draw children in summer
    (a stated assumption; set ``[water] type_weights`` to change it).
``P`` proximity
    the larger of the home band and the school band of the nearest home / school:
    ``band_near`` (1.0) within ``near_m`` (100 m: 71.6 % of drowned under-5s lived within
    100 m of water), ``band_mid`` (0.6) within ``far_m`` (500 m: 62 % of drownings),
    ``band_far`` (0.2) beyond.
``E`` exposure
    ``floor + (1 - floor) * (1 - exp(-C / children_ref))`` where ``C`` is the weighted number
    of children in homes within ``far_m``: each home counts
    ``children + under5_weight * under5 + left_behind_weight * left_behind`` (under-5s and
    left-behind children, the proxy for unsupervised ones, counted extra) times its distance
    band (``band_near`` / ``band_mid``). Counts only: no child is ever identified.
``M`` missing protection
    ``protected_factor + (1 - protected_factor) * u`` where ``u`` is the share of the bank
    (segment) not within reach of an existing complete kit; 1 without any kit.

Tiers (一级 A / 二级 B / 三级 C, 未分级 N below ``tier_c``) cut the score. A bank segment is
*risky* (needs a kit within reach) when its hazard reaches the cut-off of the lowest tier in
``kit_tiers`` (A and B by default): the hazard, not the score, so that a kit never makes the
bank it protects "not risky".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import Any, Final

import numpy as np

from planner._errors import ConfigError
from planner.validate.water import WATER_TYPES

#: tier code -> Chinese label
TIERS: Final[dict[str, str]] = {"A": "一级", "B": "二级", "C": "三级", "N": "未分级"}

DEFAULT_TYPE_WEIGHTS: Final[dict[str, float]] = {
    "pond": 0.30, "ditch": 0.21, "construction_pit": 0.12, "well": 0.12, "river": 0.10,
    "canal": 0.10, "reservoir": 0.09, "lake": 0.09, "coast": 0.05, "other": 0.05,
}


@dataclass(frozen=True)
class PatrolFrequency:
    """Patrols of one tier: ``peak_per_day`` on peak days (summer holiday, flood season) or,
    if that is 0, ``peak_per_week``; ``base_per_week`` on other days; ``bonus`` patrols added
    on weekends and public holidays."""

    peak_per_day: int
    peak_per_week: int
    base_per_week: int
    bonus: int


DEFAULT_PATROL: Final[dict[str, PatrolFrequency]] = {
    "A": PatrolFrequency(peak_per_day=2, peak_per_week=7, base_per_week=3, bonus=1),
    "B": PatrolFrequency(peak_per_day=1, peak_per_week=7, base_per_week=2, bonus=1),
    "C": PatrolFrequency(peak_per_day=0, peak_per_week=3, base_per_week=1, bonus=0),
}

_MMDD = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")


@dataclass(frozen=True)
class WaterConfig:
    """Validated ``[water]`` table of ``planner.toml`` (every key optional; see module doc).

    Distances in metres. ``holidays`` are ``"MM-DD"`` (every year) or ``"YYYY-MM-DD"``;
    ``season``, ``flood_season`` and ``summer_holiday`` are ``("MM-DD", "MM-DD")`` ranges.
    A village patrol route longer than ``patrol_max_stops`` stops or ``patrol_max_km`` km
    is split into several (see :mod:`planner.patrol`).
    """

    segment_m: float = 50.0
    near_m: float = 100.0
    far_m: float = 500.0
    band_near: float = 1.0
    band_mid: float = 0.6
    band_far: float = 0.2
    under5_weight: float = 1.0
    left_behind_weight: float = 0.5
    children_ref: float = 100.0
    exposure_floor: float = 0.2
    protected_factor: float = 0.5
    type_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TYPE_WEIGHTS))
    tier_a: float = 60.0
    tier_b: float = 30.0
    tier_c: float = 10.0
    kit_tiers: tuple[str, ...] = ("A", "B")
    reach_busy_m: float = 50.0
    reach_quiet_m: float = 250.0
    busy_m: float = 100.0
    little_used_types: tuple[str, ...] = ("canal",)
    kit_snap_m: float = 30.0
    inspection_days: int = 7
    rope_m: float = 30.0
    patrol_tiers: tuple[str, ...] = ("A", "B", "C")
    patrol: dict[str, PatrolFrequency] = field(default_factory=lambda: dict(DEFAULT_PATROL))
    season: tuple[str, str] = ("05-01", "09-30")
    flood_season: tuple[str, str] = ("06-01", "09-30")
    summer_holiday: tuple[str, str] = ("07-01", "08-31")
    holidays: tuple[str, ...] = ("05-01", "05-02", "05-03", "05-04", "05-05",
                                 "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07")
    two_opt_passes: int = 20
    patrol_max_stops: int = 25
    patrol_max_km: float = 15.0

    @classmethod
    def from_mapping(cls, d: dict[str, Any] | None, *, source: str) -> WaterConfig:
        """Build from the raw ``[water]`` table; raise :class:`ConfigError` on a bad value."""
        d = dict(d or {})
        names = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(f"{source} [water]: unknown key {unknown[0]!r}; "
                              f"valid keys are {', '.join(sorted(names))}")
        kw: dict[str, Any] = {}
        for key, value in d.items():
            kw[key] = _parse(key, value, getattr(cls(), key), source)
        cfg = cls(**kw)
        cfg._check(source)
        return cfg

    def _check(self, source: str) -> None:
        where = f"{source} [water]"
        if not 0 < self.near_m <= self.far_m:
            raise ConfigError(f"{where}: need 0 < near_m <= far_m (got {self.near_m}, "
                              f"{self.far_m}); fix the distance bands")
        if not 0 < self.reach_busy_m <= self.reach_quiet_m:
            raise ConfigError(f"{where}: need 0 < reach_busy_m <= reach_quiet_m; fix the reaches")
        if not self.tier_a >= self.tier_b >= self.tier_c >= 0:
            raise ConfigError(f"{where}: need tier_a >= tier_b >= tier_c >= 0; fix the cut-offs")
        if not 0 <= self.exposure_floor <= 1 or not 0 <= self.protected_factor <= 1:
            raise ConfigError(f"{where}: exposure_floor and protected_factor must be in [0, 1]")
        if not 1 >= self.band_near >= self.band_mid >= self.band_far >= 0:
            raise ConfigError(f"{where}: need 1 >= band_near >= band_mid >= band_far >= 0")
        for t in (*self.kit_tiers, *self.patrol_tiers):
            if t not in ("A", "B", "C"):
                raise ConfigError(f"{where}: tier {t!r} unknown; use A, B or C")
        for t in self.little_used_types:
            if t not in WATER_TYPES:
                raise ConfigError(f"{where}: little_used_types has unknown type {t!r}")
        bad = [k for k in self.type_weights if k not in WATER_TYPES]
        if bad:
            raise ConfigError(f"{where}.type_weights: unknown type {bad[0]!r}; "
                              f"use {', '.join(WATER_TYPES)}")
        missing = [t for t in self.patrol_tiers if t not in self.patrol]
        if missing:
            raise ConfigError(f"{where}.patrol: no frequency for tier {missing[0]}")
        for key in ("segment_m", "children_ref", "rope_m", "kit_snap_m", "busy_m",
                    "patrol_max_stops", "patrol_max_km"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"{where}: {key} must be positive")

    @property
    def type_factor(self) -> dict[str, float]:
        """Type weight / largest type weight, per type code."""
        top = max(self.type_weights.values())
        return {t: self.type_weights.get(t, 0.0) / top for t in WATER_TYPES}

    @property
    def risky_min(self) -> float:
        """Hazard from which a bank segment needs a kit within reach."""
        cut = {"A": self.tier_a, "B": self.tier_b, "C": self.tier_c}
        return min(cut[t] for t in self.kit_tiers) if self.kit_tiers else np.inf


def _parse(key: str, value: Any, default: Any, source: str) -> Any:
    where = f"{source} [water] {key}"
    try:
        if key == "type_weights":
            out = dict(DEFAULT_TYPE_WEIGHTS)
            out.update({str(k): float(v) for k, v in dict(value).items()})
            if min(out.values()) < 0 or max(out.values()) <= 0:
                raise ValueError
            return out
        if key == "patrol":
            out = dict(DEFAULT_PATROL)
            for tier, spec in dict(value).items():
                base = DEFAULT_PATROL.get(str(tier), DEFAULT_PATROL["C"])
                vals = {f.name: int(dict(spec).get(f.name, getattr(base, f.name)))
                        for f in fields(PatrolFrequency)}
                if min(vals.values()) < 0 or vals["peak_per_week"] > 7 or \
                        vals["base_per_week"] > 7:
                    raise ValueError
                extra = set(dict(spec)) - set(vals)
                if extra:
                    raise ValueError
                out[str(tier)] = PatrolFrequency(**vals)
            return out
        if isinstance(default, tuple):
            items = tuple(str(v) for v in ([value] if isinstance(value, str) else value))
            if key in ("season", "flood_season", "summer_holiday"):
                if len(items) != 2 or not all(_MMDD.match(v) and len(v) == 5 for v in items):
                    raise ValueError
                for v in items:
                    dt.date(2024, int(v[:2]), int(v[3:]))
            if key == "holidays":
                for v in items:
                    if not _MMDD.match(v):
                        raise ValueError
                    dt.date.fromisoformat(v if len(v) == 10 else "2024-" + v)
            return items
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, bool) or int(value) != value or value < 0:
                raise ValueError
            return int(value)
        out_f = float(value)
        if not np.isfinite(out_f) or out_f < 0:
            raise ValueError
        return out_f
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{where} = {value!r} is invalid; expected a value like {default!r}"
        ) from exc


def band(distance_m: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Distance band factor: band_near within near_m, band_mid within far_m, else band_far."""
    d = np.asarray(distance_m, dtype=float)
    return np.where(d <= config.near_m, config.band_near,
                    np.where(d <= config.far_m, config.band_mid, config.band_far))


def weighted_children(children: np.ndarray, under5: np.ndarray, left_behind: np.ndarray, *,
                      config: WaterConfig) -> np.ndarray:
    """Per home: children + under5_weight * under5 + left_behind_weight * left_behind."""
    return (np.asarray(children, float) + config.under5_weight * np.asarray(under5, float)
            + config.left_behind_weight * np.asarray(left_behind, float))


def exposure(weighted: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Exposure factor E in [floor, 1), strictly increasing in the weighted children."""
    w = np.maximum(np.asarray(weighted, dtype=float), 0.0)
    f = config.exposure_floor
    return f + (1.0 - f) * -np.expm1(-w / config.children_ref)


def tiers(score: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Tier code per score: A >= tier_a > B >= tier_b > C >= tier_c > N."""
    s = np.asarray(score, dtype=float)
    return np.select([s >= config.tier_a, s >= config.tier_b, s >= config.tier_c],
                     ["A", "B", "C"], "N").astype(object)


def score_components(types: np.ndarray, home_m: np.ndarray, school_m: np.ndarray,
                     weighted_near: np.ndarray, uncovered_share: np.ndarray, *,
                     config: WaterConfig) -> dict[str, np.ndarray]:
    """All factors and the scores of water bodies or bank segments (numeric core).

    Parameters
    ----------
    types : ndarray of str
        Water type codes.
    home_m, school_m : ndarray of float
        Distance to the nearest home / school (``inf`` when there is none).
    weighted_near : ndarray of float
        Band-weighted children within ``far_m`` (see module doc).
    uncovered_share : ndarray of float
        Share of the bank not within reach of an existing complete kit, in [0, 1].

    Returns
    -------
    dict of ndarray
        ``type_factor, home_band, school_band, proximity, exposure, protection, hazard,
        score, tier``.
    """
    tf = config.type_factor
    t = np.array([tf[x] for x in types], dtype=float) if len(types) else np.zeros(0)
    hb, sb = band(home_m, config=config), band(school_m, config=config)
    p = np.maximum(hb, sb)
    e = exposure(weighted_near, config=config)
    pf = config.protected_factor
    m = pf + (1.0 - pf) * np.clip(np.asarray(uncovered_share, dtype=float), 0.0, 1.0)
    hazard = 100.0 * t * p * e
    score = hazard * m
    return {"type_factor": t, "home_band": hb, "school_band": sb, "proximity": p,
            "exposure": e, "protection": m, "hazard": hazard, "score": score,
            "tier": tiers(score, config=config)}
