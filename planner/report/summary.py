"""The terminal summary of a run (the same figures as ``run.json``)."""

from __future__ import annotations

from collections.abc import Callable

from planner.measure.coverage import story_lines
from planner.report.tables import summary_lines
from planner.report.water_figures import water_lines
from planner.results import RunResult


def print_summary(result: RunResult, *, echo: Callable[[str], None] = print) -> None:
    """The closing lines of ``planner run``: quota progress, coverage, proposals, water."""
    kinds = result.kinds
    run = result.run
    echo("")
    for line in summary_lines(result.progress, kinds=kinds):
        echo(line)
    echo("")
    if run["quota"]:
        for kind in kinds:
            t = run["quota"][kind]
            echo(f"{kind}: required {t['required']}, built {t['built']}, "
                 f"missing {t['missing']}, {t['percent']}% complete")
    for line in story_lines(run.get("coverage") or {}):
        echo(line)
    access = run.get("access") or {}
    echo(f"coverage ({access.get('method')}): share of children within reach")
    for kind, shares in (access.get("county_shares") or {}).items():
        parts = ", ".join(f"{g} {100 * v:.1f}%" for g, v in shares.items() if v is not None)
        echo(f"  {kind}: {parts}")
    props = run.get("proposals") or {}
    if props.get("sites"):
        parts = [f"{k} {v.get('proposed', 0)} new" + (f" + {v['upgrades']} upgrades"
                                                      if v.get("upgrades") else "")
                 for k, v in props["by_kind"].items() if "status" in v]
        echo(f"proposed sites: {props['sites']} ({'; '.join(parts)}) -> proposed_sites.geojson")
    water = run.get("water")
    if water:  # the same sentences as the report's (planner.report.water_figures)
        for line in water_lines(water):
            echo(line)
    read = sum(i["read"] for i in run["inputs"])
    echo(f"records read {read}, rejected {run['rejected']} (rejected.csv), "
         f"repaired {run['repaired']} (repairs.csv); findings: {len(run['findings'])}")
    for loss in result.workspace.ledger.incomplete():
        echo(f"数据不全 / INCOMPLETE: {loss['file']}: {loss['unusable']} of {loss['read']} "
             f"records not used ({100 * loss['share']:.1f}%); the tables say so")
    echo(f"outputs: {result.out}")
