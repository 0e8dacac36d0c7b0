"""Which sheet of a workbook, which layer of a GeoPackage: never the first one silently.

A workbook without ``sheet`` in planner.toml is read from its first *visible* sheet (a
hidden sheet holding last year's figures or a lookup list is never taken over the one the
bureau sees); when the workbook has other sheets a note names them, for the findings.

A GeoPackage (or any vector file) holding several layers without ``layer`` is read from the
layer named like the planner's layer (``villages``), or from its only layer with geometry
(the others being plain tables), with a note; otherwise the run stops in one line asking
for ``layer``.
"""

from __future__ import annotations

from pathlib import Path

from planner._errors import InputFileError

#: the key of ``DataFrame.attrs`` holding the note for the findings
READ_NOTE = "read_note"


def sheet_states(path: Path) -> list[tuple[str, str]]:
    """(title, ``visible`` / ``hidden`` / ``veryHidden``) of every sheet, in order (empty
    when the workbook cannot be opened here: the reader then says why)."""
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
    except Exception:  # .xls, damaged files: the reader reports them
        return []
    try:
        return [(ws.title, getattr(ws, "sheet_state", "visible") or "visible")
                for ws in book.worksheets]
    finally:
        book.close()


def pick_sheet(path: Path, *, role: str) -> tuple[str | int, str | None]:
    """The sheet to read when none is given, and a note when others were left unread."""
    states = sheet_states(path)
    if not states:
        return 0, None
    visible = [title for title, state in states if state == "visible"]
    chosen = visible[0] if visible else states[0][0]
    others = [title for title, _state in states if title != chosen]
    if not others:
        return chosen, None
    hidden = [title for title, state in states if state != "visible"]
    shown = [t for t in others if t not in hidden]
    parts = ([f"另有工作表“{'”“'.join(shown)}”"] if shown else []) + (
        [f"隐藏的工作表“{'”“'.join(hidden)}”"] if hidden else [])
    return chosen, (
        f"{path.name}（{role}）: 读取了第一个可见的工作表“{chosen}”，{'，'.join(parts)}"
        "未读取；如要读取其他工作表，请在 planner.toml 该图层下写 sheet = \"…\" / read the "
        f"first visible sheet {chosen!r}; not read: {', '.join(repr(t) for t in others)}"
        f"{' (hidden: ' + ', '.join(repr(t) for t in hidden) + ')' if hidden else ''}; "
        "set sheet = \"...\" for another")


def pick_layer(path: Path, *, role: str) -> tuple[str | None, str | None]:
    """The layer to read when none is given (``None``: the file's only one) and a note."""
    import pyogrio

    try:
        layers = [(str(name), geom) for name, geom in pyogrio.list_layers(path)]
    except Exception:  # unreadable: the reader says why
        return None, None
    if len(layers) <= 1:
        return None, None
    names = [name for name, _geom in layers]
    spatial = [name for name, geom in layers if geom not in (None, "None", "")]
    chosen = role if role in names else (spatial[0] if len(spatial) == 1 else None)
    if chosen is None:
        raise InputFileError(
            f"{path}: 文件里有 {len(names)} 个图层（{'、'.join(names)}），不知道读取哪一个；请在 "
            f"planner.toml 的 [layers.{role}] 下写 layer = \"…\" / the file holds "
            f"{len(names)} layers ({', '.join(names)}): set layer = \"...\" for layer "
            f"{role!r}")
    others = [name for name in names if name != chosen]
    return chosen, (
        f"{path.name}（{role}）: 读取了图层“{chosen}”，另有图层“{'”“'.join(others)}”未读取 / "
        f"read layer {chosen!r}; not read: {', '.join(repr(n) for n in others)}; set "
        "layer = \"...\" for another")
