"""Match the names people type to the official towns and villages.

Towns (:func:`match_towns`): by code, exact normalised name, the workspace alias table
(``[aliases]``) or the name stem without its suffix (白蒲 = 白蒲镇).

Villages (:class:`VillageIndex`): by code, then within the declared town (when known) by
name, in this order, stopping at the first stage that finds anything:

1. ``exact`` -- the text as written (outer spaces aside);
2. ``normalised`` -- full-width characters, spaces and the committee suffixes
   (村委会 / 村民委员会 -> 村, 社区居委会 / 居委会 / 居民委员会 -> 社区) folded, then the bare
   stem (丁北 = 丁北村 = 丁北村委会);
3. ``prefix`` -- one village's stem begins with the written stem (or the reverse).

A stage that finds two or more candidates stops with ``ambiguous``: the planner never
guesses between two villages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from planner.glossary import clean_text, town_stem

#: how a record was matched -> Chinese label (the ``match_method`` columns of the outputs)
MATCH_LABELS = {
    "code": "代码", "name": "名称", "alias": "别名表", "stem": "简称", "exact": "名称一致",
    "normalised": "规范化名称", "prefix": "名称前缀", "ambiguous": "有多个同名候选",
    "": "未匹配",
}

_COMMITTEE = [("村民委员会", "村"), ("村委会", "村"), ("社区居民委员会", "社区"),
              ("社区居委会", "社区"), ("居民委员会", "社区"), ("居委会", "社区")]
_NOTE = re.compile(r"\([^()]*\)$")
_KIND = ("社区", "村", "居")
#: a stem shorter than this is no prefix to match by
MIN_PREFIX = 2


def _split(name: object) -> tuple[str, str]:
    """A village name without its committee suffix, and the short form of that suffix
    (村 / 社区; '' when it had none): 西村村委会 -> (西村, 村)."""
    text = _NOTE.sub("", clean_text(name))
    for suffix, short in _COMMITTEE:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)], short
    return text, ""


def village_norm(name: object) -> str:
    """A village name with width, spaces, a trailing note in brackets and the committee
    suffix folded: 丁北村委会 / 丁 北 村 -> 丁北村; 新庄居委会 -> 新庄社区."""
    base, short = _split(name)
    return base + short


def village_stem(name: object) -> str:
    """The name without committee suffix and without one trailing 村 / 社区 / 居
    (丁北村委会 -> 丁北, 丁北村 -> 丁北, 西村村委会 -> 西, 西村 -> 西)."""
    text, _short = _split(name)
    for suffix in _KIND:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass
class VillageMatch:
    """The result of matching one written village: ``code`` ('' if none), ``method``
    (``code``, ``exact``, ``normalised``, ``prefix``, ``ambiguous`` or '') and, when
    ambiguous, the candidate codes."""

    code: str
    method: str
    candidates: tuple[str, ...] = ()


@dataclass
class VillageIndex:
    """Villages (codes, names, town codes) indexed for :meth:`match`."""

    codes: list[str]
    names: list[str]
    towns: list[str]
    _by: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        keys = {"exact": lambda n: str(n).strip(), "norm": village_norm, "stem": village_stem}
        for label, key in keys.items():
            table: dict = defaultdict(list)
            for code, name, town in zip(self.codes, self.names, self.towns, strict=True):
                table[(town, key(name))].append(code)
                table[(None, key(name))].append(code)
            self._by[label] = table
        self._stems = defaultdict(list)
        for code, name, town in zip(self.codes, self.names, self.towns, strict=True):
            self._stems[town].append((village_stem(name), code))
            self._stems[None].append((village_stem(name), code))
        self._code_set = set(self.codes)

    @classmethod
    def of(cls, villages: pd.DataFrame) -> VillageIndex:
        """The index of a frame with village_code, village_name and town_code."""
        return cls([str(c) for c in villages["village_code"]],
                   [str(n) for n in villages["village_name"]],
                   [str(t) for t in villages["town_code"]])

    def match(self, *, code: object = "", name: object = "",
              town: str | None = None) -> VillageMatch:
        """Match a written village code or name (within ``town``, a town code, if given)."""
        code = clean_text(code)
        if code:
            return VillageMatch(code, "code") if code in self._code_set else VillageMatch("", "")
        if not clean_text(name):
            return VillageMatch("", "")
        for stage, key in (("exact", str(name).strip()), ("norm", village_norm(name)),
                           ("stem", village_stem(name))):
            found = self._by[stage].get((town or None, key), [])
            if found:
                return _one(found, "exact" if stage == "exact" else "normalised")
        stem = village_stem(name)
        if len(stem) < MIN_PREFIX:
            return VillageMatch("", "")
        pool = self._stems.get(town or None, [])
        found = [c for s, c in pool if s.startswith(stem) or
                 (len(s) >= MIN_PREFIX and stem.startswith(s))]
        return _one(found, "prefix") if found else VillageMatch("", "")


def _one(found: list[str], method: str) -> VillageMatch:
    unique = tuple(dict.fromkeys(found))
    if len(unique) == 1:
        return VillageMatch(unique[0], method)
    return VillageMatch("", "ambiguous", unique)


def match_towns(labels: pd.Series, towns: pd.DataFrame, *,
                aliases: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Match town labels (names or codes) to town codes.

    Returns
    -------
    (codes, methods) : Series
        The matched town code ('' if none) and how it matched
        ('code', 'name', 'alias', 'stem' or '').
    """
    label = labels.map(clean_text)
    names = towns["town_name"].map(clean_text)
    unique = ~names.duplicated(keep=False)  # a name two towns share identifies neither
    code_of_name = dict(zip(names[unique], towns["town_code"][unique], strict=True))
    codes = set(towns["town_code"])
    stems = towns.assign(stem=towns["town_name"].map(town_stem))
    unique_stem = stems.drop_duplicates("stem", keep=False).set_index("stem")["town_code"]
    alias = {clean_text(k): clean_text(v) for k, v in aliases.items()}

    def one(text: str) -> tuple[str, str]:
        if text in codes:
            return text, "code"
        if text in code_of_name:
            return code_of_name[text], "name"
        target = alias.get(text)
        if target is not None:
            if target in codes:
                return target, "alias"
            if target in code_of_name:
                return code_of_name[target], "alias"
        stem = town_stem(text)
        if stem in unique_stem.index:
            return unique_stem[stem], "stem"
        return "", ""

    uniques = pd.unique(label.to_numpy())
    pairs = label.map(dict(zip(uniques, map(one, uniques), strict=True)))
    return pairs.str[0].fillna(""), pairs.str[1].fillna("")
