"""Tables for people: Chinese column headers, 是/否, rounded numbers.

The CSV files and ``run.json`` keep their stable English keys; the sheets of
``progress.xlsx`` (and anything else meant to be read) pass through :func:`for_people`.
Percentages are columns whose label ends in "占比" (0-100 here, shown with a % format).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from planner.core.names import MATCH_LABELS
from planner.glossary import (
    CHILD_FIELDS,
    CHILD_GROUPS,
    GEOMETRY_SOURCES,
    KINDS,
    KIT_ITEM_COUNTS,
    KIT_ITEMS,
    LOCATION_METHODS,
    MODES,
)

FIELDS: dict[str, str] = {
    **CHILD_FIELDS,
    "village_code": "村（居）代码", "village_name": "村（居）", "town_code": "镇（街道）代码",
    "town_name": "镇（街道）", "has_care_point": "本村有关爱站点",
    "snap_m_walk": "到步行路网距离（米）", "snap_m_drive": "到车行路网距离（米）",
    "unmet_need": "未满足需求（儿童·公里）", "unmet_rank": "未满足需求排序",
    "distance_method": "距离算法", "level": "层级", "kind": "类型", "mode": "出行方式",
    "threshold_m": "服务半径（米）", "new_kits": "新设（套）", "completed_kits": "补齐（套）",
    **{count: f"{KIT_ITEMS[item]}（{unit}）" for item, (count, unit) in KIT_ITEM_COUNTS.items()},
    "rope_m": "绳长（米）", "risky_bank_m": "风险岸线（米）",
    "uncovered_risky_m_before": "未覆盖风险岸线（米，现状）",
    "uncovered_risky_m_after": "未覆盖风险岸线（米，配齐后）",
    "facility_id": "编号", "name": "名称", "declared_town": "申报镇（街道）",
    "_file": "文件", "_row": "行号", "file": "文件", "row": "行号", "layer": "图层",
    "reason": "原因", "record": "记录内容",
    "directors_required": "儿童主任应配（人）", "directors": "儿童主任已配（人）",
    "directors_missing": "儿童主任缺口（人）", "villages_without_director": "无儿童主任的村（居）",
    "supervisors_required": "儿童督导员应配（人）", "supervisors": "儿童督导员已配（人）",
    "supervisors_missing": "儿童督导员缺口（人）", "staff": "在岗人数", "trained": "已培训（人）",
    "pct_trained": "培训占比",
    "villages": "村（居）数", "villages_with_care_point": "本村有关爱站点的村（居）",
    "quota_town": "任务表名称", "match": "匹配方式", "children_newly_covered": "新增服务半径内儿童",
    "rank": "排序", "method": "方法", "source": "来源", "candidate": "候选点编号",
    "weighted_gain": "加权增益", "distance_saved_km": "儿童距离减少（公里）", "standard": "标准",
    "tier": "风险等级", "score": "风险分", "water_id": "水域编号", "kit_id": "设施编号",
    "status": "状态", "missing": "缺少", "complete": "是否齐全", "last_inspected": "最近检查日期",
    "cost_yuan": "费用（元）", "fixed_kits": "补齐或更换（套）", "funded": "纳入预算",
    "declared_village": "申报村（居）", "declared_village_code": "申报村（居）代码",
    "declared_town_code": "申报镇（街道）代码", "match_method": "申报匹配方式",
    "location_method": "定位方式", "geometry_source": "村界来源",
    "point_town_code": "坐标所在镇代码",
    # the GeoPackage's other fields (planner.gpkg: every field carries a Chinese alias)
    "fid": "要素编号", "county_code": "县（市、区）代码", "county_name": "县（市、区）",
    "towns": "镇（街道）数", "quota_row": "任务表行号", "located_by": "落入村界方式",
    "offset_m": "定位偏移（米）", "town_agrees": "与申报镇（街道）一致",
    "village_agrees": "与申报村（居）一致",
    "type": "水域类型代码", "type_label": "水域类型", "tier_label": "风险等级名称",
    "water_name": "水域名称", "water_type": "水域类型", "bank_m": "岸线长度（米）",
    "area_m2": "面积（平方米）", "home_m": "距最近住户（米）", "school_m": "距最近学校（米）",
    "children_500": "500 米内儿童", "under5_500": "500 米内5岁以下儿童",
    "left_behind_500": "500 米内留守儿童", "weighted_children": "加权儿童数",
    "type_weight": "类型权重", "type_factor": "类型系数 T", "home_band": "住户距离系数",
    "school_band": "学校距离系数", "proximity": "距离系数 P", "exposure": "暴露系数 E",
    "protection": "缺少防护系数 M", "hazard": "危险度", "uncovered_share": "未覆盖岸线占比",
    "kits_complete": "齐全“四个一”（套）", "kits_partial": "不齐全“四个一”（套）",
    "kits_new": "拟新设“四个一”（套）",
    "incidents": "既往溺水事件（起）", "bank_pos_m": "岸线位置（米）",
    "reach_m": "救援可及距离（米）", "nearest_home_or_school_m": "距最近住户或学校（米）",
    "need_sign": "需配警示牌", "need_lifebuoy": "需配救生圈", "need_rope": "需配救生绳",
    "need_pole": "需配救生杆", "has_sign": "有警示牌", "has_lifebuoy": "有救生圈",
    "has_rope": "有救生绳", "has_pole": "有救生杆", "action": "行动代码",
    "action_label": "行动内容", "detail": "说明", "lon": "经度", "lat": "纬度",
    "landmark": "位置参照", "route_id": "路线编号", "stops": "水域数",
    "length_m": "路程（米，按路网）", "hours": "用时（小时）", "water_ids": "水域编号（顺序）",
    "water_names": "水域（顺序）", "datum": "原坐标系",
    "locator": "水域（名称或位置）", "water_locator": "水域（名称或位置）",
    "access_point": "重要水域可达点", "high_consequence": "重要水域",
}
_VALUES = {
    "level": {"town": "镇（街道）", "county": "全县（市、区）"},
    "kind": {k: v[0] for k, v in KINDS.items()},
    "mode": MODES,
    "distance_method": {"network": "路网距离", "straight_line": "直线距离"},
    "location_method": LOCATION_METHODS, "match_method": MATCH_LABELS,
    "geometry_source": GEOMETRY_SOURCES,
    "layer": {"children": CHILD_GROUPS["children"], "villages": "村界", "towns": "镇界",
              "facilities": "阵地", "water": "水域", "kits": "四个一", "settlements": "居民点"},
}


_CJK = re.compile(r"[\u4e00-\u9fff]")
#: where the English half of a bilingual message starts: a slash, a space, a Latin letter
_SPLIT = re.compile(r"\s*/\s+(?=[A-Za-z])")


def chinese_part(text: object) -> str:
    """The Chinese part of a bilingual message ("中文 / English: hint" -> "中文"); a text
    without a Chinese part before " / " is kept whole (the CSV files keep both parts)."""
    whole = "" if text is None else str(text)
    parts = _SPLIT.split(whole, maxsplit=1)
    return parts[0].strip() if len(parts) == 2 and _CJK.search(parts[0]) else whole


def label(column: str) -> str:
    """The Chinese header of a field (per-kind fields by their kind's label)."""
    if column in FIELDS:
        return FIELDS[column]
    for group, text in CHILD_GROUPS.items():
        if column == f"{group}_covered":
            return f"服务半径内{text}"
        if column == f"share_{group}":
            return f"服务半径内{text}占比"
    for prefix, pattern in (("sites_", "{}（个）"), ("dist_m_", "距最近{}（米）"),
                            ("time_min_", "到最近{}（分钟）"), ("covered_", "{}服务半径内"),
                            ("covshare_", "{}服务半径内儿童占比"),
                            ("nearest_", "最近的{}"), ("unmet_", "{}未满足需求（儿童·公里）"),
                            ("required_", "{}任务数"), ("counted_", "{}计入数"),
                            ("built_", "{}已建"), ("missing_", "{}缺口"), ("extra_", "{}超额"),
                            ("pct_", "{}完成率"), ("all_", "{}（各类标准）"),
                            ("proposed_", "{}拟新建"), ("missing_after_", "{}建成后缺口"),
                            ("pct_after_", "{}建成后完成率")):
        kind = column.removeprefix(prefix)
        if column.startswith(prefix) and kind in KINDS:
            return pattern.format(KINDS[kind][0])
    return column


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Chinese headers, 是/否 for flags, Chinese codes, the Chinese part of
    bilingual reasons, distances in whole metres, shares as percentages (0-100, one decimal)
    and other decimals to one place."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        name = label(str(col))
        if str(col) in _VALUES:
            values = values.map(lambda v, m=_VALUES[str(col)]: m.get(v, v))
        elif str(col) == "reason":  # messages are "中文 / English": the sheet is Chinese
            values = values.map(lambda v: v if pd.isna(v) else chinese_part(v))
        elif values.dtype == bool or str(values.dtype) == "boolean":
            values = values.map(lambda v: None if pd.isna(v) else ("是" if v else "否"))
        elif pd.api.types.is_float_dtype(values):
            finite = values.where(np.isfinite(values))
            if str(col).startswith("pct_"):  # already a percentage 0-100
                values = finite.round(1)
            elif name.endswith("占比"):
                values = (100.0 * finite).round(1)
            elif "（米）" in name or "（米，" in name:
                values = finite.round(0)
            else:
                values = finite.round(1)
        out[name] = values
    return pd.DataFrame(out)
