"""One coverage story, two named measures, the same figures in every output.

- **村（居）覆盖率** (``own_site``, "has its own site"): the village-coverage figure -- a
  village counts when a site of the kind stands inside it; the share of the county's
  villages (every village, those of town-level units outside the quota table included).
  Also reported as the children who live in those villages.
- **服务半径内儿童占比** (``within_reach``): the access measure of ``coverage.csv`` --
  children whose demand point (settlement, or the village's point) is within the kind's
  coverage distance of a site, children apportioned to points by weight
  (``covshare_<kind>``).

Neither is the annex's 完成率 (built ÷ quota, :mod:`planner.measure.progress`), which counts
the quota towns' villages against the quota's number.

The terminal, ``run.json`` (``coverage``), ``report.html``, ``progress.xlsx``, the PNG maps
and the ``map.html`` popups all print the figures of :func:`coverage_story`; percentages
are rounded once here (one decimal) and never recomputed by a writer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.glossary import DISTANCE_METHODS, KINDS

#: measure key -> Chinese name (with the English key for run.json / GPKG)
MEASURES = {"own_site": "村（居）覆盖率", "within_reach": "服务半径内儿童占比"}


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


def village_coverage(own: dict) -> str:
    """The village-coverage figure as every output prints it, e.g.
    ``村（居）覆盖率 87.3%（310/355）`` (``own``: a kind's ``own_site`` measure)."""
    return (f"{MEASURES['own_site']} {_fmt(own['share_villages'])}"
            f"（{own['villages']}/{own['villages_total']}）")


def children_within_reach(reach: dict) -> str:
    """The within-reach figure as every output prints it, e.g.
    ``服务半径内儿童占比 26.6%（42,026/157,933 人）``."""
    return (f"{MEASURES['within_reach']} {_fmt(reach['share_children'])}"
            f"（{reach['children']:,}/{reach['children_total']:,} 人）")


def definitions(kind: str, story: dict) -> list[str]:
    """What the two measures of ``kind`` mean (``own_site``, then ``within_reach`` if
    measured), one sentence each without the measure's name (said once per output)."""
    site = KINDS[kind][0]
    out = [f"本村（居）建有{site}的村（居）占全部村（居）的比例（含不在任务表中的镇级单位；"
           "不同于任务表的完成率 = 已建 ÷ 任务数）"]
    reach = story.get("within_reach")
    if reach:
        how = DISTANCE_METHODS.get(reach.get("method"), "距离")
        dist = f" {reach['threshold_m']:.0f} 米" if reach.get("threshold_m") else "服务半径"
        out.append(f"住处到最近{site}的{how}不超过{dist}的儿童占全部儿童的比例")
    return out


def story_lines(story: dict) -> list[str]:
    """Chinese sentences of the two measures with what they mean, e.g. for the terminal."""
    lines = []
    for kind, s in story.items():
        meaning = definitions(kind, s)
        lines.append(f"{village_coverage(s['own_site'])}：{meaning[0]}")
        if s.get("within_reach"):
            lines.append(f"{children_within_reach(s['within_reach'])}：{meaning[1]}")
    return lines


def _fmt(pct: float | None) -> str:
    return "—" if pct is None else f"{pct:.1f}%"
