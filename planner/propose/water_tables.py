"""The tables of the water-safety stage, built once from the measured layers, the risk and
the plan: ``water_risk.csv``, the bank segments, gaps per town, ``proposed_kits.geojson``,
``requisition.csv`` and the ``run.json`` ``water`` summary."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.core.kits import requisition
from planner.core.water_model import per_water, reach_at
from planner.glossary import KIT_ITEMS, KIT_REASONS, TIERS
from planner.propose.water_geo import WaterGeo
from planner.propose.water_plan import Plan, Risk
from planner.settings import WaterConfig
from planner.validate.water_layer import bank_points

FACTORS = ("type_factor", "home_band", "school_band", "proximity", "exposure", "protection",
           "hazard", "score")


def codes(towns: gpd.GeoDataFrame, column: str, i: np.ndarray) -> np.ndarray:
    """``towns[column]`` of town index ``i`` ("" where -1)."""
    values = towns[column].astype(str).to_numpy() if len(towns) else np.zeros(0, object)
    return np.where(i >= 0, values[np.maximum(i, 0)] if len(values) else "", "")


def water_risk_table(geo: WaterGeo, risk: Risk, plan: Plan, *, towns: gpd.GeoDataFrame,
                     config: WaterConfig) -> pd.DataFrame:
    """One row per water with every score component, ranked (tier, score, exposure)."""
    nw = len(geo.water)
    wtype = geo.water["type"].to_numpy()
    ctx, wsc, sw = geo.water_ctx, risk.water, geo.seg_water
    length = np.where(risk.risky, geo.seg.length, 0.0)
    attached, eff = geo.attached, geo.kit_effective
    table = pd.DataFrame({
        "water_id": geo.water["water_id"].to_numpy(), "name": geo.water["name"].to_numpy(),
        "locator": geo.locator,
        "type": wtype, "type_label": geo.water["type_label"].to_numpy(),
        "town_code": codes(towns, "town_code", geo.water_town),
        "town_name": codes(towns, "town_name", geo.water_town),
        "bank_m": risk.bank_m.round(1), "area_m2": shapely.area(geo.geom).round(1),
        "home_m": ctx["home_m"].round(1), "school_m": ctx["school_m"].round(1),
        "children_500": ctx["children_500"], "under5_500": ctx["under5_500"],
        "left_behind_500": ctx["left_behind_500"],
        "weighted_children": ctx["weighted_children"].round(2),
        "type_weight": [config.type_weights.get(t, 0.0) for t in wtype],
        **{k: np.round(wsc[k], 4) for k in FACTORS},
        "uncovered_share": risk.share.round(4),
        "tier": wsc["tier"], "tier_label": [TIERS[t] for t in wsc["tier"]],
        "risky_bank_m": per_water(sw, length, nw).round(1),
        "uncovered_risky_m_before": per_water(
            sw, np.where(risk.risky, risk.unc_before, 0.0), nw).round(1),
        "uncovered_risky_m_after": per_water(
            sw, np.where(risk.risky, plan.unc_after, 0.0), nw).round(1),
        "kits_complete": np.bincount(geo.bank.water[geo.kit_bank[attached & eff]],
                                     minlength=nw),
        "kits_partial": np.bincount(geo.bank.water[geo.kit_bank[attached & ~eff]],
                                    minlength=nw),
        "kits_new": np.bincount(geo.bank.water[plan.new_bank], minlength=nw),
        "high_consequence": risk.large, "incidents": geo.water_incidents,
    })
    table = table.sort_values(["tier", "score", "exposure", "weighted_children", "water_id"],
                              ascending=[True, False, False, False, True],
                              kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, nw + 1))
    return table


def segment_table(geo: WaterGeo, risk: Risk, plan: Plan, *,
                  towns: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per bank segment: its context, score components, risk and gaps."""
    seg, sc = geo.seg, risk.seg
    return pd.DataFrame({
        "water_id": geo.water["water_id"].to_numpy()[geo.seg_water], "bank": seg.bank,
        "s0_m": seg.s0.round(2), "s1_m": seg.s1.round(2), "x": seg.x, "y": seg.y,
        "town_code": codes(towns, "town_code", geo.seg_town),
        "home_m": geo.seg_home.round(1), "school_m": geo.seg_school.round(1),
        "weighted_children": geo.seg_near.round(2), "reach_m": geo.reach,
        **{k: np.round(sc[k], 4) for k in FACTORS}, "tier": sc["tier"],
        "risky": risk.risky, "access_point": risk.access,
        "uncovered_m_before": risk.unc_before.round(2),
        "uncovered_m_after": plan.unc_after.round(2),
    })


def gaps_table(geo: WaterGeo, risk: Risk, plan: Plan, *,
               towns: gpd.GeoDataFrame) -> pd.DataFrame:
    """Risky and uncovered risky bank per town, before and after the plan."""
    r = risk.risky
    return (pd.DataFrame({"town_code": codes(towns, "town_code", geo.seg_town),
                          "town_name": codes(towns, "town_name", geo.seg_town),
                          "risky_bank_m": np.where(r, geo.seg.length, 0.0),
                          "uncovered_risky_m_before": np.where(r, risk.unc_before, 0.0),
                          "uncovered_risky_m_after": np.where(r, plan.unc_after, 0.0)})
            .groupby(["town_code", "town_name"], as_index=False).sum().round(1))


def proposed_table(geo: WaterGeo, risk: Risk, plan: Plan, *, towns: gpd.GeoDataFrame,
                   config: WaterConfig, assign: Any) -> gpd.GeoDataFrame:
    """New kits and existing kits to complete or give a rope (WGS-84); ``assign(points)``
    gives the town index of metric points."""
    nb, npos, part = plan.new_bank, plan.new_pos, plan.fixed
    nn, npart = len(nb), int(part.sum())
    new_pts = bank_points(geo.bank, nb, npos)
    kit_pts = shapely.points(geo.kit_xy) if len(geo.kit_xy) else np.zeros(0, object)
    town = np.r_[assign(new_pts), assign(kit_pts[part]) if npart else np.zeros(0, int)]
    items = geo.kit_items & ~(geo.kit_short[:, None] & (np.arange(4) == 2))  # rope replaced
    complete = geo.kit_items.all(axis=1)
    label = (pd.Series(geo.locator, dtype=object) + "（"
             + pd.Series(risk.water["tier"]).map(TIERS).to_numpy() + "）").to_numpy()
    pwater = np.r_[geo.bank.water[nb], np.where(
        geo.kit_bank[part] >= 0, geo.bank.water[np.maximum(geo.kit_bank[part], 0)], -1)]
    pw = np.maximum(pwater, 0)
    need = np.r_[np.ones((nn, 4), bool), ~items[part]].reshape(-1, 4)
    return gpd.GeoDataFrame({
        "kit_id": np.r_[[f"NK{i + 1:06d}" for i in range(nn)],
                        geo.kits["kit_id"].to_numpy()[part]].astype(object),
        "status": np.r_[np.full(nn, "new", object),
                        np.where(complete[part], "repair_rope", "complete_existing")],
        "cost_yuan": np.r_[np.full(nn, config.kit_price), plan.fix_cost[part]],
        "water_id": np.where(pwater >= 0, geo.water["water_id"].to_numpy()[pw], ""),
        "water_type": np.where(pwater >= 0, geo.water["type"].to_numpy()[pw], ""),
        "water_locator": np.where(pwater >= 0, geo.locator[pw] if len(geo.locator) else "", ""),
        "town_code": codes(towns, "town_code", town),
        "town_name": codes(towns, "town_name", town),
        "bank_pos_m": np.r_[npos, geo.kit_pos[part]].round(1),
        "reach_m": np.r_[reach_at(geo.seg.bank, geo.seg.s0, geo.seg.s1, geo.reach, nb, npos),
                         np.full(npart, np.nan)],
        "nearest_home_or_school_m": np.r_[geo.access_distance(nb, npos),
                                          np.full(npart, np.nan)].round(1),
        **{f"need_{c[4:]}": need[:, j] for j, c in enumerate(KIT_ITEMS)},
        "reason": np.r_[(pd.Series(label[geo.bank.water[nb]], dtype=object) + "："
                         + plan.reason).to_numpy(),
                        np.where(complete[part], KIT_REASONS["short_rope"],
                                 KIT_REASONS["partial"])],
    }, geometry=gpd.GeoSeries(np.r_[new_pts, kit_pts[part]] if nn + npart
                              else np.zeros(0, object), crs=geo.water.crs).to_crs("EPSG:4326"))


def requisition_table(proposed: gpd.GeoDataFrame, geo: WaterGeo, plan: Plan, *,
                      towns: gpd.GeoDataFrame, config: WaterConfig) -> pd.DataFrame:
    """What to buy per town (net of what partial kits have) and its cost."""
    nn, part = len(plan.new_bank), plan.fixed
    items = geo.kit_items & ~(geo.kit_short[:, None] & (np.arange(4) == 2))
    req = requisition(proposed["town_code"].to_numpy(),
                      np.r_[np.ones(nn, bool), np.zeros(int(part.sum()), bool)],
                      np.r_[np.zeros((nn, 4), bool), items[part]].reshape(-1, 4),
                      rope_m=config.rope_m)
    names = dict(zip(towns["town_code"].astype(str), towns["town_name"].astype(str),
                     strict=True)) if len(towns) else {}
    req.insert(1, "town_name", req["town_code"].map(names).fillna(""))
    yuan = proposed.groupby("town_code")["cost_yuan"].sum()
    req["cost_yuan"] = req["town_code"].map(yuan).fillna(0.0).round(2)
    return req


def summary(geo: WaterGeo, risk: Risk, plan: Plan, *, req: pd.DataFrame,
            overdue: np.ndarray, config: WaterConfig) -> dict[str, Any]:
    """``run.json`` ``water`` (without the patrol and sensitivity parts)."""
    r = risk.risky
    tier_counts = pd.Series(risk.water["tier"]).value_counts()
    missing = ~geo.kit_items.all(axis=1)
    return {
        "water_bodies": int(len(geo.water)), "bank_segments": int(len(geo.seg.x)),
        "risky_waters_by_tier": {t: int(tier_counts.get(t, 0)) for t in ("A", "B", "C")},
        "risky_bank_m": round(float(geo.seg.length[r].sum()), 1),
        "uncovered_risky_bank_m_before": round(float(risk.unc_before[r].sum()), 1),
        "uncovered_risky_bank_m_after": round(float(plan.unc_after[r].sum()), 1),
        # one rule (planner.core.water_model.complete_kits): complete + partial + short_rope
        # is every kit
        "existing_kits": {"complete": int(geo.kit_effective.sum()),
                          "partial": int(missing.sum()),
                          "short_rope": int((~missing & geo.kit_short).sum()),
                          "complete_rule": f"four items, rope >= {config.min_rope_m:g} m",
                          "not_on_a_bank": int((~geo.attached).sum()),
                          "inspection_overdue": int(overdue.sum())},
        "proposed_kits": int(len(plan.new_bank)), "completed_kits": int(plan.fixed.sum()),
        "one_kit_rule_waters": int(len(risk.rule_waters)),
        "high_consequence_access_bank_m": round(float(geo.seg.length[risk.access].sum()), 1),
        "clipped": geo.clipped,
        "tier_mode": config.tier_mode,
        "tier_cutoffs": {t: round(float(v), 4) if np.isfinite(v) else None
                         for t, v in zip("ABC", risk.cuts, strict=True)},
        "budget": plan.budget.summary, "budget_curve": plan.budget.curve,
        "scenarios": plan.budget.scenarios,
        "requisition": {k: (float(req[k].sum()) if k == "rope_m" else int(req[k].sum()))
                        for k in ("signs", "lifebuoys", "ropes", "rope_m", "poles")},
    }
