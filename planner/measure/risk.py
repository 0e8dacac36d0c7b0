"""Drowning-risk scoring of water bodies and bank segments, and the ``[water]`` settings.

The score (0-100) is a product of four documented factors, each kept as a column::

    hazard = 100 * T * P * E          (the risk of the water as it is, ignoring kits)
    score  = hazard * M               (what is left once existing complete kits are counted)

``T`` type factor
    relative risk of the water type divided by the largest one. Defaults (Xiamen child
    drownings 1-14 y, Injury Prevention 2007): pond .30, ditch .21, construction pit .12,
    well .12, river .10, reservoir .09. That study gives no canal or lake figure: a canal
    (明渠) is taken as a river (.10) and a lake as a reservoir (.09); ``other`` is .05.
    The coast (海岸/近岸海域, OSM ``natural=coastline``) gets ``other``'s .05: Xiamen is a
    coastal city, yet none of its 67 child drownings was at sea (only 1 "other", 1.5 %);
    .05 rather than .015 because tidal flats (滩涂) of 启东 and 灌云 draw children in summer
    (a stated assumption; set ``[water] type_weights`` to change it).
``P`` proximity
    the larger of the home band and the school band of the nearest home / school:
    ``band_near`` (1.0) within ``near_m`` (100 m: 71.6 % of drowned under-5s lived within
    100 m of water), ``band_mid`` (0.6) within ``far_m`` (500 m: 62 % of drownings),
    ``band_far`` (0.2) beyond.
``E`` exposure
    ``floor + (1 - floor) * (1 - exp(-C / children_ref))`` where ``C`` is the weighted number
    of children in homes within ``far_m``: each home counts
    ``children + under5_weight * under5 + left_behind_weight * left_behind`` (under-5s and
    left-behind children, the proxy for unsupervised ones, counted extra) times its distance
    band (``band_near`` / ``band_mid``). Counts only: no child is ever identified.
``M`` missing protection
    ``protected_factor + (1 - protected_factor) * u`` where ``u`` is the share of the bank
    (segment) not within reach of an existing complete kit; 1 without any kit.

``T`` of high-consequence waters
    a large river, canal, lake or reservoir (``large_types`` with an area of at least
    ``large_area_m2`` or a bank of at least ``large_bank_m``) takes the type factor
    ``large_factor`` (1.0: as high as a pond) wherever a home or school lies within
    ``far_m``: deep, fast or cold water where people do reach it is where rescue fails
    (the Yangtze must not rank below ponds nobody lives near). Such a water reached by
    people is also at least of tier ``large_min_tier`` (一级 by default: county lists of
    重点水域 always name the great river, the main canals and reservoirs).

Past drownings
    with an optional layer of past drowning incidents (points; date and age band are
    read but only counted), each of the ``n`` incidents within ``incident_m`` of a water
    (of a bank segment's midpoint) closes ``incident_weight`` of the gap to 100:
    ``hazard = 100 - (100 - 100 * T * P * E) * (1 - incident_weight) ** n``.

Tiers (一级 A / 二级 B / 三级 C, 未分级 N) come by default from shares of the waters
(``tier_mode = "share"``): the ``tier_a_share`` (5 %) highest scores are 一级, the next
``tier_b_share`` (15 %) 二级, the next ``tier_c_share`` (30 %) 三级, so that the pyramid is
usable whatever the county's scores; equal scores are ordered by exposure, then weighted
children (:func:`share_tiers`). Waters with a score of 0 are never tiered. The score of the
last water of each tier becomes the cut-off applied to bank segments. With
``tier_mode = "score"`` the fixed cut-offs ``tier_a/b/c`` cut the score. A bank segment is
*risky* (needs a kit within reach) when its hazard reaches the cut-off of the lowest tier in
``kit_tiers`` (A and B by default): the hazard, not the score, so that a kit never makes the
bank it protects "not risky".
"""

from __future__ import annotations

import numpy as np

from planner.glossary import WATER_TYPES, tier_word
from planner.settings import WaterConfig


def band(distance_m: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Distance band factor: band_near within near_m, band_mid within far_m, else band_far."""
    d = np.asarray(distance_m, dtype=float)
    return np.where(d <= config.near_m, config.band_near,
                    np.where(d <= config.far_m, config.band_mid, config.band_far))


def weighted_children(children: np.ndarray, under5: np.ndarray, left_behind: np.ndarray, *,
                      config: WaterConfig) -> np.ndarray:
    """Per home: children + under5_weight * under5 + left_behind_weight * left_behind."""
    return (np.asarray(children, float) + config.under5_weight * np.asarray(under5, float)
            + config.left_behind_weight * np.asarray(left_behind, float))


def exposure(weighted: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Exposure factor E in [floor, 1), strictly increasing in the weighted children."""
    w = np.maximum(np.asarray(weighted, dtype=float), 0.0)
    f = config.exposure_floor
    return f + (1.0 - f) * -np.expm1(-w / config.children_ref)


def tiers(score: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Tier code per score: A >= tier_a > B >= tier_b > C >= tier_c > N."""
    s = np.asarray(score, dtype=float)
    return np.select([s >= config.tier_a, s >= config.tier_b, s >= config.tier_c],
                     ["A", "B", "C"], "N").astype(object)


def share_tiers(score: np.ndarray, exposure: np.ndarray, weighted: np.ndarray, *,
                config: WaterConfig, floor: np.ndarray | None = None,
                ) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Tiers by share of the waters (see module doc) and the three score cut-offs.

    Waters flagged in ``floor`` (high-consequence waters that people reach) are lifted to
    at least ``large_min_tier`` after the shares are cut (so 一级 may hold a few more
    waters than its share).

    Returns
    -------
    (tier, (cut_a, cut_b, cut_c)) : ndarray of str, floats
        ``cut_x`` is the lowest score in tier x (``inf`` when the tier is empty).
    """
    s = np.asarray(score, dtype=float)
    n = len(s)
    order = np.lexsort((-np.asarray(weighted, float), -np.asarray(exposure, float), -s))
    shares = np.cumsum([config.tier_a_share, config.tier_b_share, config.tier_c_share])
    ends = np.minimum(np.ceil(shares * n - 1e-9).astype(int), int((s > 0).sum()))
    rank_tier = np.select([np.arange(n) < ends[0], np.arange(n) < ends[1],
                           np.arange(n) < ends[2]], ["A", "B", "C"], "N").astype(object)
    tier = np.empty(n, dtype=object)
    tier[order] = rank_tier
    if floor is not None and config.large_min_tier in ("A", "B", "C"):
        lift = np.asarray(floor, bool) & (tier > config.large_min_tier)  # "N" > "C" > ...
        tier[lift] = config.large_min_tier
    starts = np.r_[0, ends[:-1]]
    a, b, c = (float(s[order][e - 1]) if e > st else np.inf
               for st, e in zip(starts, ends, strict=True))
    return tier, (a, b, c)


def score_components(types: np.ndarray, home_m: np.ndarray, school_m: np.ndarray,
                     weighted_near: np.ndarray, uncovered_share: np.ndarray, *,
                     config: WaterConfig, large: np.ndarray | None = None,
                     incidents: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """All factors and the scores of water bodies or bank segments (numeric core).

    Parameters
    ----------
    types : ndarray of str
        Water type codes.
    home_m, school_m : ndarray of float
        Distance to the nearest home / school (``inf`` when there is none).
    weighted_near : ndarray of float
        Band-weighted children within ``far_m`` (see module doc).
    uncovered_share : ndarray of float
        Share of the bank not within reach of an existing complete kit, in [0, 1].
    large : ndarray of bool, optional
        High-consequence waters (see module doc): their type factor is raised to
        ``large_factor`` where a home or school is within ``far_m``.
    incidents : ndarray of int, optional
        Past drowning incidents near each water or segment (see module doc).

    Returns
    -------
    dict of ndarray
        ``type_factor, home_band, school_band, proximity, exposure, protection, hazard,
        score, tier``.
    """
    tf = config.type_factor
    t = np.array([tf[x] for x in types], dtype=float) if len(types) else np.zeros(0)
    hb, sb = band(home_m, config=config), band(school_m, config=config)
    p = np.maximum(hb, sb)
    if large is not None and len(t):
        reached = np.minimum(np.asarray(home_m, float), np.asarray(school_m, float))
        t = np.where(np.asarray(large, bool) & (reached <= config.far_m),
                     np.maximum(t, config.large_factor), t)
    e = exposure(weighted_near, config=config)
    pf = config.protected_factor
    m = pf + (1.0 - pf) * np.clip(np.asarray(uncovered_share, dtype=float), 0.0, 1.0)
    hazard = 100.0 * t * p * e
    if incidents is not None and len(hazard):
        keep = (1.0 - config.incident_weight) ** np.asarray(incidents, dtype=float)
        hazard = 100.0 - (100.0 - hazard) * keep
    score = hazard * m
    return {"type_factor": t, "home_band": hb, "school_band": sb, "proximity": p,
            "exposure": e, "protection": m, "hazard": hazard, "score": score,
            "tier": tiers(score, config=config)}


def risk_explanation(config: WaterConfig) -> list[tuple[str, str, str]]:
    """Each score component explained in Chinese with its configured values:
    ``(component, meaning, value)`` rows (the 评分说明 sheet of ``water_actions.xlsx``)."""
    tw = "、".join(f"{WATER_TYPES[t]} {w:g}" for t, w in config.type_weights.items()
                   if t in WATER_TYPES)
    shares = (config.tier_a_share, config.tier_b_share, config.tier_c_share)
    large = "、".join(WATER_TYPES[t] for t in config.large_types)
    return [
        ("水域类型 T", "该类水域儿童溺水的相对风险，除以最大值（厦门 1-14 岁儿童溺水研究，"
         "Injury Prevention 2007）", tw),
        ("距离 P", f"最近住户或学校的距离：{config.near_m:g} 米内（71.6% 的 5 岁以下溺亡儿童"
         f"住在水边 100 米内）、{config.far_m:g} 米内、更远",
         f"{config.band_near:g} / {config.band_mid:g} / {config.band_far:g}"),
        ("暴露 E", f"{config.far_m:g} 米内的儿童数（5 岁以下每人另加 {config.under5_weight:g}，"
         f"留守儿童另加 {config.left_behind_weight:g}，按距离折算）越多越高；只用人数，"
         "不涉及任何个人信息",
         f"E = {config.exposure_floor:g} + {1 - config.exposure_floor:g} × "
         f"(1 − e^(−人数/{config.children_ref:g}))"),
        ("缺少防护 M", "未在现有齐全“四个一”可及范围内的岸线比例；救生绳短于 "
         f"{config.min_rope_m:g} 米的点位不算齐全",
         f"M = {config.protected_factor:g} + {1 - config.protected_factor:g} × 未覆盖比例"),
        ("危险度与评分", "危险度 = 100 × T × P × E（不计现有设施）；评分 = 危险度 × M",
         "0–100"),
        ("大型水域", f"{large}中面积不小于 {config.large_area_m2 / 1e6:g} 平方公里或岸线不短于 "
         f"{config.large_bank_m / 1000:g} 公里、且 {config.far_m:g} 米内有住户或学校的，"
         f"类型系数取 {config.large_factor:g}，等级至少为{tier_word(config.large_min_tier)}",
         "长江、主要河道、湖泊、水库"),
        ("风险等级", "按评分从高到低排序（同分按暴露、儿童数），前若干比例分别为一级、二级、"
         "三级；评分为 0 的水域不分级" if config.tier_mode == "share" else
         "按评分固定分界划分",
         "一级 {:.0%}、二级 {:.0%}、三级 {:.0%}".format(*shares)
         if config.tier_mode == "share" else
         f"一级 ≥ {config.tier_a:g}、二级 ≥ {config.tier_b:g}、三级 ≥ {config.tier_c:g}"),
        ("既往溺水事件", f"{config.incident_m:g} 米内每发生过一起溺水事件，危险度与 100 的差距"
         f"缩小 {config.incident_weight:.0%}（只计起数，不涉及当事人信息）",
         f"危险度 = 100 − (100 − 100×T×P×E) × {1 - config.incident_weight:g}^起数"),
        ("需设“四个一”的岸线", f"危险度达到{tier_word(max(config.kit_tiers, default='N'))}"
         "分界的岸段，救援点可及距离：常去岸段 "
         f"{config.reach_busy_m:g} 米，少有人去的渠道 {config.reach_quiet_m:g} 米",
         f"岸段长 {config.segment_m:g} 米"),
    ]


