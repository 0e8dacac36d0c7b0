"""The ``[place]`` table of ``planner.toml``: model, weights, solver limits.

See :mod:`planner.propose.place` for the meaning of each key. The coverage distance of a
kind is not set here but once in ``[access.<kind>]`` (see :mod:`planner.settings`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from planner._errors import ConfigError, InputFileError
from planner.glossary import COVERAGE_DEFAULTS, SITE_YUAN_DEFAULTS

MODELS = ("max_cover", "p_median")
WEIGHT_GROUPS = ("children", "left_behind", "vulnerable", "under5")
DEFAULT_WEIGHTS = MappingProxyType(
    {"children": 1.0, "left_behind": 1.0, "vulnerable": 2.0, "under5": 1.0}
)
DEFAULT_THRESHOLDS = MappingProxyType({k: t for k, (t, _m) in COVERAGE_DEFAULTS.items()})
DEFAULT_SITE_YUAN = MappingProxyType(dict(SITE_YUAN_DEFAULTS))

@dataclass(frozen=True)
class PlaceConfig:
    """The validated ``[place]`` table (see the module docstring for the keys).

    A village's demand weight is ``children * w_children`` plus, for every group ``g`` of
    ``left_behind``, ``vulnerable`` and ``under5``, ``n_g * (w_g - w_children)``: each child
    counts ``w_children`` and a child of group ``g`` counts ``w_g`` instead; a child in two groups
    gets both extras. Group weights may not be below ``w_children`` (groups can only add).
    """

    model: str = "max_cover"
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    thresholds_m: Mapping[str, float] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4
    heuristic_above: int = 5_000_000
    #: yuan per new site of each placeable kind (:data:`planner.glossary.SITE_YUAN_DEFAULTS`)
    site_yuan: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SITE_YUAN)

    @classmethod
    def from_mapping(cls, d: Mapping, *, source: str) -> PlaceConfig:
        """Validate the ``[place]`` table ``d`` read from ``source``; missing keys take defaults."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"{source}: [place] must be a table; write it as [place]")
        out: dict = {}
        for key, value in d.items():
            if key == "model":
                if value not in MODELS:
                    raise ConfigError(f"{source}: place.model = {value!r}; use one of {MODELS}")
                out["model"] = value
            elif key in ("time_limit_s", "mip_rel_gap"):
                out[key] = _number(value, f"place.{key}", source, low=0.0)
            elif key == "heuristic_above":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(
                        f"{source}: place.heuristic_above = {value!r}; give a whole number >= 0"
                    )
                out[key] = value
            elif key == "weights":
                out[key] = _weights_table(value, source)
            elif key == "site_yuan":
                out[key] = _site_yuan(value, source)
            elif key == "threshold_m":
                raise ConfigError(
                    f"{source}: place.threshold_m is not a setting any more; set the coverage "
                    "distance once per kind as [access.<kind>] threshold_m (coverage and "
                    "placement both use it)")
            else:
                allowed = ("model, time_limit_s, mip_rel_gap, heuristic_above, weights, "
                           "site_yuan")
                raise ConfigError(f"{source}: unknown key place.{key}; use one of {allowed}")
        return cls(**out)

    def demand_weights(self, villages: pd.DataFrame) -> np.ndarray:
        """Demand weight of every village (missing group columns count as zero)."""
        base = self.weights["children"]
        w = base * village_counts(villages, "children")
        for g in WEIGHT_GROUPS[1:]:
            if self.weights[g] != base:
                w = w + (self.weights[g] - base) * village_counts(villages, g)
        return w

    def threshold(self, kind: str) -> float:
        """Coverage threshold of ``kind`` in metres."""
        if kind not in self.thresholds_m:
            raise ConfigError(
                f"no coverage distance for kind {kind!r}; add [access.{kind}] threshold_m = ..."
            )
        return float(self.thresholds_m[kind])


def _number(value, key: str, source: str, *, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{source}: {key} = {value!r} is not a number; give a positive number")
    if value <= low:
        raise ConfigError(f"{source}: {key} = {value!r} must be > {low:g}; give a larger value")
    return float(value)


def _weights_table(value, source: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: place.weights must be a table; write [place.weights]")
    out = dict(DEFAULT_WEIGHTS)
    for key, v in value.items():
        if key not in WEIGHT_GROUPS:
            raise ConfigError(
                f"{source}: unknown key place.weights.{key}; use one of {', '.join(WEIGHT_GROUPS)}"
            )
        out[key] = _number(v, f"place.weights.{key}", source, low=0.0)
    for g in WEIGHT_GROUPS[1:]:
        if out[g] < out["children"]:
            raise ConfigError(
                f"{source}: place.weights.{g} = {out[g]:g} is below children = "
                f"{out['children']:g}; group weights can only add, raise it"
            )
    return MappingProxyType(out)




def village_counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A count column of the villages as floats (zeros when the column is absent).

    Raises
    ------
    InputFileError
        If a count is blank, not a number or negative.
    """
    if column not in frame.columns:
        return np.zeros(len(frame))
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputFileError(f"villages column {column} must hold counts >= 0; fix the blank rows")
    return values


def _site_yuan(value, source: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: place.site_yuan must be a table; write [place.site_yuan]")
    out = dict(DEFAULT_SITE_YUAN)
    for key, v in value.items():
        if key not in DEFAULT_SITE_YUAN:
            raise ConfigError(f"{source}: unknown key place.site_yuan.{key}; use one of "
                              f"{', '.join(DEFAULT_SITE_YUAN)}")
        out[key] = _number(v, f"place.site_yuan.{key}", source, low=0.0)
    return MappingProxyType(out)
