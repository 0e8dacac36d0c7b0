"""Measure quota progress: per town and kind, required / built / missing / percent complete.

Definitions (one convention for every output):

- ``counted_<kind>``: what counts toward the quota. For kinds planned per village
  (``KINDS[kind][1] == "village"``: 村（居）儿童关爱站点) it is the number of the town's
  villages with at least one site of the kind -- two points in one village count once.
  For the other kinds it is the number of sites. Where the quota asks for the provincial
  standard only sites meeting it count.
- ``built_<kind>``: ``counted`` capped at the quota (已建, counted toward the task), so
  ``built + missing == required`` and ``pct == 100 * built / required``.
- ``extra_<kind>`` (超额): what the town has beyond its quota (``counted - built``); shown
  as its own column instead of hiding it in ``built``.
- ``all_<kind>``: sites of the kind of any standard (records, for reference).

Without a quota, ``built`` equals ``counted`` (nothing to cap at) and ``extra`` is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.glossary import CHILD_FIELDS, KINDS
from planner.locate.quota import QuotaTable


def built_counts(facilities: pd.DataFrame, *, standards: dict[str, str]) -> pd.DataFrame:
    """Per town and kind: ``counted_<kind>`` (villages with a site for village-level kinds,
    else sites; meeting the quota's standard) and ``all_<kind>`` (sites of any standard).
    Indexed by town_code."""
    out = {}
    for kind in KINDS:
        of_kind = facilities[facilities["kind"] == kind]
        out[f"all_{kind}"] = of_kind.groupby("town_code").size()
        if standards.get(kind) == "provincial":
            of_kind = of_kind[of_kind["standard"] == "provincial"]
        if KINDS[kind][1] == "village":
            of_kind = of_kind.dropna(subset=["village_code"]).drop_duplicates(
                ["town_code", "village_code"])
        out[f"counted_{kind}"] = of_kind.groupby("town_code").size()
    return pd.DataFrame(out).fillna(0).astype(np.int64)


def village_care(villages: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Per town: villages, villages with at least one care point of their own, and share."""
    with_point = set(facilities.loc[facilities["kind"] == "care_point", "village_code"])
    has = villages["village_code"].isin(with_point)
    frame = pd.DataFrame({"town_code": villages["town_code"], "has": has})
    out = frame.groupby("town_code").agg(villages=("has", "size"),
                                         villages_with_care_point=("has", "sum"))
    out["villages_with_care_point"] = out["villages_with_care_point"].astype(np.int64)
    return out


def _percent(built: pd.Series, required: pd.Series) -> pd.Series:
    """100 * built / required (built is already capped), 100 where nothing is required."""
    return (100.0 * built / required.where(required > 0)).round(1).where(required > 0, 100.0)


def quota_progress(towns: pd.DataFrame, *, villages: pd.DataFrame, facilities: pd.DataFrame,
                   quota: QuotaTable | None) -> pd.DataFrame:
    """The progress table, one row per quota town (or per town when there is no quota).

    Columns: town_code, town_name, and per quota kind ``required_``, ``counted_``,
    ``built_``, ``extra_``, ``missing_``, ``pct_`` (see the module docstring);
    ``all_``/``counted_``/``built_`` for every kind; villages and villages_with_care_point.
    """
    standards = quota.standards if quota else {}
    built = built_counts(facilities, standards=standards)
    care = village_care(villages, facilities)
    if quota is not None:
        base = quota.table.merge(towns[["town_code", "town_name"]], on="town_code", how="left")
    else:
        base = towns[["town_code", "town_name"]].copy()
    table = base.join(built, on="town_code").join(care, on="town_code")
    if "quota_town" in table.columns:  # a quota row matching no town keeps its own name
        table["town_name"] = table["town_name"].fillna(table["quota_town"])
    count_cols = [*built.columns, *care.columns]
    table[count_cols] = table[count_cols].fillna(0).astype(np.int64)
    quota_kinds = list(quota.kinds) if quota else []
    for kind in KINDS:
        counted = table[f"counted_{kind}"]
        if kind in quota_kinds:
            req = table[f"required_{kind}"].astype(np.int64)
            table[f"built_{kind}"] = np.minimum(counted, req)
            table[f"extra_{kind}"] = counted - table[f"built_{kind}"]
            table[f"missing_{kind}"] = req - table[f"built_{kind}"]
            table[f"pct_{kind}"] = _percent(table[f"built_{kind}"], req)
        else:
            table[f"built_{kind}"] = counted
    return table.reset_index(drop=True)


def totals(progress: pd.DataFrame, *, kinds: list[str]) -> dict:
    """County totals per kind: required, built (capped), missing, extra (超额), percent;
    and villages with a care point of their own."""
    out: dict = {}
    for kind in kinds:
        req = int(progress[f"required_{kind}"].sum())
        built = int(progress[f"built_{kind}"].sum())
        out[kind] = {
            "required": req,
            "built": built,
            "missing": int(progress[f"missing_{kind}"].sum()),
            "extra": int(progress[f"extra_{kind}"].sum()),
            "percent": round(100.0 * built / req, 1) if req else 100.0,
        }
    out["villages"] = int(progress["villages"].sum())
    out["villages_with_care_point"] = int(progress["villages_with_care_point"].sum())
    return out


def quota_findings(progress: pd.DataFrame, *, quota: QuotaTable | None) -> list[str]:
    """Findings worth a planner's attention: care-point quotas that differ from the number
    of villages in the boundaries (a data-vintage mismatch), and unmatched rows/towns."""
    if quota is None:
        return []
    out = []
    if "care_point" in quota.kinds:
        diff = progress[(progress["required_care_point"] != progress["villages"])
                        & (progress["town_code"] != "")]
        for row in diff.itertuples():
            out.append(
                f"{row.town_name}: 任务表要求村居关爱站点 {row.required_care_point} 个，"
                f"但镇界内有 {row.villages} 个村（居） / the quota asks for "
                f"{row.required_care_point} care points but the boundaries have "
                f"{row.villages} villages (different data vintages?)"
            )
    for row in progress[progress["match"].isin(["alias", "stem"])].itertuples():
        out.append(f"任务表“{row.quota_town}”按{'别名表' if row.match == 'alias' else '简称'}"
                   f"匹配到 {row.town_name} / quota row {row.quota_town!r} matched to "
                   f"{row.town_name} by {row.match}")
    for name in quota.unmatched:
        out.append(f"任务表“{name}”未匹配到镇界，列在任务进度表上、已建按 0 计；请在 [aliases] "
                   f"中对应（见“镇名对照”表） / quota row {name!r} matches no town: listed on "
                   "the annex with nothing built")
    if quota.towns_without_quota:
        out.append(
            f"{len(quota.towns_without_quota)} 个镇级单位不在任务表中 / town-level units "
            f"without a quota row: {', '.join(quota.towns_without_quota)}"
        )
    return out


def villages_table(villages: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """``villages.csv``: per village, child counts and its own sites by kind."""
    counts = (facilities.groupby(["village_code", "kind"]).size().unstack(fill_value=0)
              .reindex(columns=list(KINDS), fill_value=0).add_prefix("sites_"))
    base = villages[["village_code", "village_name", "town_code", "town_name",
                     *CHILD_FIELDS]].copy()
    out = base.join(counts, on="village_code")
    site_cols = [c for c in out.columns if c.startswith("sites_")]
    out[site_cols] = out[site_cols].fillna(0).astype(np.int64)
    out["has_care_point"] = out["sites_care_point"] > 0
    return out
