"""Administrative vintages: one table matching the quota table's towns, the boundary towns
and the county's reference divisions (NBS 2023), for the user to correct.

Allocation tables, boundary layers and the statistical codes are of different years: a
quota row says 城北街道 where the boundaries say 如皋市经济开发区, a farm that is a town-level
unit in the codes has no polygon. :func:`town_matching` lists every quota row, every
boundary town without a quota row and every reference town found in neither, with how
each was matched and how sure that is, and the ``[aliases]`` line that would settle an
uncertain or missing match; ``progress.xlsx`` shows it as the 镇名对照 sheet (and
``town_matching.csv``). The user corrects the lines and copies them into ``planner.toml``.
"""

from __future__ import annotations

import pandas as pd

from planner.core.names import match_towns
from planner.validate.town_codes import reference_towns

#: how a quota row matched -> (Chinese label, confidence)
_HOW = {
    "code": ("代码一致", "高"), "name": ("名称一致", "高"), "alias": ("别名表 [aliases]", "高"),
    "stem": ("简称（去掉镇、街道等）", "中"), "ambiguous": ("多个镇同名", "低"),
    "": ("未匹配", "低"),
}
COLUMNS = ["任务表行", "任务表名称", "镇界名称", "镇界代码", "参考区划代码", "参考区划名称",
           "匹配方式", "可信度", "建议写入 [aliases] 的一行"]


def _reference_of(towns: pd.DataFrame, ref: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Boundary town code -> (reference code, reference name), by code else by name."""
    if ref.empty:
        return {}
    names = dict(zip(ref["town_code"], ref["town_name"], strict=True))
    codes, _how = match_towns(towns["town_name"], ref, aliases={})
    out = {}
    for code, by_name in zip(towns["town_code"], codes, strict=True):
        hit = code if code in names else by_name
        if hit:
            out[code] = (hit, names[hit])
    return out


def town_matching(quota_table: pd.DataFrame | None, towns: pd.DataFrame, *,
                  county_code: str | None) -> pd.DataFrame:
    """The 镇名对照 table (columns :data:`COLUMNS`).

    Parameters
    ----------
    quota_table : DataFrame or None
        ``QuotaTable.table`` (quota_row, quota_town, town_code,
        match); ``None`` without a quota table.
    towns : DataFrame
        The boundary towns (town_code, town_name).
    county_code : str, optional
        The county of the reference divisions (none: the county whose towns the boundary
        names fit, if any).
    """
    ref, _county = reference_towns(county_code, towns["town_name"])
    ref_of = _reference_of(towns, ref)
    name_of = dict(zip(towns["town_code"], towns["town_name"], strict=True))
    rows = []
    quota = quota_table if quota_table is not None else pd.DataFrame(
        columns=["quota_row", "quota_town", "town_code", "match"])
    for q in quota.itertuples():
        how, sure = _HOW.get(q.match, _HOW[""])
        rcode, rname = ref_of.get(q.town_code, ("", ""))
        if not q.town_code and len(ref):
            hit = match_towns(pd.Series([q.quota_town]), ref, aliases={})[0].iloc[0]
            if hit:
                rcode, rname = hit, ref.set_index("town_code").at[hit, "town_name"]
        line = "" if sure == "高" else \
            f'"{q.quota_town}" = "{name_of.get(q.town_code, "") or "（填镇界名称）"}"'
        rows.append([q.quota_row, q.quota_town, name_of.get(q.town_code, ""), q.town_code,
                     rcode, rname, how, sure, line])
    for code, name in name_of.items():
        if code in set(quota["town_code"]):
            continue
        rcode, rname = ref_of.get(code, ("", ""))
        rows.append([None, "", name, code, rcode, rname,
                     "任务表中没有" if quota_table is not None else "", "", ""])
    seen = {c for c, _n in ref_of.values()} | {r[4] for r in rows if r[4]}
    for r in ref[~ref["town_code"].isin(seen)].itertuples():
        rows.append([None, "", "", "", r.town_code, r.town_name,
                     "只在参考区划中（镇界和任务表都没有）", "", ""])
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["任务表行"] = out["任务表行"].astype("Int64")
    return out
