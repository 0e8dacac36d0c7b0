"""Read every output file of a run as text cells, to look for what must not be there."""

from __future__ import annotations

import re
from pathlib import Path

import pyogrio
from openpyxl import load_workbook


def output_texts(out: Path) -> dict[str, str]:
    """File name -> all its text (xlsx: every cell; gpkg: every layer's attributes)."""
    texts = {}
    for path in sorted(out.rglob("*")):
        if path.suffix in {".csv", ".json", ".geojson", ".html", ".log"}:
            texts[path.name] = path.read_text(encoding="utf-8-sig", errors="replace")
        elif path.suffix == ".xlsx":
            wb = load_workbook(path)
            texts[path.name] = "\n".join(
                str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.value is not None)
        elif path.suffix == ".gpkg":
            parts = []
            for name, _kind in pyogrio.list_layers(path):
                frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
                parts.append(" ".join(map(str, frame.columns)))
                parts.append(frame.astype(str).to_csv())
            texts[path.name] = "\n".join(parts)
    return texts


#: the planner's own formulas (the annex's totals, gaps and rates): cell references,
#: numbers, arithmetic and SUM / IF / MAX / MIN / ROUND / IFERROR, nothing else
OWN_FORMULA = re.compile(r"=(?:SUM|IF|MAX|MIN|ROUND|IFERROR|[A-Z]{1,3}\$?\d+|\$|\d+(?:\.\d+)?"
                         r"|[-+*/(),:<>=.% ])+")


def live_formulas(out: Path) -> list[str]:
    """Cells of the xlsx outputs that Excel would evaluate as formulas, other than the
    planner's own arithmetic over cells (``OWN_FORMULA``): text from the inputs must never
    become one."""
    found = []
    for path in out.glob("*.xlsx"):
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                found += [f"{ws.title}!{c.coordinate}" for c in row if c.data_type == "f"
                          and not OWN_FORMULA.fullmatch(str(c.value))]
    return found
