"""Keep personal data out of every output: counts only, no names, ID numbers or phones.

A source column is *personal* when its header names a person's particulars (姓名, 联系人,
负责人, 监护人, 身份证, 电话, 手机 ...) or when any of its cells holds a Chinese resident ID
number (18 digits) or a mobile or landline phone number. Personal columns are dropped as
soon as a file is read, before anything can copy them; the columns a layer maps to the
planner's own fields are kept, but ID and phone numbers inside them are masked. The
ledger records which columns were withheld so that a finding can name them.

A facility's own ``name`` is the name of a site, not of a person, and is kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import pandas as pd

#: headers naming a person's particulars (Chinese and common English spellings)
PERSONAL_HEADER = re.compile(
    r"姓名|名字|联系人|负责人|监护人|家长|法人|户主|站长|管理员|身份证|证件|电话|手机|联系方式|"
    r"微信|邮箱|住址|家庭地址|户籍|出生|生日|河长|湖长|网格员|主任|书记|支书|村长|专干|联络员|"
    r"(?i:(?:^|[^a-z])(?:tel|phone|mobile|cell|contact|guardian|person|email|e-mail|wechat|"
    r"idcard|id_card|id_no|id_number|birth|address)(?:$|[^a-z]))"
)
#: headers of a count of people (儿童主任人数, 儿童主任应配（人）, 网格员缺口): a number, not a
#: person, when every cell is a number
COUNT_HEADER = re.compile(r"人数|（人）|\(人\)|数量|缺口|占比|应配|已配|个数")


def personal_header(column: object, values: pd.Series | None = None) -> bool:
    """Whether a header names a person's particulars (a numeric count of people does not)."""
    if not isinstance(column, str) or not PERSONAL_HEADER.search(column):
        return False
    if values is not None and COUNT_HEADER.search(column) \
            and pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return False
    return True


def _fold_table() -> dict[int, str]:
    """One character for one: full-width ASCII (０-９, ＋, （, ＠ ...) to ASCII; dashes, minus
    signs and odd spaces to ``-`` and `` ``; invisible and bidi controls to a space."""
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table |= {code: "-" for code in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212,
                                     0xFE58, 0xFE63, 0x30FC)}
    table |= {code: " " for code in (0x00A0, 0x3000, 0x202F, 0x205F, 0x200B, 0x200C, 0x200D,
                                     0x2060, 0xFEFF, 0x00AD, *range(0x2000, 0x200B),
                                     *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                     0x200E, 0x200F, 0x061C)}
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """``text`` with full-width digits and letters, dashes and odd spaces made ASCII, one
    character for one (so a match in the folded text is a span of the original)."""
    return text.translate(_FOLD)


_SEP = r"[ \-]?"  # a space or hyphen between digit groups (139-1234-5678, 139 1234 5678)
_DATE = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
#: resident ID (18 digits, grouped or not; 15-digit old ones), mobile and landline numbers
#: (with separators, +86 / 0086, area code in brackets, extension) and e-mail addresses, in
#: folded text
PERSONAL_VALUE = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9]\.)(?:"
    r"[1-9]\d{16}[0-9Xx]"
    rf"|[1-9]\d{{5}}{_SEP}{_DATE}{_SEP}\d{{3}}[0-9Xx]"
    rf"|[1-9]\d{{5}}\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{{3}}"
    rf"|(?:(?:\+|00)86{_SEP}|\(\+?86\){_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}"
    rf"|(?:(?:\+|00)86{_SEP}\(?0?\d{{2,3}}\)?|\(0\d{{2,3}}\)|0\d{{2,3}})"
    rf"{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?:(?:-|转|ext\.?|x){_SEP}\d{{1,5}})?"
    r")(?![0-9A-Za-z])"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
#: a signature line of a form: 填表人：张三 审核人：李四 联系人 王五 (the name is masked)
FOOTER = re.compile(
    r"(?P<label>填表人|填报人|制表人|统计人|审核人|审批人|复核人|核对人|经办人|联系人|负责人|"
    r"监护人|签字|签名|填表|制表|审核|审批|分管领导|主要领导|单位领导|"
    r"(?:书记|支书|主任|村长|站长|河长|湖长|网格员|联络员|专干|家长|户主|姓名)(?=\s*[:：]))"
    r"(?:\s*[:：]\s*|[ \t\u3000]+)"
    r"(?P<name>[\u3400-\u9fff·•]{2,6}|[A-Za-z][A-Za-z.\-]*(?: [A-Za-z][A-Za-z.\-]*){0,2})"
)


def has_personal(text: object) -> bool:
    """Whether a text holds an ID, phone number or e-mail (after folding) or a form's
    signature line."""
    if not isinstance(text, str):
        return False
    folded = fold(text)
    return bool(PERSONAL_VALUE.search(folded) or FOOTER.search(folded))


def mask_personal(text: str) -> str:
    """``text`` with every ID, phone number, e-mail and signed name replaced by
    :data:`MASK` (found in the folded text, replaced in the original); anything but a
    text is returned as it is."""
    if not isinstance(text, str):
        return text
    folded = fold(text)
    spans = [m.span() for m in PERSONAL_VALUE.finditer(folded)]
    spans += [m.span("name") for m in FOOTER.finditer(folded)]
    if not spans:
        return text
    out, end = [], 0
    for start, stop in sorted(spans):
        if start < end:  # overlapping matches: extend the masked span
            end = max(end, stop)
            continue
        out.append(text[end:start])
        out.append(MASK)
        end = stop
    out.append(text[end:])
    return "".join(out)


def scrub(value: object) -> object:
    """:func:`mask_personal` of a text; anything else unchanged."""
    return mask_personal(value) if isinstance(value, str) else value


def scrub_tree(value: object) -> object:
    """``value`` (JSON-like: dicts, lists, texts) with every text scrubbed, keys too."""
    if isinstance(value, str):
        return mask_personal(value)
    if isinstance(value, dict):
        return {scrub_tree(k): scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_tree(v) for v in value]
    return value


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def scrub_document(text: str) -> str:
    """A whole HTML, JSON or GeoJSON document scrubbed, the last step before it is written.

    ``\\uXXXX`` escapes of non-ASCII characters (JSON inside a page) are first written as
    the characters themselves -- the same string to a JSON or JavaScript reader -- so that
    full-width digits and names in escapes are seen too.
    """
    def _unescape(m: re.Match) -> str:
        code = int(m.group(1), 16)
        if code < 0x80 or 0xD800 <= code < 0xE000 or code in (0x2028, 0x2029):
            return m.group(0)
        return chr(code)

    if "\\u" in text:
        text = _ESCAPE.sub(_unescape, text)
    return mask_personal(text)


MASK = "[已隐去]"


def personal_columns(frame: pd.DataFrame, *, keep: Collection[str] = ()) -> list[str]:
    """Columns of ``frame`` that look personal, by header or by value (``keep`` exempt)."""
    out = []
    for col in frame.columns:
        if col in keep or col in ("_row", "geometry") or not isinstance(col, str):
            continue
        if personal_header(col, frame[col]):
            out.append(col)
            continue
        values = frame[col]
        if is_text(values) or pd.api.types.is_numeric_dtype(values):
            if any_personal(values):
                out.append(col)
    return out


def withhold_personal(frame: pd.DataFrame, *, keep: Collection[str] = ()
                      ) -> tuple[pd.DataFrame, list[str], int]:
    """Drop personal columns; mask ID and phone numbers inside the kept text columns.

    Returns
    -------
    (frame, withheld, masked)
        The cleaned frame, the names of the dropped columns and the number of cells of
        ``keep`` columns in which a number was masked.
    """
    withheld = personal_columns(frame, keep=keep)
    frame = frame.drop(columns=withheld)
    masked = 0
    for col in keep:
        if col in frame.columns and is_text(frame[col]):
            hit = personal_cells(frame[col])
            if hit.any():
                masked += int(hit.sum())
                frame[col] = frame[col].where(~hit, frame[col][hit].map(scrub))
    return frame, withheld, masked


def is_text(values: pd.Series) -> bool:
    """Whether a column may hold text (object or string dtype)."""
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def personal_cells(values: pd.Series) -> pd.Series:
    """Which text cells of ``values`` hold personal data (:func:`has_personal`)."""
    distinct = pd.Series(values.dropna().unique())
    found = {v for v in distinct if has_personal(v)}
    return values.map(lambda v: v in found if isinstance(v, str) else False).astype(bool)


def any_personal(values: pd.Series) -> bool:
    """Whether any cell (a text, or an integer written out) holds personal data."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_float_dtype(values):  # 13912345678.0: a phone read as a float
        values = values.dropna()
        values = values[(values == values.round()) & (values.abs() < 1e19)]
        values = values.astype("int64").astype(str)
    elif pd.api.types.is_integer_dtype(values):
        values = values.dropna().astype(str)
    return any(has_personal(v) for v in pd.Series(values.dropna().unique()))


def mask_text(values: pd.Series) -> pd.Series:
    """``values`` with ID and phone numbers and signed names inside text cells masked
    (numbers untouched)."""
    if not is_text(values):
        return values
    hit = personal_cells(values)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = values[hit].map(scrub)
    return out
