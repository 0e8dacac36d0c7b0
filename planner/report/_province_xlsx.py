"""``province_progress.xlsx``: the official progress form for a province.

Sheet 全省进度 lists province -> city -> county -> town: the town rows of each county, a
county subtotal (小计), a city total (合计) and the province total (全省合计). Sheets 市级汇总
and 县级汇总 give one row per city and per county; 未完成的县 lists counties that failed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.glossary import quota_label
from planner.report._xlsx import Book, write_table

_SUB = (("required", "任务数"), ("built", "已建"), ("missing", "缺口"), ("pct", "完成率"))


def _figures(row: dict, kinds: list[str]) -> dict:
    """The kind and village columns of one table row from a summary entry."""
    cols: dict = {}
    for kind in kinds:
        label = quota_label(kind)
        entry = (row.get("quota") or {}).get(kind)
        has = entry is not None and entry.get("counties", 1) > 0
        for key, sub in _SUB:
            value = None
            if has:
                value = entry["percent"] if key == "pct" else entry[key]
            cols[f"{label}|{sub}"] = value
    cols["村（居）全覆盖|村（居）数"] = row["villages"]
    cols["村（居）全覆盖|有站点"] = row["villages_with_care_point"]
    cols["村（居）全覆盖|覆盖率"] = row["village_coverage_pct"]
    return cols


def _town_rows(towns: pd.DataFrame, kinds: list[str]) -> list[dict]:
    rows = []
    for t in towns.to_dict("records"):
        name = t.get("town_name")
        if not isinstance(name, str):
            name = str(t.get("quota_town", ""))
        cols: dict = {"设区市": t["city_name"], "县（市、区）": t["county_name"],
                      "镇（区、街道）": name}
        for kind in kinds:
            label = quota_label(kind)
            has = f"required_{kind}" in t and pd.notna(t[f"required_{kind}"])
            for key, sub in _SUB:
                cols[f"{label}|{sub}"] = t[f"{key}_{kind}"] if has else None
        villages = int(t["villages"])
        cols["村（居）全覆盖|村（居）数"] = villages
        cols["村（居）全覆盖|有站点"] = int(t["villages_with_care_point"])
        cols["村（居）全覆盖|覆盖率"] = (round(100.0 * t["villages_with_care_point"] / villages,
                                         1) if villages else None)
        rows.append(cols)
    return rows


def _groups(kinds: list[str], lead: list[str]) -> list[tuple[str, int]]:
    return ([(c, 1) for c in lead] + [(quota_label(k), 4) for k in kinds]
            + [("村（居）全覆盖", 3)])


def _percent_cols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.endswith(("完成率", "覆盖率"))]


def _hierarchy(summary: dict, towns: pd.DataFrame) -> pd.DataFrame:
    """Town rows grouped by county and city, with 小计 / 合计 / 全省合计 rows."""
    kinds = summary["kinds"]
    rows: list[dict] = []
    counties = {c["county_code"]: c for c in summary["counties"]}
    for city in summary["cities"]:
        for code, county in counties.items():
            if county["city_code"] != city["city_code"]:
                continue
            part = towns[towns["county_code"] == code]
            rows.extend(_town_rows(part, kinds))
            rows.append({"设区市": city["city_name"], "县（市、区）": county["county_name"],
                         "镇（区、街道）": "小计", **_figures(county, kinds)})
        rows.append({"设区市": city["city_name"], "县（市、区）": "合计", "镇（区、街道）": "",
                     **_figures(city, kinds)})
    rows.append({"设区市": "全省合计", "县（市、区）": "", "镇（区、街道）": "",
                 **_figures(summary["province"], kinds)})
    frame = pd.DataFrame(rows)
    frame.insert(0, "序号", range(1, len(frame) + 1))
    frame["序号"] = frame["序号"].astype(object)
    return frame


def _level(entries: list[dict], lead: dict[str, str], kinds: list[str],
           total: dict) -> pd.DataFrame:
    rows = [{label: e[key] for label, key in lead.items()} | _figures(e, kinds)
            for e in entries]
    first = next(iter(lead))
    rows.append({label: "" for label in lead} | {first: "合计"} | _figures(total, kinds))
    frame = pd.DataFrame(rows)
    frame.insert(0, "序号", [*range(1, len(entries) + 1), ""])
    return frame


def write_province_xlsx(path: Path, *, summary: dict, towns: pd.DataFrame) -> None:
    """Write the province form (see the module docstring) to ``path``."""
    kinds = summary.get("kinds", [])
    title = "儿童关爱服务阵地建设任务完成情况（全省）"
    with Book(path) as book:
        ws = book.sheet("全省进度")
        if summary["counties"]:
            frame = _hierarchy(summary, towns)
            write_table(book, ws, frame, title=title,
                        groups=_groups(kinds, ["序号", "设区市", "县（市、区）", "镇（区、街道）"]),
                        percent_cols=_percent_cols(frame), total_label="全省合计",
                        header=lambda c: c.split("|")[-1],
                        emphasis=(frame["镇（区、街道）"].eq("小计")
                                  | frame["县（市、区）"].eq("合计")).to_numpy())
            for name, entries, lead in (
                    ("市级汇总", summary["cities"], {"设区市": "city_name"}),
                    ("县级汇总", summary["counties"], {"设区市": "city_name",
                                                   "县（市、区）": "county_name"})):
                table = _level(entries, lead, kinds, summary["province"])
                write_table(book, book.sheet(name), table, title=f"{title}：{name}",
                            groups=_groups(kinds, ["序号", *lead]),
                            percent_cols=_percent_cols(table), total_label="合计",
                            header=lambda c: c.split("|")[-1])
        else:
            write_table(book, ws, pd.DataFrame({"说明": ["没有完成的县"]}), title=title)
        if summary.get("failed"):
            failed = pd.DataFrame([{"县": f["key"], "错误": f["error"], "日志": f["log"]}
                                   for f in summary["failed"]])
            write_table(book, book.sheet("未完成的县"), failed, title="未完成的县（见日志）")
