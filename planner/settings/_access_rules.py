"""The ``[access]`` table: travel speeds and, per kind, the coverage distance and mode.

This is the one definition of "within reach" of a kind: coverage (``planner.measure.access``)
and placement (``planner.propose``) both use it.
Defaults: :data:`planner.glossary.COVERAGE_DEFAULTS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from planner._errors import ConfigError
from planner.glossary import COVERAGE_DEFAULTS, KINDS

DEFAULT_RULES: Mapping[str, tuple[float, str]] = MappingProxyType(dict(COVERAGE_DEFAULTS))



@dataclass(frozen=True)
class KindRule:
    """Coverage rule of one kind of site."""

    threshold_m: float
    mode: str


def _default_rules() -> Mapping[str, KindRule]:
    return MappingProxyType({k: KindRule(t, m) for k, (t, m) in DEFAULT_RULES.items()})


@dataclass(frozen=True)
class AccessConfig:
    """The ``[access]`` table of ``planner.toml``.

    Example::

        [access]
        walk_speed_kmh = 4.5
        drive_speed_kmh = 30
        [access.care_point]
        threshold_m = 1000
        mode = "walk"
    """

    rules: Mapping[str, KindRule] = field(default_factory=_default_rules)
    walk_speed_kmh: float = 4.5
    drive_speed_kmh: float = 30.0

    def speed_m_per_min(self, mode: str) -> float:
        """Speed of ``mode`` in metres per minute."""
        kmh = self.walk_speed_kmh if mode == "walk" else self.drive_speed_kmh
        return kmh * 1000.0 / 60.0

    @classmethod
    def from_mapping(cls, d: Mapping, *, source: str) -> AccessConfig:
        """Validate the ``[access]`` table ``d`` read from ``source`` (a file name).

        Missing keys take the defaults; unknown keys and bad values raise
        :class:`~planner._errors.ConfigError` naming the key and the fix.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"{source}: [access] must be a table; write it as [access]")
        speeds = {"walk_speed_kmh": 4.5, "drive_speed_kmh": 30.0}
        rules = {k: KindRule(t, m) for k, (t, m) in DEFAULT_RULES.items()}
        for key, value in d.items():
            if key in speeds:
                speeds[key] = _positive(value, f"access.{key}", source)
            elif key in KINDS:
                rules[key] = _rule(value, key, rules[key], source)
            else:
                allowed = ", ".join([*speeds, *KINDS])
                raise ConfigError(f"{source}: unknown key access.{key}; use one of {allowed}")
        return cls(rules=MappingProxyType(rules), **speeds)


def _positive(value, key: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value <= 0:
        raise ConfigError(f"{source}: {key} = {value!r} is invalid; give a positive number")
    return float(value)


def _rule(value, kind: str, default: KindRule, source: str) -> KindRule:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{source}: access.{kind} must be a table; write [access.{kind}] threshold_m = ..."
        )
    threshold, mode = default.threshold_m, default.mode
    for key, v in value.items():
        if key == "threshold_m":
            threshold = _positive(v, f"access.{kind}.threshold_m", source)
        elif key == "mode":
            if v not in ("walk", "drive"):
                raise ConfigError(f"{source}: access.{kind}.mode = {v!r}; use 'walk' or 'drive'")
            mode = v
        else:
            raise ConfigError(f"{source}: unknown key access.{kind}.{key}; use threshold_m or mode")
    return KindRule(threshold, mode)
