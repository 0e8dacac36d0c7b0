"""Stage 3, locate: assign sites, kits and water to towns and villages by geometry; match the
quota table to the towns.

:func:`locate` is the stage's entry point (the pipeline and ``planner check`` call it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.locate.quota import QuotaTable, read_quota
from planner.locate.sites import locate_facilities
from planner.locate.vintages import town_matching

if TYPE_CHECKING:
    from planner.records.workspace import Workspace
    from planner.settings import Settings


def locate(ws: Workspace, *, settings: Settings) -> QuotaTable | None:
    """Locate the facilities of ``ws`` (in place: ``ws.facilities`` gains town and village)
    and read the quota table matched to the towns (``None`` without ``[quota]``)."""
    ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                      tolerance_m=settings.locate_tolerance_m,
                                      aliases=settings.aliases, ledger=ws.ledger)
    if settings.quota is None:
        return None
    quota = read_quota(settings.quota, ws.towns, aliases=settings.aliases, ledger=ws.ledger)
    quota.vintages = town_matching(quota.table, ws.towns, county_code=settings.county_code)
    return quota
