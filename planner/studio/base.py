"""What the studio's page draws once: the county's towns and villages, the kinds, the prices.

Only counts travel with the layers (children per village), never a person's data.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd

from planner.glossary import KINDS, PLACEABLE
from planner.glossary import PRICE_LABELS as KIT_PRICE_LABELS
from planner.report.tables import incomplete_notice
from planner.studio.engine import Engine

#: Chinese labels of the unit prices the page may change
PRICE_LABELS = {**KIT_PRICE_LABELS, **{f"site_{k}": f"新建{KINDS[k][0]}" for k in PLACEABLE}}


def _geojson(frame: gpd.GeoDataFrame, columns: list[str], *, tolerance_m: float) -> dict:
    """``frame`` as GeoJSON (WGS-84), simplified by ``tolerance_m`` metres for the page."""
    placed = frame[frame.geometry.notna()]
    keep = [c for c in columns if c in placed.columns]
    out = placed[[*keep, "geometry"]].copy()
    metric = out.estimate_utm_crs() if len(out) else None
    if metric is not None:
        out["geometry"] = out.geometry.to_crs(metric).simplify(tolerance_m).to_crs("EPSG:4326")
    return json.loads(out.to_json(drop_id=True))


def base_layers(engine: Engine) -> dict[str, Any]:
    """The page's static part (see docs/studio.md, ``GET /api/base``)."""
    ws, settings = engine.base, engine.settings
    villages = ws.villages.copy()
    if "children" in villages.columns:
        villages["children"] = villages["children"].fillna(0).round().astype(int)
    w, s, e, n = gpd.GeoSeries([ws.county], crs="EPSG:4326").total_bounds
    prices = {k: float(v) for k, v in settings.water.prices.items() if k in PRICE_LABELS}
    prices |= {f"site_{k}": float(v) for k, v in settings.place.site_yuan.items()}
    return {"workspace": settings.name, "county_code": settings.county_code,
            "kinds": [{"key": k, "label": label, "level": level, "placeable": k in PLACEABLE}
                      for k, (label, level) in KINDS.items()],
            "bounds": [[s, w], [n, e]],
            "towns": _geojson(ws.towns, ["town_code", "town_name"], tolerance_m=20),
            "villages": _geojson(villages, ["village_code", "village_name", "town_name",
                                            "children"], tolerance_m=10),
            "prices": prices, "price_labels": {k: PRICE_LABELS[k] for k in prices},
            "budget_yuan": settings.water.budget_yuan if engine.kits is not None else None,
            "has_water": engine.kits is not None,
            # a site list that lost more than allowed, accepted (--accept-incomplete): every
            # figure of the page is incomplete, and the page says so above them
            "incomplete": incomplete_notice(ws.ledger.incomplete())}
