"""The ``[water]`` table: risk factors, tiers, kit spacing, budget and prices, patrols.

See :mod:`planner.measure.risk` for what each factor means and where its default comes from,
and :mod:`planner.propose.kit_budget` for the budgeted placement.

Default prices (``[water.prices]``, yuan, ASSUMPTIONS to be replaced by the county's own
procurement prices): warning sign with post ¥300, lifebuoy (国标 2.5 kg) ¥150, throwing rope
¥3 per metre (30 m: ¥90; ``rope`` sets a price per rope instead), rescue pole ¥200,
installation of a new point ¥300 (a new kit ≈ ¥1,040), labour to complete or repair an
existing kit ¥100. Default budget ¥300,000 a year (about 290 new kits), no cap on kit count.
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

#: default unit prices in yuan (see module doc: assumptions, not quotes)
DEFAULT_PRICES: Final[dict[str, float]] = {
    "sign": 300.0, "lifebuoy": 150.0, "rope_per_m": 3.0, "pole": 200.0,
    "installation": 300.0, "repair": 100.0, "inspection": 0.0,
}
#: price keys that may appear in ``[water.prices]`` (``rope`` = price per rope)
PRICE_KEYS: Final[tuple[str, ...]] = (*DEFAULT_PRICES, "rope")

_MMDD = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")


@dataclass(frozen=True)
class WaterConfig:
    """Validated ``[water]`` table of ``planner.toml`` (every key optional; see module doc).

    Distances in metres. ``holidays`` are ``"MM-DD"`` (every year) or ``"YYYY-MM-DD"``;
    ``season``, ``flood_season`` and ``summer_holiday`` are ``("MM-DD", "MM-DD")`` ranges.
    A village patrol route longer than ``patrol_max_stops`` stops or ``patrol_max_km`` km
    is split into several (see :mod:`planner.propose.patrol`).

    Budget: ``placement`` is ``"budget"`` (most risk-weighted bank within reach for
    ``budget_yuan`` and at most ``max_new_kits`` new kits) or ``"full"`` (fewest kits covering
    every risky bank). ``prices`` are unit prices (module doc); a kit whose rope is shorter
    than ``min_rope_m`` needs a new rope. ``curve_kits`` are the kit counts of the budget
    curve. ``budget_exact_max`` caps the MILP size (non-zeros) above which a labelled greedy
    heuristic is used; the search stops once the answer is within ``budget_gap`` (0.1 %) of
    the best possible, or after ``budget_node_limit`` branch-and-bound nodes (reproducible
    whatever the machine's load) or ``budget_time_limit`` seconds.

    Tiers: with ``tier_mode = "share"`` the top ``tier_a_share`` of waters by score are 一级,
    the next ``tier_b_share`` 二级, the next ``tier_c_share`` 三级 (ties by exposure); with
    ``"score"`` the fixed cut-offs ``tier_a/b/c`` apply. Waters of ``large_types`` with an
    area of at least ``large_area_m2`` or a bank of at least ``large_bank_m`` are
    high-consequence: where a home or school lies within ``far_m`` their type factor is
    raised to ``large_factor`` and their tier to at least ``large_min_tier``. Each past
    drowning incident (optional ``incidents`` layer) within ``incident_m`` of a water
    closes ``incident_weight`` of the gap between its hazard and 100.

    Homes: without a settlements layer each village's children are spread over its area
    outside water on a grid of ``home_grid_m`` (see :mod:`planner.measure.homes`).

    Patrols: statutory holidays and 调休 working days come from ``calendar``
    (``"chinese_calendar"``, the maintained ``chinesecalendar`` package, or ``"fixed"`` for
    the ``holidays`` list); each village's weekly patrol hours (route km at
    ``patrol_speed_kmh`` plus ``patrol_stop_min`` per stop) are capped at
    ``patrol_week_hours``.
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
    placement: str = "budget"
    budget_yuan: float = 300_000.0
    max_new_kits: int | None = None
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    min_rope_m: float = 25.0
    curve_kits: tuple[int, ...] = (50, 100, 200, 500, 1000)
    budget_time_limit: float = 60.0
    budget_exact_max: int = 100_000
    budget_node_limit: int = 20
    budget_gap: float = 0.001
    tier_mode: str = "share"
    tier_a_share: float = 0.05
    tier_b_share: float = 0.15
    tier_c_share: float = 0.30
    large_types: tuple[str, ...] = ("river", "reservoir", "lake", "canal")
    large_area_m2: float = 1_000_000.0
    large_bank_m: float = 10_000.0
    large_factor: float = 1.0
    large_min_tier: str = "A"
    incident_m: float = 100.0
    incident_weight: float = 0.5
    calendar: str = "chinese_calendar"
    patrol_week_hours: float = 10.0
    patrol_speed_kmh: float = 12.0
    patrol_stop_min: float = 5.0
    two_opt_passes: int = 20
    patrol_max_stops: int = 25
    patrol_max_km: float = 15.0
    home_grid_m: float = 200.0

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
        default = cls()
        for key, value in d.items():
            kw[key] = _parse(key, value, getattr(default, key), source)
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
        if not 0 <= self.incident_weight <= 1:
            raise ConfigError(f"{where}: incident_weight must be in [0, 1]")
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
        if self.placement not in ("budget", "full"):
            raise ConfigError(f"{where}: placement = {self.placement!r}; use \"budget\" or "
                              f"\"full\"")
        if self.tier_mode not in ("share", "score"):
            raise ConfigError(f"{where}: tier_mode = {self.tier_mode!r}; use \"share\" or "
                              f"\"score\"")
        if self.calendar not in ("chinese_calendar", "fixed"):
            raise ConfigError(f"{where}: calendar = {self.calendar!r}; use "
                              f"\"chinese_calendar\" or \"fixed\"")
        if self.large_min_tier not in ("A", "B", "C", "N"):
            raise ConfigError(f"{where}: large_min_tier = {self.large_min_tier!r}; use A, B, "
                              f"C or N (no floor)")
        shares = (self.tier_a_share, self.tier_b_share, self.tier_c_share)
        if min(shares) < 0 or sum(shares) > 1:
            raise ConfigError(f"{where}: tier shares must be >= 0 and sum to at most 1 "
                              f"(got {shares}); fix tier_a_share, tier_b_share, tier_c_share")
        for t in self.large_types:
            if t not in WATER_TYPES:
                raise ConfigError(f"{where}: large_types has unknown type {t!r}")
        if any(k < 1 for k in self.curve_kits):
            raise ConfigError(f"{where}: curve_kits must be positive kit counts")
        for key in ("segment_m", "children_ref", "rope_m", "kit_snap_m", "busy_m",
                    "patrol_max_stops", "patrol_max_km", "patrol_speed_kmh",
                    "budget_time_limit", "budget_exact_max", "budget_node_limit",
                    "budget_gap", "home_grid_m"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"{where}: {key} must be positive")

    @property
    def type_factor(self) -> dict[str, float]:
        """Type weight / largest type weight, per type code."""
        top = max(self.type_weights.values())
        return {t: self.type_weights.get(t, 0.0) / top for t in WATER_TYPES}

    @property
    def kit_price(self) -> float:
        """Price of one new kit: the four items (rope of ``rope_m``) and installation."""
        return float(sum(self.item_prices) + self.prices["installation"])

    @property
    def item_prices(self) -> tuple[float, float, float, float]:
        """Prices of (sign, lifebuoy, rope, pole); a rope is ``rope_m`` metres unless priced
        per rope."""
        p = self.prices
        rope = p["rope"] if "rope" in p else p["rope_per_m"] * self.rope_m
        return (p["sign"], p["lifebuoy"], float(rope), p["pole"])

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
        if key == "prices":
            spec = dict(value)
            extra = sorted(set(spec) - set(PRICE_KEYS))
            if extra:
                raise ConfigError(f"{source} [water.prices]: unknown key {extra[0]!r}; valid "
                                  f"keys are {', '.join(PRICE_KEYS)}")
            out = dict(DEFAULT_PRICES)
            out.update({str(k): float(v) for k, v in spec.items()})
            if not all(np.isfinite(v) and v >= 0 for v in out.values()):
                raise ValueError
            return out
        if key in ("placement", "tier_mode", "calendar", "large_min_tier"):
            if not isinstance(value, str):
                raise ValueError
            return value
        if key == "max_new_kits":
            if isinstance(value, bool) or int(value) != value or value < 0:
                raise ValueError
            return int(value)
        if key == "curve_kits":
            items_i = tuple(int(v) for v in value)
            if any(int(v) != v for v in value):
                raise ValueError
            return items_i
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
    except ConfigError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{where} = {value!r} is invalid; expected a value like {default!r}"
        ) from exc
