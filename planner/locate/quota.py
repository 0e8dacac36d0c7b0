"""Read an allocation (quota) table and match its rows to the towns of the boundaries.

A row is matched, in this order, by town code, by exact normalised name, through the
workspace alias table (``[aliases]``, alias -> town name or code), or by the name stem
without its suffix (白蒲 = 白蒲镇). Every row is matched or rejected with its reason;
towns without a row are reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from planner.core.names import match_towns
from planner.glossary import KINDS, STATUTORY_QUOTAS, clean_text
from planner.load.files import read_table
from planner.records.ledger import Ledger
from planner.records.privacy import withhold_personal
from planner.settings import LayerSpec, QuotaSpec
from planner.validate.columns import require_columns
from planner.validate.frames import nonnegative_ints
from planner.validate.topology import same_name_towns

MATCH_LABELS = {"code": "代码", "name": "名称", "alias": "别名表", "stem": "简称"}


@dataclass
class QuotaTable:
    """Matched quota rows: ``table`` has town_code, quota_town, match and one column per kind.

    ``kinds`` maps each quota kind to its column in the file ("" for a kind whose quota is the
    law's default); ``defaults`` maps such kinds to the source cited in the annex notes.
    """

    table: pd.DataFrame
    kinds: dict[str, str]
    standards: dict[str, str]
    towns_without_quota: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    #: the 镇名对照 table across quota rows, boundary towns and the reference divisions
    #: (:func:`planner.locate.vintages.town_matching`), set by the locate stage
    vintages: pd.DataFrame | None = None
    defaults: dict[str, str] = field(default_factory=dict)

    def matching(self) -> list[dict]:
        """How each quota row matched a boundary town (``run.json`` ``quota_matching``)."""
        return self.table[["quota_town", "town_code", "match"]].to_dict("records")


def read_quota(spec: QuotaSpec, towns: gpd.GeoDataFrame, *, aliases: dict[str, str],
               ledger: Ledger) -> QuotaTable:
    """Read and match the quota table; rejects go to the ledger (layer ``quota``)."""
    frame, encoding = read_table(spec.path, role="quota", encoding=spec.encoding,
                                 sheet=spec.sheet, header=spec.header)
    file = spec.path.name
    known = {spec.town, *spec.kinds.values()}
    ledger.read_frame("quota", file, frame, encoding=encoding, shown=known)
    frame, withheld, masked = withhold_personal(frame, keep=known)
    ledger.withhold("quota", file, withheld, masked)
    require_columns(frame, [spec.town, *spec.kinds.values()], path=spec.path, role="quota",
                    sheet=spec.sheet, fix="set [quota] town and the [quota.kinds] columns in "
                    "planner.toml to the file's column names")
    lspec = LayerSpec(name="quota", path=spec.path)
    blank = frame[spec.town].map(clean_text) == ""
    ledger.reject("quota", file, frame[blank], "镇名为空 / blank town: fill it in")
    frame = frame[~blank]
    frame = nonnegative_ints(frame, list(spec.kinds.values()), lspec, ledger)
    code, method = match_towns(frame[spec.town], towns, aliases=aliases)
    unmatched = code == ""
    shared = same_name_towns(towns)
    label = frame[spec.town].map(clean_text)
    method = method.where(~(unmatched & label.isin(list(shared))), "ambiguous")
    # a row that matches no town stays on the annex (built 0), never dropped
    unmatched_names = frame.loc[unmatched, spec.town].tolist()
    frame = frame.assign(town_code=code, match=method)
    dup = frame.duplicated("town_code", keep="first") & ~unmatched
    ledger.reject("quota", file, frame[dup],
                  "同一个镇有两行任务 / a second row for the same town: merge the rows")
    frame = frame[~dup]
    ledger.accept("quota", file, len(frame))
    table = pd.DataFrame({
        "town_code": frame["town_code"].to_numpy(),
        "quota_town": frame[spec.town].to_numpy(),
        "match": frame["match"].to_numpy(),
        "quota_row": frame["_row"].to_numpy(),
    })
    for kind, column in spec.kinds.items():
        table[f"required_{kind}"] = frame[column].to_numpy()
    defaults = statutory_defaults(table, kinds=spec.kinds) if spec.statutory_defaults else {}
    kinds = {k: spec.kinds.get(k, "") for k in KINDS if k in spec.kinds or k in defaults}
    standards = {k: spec.standards.get(k, "any") for k in kinds}
    without = towns.loc[~towns["town_code"].isin(table["town_code"]), "town_name"].tolist()
    lone = frame[frame["town_code"] == ""]
    for row, name, how in zip(lone["_row"], lone[spec.town].map(clean_text), lone["match"],
                              strict=True):
        why = (f"两个镇同名 / two towns are named {name} (codes {', '.join(shared[name])}): "
               "name the town by its code in the quota table, or add an alias to the code in "
               "[aliases]" if how == "ambiguous" else
               "任务表中的镇未匹配到镇界 / town not found in the boundaries: add it to [aliases] "
               "(任务表名称 = 镇界名称, see the 镇名对照 sheet)")
        ledger.repair("quota", file, [row], f"{why}; listed on the annex with nothing built")
    return QuotaTable(table=table, kinds=kinds, standards=standards,
                      towns_without_quota=without, unmatched=unmatched_names,
                      defaults=defaults)


def statutory_defaults(table: pd.DataFrame, *, kinds: dict[str, str]) -> dict[str, str]:
    """Add ``required_<kind>`` = the law's number per town to ``table`` (in place) for each
    kind of :data:`planner.glossary.STATUTORY_QUOTAS` the quota file has no column for;
    return those kinds with the source to cite."""
    added = {}
    for kind, (per_town, source) in STATUTORY_QUOTAS.items():
        if kind not in kinds:
            table[f"required_{kind}"] = per_town
            added[kind] = source
    return added
