"""The studio's working scenario: edits with a revision number, saved scenarios, jobs.

One :class:`Session` per server; every tab of the page shares it. Each edit names the
revision it was made on: an edit made on an older revision (another tab changed the
scenario since) is refused with the current state, so two tabs never overwrite each other
unseen. An edit that the run would refuse (a site outside every village, an unknown kind)
leaves the scenario as it was and returns the run's one-line message.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import Any

from planner._errors import ConfigError, PlannerError
from planner.glossary import KINDS
from planner.records.scenario import (
    Scenario,
    SiteEdit,
    check_name,
    list_scenarios,
    read_scenario,
    scenario_from_dict,
    scenario_path,
    write_scenario,
)
from planner.studio.engine import Engine
from planner.studio.suggest import SuggestJob, next_best


class Stale(Exception):
    """An edit made on an older revision."""


class Session:
    """The working scenario of a studio (see module doc)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.scenario = Scenario()
        self.rev = 0
        self._seq = 0
        self._lock = threading.RLock()
        self._figures: dict[str, Any] | None = None
        self.jobs: dict[str, SuggestJob] = {}
        self._compare: dict[str, tuple[str, dict]] = {}

    # ---- state -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The revision, the scenario and its figures."""
        with self._lock:
            if self._figures is None:
                self._figures = self.engine.figures(self.scenario)
            return {"rev": self.rev, "scenario": self.scenario.to_dict(),
                    "figures": self._figures}

    def _commit(self, scenario: Scenario) -> dict[str, Any]:
        """Make ``scenario`` current if the run accepts it (else raise its message)."""
        figures = self.engine.figures(scenario)
        self.scenario, self._figures = scenario, figures
        self.rev += 1
        return self.state()

    def edit(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply one edit (``op`` and its fields, ``rev`` the revision it was made on)."""
        with self._lock:
            if body.get("rev") != self.rev:
                raise Stale("另一个页面已修改了方案，已显示最新内容，请重新操作 / the scenario "
                            "changed in another tab")
            return self._commit(self._edited(body))

    def _edited(self, body: dict[str, Any]) -> Scenario:
        sc = copy.deepcopy(self.scenario)
        op = body.get("op")
        if op == "add":
            kind = _kind(body.get("kind"))
            self._seq += 1
            while any(e.facility_id == f"新增-{self._seq}" for e in sc.added):
                self._seq += 1
            sc.added.append(SiteEdit(f"新增-{self._seq}", kind, *_lonlat(body)))
        elif op == "move":
            fid = str(body.get("facility_id", ""))
            lon, lat = _lonlat(body)
            if any(e.facility_id == fid for e in sc.added):
                sc.added = [replace(e, lon=lon, lat=lat) if e.facility_id == fid else e
                            for e in sc.added]
            else:
                sc.moved = [e for e in sc.moved if e.facility_id != fid]
                sc.moved.append(SiteEdit(fid, "", lon, lat))
        elif op == "remove":
            fid = str(body.get("facility_id", ""))
            if any(e.facility_id == fid for e in sc.added):
                sc.added = [e for e in sc.added if e.facility_id != fid]
            else:
                sc.moved = [e for e in sc.moved if e.facility_id != fid]
                if fid not in sc.removed:
                    sc.removed.append(fid)
        elif op == "candidate":
            sc.candidates.append(SiteEdit("", "", *_lonlat(body)))
        elif op == "uncandidate":
            i = body.get("index")
            if not isinstance(i, int) or not 0 <= i < len(sc.candidates):
                raise ConfigError("没有这个候选点 / no such candidate")
            del sc.candidates[i]
        elif op == "budget":
            sc.water = scenario_from_dict({"water": {"budget_yuan": body.get("budget_yuan")}},
                                          where="预算 / budget").water
        elif op == "prices":
            prices = scenario_from_dict({"prices": body.get("prices") or {}},
                                        where="单价 / prices").prices
            sc.prices = {**sc.prices, **prices}
        elif op == "reset":
            sc = Scenario(name=sc.name)
        else:
            raise ConfigError(f"未知操作 {str(op)[:40]!r} / unknown edit")
        return sc

    # ---- scenarios ---------------------------------------------------------------------
    def save(self, name: str, rev: object) -> dict[str, Any]:
        """Save the working scenario as ``name`` (the name checked)."""
        with self._lock:
            if rev != self.rev:
                raise Stale("另一个页面已修改了方案，请确认后再保存 / the scenario changed in "
                            "another tab")
            self.scenario.name = check_name(name)
            write_scenario(self.engine.root, self.scenario)
            self.rev += 1
            return self.state()

    def load(self, name: str) -> dict[str, Any]:
        """Make saved scenario ``name`` the working one."""
        with self._lock:
            return self._commit(read_scenario(self.engine.root, name))

    def figures_of(self, name: str) -> dict[str, Any]:
        """The figures of saved scenario ``name``."""
        return self.engine.figures(read_scenario(self.engine.root, name))

    def compare(self) -> dict[str, Any]:
        """The saved scenarios side by side (figures cached by file content)."""
        items = []
        for name in list_scenarios(self.engine.root):
            path = scenario_path(self.engine.root, name)
            text = path.read_text(encoding="utf-8")
            cached = self._compare.get(name)
            if cached is None or cached[0] != text:
                try:
                    sc = read_scenario(self.engine.root, name)
                    cached = (text, _summary(sc, self.engine.figures(sc)))
                except PlannerError as exc:
                    cached = (text, {"name": name, "error": str(exc)})
                self._compare[name] = cached
            items.append(cached[1])
        return {"items": items, "current": self.scenario.name}

    # ---- suggestions -------------------------------------------------------------------
    def suggest(self, rev: object) -> dict[str, Any]:
        """Start the exact placement from the working scenario."""
        with self._lock:
            if rev != self.rev:
                raise Stale("方案已在另一个页面修改 / the scenario changed in another tab")
            job = SuggestJob(self.engine, self.engine.evaluate(self.scenario))
            job.rev_started = self.rev
            self.jobs[job.id] = job
            return {"job": job.id}

    def apply(self, job_id: str, rev: object) -> dict[str, Any]:
        """Add the new sites of a finished suggestion to the working scenario."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or job.poll()["state"] != "done":
                raise ConfigError("建议尚未完成 / the suggestion has not finished")
            if rev != self.rev or job.rev_started != self.rev:
                raise Stale("方案在建议计算后已修改，请重新计算建议 / the scenario changed "
                            "since the suggestion")
            sc = copy.deepcopy(self.scenario)
            for site in job.result["sites"]:
                if site.get("upgrade"):
                    continue  # an existing care home upgraded: no new site
                self._seq += 1
                sc.added.append(SiteEdit(f"新增-{self._seq}", site["kind"], site["lon"],
                                         site["lat"]))
            return self._commit(sc)

    def next_best(self, n: int) -> dict[str, Any]:
        """The next best places from the working scenario."""
        with self._lock:
            return next_best(self.engine, self.engine.evaluate(self.scenario), n=n)


def _summary(sc: Scenario, figures: dict[str, Any]) -> dict[str, Any]:
    annex = figures.get("annex") or {}
    kits = figures.get("kits") or {}
    return {"name": sc.name, "sites_added": len(sc.added), "sites_removed": len(sc.removed),
            "sites_moved": len(sc.moved),
            "children_within_reach": {k: (v["within_reach"] or {}).get("children")
                                      for k, v in figures["coverage"].items()},
            "quota_pct": {k: v["pct"] for k, v in (annex.get("total") or {}).items()},
            "new_kits": kits.get("new_kits"), "cost_yuan": figures["cost"]["total_yuan"]}


def _kind(value: object) -> str:
    if value not in KINDS:
        raise ConfigError(f"阵地类型 {str(value)[:40]!r} 未知 / unknown kind")
    return str(value)


def _lonlat(body: dict[str, Any]) -> tuple[float, float]:
    sc = scenario_from_dict({"added": [{"facility_id": "x", "lon": body.get("lon"),
                                        "lat": body.get("lat")}]}, where="位置 / position")
    return sc.added[0].lon, sc.added[0].lat
