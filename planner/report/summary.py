"""The terminal summary of a run, Chinese first (the same figures as ``run.json``, whose keys
stay English for programs)."""

from __future__ import annotations

from collections.abc import Callable

from planner.glossary import (
    CHILD_GROUPS,
    DISTANCE_METHODS,
    SHORT_LABELS,
    kind_label,
)
from planner.measure.coverage import story_lines
from planner.report._xlsx import text_width
from planner.report.tables import outside_quota, summary_lines
from planner.report.water_figures import water_lines
from planner.results import RunResult


def _short(kind: str) -> str:
    return SHORT_LABELS.get(kind, kind_label(kind))


def print_summary(result: RunResult, *, echo: Callable[[str], None] = print) -> None:
    """The closing lines of ``planner run``: the town table, quota progress, coverage,
    proposals, water and where the outputs went."""
    run = result.run
    echo("")
    if result.kinds:
        for line in summary_lines(result.progress, kinds=result.kinds,
                                  outside=outside_quota(run, result.progress)):
            echo(line)
        echo("")
    for line in quota_lines(run):
        echo(line)
    for line in [*story_lines(run.get("coverage") or {}), *staff_lines(run)]:
        echo(line)
    # the water sentences are the report's (planner.report.water_figures)
    for line in [*access_lines(run), *proposal_lines(run), *water_lines(run.get("water"))]:
        echo(line)
    read = sum(i["read"] for i in run["inputs"])
    echo(f"读入记录 {read} 条，拒收 {run['rejected']} 条（rejected.csv），修复 "
         f"{run['repaired']} 条（repairs.csv）；发现的问题 {len(run['findings'])} 条")
    for loss in result.workspace.ledger.incomplete():
        echo(f"数据不全：{loss['file']} 共 {loss['read']} 条记录，{loss['unusable']} 条未能使用"
             f"（{100 * loss['share']:.1f}%），各表均已注明")
    echo(f"成果文件夹：{result.out}")


def quota_lines(run: dict) -> list[str]:
    """Per quota kind: 任务数, 已建, 缺口, 超额 and 完成率 (the law's default quota named)."""
    quota = run.get("quota") or {}
    defaults = run.get("quota_defaults") or {}
    lines = []
    for kind, t in quota.items():
        if not isinstance(t, dict):
            continue
        law = f"（法定每镇 {defaults[kind]['per_town']} 个）" if kind in defaults else ""
        extra = f"，超额 {t['extra']}" if t.get("extra") else ""
        lines.append(f"{_short(kind)}：任务 {t['required']}{law}，已建 {t['built']}，缺口 "
                     f"{t['missing']}{extra}，完成率 {t['percent']}%")
    return lines


def staff_lines(run: dict) -> list[str]:
    """The staff figures: directors and supervisors required, in post, missing, villages
    without a director, staff trained (none without a staff table)."""
    t = run.get("staff")
    if not t:
        return []
    rate = 100.0 * t["directors"] / t["directors_required"] if t["directors_required"] else 100.0
    trained = f"（{t['pct_trained']:.1f}%）" if t.get("pct_trained") is not None else ""
    return [f"儿童工作队伍：儿童主任应配 {t['directors_required']} 名，已配 {t['directors']} 名，"
            f"缺口 {t['directors_missing']} 名（配备率 {rate:.1f}%），无儿童主任的村（居）"
            f"{t['villages_without_director']} 个；儿童督导员应配 {t['supervisors_required']} 名，"
            f"已配 {t['supervisors']} 名，缺口 {t['supervisors_missing']} 名；在岗 "
            f"{t['staff']} 人，已培训 {t['trained']} 人{trained}"]


def access_lines(run: dict) -> list[str]:
    """Each kind's share of children (and left-behind, vulnerable children) within reach."""
    access = run.get("access") or {}
    shares = access.get("county_shares") or {}
    if not shares:
        return []
    how = DISTANCE_METHODS.get(access.get("method"), str(access.get("method")))
    lines = [f"各类阵地服务半径内儿童占比（{how}）："]
    for kind, by_group in shares.items():
        parts = [f"{CHILD_GROUPS.get(g, g)} {100 * v:.1f}%" for g, v in by_group.items()
                 if v is not None]
        lines.append(f"  {_short(kind)}：" + "，".join(parts))
    return lines


def proposal_lines(run: dict) -> list[str]:
    """What the placement proposes per kind (new sites and upgrades)."""
    props = run.get("proposals") or {}
    if not props.get("sites"):
        return []
    parts = []
    for kind, v in (props.get("by_kind") or {}).items():
        if "status" not in v:
            continue
        text = f"{_short(kind)}新建 {v.get('proposed', 0)} 处"
        if v.get("upgrades"):
            text += f"、升级 {v['upgrades']} 处"
        parts.append(text)
    return [f"拟新建（含升级）阵地 {props['sites']} 处：{'；'.join(parts)}"
            " → proposed_sites.geojson"]


def aligned(rows: list[tuple[str, ...]], *, left: int) -> list[str]:
    """Rows of a terminal table in columns as wide as their widest cell (a Chinese character
    counts two), the first ``left`` columns flush left and the others flush right."""
    widths = [max(text_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c + " " * (w - text_width(c)) if i < left
                      else " " * (w - text_width(c)) + c
                      for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]
