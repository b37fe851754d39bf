"""Field parsers: every amount, date and round form the loaders accept, and property-based checks."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from loaders.parse import FieldError, parse_amount, parse_date, parse_round, split_names


@pytest.mark.parametrize("text, value, currency", [
    ("8亿元", 8e8, "CNY"), ("1.2亿元人民币", 1.2e8, "CNY"), ("5000万元", 5e7, "CNY"), ("1,000万元", 1e7, "CNY"),
    ("2000万美元", 2e7, "USD"), ("US$15 million", 1.5e7, "USD"), ("RMB 150 million", 1.5e8, "CNY"),
    ("0.15亿元", 1.5e7, "CNY"), ("两亿元", 2e8, "CNY"), ("三千万元", 3e7, "CNY"), ("十亿元", 1e9, "CNY"),
    ("5千万元", 5e7, "CNY"), ("¥5000万", 5e7, "CNY"), ("$15M", 1.5e7, "USD"), ("15 million US dollars", 1.5e7, "USD"),
    ("1.5 billion yuan", 1.5e9, "CNY"), ("HK$200 million", 2e8, "HKD"), ("1000万欧元", 1e7, "EUR"),
    ("Ｂ轮８亿元".replace("Ｂ轮", ""), 8e8, "CNY"), ("3亿人民币", 3e8, "CNY"), ("1.2 亿元", 1.2e8, "CNY"),
])
def test_amount_forms(text, value, currency):
    a = parse_amount(text)
    assert a.value == pytest.approx(value) and a.currency == currency


def test_plain_number_takes_the_currency_column():
    assert parse_amount("150000000", "美元") == (1.5e8, "USD")
    assert parse_amount(2.5e7, "USD") == (2.5e7, "USD")
    assert parse_amount("150000000") == (1.5e8, "CNY")


@pytest.mark.parametrize("text", ["未披露", "", "数千万元", "数亿元", "近亿元", "超亿元", "约1亿元", "超过1亿元",
                                  "亿元级", "1000万-2000万元", "数百万美元", "1亿元左右", "undisclosed", "-", None])
def test_vague_or_undisclosed_amounts_are_none(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", ["很多钱", "-5亿元", "abc", "5亿元 maybe more", -3])
def test_words_and_negatives_are_errors(text):
    with pytest.raises(FieldError):
        parse_amount(text)


@pytest.mark.parametrize("text, iso", [
    ("2019-07-22", "2019-07-22"), ("2019/7/22", "2019-07-22"), ("2019.7.22", "2019-07-22"),
    ("2019年7月22日", "2019-07-22"), ("2019-07", "2019-07"), ("2019年7月", "2019-07"), ("2019", "2019"),
    ("2019年", "2019"), ("20190722", "2019-07-22"), (dt.date(2019, 7, 22), "2019-07-22"),
    (dt.datetime(2019, 7, 22, 10, 5), "2019-07-22"), ("", None), ("未披露", None),
])
def test_date_forms(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["2019-02-30", "2019-13-01", "abc", "2019年13月", "0001-01-01"])
def test_impossible_dates(text):
    with pytest.raises(FieldError):
        parse_date(text)


@pytest.mark.parametrize("label, type_", [
    ("种子轮", "seed"), ("天使轮", "angel"), ("Angel", "angel"), ("Pre-A轮", "pre_a"), ("A轮", "a"), ("Series A", "a"),
    ("A+轮", "a_plus"), ("Series A+", "a_plus"), ("B轮", "b"), ("Series B", "b"), ("B+轮", "b_plus"), ("C轮", "c"),
    ("C+轮", "c_plus"), ("D轮", "d"), ("E轮", "e_plus"), ("F轮", "e_plus"), ("Pre-IPO", "pre_ipo"), ("IPO", "ipo"),
    ("战略投资", "strategic"), ("战略融资", "strategic"), ("Strategic", "strategic"), ("定向增发", "private_placement"),
    ("并购", "ma"), ("Seed", "seed"), ("A轮融资", "a"), ("股权融资", "other"), ("", "other"),
])
def test_round_types(label, type_):
    assert parse_round(label)[0].type == type_


def test_unknown_round_label_is_kept_as_written():
    t, label = parse_round("新三板定增")
    assert t.type == "other" and label == "新三板定增"


def test_split_names_all_separators_and_cleaning():
    assert split_names("红杉资本（中国）、IDG 资本，深创投;高瓴资本|腾讯；真格基金,红杉资本（中国）") == [
        "红杉资本（中国）", "IDG资本", "深创投", "高瓴资本", "腾讯", "真格基金"]
    assert split_names(None) == [] and split_names("未披露") == []


# ---------------------------------------------------------------- property-based
@given(st.text(max_size=40))
@settings(max_examples=400, deadline=None)
def test_amount_parser_never_crashes(text):
    try:
        a = parse_amount(text)
    except FieldError:
        return
    assert a is None or (a.value >= 0 and a.currency in {"CNY", "USD", "HKD", "EUR", "JPY"})


@given(st.floats(min_value=0.01, max_value=9999, allow_nan=False).map(lambda x: round(x, 2)),
       st.sampled_from([("亿元", 1e8), ("万元", 1e4), ("千万元", 1e7), ("元", 1)]))
def test_amount_roundtrip(x, unit):
    suffix, mult = unit
    assert parse_amount(f"{x}{suffix}").value == pytest.approx(x * mult, rel=1e-9)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日"]))
def test_date_roundtrip(d, fmt):
    assert parse_date(fmt.format(y=d.year, m=d.month, d=d.day)) == d.isoformat()


@given(st.text(max_size=30))
@settings(max_examples=400, deadline=None)
def test_date_parser_never_crashes(text):
    try:
        out = parse_date(text)
    except FieldError:
        return
    assert out is None or (len(out) in (4, 7, 10) and out[:4].isdigit())


@given(st.text(max_size=20))
def test_round_parser_total(text):
    t, _ = parse_round(text)
    assert t.type
