"""Stage 4, measure: quota progress per town, access and coverage over the road network,
drowning risk of water bodies.

:func:`measure` is the stage's entry point for quota progress, staff and findings; access
is measured once the roads are read (:func:`planner.measure.access.measure_access`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from planner.locate.sites import disagreements
from planner.measure.progress import quota_findings, quota_progress, villages_table
from planner.measure.staff import with_staff

if TYPE_CHECKING:
    from planner.locate.quota import QuotaTable
    from planner.records.workspace import Workspace
    from planner.settings import Settings


class Measures(NamedTuple):
    """What the measure stage hands on."""

    #: quota progress per town (with staff columns when a staff table is given)
    progress: pd.DataFrame
    #: county staff totals for ``run.json`` (``None`` without a staff table)
    staff: dict | None
    #: findings of validation, the ledger and the quota table, in that order
    findings: list[str]
    #: ``villages.csv`` before access: child counts and own sites by kind
    villages: pd.DataFrame
    #: facilities whose declared town differs from the town they lie in
    disagreements: pd.DataFrame


def measure(ws: Workspace, *, quota: QuotaTable | None, settings: Settings) -> Measures:
    """Quota progress, staff, findings and the villages table of a located workspace."""
    progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                              quota=quota)
    progress, staff = with_staff(progress, ws.villages, ws.extra.get("staff"),
                                 children_per_director=settings.children_per_director)
    findings = ws.findings + ws.ledger.findings() + quota_findings(progress, quota=quota)
    return Measures(progress=progress, staff=staff, findings=findings,
                    villages=villages_table(ws.villages, ws.facilities),
                    disagreements=disagreements(ws.facilities))
