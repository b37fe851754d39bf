"""Pure parsers for the fields of deal records: amounts, dates, rounds and name lists.

Each parser takes the text as written in a file or an announcement and either returns a
normalised value or raises :class:`FieldError` with a message fit to show a user. Vague amounts
("数千万元", "近亿元", "undisclosed") are not errors: they parse to ``None``.

Examples
--------
>>> parse_amount("1.2亿元人民币")
Amount(value=120000000.0, currency='CNY')
>>> parse_amount("US$15 million")
Amount(value=15000000.0, currency='USD')
>>> parse_amount("数千万元") is None
True
>>> parse_date("2019年7月22日")
'2019-07-22'
>>> split_names("红杉资本（中国）、IDG 资本; 深创投")
['红杉资本（中国）', 'IDG资本', '深创投']
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from typing import NamedTuple

from ontology import clean_name, load as load_ontology

__all__ = ["split_names_column", "FieldError", "Amount", "parse_amount", "parse_date", "parse_round", "split_names",
           "chinese_number", "UNDISCLOSED"]


class FieldError(ValueError):
    """A field's text is not a valid value; the message says why (shown to users)."""


class Amount(NamedTuple):
    value: float
    currency: str


UNDISCLOSED = {"", "未披露", "未公开", "不详", "未知", "保密", "-", "--", "—", "n/a", "na", "none", "null",
               "undisclosed", "not disclosed", "unknown", "nan", "/"}

# Vague amounts: words that make the number a bound or an order of magnitude, not a value.
_VAGUE = re.compile(
    r"^(数|几|近|超|逾|约|上|过|超过|接近|大约|将近|不到|不超过|至少|多|数十|数百|数千|几十|几百|几千|百|千)"
    r"[十百千万亿]*[万亿]|^[数几](十|百|千)?[万亿]|(余|多)[万亿]|"
    r"^(超|逾|近|约|超过|接近|大约|将近|不到|不超过|至少|over|nearly|about|around|approximately|"
    r"up to|more than|less than|several|tens of|hundreds of)\b|"
    r"^(超|逾|近|约|超过|接近|大约|将近|不到|不超过|至少)\s*\d|"
    r"^(several|tens of|hundreds of|multi-?)\s*(million|billion)|"
    r"^(数|几)?(千万|百万|十万|亿)[元]?级|级(别)?$|^[\d.]+\s*[万亿千百]*\s*[-~～至到]\s*[\d.]+",
    re.I,
)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MULT = {"亿": 1e8, "万": 1e4, "千万": 1e7, "百万": 1e6, "十万": 1e5, "千": 1e3,
         "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6,
         "thousand": 1e3, "k": 1e3}


def chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral below 万 ("两" = 2, "十五" = 15, "三百" = 300), else None."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, cur = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        else:
            total += (1 if cur is None else cur) * _CN_UNITS[ch]
            cur = None
    return float(total + (cur or 0))


_NUM = r"(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
_AMOUNT = re.compile(
    r"^(?P<cur1>us\$|usd|rmb|cny|hk\$|hkd|eur|€|\$|¥|人民币)?\s*" + _NUM +
    r"\s*(?P<mult>千万|百万|十万|亿|万|千|billion|bn|million|mn|mm|thousand|k|m|b)?\s*"
    r"(?P<cur2>亿元|万元|元人民币|人民币元|人民币|美元|美金|港元|港币|欧元|日元|元|rmb|cny|usd|us\$|hkd|euros?|eur|jpy|"
    r"(?:u\.?s\.?\s*|american\s+)dollars?|hong\s*kong\s+dollars?|dollars?|yuan|renminbi|euros?)?"
    r"(?P<rest>.*)$",
    re.I,
)


_YI_WAN = re.compile(
    r"^(?P<yi>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)亿(?:零)?"
    r"(?P<wan>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千\d]+)万\s*"
    r"(?P<cur>元人民币|人民币元|人民币|元|美元|美金|港元|港币|欧元|日元)?$")


def _numeral(text: str) -> float | None:
    """"2000", "两千", "5千" or "3千5百" as a number (digits may stand for Chinese digits)."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if re.fullmatch(r"(\d[十百千])+\d?", text):
        text = "".join("零一二三四五六七八九"[int(c)] if c.isdigit() else c for c in text)
    return chinese_number(text)


def parse_amount(text, currency: str | None = None) -> Amount | None:
    """Parse an amount as written ("8亿元", "2000万美元", "RMB 150 million", 150000000).

    Returns ``None`` for undisclosed or vague amounts; raises :class:`FieldError` for words that are
    not an amount or a negative amount. ``currency`` (a column of its own) applies when the text
    names none; the default is CNY.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text != text:  # NaN from a spreadsheet cell
            return None
        if text < 0:
            raise FieldError(f"negative amount {text!r}")
        cur = _currency(currency) or "CNY"
        return Amount(float(text), cur)
    raw = str(text)
    s = unicodedata.normalize("NFKC", raw).strip().lower()
    if s in UNDISCLOSED or "未披露" in s or "未透露" in s or "undisclosed" in s:
        return None
    if s.startswith("-") and re.match(r"^-\s*\d", s):
        raise FieldError(f"negative amount {raw!r}")
    s = s.replace(",", "").replace("，", "")
    s = re.sub(r"(?<=\d)\s+(?=\d)", "", s)
    if _VAGUE.search(s):
        return None
    both = _YI_WAN.match(s)
    if both:  # 1亿2000万元, 一亿两千万元: the 亿 part and the 万 part add up
        yi, wan = _numeral(both.group("yi")), _numeral(both.group("wan"))
        if yi is None or wan is None:
            raise FieldError(f"not an amount: {raw!r}")
        cur = _currency(both.group("cur")) or _currency(currency) or "CNY"
        return Amount(round(yi * 1e8 + wan * 1e4, 2), cur)
    m = _AMOUNT.match(s)
    if not m or not m.group("num"):
        raise FieldError(f"not an amount: {raw!r}")
    rest = m.group("rest").strip()
    if rest and not re.fullmatch(r"(左右|以上|之多|的?融资|元|\(.*\)|（.*）|rmb|cny|usd)?", rest):
        raise FieldError(f"not an amount: {raw!r}")
    if rest in ("左右", "以上"):
        return None
    num_txt = m.group("num")
    if re.fullmatch(r"\d+(\.\d+)?", num_txt):
        value = float(num_txt)
    else:
        value = chinese_number(num_txt)
        if value is None:
            raise FieldError(f"not an amount: {raw!r}")
    cur2 = (m.group("cur2") or "").lower()
    mult = (m.group("mult") or "").lower()
    if cur2 == "亿元":
        mult, cur2 = (mult + "亿") if mult else "亿", "元"
    elif cur2 == "万元":
        mult, cur2 = (mult + "万") if mult else "万", "元"
    factor = 1.0
    if mult:
        if mult in _MULT:
            factor = _MULT[mult]
        else:  # 千万 written as 千 + 万, or 亿 after 万 etc.
            factor = 1.0
            for ch in mult:
                factor *= _MULT.get(ch, 1.0)
    cur = _currency(m.group("cur1")) or _currency(cur2) or _currency(currency) or "CNY"
    value *= factor
    return Amount(round(value, 2), cur)


def _currency(text: str | None) -> str | None:
    if not text:
        return None
    t = str(text).strip().lower()
    t = re.sub(r"\s+", " ", t)
    if "dollar" in t:
        return "HKD" if "hong" in t else "USD"
    if t in ("yuan", "renminbi"):
        return "CNY"
    if t.startswith("euro"):
        return "EUR"
    return load_ontology().currency(t)


_DATE_FORMS = [
    re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
    re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$"),
    re.compile(r"^(?P<y>\d{4})\s*年?$"),
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?:[t ]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
               r"(z|[+-]\d{2}:?\d{2})?)$"),
    re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})$"),  # US style 7/22/2019 from spreadsheets
]


def parse_date(text) -> str | None:
    """ISO date as precise as written: '2019-07-22', '2019-07' or '2019'; None when empty.

    Raises :class:`FieldError` for impossible dates (2019-02-30, month 13) and non-dates.
    """
    if text is None:
        return None
    if isinstance(text, _dt.datetime):
        return text.date().isoformat()
    if isinstance(text, _dt.date):
        return text.isoformat()
    if isinstance(text, float) and text != text:
        return None
    raw = str(text)
    s = unicodedata.normalize("NFKC", raw).strip().lower()
    if s in UNDISCLOSED:
        return None
    for form in _DATE_FORMS:
        m = form.match(s)
        if not m:
            continue
        g = m.groupdict()
        y = int(g["y"])
        if not 1900 <= y <= 2100:
            raise FieldError(f"impossible date {raw!r} (year {y})")
        if g.get("m") is None:
            return f"{y:04d}"
        mo = int(g["m"])
        if not 1 <= mo <= 12:
            raise FieldError(f"impossible date {raw!r} (month {mo})")
        if g.get("d") is None:
            return f"{y:04d}-{mo:02d}"
        try:
            return _dt.date(y, mo, int(g["d"])).isoformat()
        except ValueError:
            raise FieldError(f"impossible date {raw!r}") from None
    raise FieldError(f"not a date: {raw!r}")


def parse_round(text):
    """The round type (ontology ``RoundType``) and the label as written, cleaned.

    Unknown labels are kept as written with type ``other``.
    """
    onto = load_ontology()
    label = clean_name(text) if text is not None and str(text).strip() else ""
    return onto.round(label), label


_SPLIT = re.compile(r"[、，,；;|\n]+")


@functools.lru_cache(maxsize=1 << 16)
def _name_part(part: str) -> str | None:
    """One part of an investor list, cleaned; None when nothing is left or it says undisclosed.
    (Kept per part: a large file names the same few thousand investors in ~300k distinct lists.)"""
    name = clean_name(part)
    return name if name and name.lower() not in UNDISCLOSED else None


def split_names_column(cells):
    """:func:`split_names` of each of ``cells`` (a pyarrow string array without nulls) as arrays:
    ``(cell, code, names)``, the cell of each name and its code into ``names``, cell by cell in
    order with each cell's names in order (what split_names gives each cell). The split and the
    duplicates are vectorised; each distinct part is cleaned once (``_name_part``)."""
    import numpy as np
    import pyarrow.compute as pc

    parts = pc.split_pattern_regex(cells, _SPLIT.pattern)
    cell = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.list_flatten(parts).dictionary_encode()
    names: dict[str, int] = {}
    lut = np.full(len(enc.dictionary) + 1, -1, np.int64)
    for i, part in enumerate(enc.dictionary.to_pylist()):
        name = _name_part(part)
        if name is not None:
            lut[i] = names.setdefault(name, len(names))
    code = lut[enc.indices.to_numpy(zero_copy_only=False)]
    keep = code >= 0
    cell, code = cell[keep], code[keep]
    if len(code):  # a name again in its cell: only its first place counts
        _, first = np.unique(cell * (len(names) + 1) + code, return_index=True)
        first.sort()
        cell, code = cell[first], code[first]
    return cell, code, list(names)


def split_names(text) -> list[str]:
    """Split an investor list on 、，,；; or | and clean each name; duplicates removed, order kept."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    out: list[str] = []
    for part in _SPLIT.split(str(text)):
        name = _name_part(part)
        if name is not None and name not in out:
            out.append(name)
    return out
