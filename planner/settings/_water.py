"""The ``[water]`` table: risk factors, tiers, kit spacing, patrol frequencies and calendar.

See :mod:`planner.measure.risk` for what each factor means and where its default comes from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import Any, Final

import numpy as np

from planner._errors import ConfigError
from planner.glossary import WATER_TYPES

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
