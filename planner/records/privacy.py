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


#: a resident ID number, a mobile number, a landline number or an e-mail address in a cell
PERSONAL_VALUE = re.compile(
    r"(?<![0-9.])(?:[1-9][0-9]{16}[0-9Xx]|1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-[0-9]{7,8})"
    r"(?![0-9])|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
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
        if is_text(values):
            text = values.astype(str)
            if text.str.contains(PERSONAL_VALUE, regex=True).any():
                out.append(col)
        elif pd.api.types.is_integer_dtype(values):
            if values.astype(str).str.fullmatch(PERSONAL_VALUE.pattern).any():
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
            text = frame[col].astype(str)
            hit = text.str.contains(PERSONAL_VALUE, regex=True)
            if hit.any():
                masked += int(hit.sum())
                frame[col] = frame[col].where(~hit, text.str.replace(PERSONAL_VALUE, MASK,
                                                                    regex=True))
    return frame, withheld, masked


def is_text(values: pd.Series) -> bool:
    """Whether a column may hold text (object or string dtype)."""
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def mask_text(values: pd.Series) -> pd.Series:
    """``values`` with ID and phone numbers inside text cells masked (numbers untouched)."""
    if not is_text(values):
        return values
    text = values.astype(str)
    hit = text.str.contains(PERSONAL_VALUE, regex=True)
    if pd.api.types.is_object_dtype(values):
        hit &= values.map(type).eq(str)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = text[hit].str.replace(PERSONAL_VALUE, MASK, regex=True)
    return out
