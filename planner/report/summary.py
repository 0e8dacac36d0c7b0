"""The terminal summary of a run, Chinese first (the same figures as ``run.json``, whose keys
stay English for programs)."""

from __future__ import annotations

from collections.abc import Callable

from planner.glossary import (
    CHILD_GROUPS,
    DISTANCE_METHODS,
    SHORT_LABELS,
    SOLVER_LABELS,
    TIERS,
    kind_label,
)
from planner.measure.coverage import story_lines
from planner.report.tables import outside_quota, summary_lines
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
    for line in story_lines(run.get("coverage") or {}):
        echo(line)
    for line in [*access_lines(run), *proposal_lines(run), *water_lines(run)]:
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


def water_lines(run: dict) -> list[str]:
    """Risky waters by tier, the bank left uncovered, and the kit budget."""
    water = run.get("water")
    if not water:
        return []
    tiers = water["risky_waters_by_tier"]
    by_tier = "/".join(TIERS[t] for t in "ABC")
    lines = [f"防溺水：水域 {water['water_bodies']} 处，{by_tier}风险 {tiers.get('A', 0)}/"
             f"{tiers.get('B', 0)}/{tiers.get('C', 0)} 处；未覆盖的风险岸线 "
             f"{water['uncovered_risky_bank_m_before'] / 1000:.0f} 公里，新设 "
             f"{water['proposed_kits']} 套“四个一”后 "
             f"{water['uncovered_risky_bank_m_after'] / 1000:.0f} 公里"]
    b = water.get("budget")
    if b and b.get("budget_yuan") is not None:
        how = "，".join(SOLVER_LABELS.get(str(x), str(x)) for x in (b["method"], b["status"]))
        lines.append(
            f"“四个一”预算：安排 ¥{b['spend_yuan']:,.0f} / ¥{b['budget_yuan']:,.0f}（剩余 "
            f"¥{b['remaining_yuan']:,.0f}）：新设 {b['new_kits']} 套，补齐/维修 "
            f"{b['fixed_kits']} 套，按危险度加权的风险岸线覆盖 {b['risk_covered_share']:.1%}"
            f"（{how}，最优性差距 {b['gap']:.2%}）→ water_actions.xlsx")
    return lines
