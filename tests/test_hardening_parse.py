"""Hardening (issue 9): property-based tests of the field parsers where test_parse.py leaves gaps:
full-width digits and punctuation, Chinese numerals (alone and mixed with digits), dates with times."""
from __future__ import annotations

import datetime as dt

from hypothesis import example, given, settings
from hypothesis import strategies as st

from loaders.parse import FieldError, chinese_number, parse_amount, parse_date

FULLWIDTH = str.maketrans("0123456789.,-/:", "０１２３４５６７８９．，－／：")
DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """0 < n < 10000 as written in Chinese: 7 七, 10 十, 15 十五, 110 一百一十, 1005 一千零五, 2000 两千."""
    assert 0 < n < 10000
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if value == 10 and d == 1 and not out:
            out += "十"  # 十五, not 一十五
        else:
            out += ("两" if d == 2 and value >= 1000 else DIGITS[d]) + unit
    return out


@given(st.integers(1, 9999))
@example(10)
@example(15)
@example(110)
@example(1005)
@example(2000)
@example(9999)
def test_chinese_numerals_below_ten_thousand(n):
    text = to_chinese(n)
    assert chinese_number(text) == n, text
    assert parse_amount(text + "万元") == (n * 1e4, "CNY")
    assert parse_amount(text + "亿元") == (n * 1e8, "CNY")


@given(st.decimals(min_value="0.01", max_value="99999", places=2),
       st.sampled_from(["万元", "亿元", "万美元", "亿元人民币", "元", " 万元"]))
@settings(max_examples=300, deadline=None)
def test_fullwidth_digits_parse_like_ascii(x, unit):
    ascii_text = f"{x:,}{unit}"
    wide = ascii_text.translate(FULLWIDTH)
    assert parse_amount(wide) == parse_amount(ascii_text)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}年{m}月"]))
@settings(max_examples=300, deadline=None)
def test_fullwidth_dates_parse_like_ascii(d, fmt):
    text = fmt.format(y=d.year, m=d.month, d=d.day)
    assert parse_date(text.translate(FULLWIDTH)) == parse_date(text)


@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿0123456789.０１２３", min_size=1, max_size=12),
       st.sampled_from(["", "元", "万元", "亿元", "美元"]))
@settings(max_examples=500, deadline=None)
def test_numerals_and_digits_mixed_never_crash_or_go_negative(text, unit):
    try:
        a = parse_amount(text + unit)
    except FieldError:
        return
    assert a is None or (a.value >= 0 and a.value == a.value and a.value != float("inf"))


@given(st.integers(1, 99), st.integers(1, 9999), st.booleans())
@example(1, 2000, False)
@example(1, 2000, True)
@settings(max_examples=100, deadline=None)
def test_yi_and_wan_together(yi, wan, chinese):
    text = f"{to_chinese(yi)}亿{to_chinese(wan)}万元" if chinese else f"{yi}亿{wan}万元"
    assert parse_amount(text) == (yi * 1e8 + wan * 1e4, "CNY")


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["{y}/{m}/{d} 0:00", "{y}/{m:02d}/{d:02d} 00:00:00", "{y}-{m:02d}-{d:02d} 00:00"]))
@settings(max_examples=50, deadline=None)
def test_dates_with_a_time_of_day(d, fmt):
    assert parse_date(fmt.format(y=d.year, m=d.month, d=d.day)) == d.isoformat()
