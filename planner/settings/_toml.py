"""The workspace part of ``planner.toml``: layers, facilities, quota table, aliases, roads,
and :func:`load_settings`, which builds the one :class:`Settings` object of a run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner._errors import ConfigError
from planner.geo.datum import normalise_datum
from planner.settings._access_rules import AccessConfig
from planner.settings._map import MapConfig
from planner.settings._placement import PlaceConfig
from planner.settings._ranges import (
    check_bounds,
    county_code,
    metres,
    plan_date,
    refuse_non_finite,
    year,
)
from planner.settings._water_rules import WaterConfig

#: Layers with geometry or a table the planner knows, and whether a workspace must have them.
KNOWN_LAYERS: dict[str, bool] = {
    "county": False,
    "towns": True,
    "villages": True,
    "children": False,
    "settlements": False,
    "candidates": False,
    "water": False,
    "kits": False,
    "schools": False,
    "incidents": False,
    "staff": False,
}

_LAYER_KEYS = {
    "path", "datum", "encoding", "fields", "x", "y", "datum_column", "sheet", "layer", "crs",
    "header", "vintage",
}


@dataclass(frozen=True)
class LayerSpec:
    """Where one input layer lives and how to read it.

    Attributes
    ----------
    name : str
        The layer's role (``towns``, ``villages``, ``facilities`` ...).
    path : Path
        Absolute path of the file.
    datum : str
        Canonical datum of its coordinates (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``).
    encoding : str or None
        Text encoding of CSV/DBF files; ``None`` detects UTF-8 and falls back to GB18030.
    fields : dict
        Canonical field name -> column name in the file.
    x, y : str or None
        Longitude / latitude columns of a table with coordinates (CSV, XLSX).
    datum_column : str or None
        Optional column giving a per-row datum, overriding ``datum``.
    sheet, layer : str or None
        Excel sheet / GeoPackage layer to read.
    crs : str or None
        CRS of a vector file that does not carry one (a shapefile without ``.prj``), e.g.
        ``"EPSG:4528"`` for CGCS2000 3-degree Gauss-Krüger zone 40.
    header : int
        The row of a CSV/XLSX table holding the column names (2 below a title row).
    vintage : str or None
        When the data are from, as the report states it (e.g. "2021年"); ``None``: the
        report gives the file's date instead.
    """

    name: str
    path: Path
    datum: str = "wgs84"
    encoding: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    x: str | None = None
    y: str | None = None
    datum_column: str | None = None
    sheet: str | None = None
    layer: str | None = None
    crs: str | None = None
    header: int = 1
    vintage: str | None = None

    def column(self, canonical: str) -> str:
        """The file's column for a canonical field name (the name itself if unmapped)."""
        return self.fields.get(canonical, canonical)


@dataclass(frozen=True)
class QuotaSpec:
    """The allocation (quota) table: which column names the town, which columns the kinds."""

    path: Path
    town: str
    kinds: dict[str, str]
    standards: dict[str, str]
    encoding: str | None = None
    sheet: str | None = None
    header: int = 1
    #: add the law's quota (``glossary.STATUTORY_QUOTAS``) for kinds the table has no column for
    statutory_defaults: bool = True
    #: when the table was issued, as the report states it (e.g. "2021年（皋民儿童〔2021〕1号）")
    vintage: str | None = None


def _header(raw: dict, where: str, what: str) -> int:
    value = raw.get("header", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise ConfigError(f"{where}: {what} header = {value!r} must be the row number of the "
                          "column names, e.g. header = 2 below a title row")
    return value


#: every table ``planner.toml`` may have, and the keys of the plain ones (``None``: the
#: table's own parser checks its keys)
SECTIONS: dict[str, frozenset[str] | None] = {
    "workspace": frozenset({"name", "county_code", "crs", "as_of"}),
    "layers": None, "facilities": None,
    "quota": frozenset({"path", "town", "kinds", "encoding", "sheet", "header",
                        "statutory_defaults", "vintage"}),
    "aliases": None,
    "roads": frozenset({"path"}),
    "validate": frozenset({"duplicate_distance_m", "locate_tolerance_m", "max_unusable_share",
                           "accept_incomplete", "outline_tolerance_m"}),
    "staff": frozenset({"children_per_director"}),
    "access": None, "place": None, "water": None, "map": None,
}


def nearest(word: str, options) -> str | None:
    """The option nearest to a misspelt ``word`` (``None`` if none is close)."""
    near = difflib.get_close_matches(str(word), sorted(options), n=1, cutoff=0.6)
    return near[0] if near else None


def _check_keys(data: dict, where: str) -> None:
    for key in data:
        if key not in SECTIONS:
            near = nearest(key, SECTIONS)
            hint = (f"did you mean [{near}]?" if near else
                    "known tables: " + ", ".join(f"[{s}]" for s in SECTIONS))
            raise ConfigError(f"{where}: unknown table [{key}]; {hint}")
        allowed = SECTIONS[key]
        if allowed is not None and isinstance(data[key], dict):
            for sub in data[key]:
                if sub not in allowed:
                    near = nearest(sub, allowed)
                    hint = (f"did you mean {key}.{near}?" if near else
                            "allowed: " + ", ".join(sorted(allowed)))
                    raise ConfigError(f"{where}: unknown key {key}.{sub}; {hint}")


@dataclass(frozen=True)
class Settings:
    """The validated ``planner.toml`` of a workspace: built once, passed to every stage.

    Attributes
    ----------
    root, name, county_code, crs
        The workspace folder, its name, county code and optional metric CRS override.
    layers, facilities, quota, aliases, roads
        Where the inputs are and how to read them.
    water_files
        Every water file: ``[layers.water]`` or each ``[[layers.water]]`` (``layers["water"]``
        is the first).
    access, place, water, map
        The validated parameter tables (``[access]`` holds the one coverage distance and
        travel mode per kind, used by coverage and placement alike).
    water_year, water_as_of
        The year of the patrol calendar and the date kits' inspections are counted from.
    as_of
        ``[workspace] as_of``: the reporting date (统计截至) of the annex and the report; its
        quarter is the reporting period. ``None``: the day of the run.
    children_per_director
        ``[staff]``: a village needs one more 儿童主任 per this many children above it
        (``None``: one per village).
    max_unusable_share, accept_incomplete
        ``[validate]``: a site list may lose at most this share of its records (duplicates
        aside) before the run stops, unless the user accepts an incomplete result
        (``accept_incomplete = true`` or ``--accept-incomplete``).
    outline_tolerance_m
        ``[validate]``: how far the towns may reach beyond a given county outline (or fall
        short of it) before a finding says so.
    """

    root: Path
    name: str
    county_code: str | None
    crs: str | None
    layers: dict[str, LayerSpec]
    facilities: list[LayerSpec]
    quota: QuotaSpec | None
    aliases: dict[str, str]
    roads: Path | None
    duplicate_distance_m: float = 100.0
    locate_tolerance_m: float = 100.0
    access: AccessConfig = field(default_factory=AccessConfig)
    place: PlaceConfig = field(default_factory=PlaceConfig)
    water: WaterConfig = field(default_factory=WaterConfig)
    map: MapConfig = field(default_factory=MapConfig)
    water_year: int | None = None
    water_as_of: dt.date | None = None
    children_per_director: int | None = None
    max_unusable_share: float = 0.05
    accept_incomplete: bool = False
    outline_tolerance_m: float = 500.0
    as_of: dt.date | None = None
    water_files: tuple[LayerSpec, ...] = ()

    @property
    def water_layers(self) -> tuple[LayerSpec, ...]:
        """Every water file (``water_files``, else ``layers["water"]``; none without)."""
        if self.water_files:
            return self.water_files
        return (self.layers["water"],) if "water" in self.layers else ()

    @property
    def source(self) -> Path:
        """The ``planner.toml`` file."""
        return self.root / "planner.toml"


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table, e.g. [{key}] with key = value lines")
    return value


def _text(raw: dict, key: str, where: str, what: str) -> str | None:
    """``raw[key]`` if it is text (``None`` if absent); a one-line error otherwise."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(
            f"{where}: {what} {key} = {value!r} must be text in quotes, e.g. "
            f"{key} = \"{value}\""
        )
    return value


def _inside(root: Path, value: str, where: str, what: str) -> Path:
    """The absolute path of ``value`` (relative to the workspace), which must stay inside it.

    The check is on the path as written (``..``, an absolute path elsewhere); a symbolic link
    placed inside the workspace is the user's own choice and is followed.
    """
    written = Path(os.path.normpath(root / value))
    path = (root / value).resolve()
    if not written.is_relative_to(root):
        raise ConfigError(
            f"{where}: {what} path {value!r} leaves the workspace folder {root}; copy the "
            "file into the workspace and give its path relative to planner.toml"
        )
    return path


def _layer(name: str, raw: Any, root: Path, where: str) -> LayerSpec:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict) or "path" not in raw:
        raise ConfigError(f"{where}: layer {name!r} needs a path, e.g. path = \"{name}.gpkg\"")
    unknown = set(raw) - _LAYER_KEYS
    if unknown:
        near = nearest(sorted(unknown)[0], _LAYER_KEYS)
        hint = f"did you mean {near!r}? " if near else ""
        raise ConfigError(
            f"{where}: layer {name!r} has unknown key(s) {sorted(unknown)}; "
            f"{hint}allowed: {sorted(_LAYER_KEYS)}"
        )
    for key in ("path", "encoding", "x", "y", "datum_column", "sheet", "layer", "datum",
                "vintage"):
        _text(raw, key, where, f"layer {name!r}:")
    fields = raw.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise ConfigError(f"{where}: layer {name!r}: fields must map names to column names")
    if (raw.get("x") is None) != (raw.get("y") is None):
        raise ConfigError(f"{where}: layer {name!r} gives only one of x / y; give both columns")
    datum = normalise_datum(raw.get("datum", "wgs84"), where=f"{where} layer {name!r}")
    return LayerSpec(
        name=name,
        path=_inside(root, raw["path"], where, f"layer {name!r}"),
        datum=datum,
        encoding=raw.get("encoding"),
        fields=dict(fields),
        x=raw.get("x"),
        y=raw.get("y"),
        datum_column=raw.get("datum_column"),
        sheet=raw.get("sheet"),
        layer=raw.get("layer"),
        crs=raw.get("crs"),
        header=_header(raw, where, f"layer {name!r}:"),
        vintage=raw.get("vintage"),
    )


def _quota(raw: dict, root: Path, where: str) -> QuotaSpec | None:
    if not raw:
        return None
    from planner.glossary import KINDS

    if "path" not in raw or "town" not in raw or "kinds" not in raw:
        raise ConfigError(
            f"{where}: [quota] needs path, town (the column naming towns) and a [quota.kinds] "
            "table mapping kind codes to columns"
        )
    for key in ("path", "town", "encoding", "sheet", "vintage"):
        _text(raw, key, where, "[quota]")
    if not isinstance(raw["kinds"], dict):
        raise ConfigError(f"{where}: [quota.kinds] must be a table mapping kind codes to "
                          "columns, e.g. care_point = \"站点\"")
    kinds: dict[str, str] = {}
    standards: dict[str, str] = {}
    for kind, spec in raw["kinds"].items():
        if kind not in KINDS:
            raise ConfigError(
                f"{where}: [quota.kinds] has unknown kind {kind!r}; use one of {sorted(KINDS)}"
            )
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("column"), str):
            raise ConfigError(f"{where}: [quota.kinds] {kind} must name a column in quotes, "
                              f"e.g. {kind} = \"站点\"")
        kinds[kind] = spec["column"]
        standard = spec.get("standard", "any")
        if standard not in ("any", "provincial"):
            raise ConfigError(
                f"{where}: [quota.kinds.{kind}] standard must be 'any' or 'provincial'"
            )
        standards[kind] = standard
    statutory = raw.get("statutory_defaults", True)
    if not isinstance(statutory, bool):
        raise ConfigError(f"{where}: [quota] statutory_defaults = {statutory!r} must be true or "
                          "false (add the law's quota, e.g. one 未成年人保护工作站 per town, for "
                          "kinds the table has no column for)")
    return QuotaSpec(
        path=_inside(root, raw["path"], where, "[quota]"),
        town=raw["town"],
        kinds=kinds,
        standards=standards,
        encoding=raw.get("encoding"),
        sheet=raw.get("sheet"),
        header=_header(raw, where, "[quota]"),
        statutory_defaults=statutory,
        vintage=raw.get("vintage"),
    )


def load_settings(workspace: str | Path) -> Settings:
    """Read ``planner.toml`` from a workspace folder (or the file itself) and validate it.

    Raises
    ------
    ConfigError
        With a one-line message naming the file and the fix.
    """
    path = Path(workspace)
    if path.is_dir():
        path = path / "planner.toml"
    if not path.exists():
        raise ConfigError(
            f"{path}: no planner.toml here; pass a workspace folder that contains one, or run "
            f"without a folder for the demo (its planner.toml: {_demo_toml()})"
        )
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}); save "
                          "planner.toml as UTF-8 (记事本: 另存为, 编码 UTF-8)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc}); fix the syntax") from exc
    root = path.parent.resolve()
    _check_keys(data, where)
    refuse_non_finite(data, where)
    check_bounds(data, where)
    ws = _table(data, "workspace", where)
    layers_raw = _table(data, "layers", where)
    unknown = set(layers_raw) - set(KNOWN_LAYERS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown layer(s) {sorted(unknown)}; known layers: {sorted(KNOWN_LAYERS)}"
        )
    for name, required in KNOWN_LAYERS.items():
        if required and name not in layers_raw:
            raise ConfigError(f"{where}: [layers.{name}] is missing; every workspace needs it")
    water_files = _water_files(layers_raw.get("water"), root, where)
    layers = {n: (water_files[0] if n == "water" else _layer(n, r, root, where))
              for n, r in layers_raw.items()}
    fac_raw = data.get("facilities", [])
    if isinstance(fac_raw, dict):
        fac_raw = [fac_raw]
    if not isinstance(fac_raw, list):
        raise ConfigError(f"{where}: [[facilities]] must be tables, e.g. [[facilities]] with "
                          "path = \"sites.csv\"")
    facilities = [_layer("facilities", r, root, where) for r in fac_raw]
    aliases = {str(k): str(v) for k, v in _table(data, "aliases", where).items()}
    roads_raw = _table(data, "roads", where)
    roads = (_inside(root, _text(roads_raw, "path", where, "[roads]"), where, "[roads]")
             if "path" in roads_raw else None)
    for key in ("name", "crs", "county_code"):
        value = ws.get(key, "")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ConfigError(f"{where}: [workspace] {key} = {ws[key]!r} must be text in quotes")
    validate_raw = _table(data, "validate", where)
    dup = metres(validate_raw, "duplicate_distance_m", table="validate", where=where,
                 default=100.0, high=10_000.0)
    tol = metres(validate_raw, "locate_tolerance_m", table="validate", where=where,
                 default=100.0, high=50_000.0)
    share, accept, outline = _completeness(validate_raw, where)
    access = AccessConfig.from_mapping(_table(data, "access", where), source=where)
    place = PlaceConfig.from_mapping(_table(data, "place", where), source=where)
    # one coverage distance per kind: placement takes it from [access]
    place = replace(place, thresholds_m=MappingProxyType(
        {k: r.threshold_m for k, r in access.rules.items()}))
    water = dict(_table(data, "water", where))
    year, as_of = _water_dates(water.pop("year", None), water.pop("as_of", None), where)
    return Settings(
        root=root,
        name=str(ws.get("name", root.name)),
        county_code=county_code(ws.get("county_code"), where=where),
        crs=ws.get("crs"),
        layers=layers,
        water_files=water_files,
        facilities=facilities,
        quota=_quota(_table(data, "quota", where), root, where),
        aliases=aliases,
        roads=roads,
        duplicate_distance_m=dup,
        locate_tolerance_m=tol,
        access=access,
        place=place,
        water=WaterConfig.from_mapping(water, source=where),
        map=MapConfig.from_mapping(_table(data, "map", where), source=where),
        water_year=year,
        water_as_of=as_of,
        children_per_director=_per_director(_table(data, "staff", where), where),
        max_unusable_share=share,
        accept_incomplete=accept or bool(_OVERRIDES.get().get("accept_incomplete")),
        outline_tolerance_m=outline,
        as_of=plan_date(reporting_date(ws.get("as_of"), where="[workspace] as_of",
                                       source=where), key="[workspace] as_of", where=where),
    )


#: values a command-line flag sets for every settings loaded in its context
_OVERRIDES: ContextVar[MappingProxyType] = ContextVar(
    "planner_settings_overrides", default=MappingProxyType({}))


@contextmanager
def overriding(**values: Any):
    """Within the block every :func:`load_settings` takes ``values`` (command-line flags:
    ``accept_incomplete=True`` for ``--accept-incomplete``)."""
    token = _OVERRIDES.set(MappingProxyType({**_OVERRIDES.get(), **values}))
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def _completeness(raw: dict, where: str) -> tuple[float, bool, float]:
    """``[validate]`` max_unusable_share (0-1), accept_incomplete, outline_tolerance_m."""
    share = raw.get("max_unusable_share", 0.05)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ConfigError(f"{where}: [validate] max_unusable_share = {share!r} must be a share "
                          "from 0 to 1, e.g. 0.05 (a site list may lose 5 % of its records)")
    accept = raw.get("accept_incomplete", False)
    if not isinstance(accept, bool):
        raise ConfigError(f"{where}: [validate] accept_incomplete = {accept!r} must be true or "
                          "false")
    outline = raw.get("outline_tolerance_m", 500.0)
    if isinstance(outline, bool) or not isinstance(outline, int | float) or not \
            0 <= outline <= 100_000:
        raise ConfigError(f"{where}: [validate] outline_tolerance_m = {outline!r} must be a "
                          "distance in metres from 0 to 100000, e.g. 500")
    return float(share), accept, float(outline)


def _water_files(raw: Any, root: Path, where: str) -> tuple[LayerSpec, ...]:
    """``[layers.water]`` (one file) or ``[[layers.water]]`` (several: lines and polygons,
    each with its own datum and fields); none without either."""
    if raw is None:
        return ()
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(f"{where}: [[layers.water]] is empty; give each water file as "
                              "[[layers.water]] with path = \"...\"")
        return tuple(_layer("water", r, root, where) for r in raw)
    return (_layer("water", raw, root, where),)


def _per_director(raw: dict, where: str) -> int | None:
    """``[staff] children_per_director``: one more 儿童主任 per this many children above it."""
    value = raw.get("children_per_director")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: [staff] children_per_director = {value!r} must be a whole "
                          "number of children, e.g. 500 (one more child director per 500 "
                          "children), or left out (one per village)")
    return int(value)


def _demo_toml() -> str:
    """Where the bundled demo's ``planner.toml`` is (``data/planner.toml`` in a checkout)."""
    from planner import datasets

    try:
        return str(datasets.demo() / "planner.toml")
    except FileNotFoundError:
        return "data/planner.toml in a source checkout"


def reporting_date(value: Any, *, where: str, source: str = "") -> dt.date | None:
    """A reporting date given as a TOML date or ``"YYYY-MM-DD"`` text (``None`` if absent).

    Raises
    ------
    ConfigError
        When it is not a date.
    """
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        at = f"{source}: " if source else ""
        raise ConfigError(f"{at}{where} = {value!r} is not a date; give it as YYYY-MM-DD, "
                          "e.g. 2026-12-31") from exc


def _water_dates(value: Any, as_of: Any, where: str) -> tuple[int | None, dt.date | None]:
    value = year(value, key="[water] year", where=where)
    if as_of is not None and not isinstance(as_of, dt.date):
        try:
            as_of = dt.date.fromisoformat(str(as_of))
        except ValueError as exc:
            raise ConfigError(f"{where}: water.as_of = {as_of!r}; give a date such as "
                              "\"2025-06-01\"") from exc
    return value, plan_date(as_of, key="[water] as_of", where=where)
