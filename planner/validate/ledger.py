"""The ledger of what was read, accepted, repaired and rejected, per layer and file.

Nothing is dropped silently: every record read is either accepted or rejected with a
reason, and :meth:`Ledger.reconcile` checks read = accepted + rejected for every file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

_INTERNAL = {"_row", "geometry", "_file", "_datum"}


def describe(record: pd.Series, *, limit: int = 160) -> str:
    """A short ``column=value`` summary of a raw record, for ``rejected.csv``."""
    parts = [
        f"{k}={v}"
        for k, v in record.items()
        if k not in _INTERNAL and str(v) not in ("", "nan", "None")
    ]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Ledger:
    """Counts and lists of rejected and repaired records."""

    counts: dict[tuple[str, str], dict] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)

    def read(self, layer: str, file: str, n: int, *, encoding: str = "") -> None:
        """Record that ``n`` records were read from ``file`` for ``layer``."""
        self.counts[(layer, file)] = {"read": int(n), "accepted": 0, "rejected": 0,
                                      "encoding": encoding}

    def reject(self, layer: str, file: str, rows: pd.DataFrame, reason: str) -> None:
        """Reject every record of ``rows`` (a frame with ``_row``) for ``reason``."""
        for _, rec in rows.iterrows():
            self.rejected.append({
                "layer": layer, "file": file, "row": int(rec["_row"]),
                "reason": reason, "record": describe(rec),
            })
        self.counts[(layer, file)]["rejected"] += len(rows)

    def reject_each(self, layer: str, file: str, rows: pd.DataFrame,
                    reasons: Iterable[str]) -> None:
        """Reject records with one reason each."""
        for (_, rec), reason in zip(rows.iterrows(), reasons, strict=True):
            self.rejected.append({
                "layer": layer, "file": file, "row": int(rec["_row"]),
                "reason": reason, "record": describe(rec),
            })
        self.counts[(layer, file)]["rejected"] += len(rows)

    def repair(self, layer: str, file: str, rows: Iterable[int], note: str) -> None:
        """Note that records at ``rows`` were repaired, and how."""
        for row in rows:
            self.repairs.append({"layer": layer, "file": file, "row": int(row), "note": note})

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

    def rejected_frame(self) -> pd.DataFrame:
        """``rejected.csv`` content."""
        cols = ["layer", "file", "row", "reason", "record"]
        return pd.DataFrame(self.rejected, columns=cols)

    def repairs_frame(self) -> pd.DataFrame:
        """``repairs.csv`` content."""
        return pd.DataFrame(self.repairs, columns=["layer", "file", "row", "note"])
