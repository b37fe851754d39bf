"""How an amount of money reads, everywhere: the chat, the pages, the report and the exports.

One rule, decided once (issue 19): an amount in CNY yuan becomes

- Chinese: ``x.xx亿元`` from 1亿 up (two decimals), ``x万元`` from 1万 up (whole 万), else ``x元``;
- English: ``CNY x.xxbn`` from 1 billion up (two decimals), ``CNY x.xm`` from 1 million up (one
  decimal), else ``CNY x`` (whole yuan);
- thousands separated by ``,``; a negative amount (a difference) with a leading ``-``;
- unknown (None, NaN, infinite): ``未披露`` / ``undisclosed``.

An amount that rounds up to the next unit is written in that unit (99,999,999 yuan is ``1.00亿元``,
never ``10,000万元``). Any language other than ``"zh"`` reads English.

>>> [money_text(v, "zh") for v in (0, 8_500, 50_000_000, 639_000_000, 119_440_000_000, None)]
['0元', '8,500元', '5,000万元', '6.39亿元', '1,194.40亿元', '未披露']
>>> [money_text(v, "en") for v in (0, 8_500, 50_000_000, 639_000_000, 119_440_000_000, None)]
['CNY 0', 'CNY 8,500', 'CNY 50.0m', 'CNY 639.0m', 'CNY 119.44bn', 'undisclosed']
>>> money_text(99_999_999, "zh"), money_text(999_960_000, "en"), money_text(-25_000_000, "zh")
('1.00亿元', 'CNY 1.00bn', '-2,500万元')
>>> money_text(-1.5e9, "en"), money_text(9_999.6, "zh"), money_text(0.4, "en")
('CNY -1.50bn', '1万元', 'CNY 0')
"""
from __future__ import annotations

import math
import unicodedata

__all__ = ["MONEY_COLUMNS", "UNDISCLOSED", "display_width", "is_money_column", "money_text"]

UNDISCLOSED = {"zh": "未披露", "en": "undisclosed"}

# the columns and properties that hold CNY yuan (besides any name ending in _cny)
MONEY_COLUMNS = frozenset({"amount_cny", "amount", "total_cny", "amount_total", "total_amount", "total_amount_cny",
                           "sum_cny", "largest_cny", "avg_cny", "median_cny", "value_cny"})

# (unit in yuan, decimals, template), largest first, per language
_ZH = ((1e8, 2, "{}亿元"), (1e4, 0, "{}万元"), (1.0, 0, "{}元"))
_EN = ((1e9, 2, "CNY {}bn"), (1e6, 1, "CNY {}m"), (1.0, 0, "CNY {}"))


def is_money_column(name: str) -> bool:
    """Whether a column or property named ``name`` holds CNY yuan (read by :func:`money_text`).

    >>> is_money_column("amount_cny"), is_money_column("largest_cny"), is_money_column("amount_share")
    (True, True, False)
    """
    return name in MONEY_COLUMNS or name.endswith("_cny")


def money_text(value_cny: float | None, lang: str) -> str:
    """``value_cny`` (CNY yuan) as people read it in ``lang`` (see the module docstring)."""
    zh = lang == "zh"
    if value_cny is None or isinstance(value_cny, bool):
        return UNDISCLOSED["zh" if zh else "en"]
    try:
        v = float(value_cny)
    except (TypeError, ValueError):
        return UNDISCLOSED["zh" if zh else "en"]
    if not math.isfinite(v):
        return UNDISCLOSED["zh" if zh else "en"]
    units = _ZH if zh else _EN
    a = abs(v)
    for i, (unit, decimals, template) in enumerate(units):
        if a >= unit or unit == 1.0:
            break
    shown = round(a / unit, decimals)
    if i > 0 and shown * unit >= units[i - 1][0]:  # rounded up to the next unit (9,999.6万 -> 1亿): it says it
        unit, decimals, template = units[i - 1]
        shown = round(a / unit, decimals)
    number = f"{shown:,.{decimals}f}"
    sign = "-" if v < 0 and number.strip("0.,") else ""
    return template.format(sign + number)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a spreadsheet: Chinese (wide and full-width) characters two.

    >>> display_width("深创投 A轮"), display_width("ＡＢ")
    (10, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
