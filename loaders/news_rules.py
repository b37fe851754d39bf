"""Rules over announcement text: amounts, dates, round labels and company descriptors.

Pure functions over NFKC-normalised text (see :func:`normalise`); each finder returns
:class:`Mark` records with character offsets, so the spaCy pipeline in :mod:`loaders.news`
can map them onto a ``Doc`` with ``doc.char_span(..., alignment_mode="expand")``.

Examples
--------
>>> [m.value for m in find_amounts(normalise("完成1.2亿元人民币B轮融资"))]
[Amount(value=120000000.0, currency='CNY')]
>>> m = find_amounts("raised US$15 million in a Series A")[0]
>>> (m.value, m.currency)
(Amount(value=15000000.0, currency='USD'), 'USD')
>>> m = find_amounts("完成数千万元Pre-A轮融资")[0]
>>> (m.value, m.currency)
(None, 'CNY')
>>> [m.value for m in find_dates("2019年9月18日，数澜科技宣布完成融资")]
['2019-09-18']
>>> [m.value for m in find_dates("closed on June 12, 2019")]
['2019-06-12']
>>> [m.value for m in find_rounds("a US$12 million Pre-A round")]
['Pre-A轮']
>>> [m.value for m in find_rounds("in a Series B+ round")]
['B+轮']
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from loaders.parse import Amount, FieldError, parse_amount, parse_date
from ontology import load as load_ontology
from ontology import norm_key

_I = re.IGNORECASE

__all__ = [
    "CJK",
    "Mark",
    "descriptor_region",
    "descriptor_segment",
    "find_amounts",
    "find_dates",
    "find_rounds",
    "is_cjk_text",
    "normalise",
    "normalise_map",
    "round_label",
]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Mark:
    """A rule match: ``kind`` (amount/date/round), offsets in the normalised text, and the value.

    For amounts ``value`` is an :class:`~loaders.parse.Amount` or None (vague), ``currency`` the
    currency named even when the value is vague; for dates an ISO string; for rounds a label.
    ``rank`` orders alternatives (rounds: letter rounds before strategic; dates: precision).
    """

    kind: str
    start: int
    end: int
    text: str
    value: object
    currency: str | None = None
    rank: int = 0


_T2S = None


def _t2s(text: str) -> str:
    global _T2S
    if _T2S is None:
        import opencc

        _T2S = opencc.OpenCC("t2s")
    return _T2S.convert(text)


_TRAD_HINT = re.compile(r"[\u3400-\u9fff]")


def _blank(ch: str) -> bool:
    """Emoji and pictographs (🎉, ✨, ❗), variation selectors and joiners: decoration, not text."""
    cat = unicodedata.category(ch)
    if cat in ("So", "Cs", "Co") or ch in "\u200d\ufe0f\ufe0e\u200b\u2060":
        return True
    return ord(ch) > 0xFFFF and not 0x20000 <= ord(ch) <= 0x3FFFF


def normalise_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters (and its end), the offset in ``text``.

    NFKC (Ｂ轮８亿元 → B轮8亿元, ，→ ,), traditional characters to simplified (OpenCC t2s:
    宣佈完成1億元B輪融資 → 宣布完成1亿元B轮融资), emoji blanked to spaces, 丨 read as |.
    """
    text = text or ""
    nf = unicodedata.normalize("NFKC", text)
    if len(nf) == len(text):  # the common case: one character for one (Ｂ→B, ，→,)
        out = _DECOR_CHARS.sub(" ", nf.replace("\u00a0", " ").replace("丨", "|"))
        if _OTHER_SYMBOL.search(out):
            out = "".join(" " if _blank(c) else c for c in out)
        offs = list(range(len(text) + 1))
        return _untagged(*_to_simplified(out, offs))
    parts: list[str] = []
    offs = []
    for i, ch in enumerate(text):
        if ch == "\u00a0" or _blank(ch):
            n = " "
        elif ch == "丨":
            n = "|"
        elif ord(ch) < 0x80:
            n = ch
        else:
            n = unicodedata.normalize("NFKC", ch)
        parts.append(n)
        offs.extend([i] * len(n))
    out = "".join(parts)
    offs.append(len(text))
    return _untagged(*_to_simplified(out, offs))


_TOPIC_TAG = re.compile(r"#[^#\s,。]{1,20}#")


def _untagged(out: str, offs: list[int]) -> tuple[str, list[int]]:
    """A post's topic tags (#工业互联网# #融资#) blanked to spaces: decoration, never a name."""
    if "#" in out:
        out = _TOPIC_TAG.sub(lambda m: " " * len(m.group()), out)
    return out, offs


_DECOR_CHARS = re.compile("[\U00010000-\U0001FFFF\u2600-\u27BF\u2B00-\u2BFF\uFE0E\uFE0F\u200B\u200D\u2060]")
_OTHER_SYMBOL = re.compile("[\u2100-\u23FF\u2190-\u21FF\u25A0-\u25FF\U000E0000-\U000E007F]")


_TRAD_DEAL_CHARS = set("億萬輪資領參與為於佈幣顧問獲驗數")


def _to_simplified(out: str, offs: list[int]) -> tuple[str, list[int]]:
    if _TRAD_HINT.search(out):
        conv = _t2s(out)
        changed = sum(1 for x, y in zip(out, conv) if x != y)
        if changed < 2 or changed * 25 < len(_TRAD_HINT.findall(out)):
            # a simplified text with a rare form in a name (蓝昇信息) is kept as written, but for the
            # words of a deal (3.5億元B輪)
            if len(conv) != len(out):
                return out, offs
            return "".join(y if x in _TRAD_DEAL_CHARS else x for x, y in zip(out, conv)), offs
        if len(conv) == len(out):
            out = conv
        else:  # a phrase conversion changed the length: convert character by character
            out = "".join(c if len(c) == 1 else ch for ch, c in ((ch, _t2s(ch)) for ch in out))
    return out, offs


def normalise(text: str) -> str:
    """The text the reader works on: see :func:`normalise_map`."""
    return normalise_map(text)[0]


def is_cjk_text(text: str) -> bool:
    """Chinese when Chinese characters make a fair share of the letters."""
    cjk = len(CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk >= 2 and cjk * 3 >= latin * 0.5


# ---------------------------------------------------------------------------------------- amounts
_ZH_VAGUE_PRE = r"超过|超|逾|近|约|接近|将近|大约|不到|不超过|至少|上|过|数|几"
_ZH_EXACT_PRE = r"高达|达到|达|共计|合计|总计|总额|金额为|金额"
_ZH_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两三四五六七八九十百千数几]+"
_ZH_MULT = r"千万|百万|十万|亿|万|千"
_ZH_CUR = r"元人民币|人民币元|人民币|美元|美金|港元|港币|新台币|台币|欧元|日元|元"
_ZH_AMOUNT = re.compile(
    rf"(?:(?P<cur1>人民币|美元|港币|港元|新台币|台币)\s*)?(?P<pre>{_ZH_VAGUE_PRE})?\s*(?P<num>{_ZH_NUM})?\s*"
    rf"(?P<mult>(?:{_ZH_MULT}){{0,2}})\s*(?P<post>余|多)?\s*(?P<cur>{_ZH_CUR})(?P<lvl>级)?"
)
# an amount without a currency word, right before a round or 融资: 完成5000万A轮融资
_ZH_BARE = re.compile(
    rf"(?P<pre>{_ZH_VAGUE_PRE})?\s*(?P<num>{_ZH_NUM})?\s*(?P<mult>(?:千万|百万|亿|万){{1,2}})(?P<post>余|多)?(?P<lvl>级)?"
    r"(?=\s*(?:的\s*)?(?:[A-Ha-h]\d?\+*\s*轮|[Pp]re|天使|种子|战略|新一轮|融资|投资))"
)
_RANGE_BEFORE = re.compile(r"\d(?:[\d,.]*)\s*(?:千万|百万|万|亿)?\s*[-~～至到]\s*$")
_ZH_APPROX_BEFORE = re.compile(r"(?:约|近|超过|超|逾|大约|接近|将近|不到|至少)\s*(?:人民币|美元|美金|港币|港元|新台币|台币)?\s*$")  # 约人民币3亿元
_ZH_APPROX_AFTER = re.compile(r"\s*(?:以上|左右|上下|之多|有余|出头)")
_ZH_CUR_CODE = {"元人民币": "CNY", "人民币元": "CNY", "人民币": "CNY", "元": "CNY", "美元": "USD", "美金": "USD",
                "港元": "HKD", "港币": "HKD", "新台币": "TWD", "台币": "TWD", "欧元": "EUR", "日元": "JPY"}

_EN_NUMWORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100,
                "one hundred": 100, "hundred": 100}
_EN_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?|" + "|".join(sorted(_EN_NUMWORDS, key=len, reverse=True))
_EN_MULT = r"billion|million|thousand|bln|bn|mln|mn|m|b|k"
_EN_CUR_PRE = r"US\$|U\.S\.\s?\$|USD|RMB|CNY|HK\$|HKD|NT\$|TWD|EUR|JPY|€|\$|¥"
_EN_CUR_POST = (r"US\s?dollars|U\.S\.\s?dollars|American dollars|dollars|USD|Chinese yuan|yuan|renminbi|RMB|CNY|"
                r"HK\s?dollars|Hong Kong dollars|HKD|New Taiwan dollars|NT\s?dollars|Taiwan dollars|TWD|euros?|EUR|Japanese yen|yen|JPY")
_EN_VAGUE_PRE = (r"nearly|almost|about|around|approximately|approx\.|over|more than|up to|close to|roughly|some|"
                 r"less than|under|at least|north of|upwards of|in excess of|above|below|just over|just under")
_EN_AMOUNT_1 = re.compile(
    rf"(?:\b(?P<pre>{_EN_VAGUE_PRE})\s+)?(?P<cur1>{_EN_CUR_PRE})\s?(?P<num>{_EN_NUM})"
    rf"(?:\s?-?\s?(?P<mult>{_EN_MULT})\b)?(?:\s+(?P<cur2>{_EN_CUR_POST})\b)?", _I)
_EN_AMOUNT_2 = re.compile(
    rf"(?:\b(?P<pre>{_EN_VAGUE_PRE})\s+)?\b(?P<num>{_EN_NUM})\s?-?\s?(?P<mult>{_EN_MULT})\s+(?:of\s+)?"
    rf"(?P<cur2>{_EN_CUR_POST})\b", _I)
_EN_VAGUE = re.compile(
    rf"(?:(?P<cur1>{_EN_CUR_PRE})\s?)?\b(?P<v>tens of millions|hundreds of millions|several (?:hundred |tens of )?"
    r"(?:million|billion)|multi-?million|millions|billions|eight-figure|nine-figure|double-digit million)"
    rf"(?:\s+(?:of\s+)?(?P<cur2>{_EN_CUR_POST})\b)?", _I)
_EN_MULT_VAL = {"billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6,
                "thousand": 1e3, "k": 1e3}


def _en_currency(text: str | None) -> str | None:
    if not text:
        return None
    t = re.sub(r"\s+", " ", text.strip().lower()).replace("u.s.", "us")
    if t in ("us$", "usd", "$", "us $", "us dollars", "usdollars", "american dollars", "dollars"):
        return "USD"
    if t in ("rmb", "cny", "yuan", "chinese yuan", "renminbi", "¥"):
        return "CNY"
    if t in ("hk$", "hkd", "hk dollars", "hkdollars", "hong kong dollars"):
        return "HKD"
    if t in ("nt$", "twd", "new taiwan dollars", "nt dollars", "ntdollars", "taiwan dollars"):
        return "TWD"
    if t in ("eur", "€", "euro", "euros"):
        return "EUR"
    if t in ("jpy", "yen", "japanese yen"):
        return "JPY"
    return load_ontology().currency(t)


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def find_amounts(text: str) -> list[Mark]:
    """Money amounts in Chinese or English, in order. Vague amounts (数千万元, 近亿元, tens of
    millions of yuan, over $10 million) have ``value`` None and keep their currency."""
    out: list[Mark] = []
    taken: list[tuple[int, int]] = []

    def add(s, e, value, cur):
        if not _overlaps(taken, s, e):
            taken.append((s, e))
            out.append(Mark("amount", s, e, text[s:e], value, cur))

    for m in _ZH_AMOUNT.finditer(text):
        num, mult = m.group("num"), m.group("mult")
        if not num and not mult:
            continue
        if num and not re.match(r"\d", num) and not mult and "数" not in num and "几" not in num:
            continue  # 统一元件: a Chinese numeral needs 万/亿 to be money
        if num and re.match(r"\d", num) and not mult and m.group("cur") == "元" and not m.group("cur1") \
                and float(num.replace(",", "")) < 10000:
            continue  # a bare "3000元" is no financing round
        cur = _ZH_CUR_CODE.get(m.group("cur1") or "") or _ZH_CUR_CODE[m.group("cur")]
        vague = bool(m.group("pre") or m.group("post") or m.group("lvl")) or (num and re.search("[数几]", num)) \
            or bool(_ZH_APPROX_AFTER.match(text, m.end())) or not num \
            or bool(_ZH_APPROX_BEFORE.search(text, max(0, m.start() - 8), m.start())) \
            or bool(_RANGE_BEFORE.search(text[max(0, m.start() - 12):m.start()]))  # 亿元 alone: 亿元级; 1000万-2000万
        s = m.start("pre") if m.group("pre") else (m.start("num") if num else m.start("mult"))
        if m.group("cur1"):
            s = m.start("cur1")
        value = None
        if not vague:
            raw = f"{num or '一'}{mult}{'元' if cur == 'TWD' else m.group('cur')}"
            try:
                value = parse_amount(raw, cur)
            except FieldError:
                value = None
            if value is not None and value.currency != cur:
                value = Amount(value.value, cur)
        add(s, m.end(), value, cur)
    for m in _ZH_BARE.finditer(text):
        num, mult = m.group("num"), m.group("mult")
        vague = bool(m.group("pre") or m.group("post") or m.group("lvl")) or (num and re.search("[数几]", num)) \
            or bool(_ZH_APPROX_AFTER.match(text, m.end())) or not num
        value = None
        if not vague:
            try:
                value = parse_amount(f"{num or '一'}{mult}元", "CNY")
            except FieldError:
                value = None
        s = m.start("pre") if m.group("pre") else (m.start("num") if num else m.start("mult"))
        add(s, m.end(), value, "CNY")
    # vague first: 'several hundred million yuan' is no 'hundred million yuan'
    for m in _EN_VAGUE.finditer(text):
        cur = _en_currency(m.group("cur1")) or _en_currency(m.group("cur2"))
        if cur:
            add(m.start(), m.end(), None, cur)
    for rx in (_EN_AMOUNT_1, _EN_AMOUNT_2):
        for m in rx.finditer(text):
            cur = _en_currency(m.groupdict().get("cur1")) or _en_currency(m.group("cur2"))
            if not cur:
                continue
            num_txt = m.group("num").lower()
            num = _EN_NUMWORDS.get(num_txt)
            if num is None:
                try:
                    num = float(num_txt.replace(",", ""))
                except ValueError:
                    continue
            mult = (m.group("mult") or "").lower()
            if not mult and num < 1000:
                continue  # "$5" is not a round
            value = None
            if not m.group("pre"):
                try:  # the deals parser reads most forms ("US$15 million", "RMB 150 million", "$15M")
                    value = parse_amount(text[m.start("num") if not m.groupdict().get("cur1") else m.start():m.end()])
                except FieldError:
                    value = None
                if value is None or value.currency != cur:  # number words, "U.S. dollars", ¥…
                    value = Amount(round(num * _EN_MULT_VAL.get(mult, 1.0), 2), cur)
            add(m.start(), m.end(), value, cur)
    out.sort(key=lambda k: k.start)
    return out


# ------------------------------------------------------------------------------------------ dates
_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
           "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
           "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_RULES: list[tuple[re.Pattern, int]] = [
    (re.compile(r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"), 3),
    (re.compile(r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d|\.\d)"), 3),
    (re.compile(rf"\b{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", _I), 3),
    (re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON},?\s+(?P<y>\d{{4}})\b", _I), 3),
    (re.compile(r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d)"), 2),
    (re.compile(r"(?<![\d.])(?P<y>\d{4})[-/](?P<m>\d{1,2})(?![-/\d])"), 2),
    (re.compile(rf"\b{_MON},?\s+(?P<y>\d{{4}})\b", _I), 2),
    (re.compile(r"(?<![\d.])(?P<y>\d{4})\s*年(?!\s*\d|代|度|以来|底|末)"), 1),
    (re.compile(r"\b(?:in|during)\s+(?P<y>\d{4})\b(?!\s*[-/])", _I), 1),
]
# a date in these contexts is not the deal's (founding year, a previous round, a plan)
_DATE_NOT = re.compile(r"(成立|创立|创办|创建|成立于|始于|自|从|founded|established|set up|incorporated|since|"
                       r"launched|started|created)\s*(in|on)?\s*$", _I)


def find_dates(text: str) -> list[Mark]:
    """Dates as precise as written: ``rank`` 3 day, 2 month, 1 year. Relative dates (近日,
    recently) are not dates. Dates right after 成立于/founded in are skipped."""
    out: list[Mark] = []
    taken: list[tuple[int, int]] = []
    for rx, rank in _DATE_RULES:
        for m in rx.finditer(text):
            if _overlaps(taken, m.start(), m.end()):
                continue
            g = m.groupdict()
            y = int(g["y"])
            if not 1980 <= y <= 2100:
                continue
            mo = _MONTHS[g["mon"].lower()] if g.get("mon") else (int(g["m"]) if g.get("m") else None)
            raw = f"{y}" + (f"-{mo}" if mo else "") + (f"-{g['d']}" if g.get("d") else "")
            try:
                iso = parse_date(raw)
            except FieldError:
                continue
            if _DATE_NOT.search(text[max(0, m.start() - 12):m.start()]):
                taken.append((m.start(), m.end()))
                continue
            taken.append((m.start(), m.end()))
            out.append(Mark("date", m.start(), m.end(), m.group(0), iso, rank=rank))
    out.sort(key=lambda k: k.start)
    return out


# ----------------------------------------------------------------------------------------- rounds
_ROUND_RULES: list[tuple[re.Pattern, str, int]] = [
    # Chinese letter rounds: Pre-A轮, A+轮, B1轮, C轮; English Series A / Pre-Series A / Series A-1
    (re.compile(r"(?<![A-Za-z])(?P<pre>[Pp]re\s*-?\s*)?(?P<l>[A-Ha-h])(?P<d>-?\d)?(?P<plus>\+{1,2})?\s*(?:轮|系列)"),
     "letter", 3),
    (re.compile(r"\b(?P<pre>pre\s*-?\s*)?series[\s-]+(?P<l>[A-H])(?P<d>-?\d)?(?P<plus>\+{1,2})?(?![A-Za-z0-9])", _I),
     "letter", 3),
    (re.compile(r"\b(?P<pre>pre\s*-?\s*)(?P<l>[A-H])(?P<plus>\+{1,2})?(?:\s+|-)(?:round|funding|financing|investment)",
                _I), "letter", 3),
    (re.compile(r"(?:\b(?:an|its|the|this|a)\s+)(?P<l>[A-H])(?P<d>-?\d)?(?P<plus>\+{1,2})?(?:\s+|-)"
                r"(?:round|funding round|financing round|financing|funding)\b"), "letter", 3),
    (re.compile(r"(?<![\w$])(?P<l>[B-H])(?P<d>-?\d)?(?P<plus>\+{1,2})?(?:\s+|-)(?:round|funding round|financing)\b"),
     "letter", 3),
    (re.compile(r"(?<![A-Za-z])[Pp]re\s*-?\s*IPO(?:\s*轮)?|\bpre-?ipo\b|IPO前(?:轮)?(?=融资|投资)", _I), "Pre-IPO轮", 2),
    (re.compile(r"天使\s*\+\s*轮|天使轮\s*\+|\bangel\s*\+\s*(?:round)?|\bangel[\s-]+plus\b", _I), "天使+轮", 2),
    (re.compile(r"种子\s*\+\s*轮"), "种子+轮", 2),
    (re.compile(r"天使轮|天使(?:投资|融资)(?=[,;。!?\s了的]|$)|\b(?:pre-)?angel(?:\s+|-)(?:round|funding|financing|investment)\b",
                _I), "天使轮", 2),
    (re.compile(r"种子轮|种子(?:投资|融资)(?=[,;。!?\s了的]|$)|\bseed(?:\s+|-)(?:round|funding|financing|investment|stage)\b",
                _I), "种子轮", 2),
    (re.compile(r"定向增发|定增"), "定向增发", 1),
    (re.compile(r"(?<=引入)[^,;。]{0,40}?(?:(?:作为|为)(?:其|公司的?)?|[两三四五多几]家|等)战略投资(?:者|方|人)|引入(?:了)?战略投资(?:者|方|人)"),
     "战略投资", 0),
    (re.compile(r"战略(?:投资|融资|入股)(?![人者方机基部引管集公])|战投(?![人者方机基部])|\bstrategic\s+(?:investment|round|financing|funding|"
                r"stake)\b", _I), "战略投资", 0),
]


def round_label(pre: str | None, letter: str, digit: str | None = None, plus: str | None = None) -> str:
    """The Chinese label of a letter round: ('pre', 'a') → 'Pre-A轮'; ('', 'b', None, '+') → 'B+轮'."""
    return f"{'Pre-' if pre else ''}{letter.upper()}{(digit or '').lstrip('-')}{plus or ''}轮"


def find_rounds(text: str) -> list[Mark]:
    """Round labels, as the Chinese labels of the ontology's spelling (Series A → A轮, seed → 种子轮,
    strategic investment → 战略投资). ``rank``: letter rounds 3, Pre-IPO/angel/seed 2, 定向增发 1,
    strategic 0 (a B轮战略融资 is a B轮)."""
    out: list[Mark] = []
    taken: list[tuple[int, int]] = []
    for rx, kind, rank in _ROUND_RULES:
        for m in rx.finditer(text):
            if _overlaps(taken, m.start(), m.end()):
                continue
            if kind == "letter":
                g = m.groupdict()
                label = round_label(g.get("pre"), g["l"], g.get("d"), g.get("plus"))
            else:
                label = kind
            taken.append((m.start(), m.end()))
            out.append(Mark("round", m.start(), m.end(), m.group(0), label, rank=rank))
    out.sort(key=lambda k: k.start)
    return out


# ---------------------------------------------------------------------------- descriptor → facets
def _segment_aliases():
    onto = load_ontology()
    pairs = []
    for s in onto.segments:
        for a in (s.name, s.name_en, *s.aliases):
            if not a:
                continue
            if CJK.search(a):
                if len(a) >= 2:
                    pairs.append((norm_key(a), None, s))
            elif len(a) >= 4:
                pairs.append((None, re.compile(r"\b" + re.escape(a) + r"\b", _I), s))
    return pairs


_SEG_CACHE: list = []


def descriptor_segment(descriptor: str | None) -> str | None:
    """The ontology segment a company descriptor names ("工业互联网平台" → 平台, "边缘计算企业" →
    工业自动化与边缘计算, "industrial software firm" → 工业软件及APP), or None.

    >>> descriptor_segment("工业安全公司")
    '安全'
    >>> descriptor_segment("工业机器人公司") is None
    True
    """
    if not descriptor:
        return None
    if not _SEG_CACHE:
        _SEG_CACHE.extend(_segment_aliases())
    key = norm_key(descriptor)
    hits = []  # (length, end, segment): the longest alias, then the one nearest the head noun
    for cjk, rx, seg in _SEG_CACHE:
        if cjk:
            i = key.rfind(cjk)
            if i >= 0:
                hits.append((len(cjk), i + len(cjk), seg))
        else:
            m = None
            for m in rx.finditer(descriptor):
                pass
            if m:
                hits.append((len(m.group()), m.end(), seg))
    if not hits:
        return None
    return max(hits, key=lambda h: (h[0], h[1]))[2].name


_REGION_NAMES: list = []


def descriptor_region(descriptor: str | None):
    """The region a descriptor places the company in ("Beijing-based …", "总部位于杭州的…",
    "深圳的…"), as an ontology ``Region`` (province or city), or None.

    >>> descriptor_region("Beijing-based industrial software firm").id
    'province:北京'
    >>> descriptor_region("总部位于杭州的工业软件公司").id
    'city:杭州'
    """
    if not descriptor:
        return None
    onto = load_ontology()
    m = re.search(r"([A-Z][A-Za-z'’]+(?:\s[A-Z][a-z]+)?)\s*-\s*(?:based|headquartered)|"
                  r"(?:based|headquartered)\s+in\s+([A-Z][A-Za-z'’]+(?:\s[A-Z][a-z]+)?)", descriptor)
    if m:
        reg = onto.region(m.group(1) or m.group(2))
        if reg is not None and reg.level in ("province", "city"):
            return reg
    if not CJK.search(descriptor):
        return None
    if not _REGION_NAMES:
        names = []
        for r in onto.regions:
            if r.level not in ("province", "city"):
                continue
            for a in (r.name, r.full):
                if a and len(a) >= 2 and CJK.search(a):
                    names.append((a, r))
        names.sort(key=lambda p: -len(p[0]))
        _REGION_NAMES.extend(names)
    best = None
    for name, reg in _REGION_NAMES:
        i = descriptor.find(name)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, reg)
    if best is None:
        return None
    return best[1]

