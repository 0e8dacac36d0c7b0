"""Range checks of ``planner.toml`` values: one line naming the key and what it must be.

TOML allows ``nan`` and ``inf`` as numbers; no setting of the planner means either, so
:func:`refuse_non_finite` stops at the first one anywhere in the file. The other helpers
check one value each: a distance in metres within bounds, a year a plan can have, a date
within those years, a county code of digits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from planner._errors import ConfigError

#: the years a work plan can be about (the seed plans run from 2017 to 2026)
YEARS = (1990, 2100)


def refuse_non_finite(data: Any, where: str, *, keys: tuple[str, ...] = ()) -> None:
    """Stop at the first ``nan`` or ``inf`` anywhere in the parsed TOML ``data``."""
    if isinstance(data, float) and not math.isfinite(data):
        name = f"[{'.'.join(keys[:-1])}] {keys[-1]}" if len(keys) > 1 else ".".join(keys)
        raise ConfigError(f"{where}: {name} = {data!r} is not a number; give a real value "
                          "(nan and inf mean nothing here) or leave the key out for its "
                          "default")
    if isinstance(data, dict):
        for key, value in data.items():
            refuse_non_finite(value, where, keys=(*keys, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            refuse_non_finite(value, where, keys=(*keys[:-1], f"{keys[-1]}[{i}]") if keys
                              else (f"[{i}]",))


#: the largest sensible value of numeric settings (``*`` is any sub-table, e.g. a kind):
#: a speed of 10^15 km/h or a rope of 10^15 m is a typo, not a plan
BOUNDS: dict[str, tuple[float, str]] = {
    "access.walk_speed_kmh": (20, "km/h"), "access.drive_speed_kmh": (200, "km/h"),
    "access.*.threshold_m": (100_000, "m"),
    "place.time_limit_s": (86_400, "s"), "place.mip_rel_gap": (1, ""),
    "water.rope_m": (500, "m"), "water.min_rope_m": (500, "m"),
    "water.budget_yuan": (1e10, "元"), "water.budget_time_limit": (86_400, "s"),
    "water.budget_gap": (1, ""), "water.large_bank_m": (1e6, "m"),
    "water.large_area_m2": (1e10, "m²"), "water.large_factor": (100, ""),
    "water.incident_m": (100_000, "m"), "water.patrol_week_hours": (168, "h"),
    "water.patrol_speed_kmh": (200, "km/h"), "water.patrol_stop_min": (1440, "min"),
    "water.patrol_max_km": (10_000, "km"), "water.home_grid_m": (100_000, "m"),
    "water.prices.*": (1e8, "元"), "staff.children_per_director": (1e7, ""),
}


def check_bounds(data: dict, where: str) -> None:
    """Stop at a numeric setting of :data:`BOUNDS` above its bound or below zero."""
    for pattern, (high, unit) in BOUNDS.items():
        for key, value in _values(data, pattern.split(".")):
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue  # not a number: the setting's own check says what it must be
            if not 0 <= value <= high:
                table, _, name = key.rpartition(".")
                raise ConfigError(f"{where}: [{table}] {name} = {value!r} is out of range; "
                                  f"give a value from 0 to {high:g}{' ' + unit if unit else ''}")


def _values(data: Any, parts: list[str], keys: tuple[str, ...] = ()):
    """(dotted key, value) of every value at ``parts`` (``*``: any key) in ``data``."""
    if not parts:
        yield ".".join(keys), data
        return
    if not isinstance(data, dict):
        return
    head, rest = parts[0], parts[1:]
    for key in (data if head == "*" else [head]):
        if key in data:
            yield from _values(data[key], rest, (*keys, str(key)))


def metres(raw: dict, key: str, *, table: str, where: str, default: float,
           high: float) -> float:
    """``[table] key``: a distance in metres from 0 to ``high`` (``default`` if absent)."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not 0 <= value <= high:
        raise ConfigError(f"{where}: [{table}] {key} = {value!r} must be a distance in metres "
                          f"from 0 to {high:g}, e.g. {default:g}")
    return float(value)


def year(value: Any, *, key: str, where: str) -> int | None:
    """A year a plan can be about (``None`` if absent)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) \
            or not YEARS[0] <= value <= YEARS[1]:
        raise ConfigError(f"{where}: {key} = {value!r} is not a year a plan can be about; give "
                          f"a year from {YEARS[0]} to {YEARS[1]} such as 2025")
    return value


def plan_date(value: dt.date | None, *, key: str, where: str) -> dt.date | None:
    """A date whose year a plan can be about (``None`` if absent)."""
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ConfigError(f"{where}: {key} = {value.isoformat()} is not a date a plan can be "
                          f"about; give a date from {YEARS[0]} to {YEARS[1]} such as "
                          "2025-06-01")
    return value


def county_code(value: Any, *, where: str) -> str | None:
    """``[workspace] county_code``: the 6-digit county code (or a 9- or 12-digit code)."""
    if value is None:
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d{6}(?:\d{3}|\d{6})?", text):
        raise ConfigError(f"{where}: [workspace] county_code = {value!r} must be the county's "
                          "6-digit code in quotes, e.g. \"320682\"")
    return text
