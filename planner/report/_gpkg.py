"""Chinese field aliases in ``planner.gpkg`` (the GeoPackage schema extension).

Field names stay the stable English keys; each gets its Chinese label as the alias
(``gpkg_data_columns.name``), which GDAL reads as the field's alternative name and QGIS
shows in attribute tables and forms.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from planner.report._labels import label

_EXTENSION = ("gpkg_data_columns", None, "gpkg_schema",
              "http://www.geopackage.org/spec121/#extension_schema", "read-write")


def add_aliases(path: str | Path) -> int:
    """Give every field of every feature table its Chinese label (where one is known) as
    alias; return the number of aliases written."""
    con = sqlite3.connect(path)
    try:
        con.execute("""CREATE TABLE IF NOT EXISTS gpkg_data_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
            description TEXT, mime_type TEXT, constraint_name TEXT,
            CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
            CONSTRAINT gdc_tn UNIQUE (table_name, name))""")
        con.execute("""CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT,
            column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
            scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name,
            extension_name))""")
        known = con.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND "
                            "extension_name = ?", (_EXTENSION[0], _EXTENSION[2])).fetchone()
        if not known:
            con.execute("INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", _EXTENSION)
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
        n = 0
        for table in tables:
            used: set[str] = set()
            for _cid, column, *_rest in con.execute(f'PRAGMA table_info("{table}")'):
                alias = label(column)
                if alias == column or alias in used:
                    continue
                used.add(alias)
                con.execute("INSERT OR REPLACE INTO gpkg_data_columns (table_name, "
                            "column_name, name, title) VALUES (?, ?, ?, ?)",
                            (table, column, alias, alias))
                n += 1
        con.commit()
    finally:
        con.close()
    return n
