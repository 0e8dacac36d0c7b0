"""The ledger of what was read, accepted, repaired and rejected, per layer and file.

Nothing is dropped silently: every record read is either accepted or rejected with a
reason, and :meth:`Ledger.reconcile` checks read = accepted + rejected for every file.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_INTERNAL = {"_row", "geometry", "_file", "_datum"}
#: how a duplicate's rejection reason begins (a duplicate loses no information)
DUPLICATE = "重复"
#: the reason of a form's signature line (planner.records.privacy.FOOTER_REASON)
FOOTER_REASON = "表尾签名栏"
#: how the reason of a site a scenario removes begins (removed on purpose, not lost)
WITHDRAWN = "方案中撤销"


def describe(record: pd.Series, *, limit: int = 160,
             allowed: Collection[str] | None = None) -> str:
    """A short ``column=value`` summary of a raw record, for ``rejected.csv``.

    Only the columns in ``allowed`` (the fields the planner knows for the layer) are shown,
    never whole records: other columns may hold personal data.
    """
    from planner.records.privacy import mask_personal

    parts = [
        f"{k}={mask_personal(str(v))}"
        for k, v in record.items()
        if k not in _INTERNAL and str(v) not in ("", "nan", "None")
        and (allowed is None or k in allowed)
    ]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_rows(rows: pd.DataFrame, *, allowed: Collection[str], limit: int = 160
                  ) -> list[str]:
    """:func:`describe` for every record of ``rows`` at once (vectorised over columns)."""
    from planner.records.privacy import mask_personal

    if rows.empty:
        return []
    text = pd.Series("", index=rows.index, dtype=object)
    for col in rows.columns:
        if col in _INTERNAL or col not in allowed:
            continue
        values = rows[col].astype(str)
        show = ~values.isin(["", "nan", "None", "<NA>"])
        part = (f"{col}=" + values.map(mask_personal)).where(show, "")
        sep = pd.Series(np.where((text != "") & show, "; ", ""), index=rows.index)
        text = text + sep + part
    too_long = text.str.len() > limit
    text = text.where(~too_long, text.str.slice(0, limit - 1) + "…")
    return text.tolist()


@dataclass
class Ledger:
    """Counts and lists of rejected and repaired records."""

    counts: dict[tuple[str, str], dict] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    #: per (layer, file): the columns a rejected record may show (known, not personal)
    shown: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    #: per (layer, file): personal columns withheld and cells masked
    withheld: dict[tuple[str, str], tuple[list[str], int]] = field(default_factory=dict)
    #: what the readers said (which sheet or layer of a file was read), for the findings
    notes: list[str] = field(default_factory=list)
    #: per layer: the largest share of a file's records that may be unusable, whether the
    #: user accepts more, and the files' paths (see :meth:`limit_loss`)
    limits: dict[str, tuple[float, bool, dict[str, str]]] = field(default_factory=dict)

    def read(self, layer: str, file: str, n: int, *, encoding: str = "",
             shown: Collection[str] = ()) -> None:
        """Record that ``n`` records were read from ``file`` for ``layer``.

        ``shown`` lists the columns a rejected record of this file may show in
        ``rejected.csv`` (the fields the planner knows); every other column is left out.
        """
        self.counts[(layer, file)] = {"read": int(n), "accepted": 0, "rejected": 0,
                                      "encoding": encoding}
        self.shown[(layer, file)] = frozenset(shown)

    def withhold(self, layer: str, file: str, columns: list[str], masked: int) -> None:
        """Note personal ``columns`` dropped from ``file`` and ``masked`` cells."""
        if columns or masked:
            self.withheld[(layer, file)] = (list(columns), int(masked))

    def findings(self) -> list[str]:
        """One finding per file whose personal columns were withheld (names only), and the
        notes of the readers (which sheet or layer of a file was read)."""
        out = list(self.notes)
        for (layer, file), (columns, masked) in self.withheld.items():
            parts = []
            if columns:
                parts.append("列 / columns " + "、".join(columns))
            if masked:
                parts.append(f"{masked} 个单元格中的身份证或电话号码 / ID or phone numbers in "
                             f"{masked} cells")
            out.append(f"{file}（{layer}）含个人信息，未写入任何输出 / personal data withheld "
                       f"from every output: {'; '.join(parts)}")
        return out

    def reject(self, layer: str, file: str, rows: pd.DataFrame, reason: str) -> None:
        """Reject every record of ``rows`` (a frame with ``_row``) for ``reason``."""
        self.reject_each(layer, file, rows, [reason] * len(rows))

    def reject_each(self, layer: str, file: str, rows: pd.DataFrame,
                    reasons: Iterable[str]) -> None:
        """Reject records with one reason each."""
        reasons = list(reasons)
        if len(reasons) != len(rows):
            raise ValueError(f"{len(rows)} rows but {len(reasons)} reasons")
        if not len(rows):  # nothing to reject (an emptied frame may lack its columns)
            return
        records = describe_rows(rows, allowed=self.shown.get((layer, file), frozenset()))
        self.rejected.extend(
            {"layer": layer, "file": file, "row": int(row), "reason": reason, "record": rec}
            for row, reason, rec in zip(rows["_row"].to_numpy(), reasons, records,
                                        strict=True))
        self.counts[(layer, file)]["rejected"] += len(rows)

    def read_frame(self, layer: str, file: str, frame: pd.DataFrame, *, encoding: str = "",
                   shown: Collection[str] = ()) -> None:
        """:meth:`read` for a frame as read from its file; the rows whose invisible
        characters the reader removed (``frame.attrs["invisible_rows"]``) are repairs."""
        self.read(layer, file, len(frame), encoding=encoding, shown=shown)
        note = frame.attrs.get("read_note")
        if note and note not in self.notes:
            self.notes.append(note)
        rows = frame.attrs.get("invisible_rows") or []
        if rows:
            self.repair(layer, file, rows, "去掉了不可见字符（零宽字符、双向控制符等）/ invisible "
                        "characters (zero-width, bidi controls) removed")

    def repair(self, layer: str, file: str, rows: Iterable[int], note: str) -> None:
        """Note that records at ``rows`` were repaired, and how."""
        for row in rows:
            self.repairs.append({"layer": layer, "file": file, "row": int(row), "note": note})

    def copy(self) -> Ledger:
        """An independent copy (a scenario's records go into the copy, not the original)."""
        return copy.deepcopy(self)

    def accept(self, layer: str, file: str, n: int) -> None:
        """Record the number of records finally accepted from ``file``."""
        self.counts[(layer, file)]["accepted"] = int(n)

    def reconcile(self) -> list[str]:
        """Return a message for every file where read != accepted + rejected."""
        return [
            f"{layer}/{file}: read {c['read']} != accepted {c['accepted']} + "
            f"rejected {c['rejected']}"
            for (layer, file), c in self.counts.items()
            if c["read"] != c["accepted"] + c["rejected"]
        ]

    def summary(self) -> list[dict]:
        """Per layer and file: read / accepted / rejected / repaired counts and encoding."""
        repaired = pd.Series([(r["layer"], r["file"]) for r in self.repairs], dtype=object)
        counts = repaired.value_counts().to_dict() if len(repaired) else {}
        return [
            {"layer": layer, "file": file, **c, "repaired": int(counts.get((layer, file), 0))}
            for (layer, file), c in self.counts.items()
        ]

    def limit_loss(self, layer: str, share: float, *, accepted: bool,
                   paths: dict[str, str] | None = None) -> None:
        """Let at most ``share`` of each file of ``layer`` be unusable (rejected for any
        reason but being a duplicate, a form's signature line or withdrawn by a scenario);
        ``accepted``: the user accepts more, and the outputs say the result is incomplete.
        :meth:`check_loss` applies it."""
        self.limits[layer] = (float(share), bool(accepted), dict(paths or {}))

    def losses(self) -> list[dict]:
        """Per file of a limited layer: read, unusable records, their share, the main reason
        (with its count and first row) and whether the share is over the limit."""
        out = []
        for (layer, file), c in self.counts.items():
            if layer not in self.limits or not c["read"]:
                continue
            share, accepted, paths = self.limits[layer]
            reasons = pd.Series([r["reason"] for r in self.rejected
                                 if (r["layer"], r["file"]) == (layer, file)
                                 and not r["reason"].startswith((DUPLICATE, FOOTER_REASON,
                                                                 WITHDRAWN))],
                                dtype=object)
            lost = len(reasons)
            main = reasons.value_counts().index[0] if lost else ""
            first = next((r["row"] for r in self.rejected if (r["layer"], r["file"]) ==
                          (layer, file) and r["reason"] == main), None)
            out.append({"layer": layer, "file": file, "path": paths.get(file, file),
                        "read": c["read"], "unusable": lost,
                        "share": round(lost / c["read"], 4), "limit": share,
                        "over": lost / c["read"] > share, "accepted": accepted,
                        "main_reason": main,
                        "main_reason_rows": int((reasons == main).sum()) if lost else 0,
                        "first_row": first})
        return out

    def incomplete(self) -> list[dict]:
        """The files over their limit (an accepted run shows them as 数据不全)."""
        return [loss for loss in self.losses() if loss["over"]]

    def check_loss(self, layer: str) -> None:
        """Stop (``IncompleteInputError``) when a file of ``layer`` lost more than its
        share and the user did not accept it."""
        from planner._errors import IncompleteInputError

        for loss in self.incomplete():
            if loss["layer"] != layer or loss["accepted"]:
                continue
            raise IncompleteInputError(
                f"{loss['path']}: {loss['unusable']} of {loss['read']} records "
                f"({100 * loss['share']:.1f}%) could not be used, more than the "
                f"{100 * loss['limit']:g}% a run may lose, so the tables would be wrong; main "
                f"reason ({loss['main_reason_rows']} rows, first row {loss['first_row']}): "
                f"{loss['main_reason']}; fix the file (planner check lists every row), or "
                "accept an incomplete result with --accept-incomplete (or [validate] "
                "accept_incomplete = true in planner.toml)")

    def rejected_frame(self) -> pd.DataFrame:
        """``rejected.csv`` content."""
        cols = ["layer", "file", "row", "reason", "record"]
        return pd.DataFrame(self.rejected, columns=cols)

    def repairs_frame(self) -> pd.DataFrame:
        """``repairs.csv`` content."""
        return pd.DataFrame(self.repairs, columns=["layer", "file", "row", "note"])
