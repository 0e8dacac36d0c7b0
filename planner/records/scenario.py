"""Scenarios: named what-ifs saved as small TOML files beside ``planner.toml``.

A scenario is a list of edits to a workspace's sites (added, moved, removed), marked
candidate places, and the kit budget and unit prices to plan with. ``planner studio`` makes
and saves them; ``planner run --scenario NAME`` reproduces one
(:func:`planner.validate.scenario_edits.apply_scenario`). Positions are WGS-84 longitude and
latitude. A scenario holds no person's name, ID or phone number: sites are named by kind and
village, never by a person.

Files live in ``<workspace>/方案/<name>.toml``; a name is one to 40 characters of Chinese,
letters, digits, spaces, ``-`` and ``_`` (never a path), so nothing is ever written outside
that folder.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from planner._errors import ConfigError

#: the folder of a workspace that holds its scenarios
FOLDER = "方案"
#: a scenario name: Chinese, letters, digits, space, - and _, 1-40 characters
_NAME = re.compile(r"^[\w\u3400-\u9fff\- ]{1,40}$")
#: water keys a scenario may set (the rest of [water] stays as planner.toml has it)
WATER_KEYS = ("budget_yuan",)


@dataclass(frozen=True)
class SiteEdit:
    """A site added (``facility_id`` made up by the studio) or moved (the existing id)."""

    facility_id: str
    kind: str
    lon: float
    lat: float


@dataclass
class Scenario:
    """Edits of one scenario (see module doc); empty = the workspace as it is."""

    name: str = ""
    note: str = ""
    added: list[SiteEdit] = field(default_factory=list)
    moved: list[SiteEdit] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    candidates: list[SiteEdit] = field(default_factory=list)
    #: ``budget_yuan`` (the kit budget)
    water: dict[str, float] = field(default_factory=dict)
    #: unit prices in yuan: kit items (``sign``, ``lifebuoy``, ``rope_per_m``, ``pole``,
    #: ``installation``, ``repair``) and new sites by kind (``site_<kind>``)
    prices: dict[str, float] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Whether the scenario changes nothing."""
        return not (self.added or self.moved or self.removed or self.candidates
                    or self.water or self.prices)

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-ready form (lists of plain dicts)."""
        return asdict(self)


def check_name(name: object) -> str:
    """The scenario name, stripped, or :class:`ConfigError` saying which names are allowed."""
    text = str(name).strip() if name is not None else ""
    if not _NAME.fullmatch(text) or text.startswith((".", "-")):
        raise ConfigError(f"方案名称 {str(name)[:60]!r} 不可用：请用 1-40 个汉字、字母、"
                          "数字、空格、- 或 _（不含 / \\ . 等符号） / use 1-40 Chinese "
                          "characters, letters, digits, spaces, - or _ for a scenario name")
    return text


def scenario_path(workspace_root: Path, name: str) -> Path:
    """Where scenario ``name`` is kept (the name checked; always inside ``方案/``)."""
    folder = (Path(workspace_root) / FOLDER).resolve()
    path = (folder / f"{check_name(name)}.toml").resolve()
    if path.parent != folder:  # cannot happen with a checked name; never write elsewhere
        raise ConfigError(f"方案名称 {name!r} 不可用 / scenario name leaves the folder")
    return path


def _number(value: object, *, key: str, where: str, low: float = 0.0,
            high: float = 1e10) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{where}: {key} = {value!r} 应为 {low:g} 到 {high:g} 之间的数 / "
                          f"give a number from {low:g} to {high:g}")
    return float(value)


def _site(item: object, *, where: str, need_id: bool) -> SiteEdit:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: 每个阵地应为一个表（kind、lon、lat） / each site is a table")
    fid = str(item.get("facility_id", "")).strip()
    if need_id and not fid:
        raise ConfigError(f"{where}: 缺少 facility_id / give the site's facility_id")
    return SiteEdit(facility_id=fid[:120], kind=str(item.get("kind", "")).strip()[:40],
                    lon=_number(item.get("lon"), key="lon", where=where, low=-180, high=180),
                    lat=_number(item.get("lat"), key="lat", where=where, low=-90, high=90))


def scenario_from_dict(data: dict[str, Any], *, where: str) -> Scenario:
    """A :class:`Scenario` from its TOML/JSON form, every value checked (``where`` names the
    file in messages)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: 方案应为一个表 / a scenario is a table")
    unknown = set(data) - {"name", "note", "saved", "added", "moved", "removed", "candidates",
                           "water", "prices"}
    if unknown:
        raise ConfigError(f"{where}: 未知的键 {', '.join(sorted(unknown))} / unknown keys; "
                          "remove them")
    water = data.get("water") or {}
    prices = data.get("prices") or {}
    if not isinstance(water, dict) or not isinstance(prices, dict):
        raise ConfigError(f"{where}: water 和 prices 应为表 / water and prices are tables")
    bad = set(water) - set(WATER_KEYS)
    if bad:
        raise ConfigError(f"{where}: [water] 只可设 {', '.join(WATER_KEYS)}，不可设 "
                          f"{', '.join(sorted(bad))} / only these water keys")
    removed = data.get("removed") or []
    if not isinstance(removed, list):
        raise ConfigError(f"{where}: removed 应为 facility_id 的列表 / a list of ids")
    return Scenario(
        name=check_name(data["name"]) if data.get("name") else "",
        note=str(data.get("note", ""))[:200],
        added=[_site(x, where=f"{where} added", need_id=True) for x in data.get("added") or []],
        moved=[_site(x, where=f"{where} moved", need_id=True) for x in data.get("moved") or []],
        removed=[str(x)[:120] for x in removed],
        candidates=[_site(x, where=f"{where} candidates", need_id=False)
                    for x in data.get("candidates") or []],
        water={k: _number(v, key=k, where=where) for k, v in water.items()},
        prices={str(k): _number(v, key=str(k), where=where, high=1e8) for k, v in prices.items()})


def read_scenario(workspace_root: Path, name: str) -> Scenario:
    """Scenario ``name`` of a workspace (:class:`ConfigError` naming the file if absent or
    unreadable)."""
    path = scenario_path(workspace_root, name)
    if not path.is_file():
        known = ", ".join(list_scenarios(workspace_root)) or "无 / none"
        raise ConfigError(f"{path}: 没有名为 {name!r} 的方案；已有：{known} / no such scenario")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: 不是可读的方案文件（{exc}）；请在规划工作台重新保存 / "
                          "not a readable scenario file") from None
    scenario = scenario_from_dict(data, where=str(path))
    scenario.name = check_name(name)
    return scenario


def write_scenario(workspace_root: Path, scenario: Scenario) -> Path:
    """Save ``scenario`` under its name (replacing an earlier scenario of that name only; a
    file written at once, never half)."""
    path = scenario_path(workspace_root, scenario.name)
    path.parent.mkdir(exist_ok=True)
    data = {k: v for k, v in scenario.to_dict().items() if v not in ("", [], {})}
    data["name"] = scenario.name
    data["saved"] = dt.datetime.now().replace(microsecond=0)
    head = (f"# 规划方案“{scenario.name}”：planner studio 保存；planner run --scenario "
            f"{scenario.name} 重现。\n# 坐标为 WGS-84 经纬度；prices 为单价（元）。\n")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(head + tomli_w.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
    return path


def list_scenarios(workspace_root: Path) -> list[str]:
    """Names of the saved scenarios, sorted."""
    folder = Path(workspace_root) / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml")
                  if not p.name.startswith(".") and _NAME.fullmatch(p.stem))
