"""The planner's vocabulary: facility kinds and standards, travel modes, water types and
risk tiers, "四个一" kit items, staff roles and child groups, with Chinese labels and aliases.

This module is the one home of these tables: every other module imports them from here
(``tests/test_glossary.py`` checks that no other module spells one of the labels).

Code uses the English code names; tables, maps and the terminal show the Chinese labels.
Input files may name a kind or standard by any alias listed here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: facility kind code -> (Chinese label, level)
KINDS: Final[dict[str, tuple[str, str]]] = {
    "care_home": ('儿童"关爱之家"', "town"),
    "care_point": ("村（居）儿童关爱站点", "village"),
    "protection_station": ("未成年人保护工作站", "town"),
    "welfare_station": ("儿童福利工作站", "town"),
    "guidance_center": ("儿童福利指导中心", "county"),
    "protection_center": ("未成年人救助保护中心", "county"),
    "social_org": ("儿童服务类社会组织", "town"),
}

_KIND_ALIASES: Final[dict[str, str]] = {
    "关爱之家": "care_home",
    "儿童关爱之家": "care_home",
    '儿童"关爱之家"': "care_home",
    "儿童“关爱之家”": "care_home",
    "镇级儿童关爱之家": "care_home",
    "儿童关爱站点": "care_point",
    "村（居）儿童关爱站点": "care_point",
    "村居儿童关爱站点": "care_point",
    "儿童关爱站": "care_point",
    "儿童之家": "care_point",
    "关爱站点": "care_point",
    "未成年人保护工作站": "protection_station",
    "未保工作站": "protection_station",
    "儿童福利工作站": "welfare_station",
    "儿童福利指导中心": "guidance_center",
    "未成年人救助保护中心": "protection_center",
    "未保中心": "protection_center",
    "儿童服务类社会组织": "social_org",
    "社会组织": "social_org",
}

#: short column labels of the annex tables (任务进度 sheet, terminal, maps)
SHORT_LABELS: Final[dict[str, str]] = {
    "care_home": "省标关爱之家", "care_point": "村居关爱站点", "social_org": "社会组织",
    "protection_station": "未保工作站", "welfare_station": "福利工作站",
    "guidance_center": "福利指导中心", "protection_center": "未保中心",
}

#: kind -> (coverage distance in metres, travel mode): the one definition of "within reach"
#: used by coverage and placement alike; ``[access.<kind>]`` overrides it. Care points: the
#: rural walking radius of the 济宁 life-circle guide and GB 50180-2018 (500-1,000 m); town and
#: county sites: 5 / 20 km by road.
COVERAGE_DEFAULTS: Final[dict[str, tuple[float, str]]] = {
    "care_point": (1000.0, "walk"),
    "care_home": (5000.0, "drive"),
    "protection_station": (5000.0, "drive"),
    "welfare_station": (5000.0, "drive"),
    "social_org": (5000.0, "drive"),
    "guidance_center": (20000.0, "drive"),
    "protection_center": (20000.0, "drive"),
}

#: yuan to set up one new site of a kind, for ranking places by children newly within reach
#: per yuan (``planner studio``). No plan among the seeds prices a site: these are planning
#: assumptions (a village room fitted out; a town centre's fit-out and equipment), shown with
#: every ranking; set the bureau's own figures in ``[place.site_yuan]``.
SITE_YUAN_DEFAULTS: Final[dict[str, float]] = {
    "care_point": 50_000.0, "care_home": 200_000.0, "protection_station": 100_000.0,
}

#: kinds the planner proposes new sites for (a site it can choose a place for)
PLACEABLE: Final[tuple[str, ...]] = ("care_point", "care_home", "protection_station")

#: OSM highway class -> how a village cadre names it
ROAD_CLASSES: Final[dict[str, str]] = {
    "motorway": "高速公路", "trunk": "国道", "primary": "国省道", "secondary": "省道",
    "tertiary": "县道", "unclassified": "乡村道路", "residential": "村内道路",
    "living_street": "村内道路", "service": "便道", "track": "机耕路", "path": "小路",
    "footway": "步道", "pedestrian": "步行街", "steps": "台阶", "cycleway": "非机动车道",
    "bridleway": "小路",
}

#: The official column-group label of each quota kind in the annex (如皋 2021 附件1).
QUOTA_LABELS: Final[dict[str, str]] = {
    "care_home": '省标儿童"关爱之家"（个）',
    "care_point": "村（居）儿童关爱站点（个）",
    "social_org": "儿童服务类社会组织（个）",
    "protection_station": "未成年人保护工作站（个）",
}


#: Quotas the law sets per town when the quota table has no column for the kind:
#: kind -> (sites per town, the source cited in the annex notes). The Minor Protection Law
#: (2020 revision) art. 81: every township and sub-district sets up a minor-protection
#: workstation (or designates dedicated staff).
STATUTORY_QUOTAS: Final[dict[str, tuple[int, str]]] = {
    "protection_station": (1, "《中华人民共和国未成年人保护法》第八十一条：乡镇人民政府和街道"
                              "办事处应当设立未成年人保护工作站或者指定专门人员"),
}


#: Staff roles the plans ask for (one 儿童主任 per village, one 儿童督导员 per town).
STAFF_ROLES: Final[dict[str, str]] = {
    "child_director": "儿童主任", "child_supervisor": "儿童督导员",
}

#: travel mode code -> Chinese label
MODES: Final[dict[str, str]] = {"walk": "步行", "drive": "车行"}

#: distance methods of the access stage
DISTANCE_METHODS: Final[dict[str, str]] = {"network": "路网距离", "straight_line": "直线距离"}

#: pipeline stage (the keys of run.json ``timings_s``) -> what the terminal says
STAGE_LABELS: Final[dict[str, str]] = {
    "load + validate": "读入与校验", "locate": "定位", "measure": "统计任务进度",
    "roads": "道路", "access": "可达性", "propose": "选址", "water": "防溺水",
    "report": "成果表", "maps": "地图与报告",
}

#: how a solver or a placement finished / what it used -> Chinese
SOLVER_LABELS: Final[dict[str, str]] = {
    "optimal": "最优解", "within_gap": "达到允许差距", "time_limit": "达到时间上限",
    "node_limit": "达到节点上限", "full_coverage": "全覆盖", "infeasible": "无可行解",
    "heuristic": "启发式", "milp": "整数规划", "greedy": "贪心算法", "upgrade": "升级现有",
    "minimum_kits": "最少点位", "trivial": "无需求解", "cheapest_cover": "全覆盖最省方案",
}

#: water-risk tier code -> Chinese label
TIERS: Final[dict[str, str]] = {"A": "一级", "B": "二级", "C": "三级", "N": "未分级"}

#: water type code -> Chinese label (glossary "溺水风险水域")
WATER_TYPES: Final[dict[str, str]] = {
    "pond": "坑塘",
    "ditch": "沟渠",
    "canal": "明渠/运河",
    "river": "河流",
    "lake": "湖泊",
    "reservoir": "水库",
    "construction_pit": "建筑基坑",
    "well": "水井",
    "coast": "海岸/近岸海域",
    "other": "其他水域",
}

#: water type code, Chinese label or alias (lower case) -> water type code
WATER_TYPE_ALIASES: Final[dict[str, str]] = {
    **{code: code for code in WATER_TYPES},
    **{label: code for code, label in WATER_TYPES.items()},
    "坑塘": "pond", "池塘": "pond", "水塘": "pond", "鱼塘": "pond", "塘": "pond",
    "沟渠": "ditch", "沟": "ditch", "渠": "ditch", "排水沟": "ditch",
    "明渠": "canal", "运河": "canal", "河道": "river", "河": "river", "江": "river",
    "河流": "river", "湖": "lake", "湖泊": "lake", "水库": "reservoir",
    "基坑": "construction_pit", "建筑基坑": "construction_pit", "水坑": "construction_pit",
    "井": "well", "水井": "well", "其他": "other", "": "other",
    "construction pit": "construction_pit", "pit": "construction_pit",
    "stream": "ditch", "drain": "ditch",
    "海": "coast", "海岸": "coast", "海域": "coast", "海岸线": "coast", "近岸海域": "coast",
    "滩涂": "coast", "sea": "coast", "coastline": "coast",
}

#: "四个一" kit item: the kit layer's flag column -> Chinese label (one warning sign, one
#: lifebuoy, one rescue rope, one rescue pole, in this order everywhere).
#: unit-price key of ``[water.prices]`` -> Chinese label (the studio's price inputs)
PRICE_LABELS: Final[dict[str, str]] = {
    "sign": "警示牌", "lifebuoy": "救生圈", "rope_per_m": "救生绳（每米）", "pole": "救生杆",
    "installation": "安装", "repair": "补齐/维修人工",
}

KIT_ITEMS: Final[dict[str, str]] = {
    "has_sign": "警示牌", "has_lifebuoy": "救生圈", "has_rope": "救生绳", "has_pole": "救生杆",
}

#: kit item flag column -> (count column of the requisition, counting unit)
KIT_ITEM_COUNTS: Final[dict[str, tuple[str, str]]] = {
    "has_sign": ("signs", "块"), "has_lifebuoy": ("lifebuoys", "个"),
    "has_rope": ("ropes", "根"), "has_pole": ("poles", "根"),
}


#: why a kit is proposed (``reason`` of proposed_kits.geojson, the 说明 of the actions)
KIT_REASONS: Final[dict[str, str]] = {
    "one_kit_rule": "每处危险水域至少一套“四个一”", "out_of_reach": "危险岸线不在救援范围内",
    "short_rope": "救生绳过短，更换新绳", "partial": "器材不全，补齐缺少的器材",
    "access": "高后果水域：人员可到达处",
}

#: the water plans an officer compares (run.json ``water.scenarios`` keys, and the
#: full-coverage plan) -> Chinese label
WATER_SCENARIOS: Final[dict[str, str]] = {
    "optimal": "按风险效益最优", "fix_first": "先修复现有器材", "full_coverage": "全覆盖",
    # the budgeted choice when the access points of high-consequence waters come first
    "optimal_access": "重要水域可达点优先、其余按风险效益最优",
}


def gap_percent(gap: float) -> str:
    """A relative gap as the percentage it does not exceed, two decimals rounded up
    (0.000177 -> "0.02%"): the one way every output prints a solver's gap."""
    hundredths = max(0, int(-(-round(float(gap) * 1e4, 9) // 1)))
    return f"{hundredths / 100:.2f}%"


def gap_words(gap: float, *, method: str = "") -> str:
    """How sure a plan's risk covered is: 最优, or 与最优差距 ≤ x% (x from
    :func:`gap_percent`; the heuristic says so)."""
    if float(gap) <= 1e-7:
        return "最优"
    words = f"与最优差距 ≤ {gap_percent(gap)}"
    return f"{SOLVER_LABELS['heuristic']}，{words}" if method == "greedy" else words


def cost_gap_words(gap: float) -> str:
    """How sure the full-coverage plan's yuan are: 费用最省, or 费用与最省差距 ≤ x%."""
    return "费用最省" if float(gap) <= 1e-7 else f"费用与最省差距 ≤ {gap_percent(gap)}"


#: where a village's area comes from -> Chinese label (``geometry_source`` of villages)
GEOMETRY_SOURCES: Final[dict[str, str]] = {
    "polygon": "村界（读入）",
    "voronoi": "推算村界：村委会点的泰森多边形，裁切到所属镇",
    "none": "无村界（只有名单）",
}

#: how a site was placed -> Chinese label (``location_method`` of sites)
LOCATION_METHODS: Final[dict[str, str]] = {
    "coordinates": "坐标",
    "village_point": "位置为村代表点",
    "town_point": "位置为镇代表点",
    "none": "无位置（村无边界）",
}


#: standard code -> Chinese label. ``provincial`` meets the provincial standard (达省标).
STANDARDS: Final[dict[str, str]] = {"provincial": "达省标", "basic": "未达省标"}

#: the kinds a standard applies to: the provincial standard is that of a care home only
STANDARD_KINDS: Final[tuple[str, ...]] = ("care_home",)

_STANDARD_ALIASES: Final[dict[str, str]] = {
    "provincial": "provincial",
    "省标": "provincial",
    "达省标": "provincial",
    "达标": "provincial",
    "是": "provincial",
    "yes": "provincial",
    "basic": "basic",
    "未达标": "basic",
    "未达省标": "basic",
    "非省标": "basic",
    "否": "basic",
    "no": "basic",
    "": "basic",
}

#: Chinese labels of the per-village child counts (counts only, never personal data).
CHILD_FIELDS: Final[dict[str, str]] = {
    "children": "儿童数",
    "left_behind": "留守儿童",
    "vulnerable": "困境儿童",
    "vulnerable_red": "困境儿童（红）",
    "vulnerable_orange": "困境儿童（橙）",
    "vulnerable_yellow": "困境儿童（黄）",
    "vulnerable_blue": "困境儿童（蓝）",
    "under5": "5岁以下",
}

#: The child groups coverage is measured for -> Chinese label (服务半径内儿童 / 留守儿童 /
#: 困境儿童).
CHILD_GROUPS: Final[dict[str, str]] = {
    "children": "儿童", "left_behind": CHILD_FIELDS["left_behind"],
    "vulnerable": CHILD_FIELDS["vulnerable"],
}

_WIDTH_TABLE = str.maketrans({"（": "(", "）": ")", "“": '"', "”": '"', "　": " "})
_TOWN_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡", "开发区", "区")


#: town-level units of the statistical codes where nobody is expected to live as in a town:
#: farms, forest and fish farms, breeding stations, institutes, hospitals, prisons (如皋:
#: 南通市粮棉原种场, 如皋市江滨医院 ...); ``planner init`` gives them no quota by default
NON_RESIDENTIAL = re.compile(
    r"(农场|林场|渔场|盐场|茶场|苗圃|良种场|原种场|蚕种场|种猪场|种羊场|畜禽良种场|养殖场|繁育场|"
    r"实验场|试验场|农科所|医院|监狱|碱厂|公司|集团|管理所|林业站|渔业社)$")


def is_non_residential(name: object) -> bool:
    """Whether a town-level unit's name says it is a farm, hospital, prison ... (no quota by
    default)."""
    return bool(NON_RESIDENTIAL.search(clean_text(name)))


#: zero-width, bidi and other invisible format characters (never part of a name)
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u206f\ufeff]")


def clean_text(value: object) -> str:
    """NFKC-normalise, unify brackets/quotes and strip whitespace from a cell value."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_WIDTH_TABLE)
    text = _INVISIBLE.sub("", re.sub(r"\s+", "", text))
    return "" if text.lower() in {"nan", "none", "null"} else text


def kind_code(value: object) -> str | None:
    """Return the kind code for a kind name or alias, or ``None`` if unknown."""
    text = clean_text(value)
    if text in KINDS:
        return text
    for alias, code in _KIND_ALIASES.items():
        if clean_text(alias) == text:
            return code
    return None


def standard_code(value: object) -> str | None:
    """Return ``'provincial'`` or ``'basic'`` for a standard label, or ``None`` if unknown."""
    text = clean_text(value).lower()
    for alias, code in _STANDARD_ALIASES.items():
        if clean_text(alias).lower() == text:
            return code
    return None


def town_stem(name: object) -> str:
    """A town name without its administrative suffix, for loose matching (白蒲镇 -> 白蒲)."""
    text = clean_text(name)
    for suffix in _TOWN_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def tier_word(tier: str) -> str:
    """The Chinese label of a graded tier code (一级 / 二级 / 三级), empty for ``N`` or unknown."""
    return "" if tier == "N" else TIERS.get(tier, "")


def period_label(date) -> str:
    """The reporting period of a date: its year and quarter, e.g. ``2026年第四季度``."""
    return f"{date.year}年第{'一二三四'[(date.month - 1) // 3]}季度"


def date_label(date) -> str:
    """A date as officials write it: ``2026年12月31日``."""
    return f"{date.year}年{date.month}月{date.day}日"


def kind_label(kind: str) -> str:
    """Chinese label of a kind code."""
    return KINDS[kind][0]


def quota_label(kind: str) -> str:
    """The official column-group label of a quota kind."""
    return QUOTA_LABELS.get(kind, KINDS[kind][0])
