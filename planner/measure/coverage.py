"""One coverage story, two named measures, the same figures in every output.

- **本村有站点** ("has its own site", ``own_site``): the annex measure -- a village counts
  when a site of the kind stands inside it. Reported as villages and as the children who
  live in those villages.
- **服务半径内** ("within reach", ``within_reach``): the access measure of
  ``coverage.csv`` -- children whose demand point (settlement, or the village's point) is
  within the kind's coverage distance of a site, children apportioned to points by
  weight (``covshare_<kind>``).

The terminal, ``run.json`` (``coverage``), ``report.html``, ``progress.xlsx``, the PNG maps
and the ``map.html`` popups all print the figures of :func:`coverage_story`; percentages
are rounded once here (one decimal) and never recomputed by a writer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.glossary import KINDS

#: measure key -> Chinese name (with the English key for run.json / GPKG)
MEASURES = {"own_site": "本村有站点", "within_reach": "服务半径内"}


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def own_site_mask(villages: pd.DataFrame, *, kind: str) -> np.ndarray:
    """Whether each village holds a site of ``kind`` (``sites_<kind>`` > 0, or
    ``has_care_point`` for care points)."""
    if f"sites_{kind}" in villages.columns:
        return villages[f"sites_{kind}"].fillna(0).to_numpy(dtype=float) > 0
    if kind == "care_point" and "has_care_point" in villages.columns:
        return villages["has_care_point"].fillna(False).to_numpy(dtype=bool)
    raise KeyError(f"villages table lacks sites_{kind}")


def within_reach_children(villages: pd.DataFrame, *, kind: str) -> np.ndarray | None:
    """Children within reach of a site of ``kind`` per village (``children`` x
    ``covshare_<kind>``), ``None`` when access was not measured."""
    if f"covshare_{kind}" not in villages.columns:
        return None
    kids = pd.to_numeric(villages["children"], errors="coerce").fillna(0).to_numpy(float)
    return kids * villages[f"covshare_{kind}"].fillna(0).to_numpy(dtype=float)


def coverage_story(villages: pd.DataFrame, *, kinds: tuple[str, ...] | None = None,
                   thresholds: dict[str, float] | None = None,
                   method: str | None = None) -> dict:
    """The two measures per kind planned by village (default: every such kind).

    Parameters
    ----------
    villages : DataFrame
        One row per village with ``children``, ``sites_<kind>`` (or ``has_care_point``) and,
        after the access stage, ``covshare_<kind>``.
    kinds : tuple of str, optional
        Kinds to report; default the village-level kinds of the glossary.
    thresholds : dict, optional
        kind -> coverage distance in metres (recorded with ``within_reach``).
    method : str, optional
        ``"network"`` or ``"straight_line"`` (recorded with ``within_reach``).

    Returns
    -------
    dict
        ``{kind: {"own_site": {...}, "within_reach": {...} or None}}`` with integer counts
        and percentages (one decimal) -- the ``coverage`` block of ``run.json``.
    """
    kinds = kinds or tuple(k for k, (_label, level) in KINDS.items() if level == "village")
    kids = pd.to_numeric(villages["children"], errors="coerce").fillna(0).to_numpy(float)
    total = float(kids.sum())
    out: dict = {}
    for kind in kinds:
        own = own_site_mask(villages, kind=kind)
        story: dict = {"own_site": {
            "name": MEASURES["own_site"],
            "villages": int(own.sum()), "villages_total": len(villages),
            "share_villages": _pct(own.sum(), len(villages)),
            "children": int(round(kids[own].sum())), "children_total": int(round(total)),
            "share_children": _pct(kids[own].sum(), total),
        }}
        reach = within_reach_children(villages, kind=kind)
        if reach is not None:  # villages without a position were not measured
            measured = villages[f"covshare_{kind}"].notna().to_numpy()
            counted = float(kids[measured].sum())
        story["within_reach"] = None if reach is None else {
            "name": MEASURES["within_reach"],
            "children": int(round(reach.sum())), "children_total": int(round(counted)),
            "share_children": _pct(reach.sum(), counted),
            "children_unmeasured": int(round(total - counted)),
            "threshold_m": None if thresholds is None else thresholds.get(kind),
            "method": method,
        }
        out[kind] = story
    return out


def story_lines(story: dict) -> list[str]:
    """Chinese sentences of the two measures, e.g. for the terminal and the report."""
    lines = []
    for kind, s in story.items():
        own = s["own_site"]
        text = (f"{KINDS[kind][0]}：{MEASURES['own_site']}的村（居）{own['villages']}/"
                f"{own['villages_total']} 个（{_fmt(own['share_villages'])}），"
                f"儿童 {own['children']:,}/{own['children_total']:,} 人"
                f"（{_fmt(own['share_children'])}）")
        reach = s.get("within_reach")
        if reach:
            dist = f"{reach['threshold_m']:.0f} 米" if reach.get("threshold_m") else ""
            how = {"network": "路网距离", "straight_line": "直线距离"}.get(reach["method"], "")
            text += (f"；{MEASURES['within_reach']}（{how}{dist}）儿童 {reach['children']:,}/"
                     f"{reach['children_total']:,} 人（{_fmt(reach['share_children'])}）")
        lines.append(text)
    return lines


def _fmt(pct: float | None) -> str:
    return "—" if pct is None else f"{pct:.1f}%"
