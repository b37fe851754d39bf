"""Deals extracted from financing announcements (Chinese and English), and their loading.

``extract(text)`` finds every deal an announcement reports: the company that raised (also when
no graph knows it), the round, the amount and currency, the date as precise as written, and the
investors with their roles (lead or not; financial advisors are left out). The text is first
normalised (NFKC, traditional characters to simplified with OpenCC, emoji blanked; an offset map
leads back to the original). It runs the spaCy pipeline of :mod:`loaders.news_nlp` (gazetteer +
rule marks) and then reads the text sentence by sentence and clause by clause:

1. units: sentences (。!?; and English sentence ends); a unit whose clause has a financing
   predicate after a company (X完成…融资, X获得…投资, X raised/closed/completed …) or an investor
   verb before one (领投了X的…, invested … in X) starts a deal; other units add to the current one;
2. the company: the proper name after its descriptor (工业视觉企业睿铂智能 → 睿铂智能,
   Beijing-based industrial software firm Gewu Tech → Gewu Tech); the descriptor gives the
   segment and region when the ontology knows them;
3. round, amount, date: the rule marks inside the deal's clauses (history clauses such as
   此前曾获… or "previously raised" are skipped); a deal without its own date takes the date
   written before it unless it says 近日/recently;
4. roles: trigger words (领投, 联合领投, 跟投, 参投, 独家投资, 投资方为, 由X投资, led by, co-led by,
   with participation from, joined by, existing investors …, backed by; 担任…财务顾问 and
   advised by mark advisors) delimit name lists; names resolve through the ontology's aliases
   and the graph's names, unknown ones are kept as written.

5. fields come from the deal's own sentence first; background sentences (founding, revenue,
   orders, losses, earlier rounds, another round's investors) give none; the date is the
   sentence's or the dateline's, else null; "这家企业", "其", "the company" refer back;
6. every field keeps its evidence (``Deal.evidence``: [start, end] in the original text) and a
   confidence; ``Deal.doubts`` says why the company or round is uncertain (such deals are
   rejects of ``parse_news``, not graph facts); a legal or bilingual form of the company's name
   is kept in ``Deal.company_aliases``.

The vocabulary (decorations, sources, background and history cues, labels, exclusions,
advisers, sentence-shape verbs, legal suffixes) is data: ``ontology/news_vocab.yaml``.

``parse_news(path)`` turns a file of announcements (plain lines or JSONL with "text") into a
:class:`~kg.model.Batch` with provenance ``news:<sha256(text)[:16]>``.

Examples
--------
>>> d = extract("2019年11月7日，工业视觉企业睿铂智能完成1.5亿元B+轮融资，达晨资本、同创伟业联合领投。")[0]
>>> d.company, d.round, d.amount, d.currency, d.date
('睿铂智能', 'B+轮', 150000000.0, 'CNY', '2019-11-07')
>>> d.lead_investors
['达晨资本', '同创伟业']
>>> d = extract("Gewu Tech raised US$15 million in a Series A round led by Lenovo Capital, "
...             "with Baidu Ventures participating.")[0]
>>> d.company, d.round, d.amount, d.currency, d.investors, d.lead_investors
('Gewu Tech', 'A轮', 15000000.0, 'USD', ['联想创投', '百度风投'], ['联想创投'])
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.model import Batch
from loaders.news_company import REF, en_anchors, record_company, zh_is_a, en_investor_first, zh_anchor, zh_investor_first
from loaders.news_nlp import Frame, Lexicon, clauses, is_investor, spans, units
from loaders.news_rules import CJK
from loaders.news_roles import en_roles, resolve_investor, split_names, zh_roles
from loaders.news_rules import descriptor_region, descriptor_segment
from loaders.news_vocab import alternation, words
from loaders.parse import Amount
from ontology import load as load_ontology
from ontology import norm_key

_I = re.IGNORECASE

__all__ = [
    "Deal",
    "Lexicon",
    "NewsReject",
    "NewsResult",
    "add_deal",
    "extract",
    "lexicon_from_store",
    "parse_news",
    "provenance",
    "read_announcements",
]


@dataclass
class Deal:
    """One deal found in an announcement. ``as_json()`` is the contract's object."""

    company: str
    round: str | None = None
    amount: float | None = None
    currency: str | None = None
    date: str | None = None
    investors: list[str] = field(default_factory=list)
    lead_investors: list[str] = field(default_factory=list)
    advisors: list[str] = field(default_factory=list)
    descriptor: str | None = None
    segment: str | None = None
    region: str | None = None  # ontology region id (province:… or city:…)
    span: tuple[int, int] = (0, 0)
    evidence: dict = field(default_factory=dict)  # field → [start, end] in the original text
    confidence: float = 1.0
    field_confidence: dict = field(default_factory=dict)
    doubts: list[str] = field(default_factory=list)  # why the company or the round is uncertain
    company_aliases: list[str] = field(default_factory=list)  # its legal or bilingual form as written

    def as_json(self) -> dict:
        amount = self.amount
        if amount is not None and float(amount).is_integer():
            amount = int(amount)
        out = {"company": self.company, "round": self.round, "amount": amount, "currency": self.currency,
               "date": self.date, "investors": list(self.investors), "lead_investors": list(self.lead_investors)}
        out["evidence"] = {k: v for k, v in self.evidence.items()}
        out["confidence"] = self.confidence
        if self.field_confidence:
            out["field_confidence"] = dict(self.field_confidence)
        if self.doubts:
            out["doubts"] = list(self.doubts)
        if self.company_aliases:
            out["company_aliases"] = list(self.company_aliases)
        return out


def provenance(text: str) -> str:
    """``news:`` and the first 16 hex digits of the SHA-256 of the announcement text.

    >>> provenance("数澜科技完成3亿元C轮融资")
    'news:...'
    """
    return "news:" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


# ============================================================================= deal assembly
# history clauses (an earlier round, totals): words in ontology/news_vocab.yaml, shapes here
_ZH_HISTORY = re.compile(alternation(words("history", "zh")) + r"|[两三四五多几]轮|(?<![A-Za-z\d])\d轮|(?<![月天周日])之前|^继|"
                         r"在[^,。]*(?:投资|融资|注资|\x00|轮)(?:之)?后$")
_EN_HISTORY_WORDS = re.compile(alternation(words("history", "en"), english=True), _I)
_EN_TOTAL_TAIL = re.compile(r",?\s*(?:bringing|taking|lifting|raising)\s+(?:its|the\s+company's|[A-Z][\w.&-]*(?:'s|’s))\s+"
                            r"(?:total|cumulative|overall)[^.;]*", _I)


class _EnHistory:
    """English history cues ("previously raised", "last year", "to date"); a tail that only sums the
    rounds up ("…, bringing its total funding to $80 million") is no history of its sentence."""

    def search(self, text, pos=0, endpos=None):
        seg = text[pos:endpos] if endpos is not None else text[pos:]
        return _EN_HISTORY_WORDS.search(_EN_TOTAL_TAIL.sub(lambda m: " " * len(m.group()), seg))


_EN_HISTORY = _EnHistory()
_ZH_COUNT = re.compile(r"[两三四五多几]轮|(?<![A-Za-z\d])\d轮")
_ZH_NOW = re.compile(alternation(words("current", "zh")))


def _zh_history(clause: str) -> bool:
    """A clause about an earlier round or the rounds so far (此前曾获…, 已完成三轮融资); a count of rounds
    announced now ("宣布连续完成A轮和A+轮两轮融资") is not history."""
    hits = [m.group() for m in _ZH_HISTORY.finditer(clause)]
    if not hits:
        return False
    if all(_ZH_COUNT.fullmatch(h) for h in hits) and _ZH_NOW.search(clause):
        return False
    return True
_RELATIVE = re.compile(r"近日|日前|近期|今日|今天|昨日|昨天|本周|上周|本月|日内|\brecently\b|\bthis\s+(?:week|month)\b|"
                       r"\btoday\b|\byesterday\b|\blast\s+week\b|\bearlier\s+this\s+(?:week|month)\b", _I)
_AMOUNT_NOT = re.compile(r"(?:估值|市值|累计|营收|收入|注册资本|销售额|利润|订单|合同|总融资|融资总额|valuation|valued|valuing|"
                         r"total\s+(?:funding|financing|investment|capital|raised)|to\s+date|revenue|sales|bringing|"
                         r"market\s+value|cumulative)[^,;。.]{0,8}$", _I)


@dataclass
class _Anchor:
    unit_start: int
    clause_start: int
    company: str
    descriptor: str
    ref: bool = False  # named by reference (这家企业, the company): the company named before
    cells: list = field(default_factory=list)  # a table row's investor cells ("X | B轮 | 2亿元 | A、B")


_RECORD_COMPANY = re.compile(r"(?:^|[|\n;。]|\.\s)\s*(?:公司|企业|项目|融资方|融资企业|公司名称|Company|Startup|Firm)\s*:\s*"
                             r"(?P<co>[^|\n;。,:]{2,40}?)\s*(?=[|\n;。,]|$)", _I)


def _anchors(f: Frame) -> list[_Anchor]:
    record = _RECORD_COMPANY.search(f.t)
    if record and (f.rounds or f.amounts):  # "Company: X | Round: Series A+ | Amount: … | Investors: …"
        got = record_company(f, record.start("co"), record.end("co"))
        if got:
            return [_Anchor(0, 0, *got)]
    masked = f.mask()
    out: list[_Anchor] = []
    last: list[str] = []  # companies named so far (also in history clauses): what 这家企业/the company is

    def add(an: _Anchor) -> bool:
        if an.company == REF:
            if not last:
                sig = _SIGNATURE.search(f.t)  # "祝贺我司完成Pre-A轮融资！…——智算工场": the post's signature
                subj = _EN_SUBJECT.match(f.t, an.unit_start) if f.lang == "en" else None
                if subj and not is_investor(f, subj.group(1)) and not _EN_NOT_SUBJECT.match(subj.group(1)):
                    # "X, which …, is the latest to raise: it took in …"
                    last.append(subj.group(1))
                elif sig:
                    last.append(sig.group(1))
                else:
                    return False
            an.company = last[-1]
            an.ref = True
        else:
            last.append(an.company)
        out.append(an)
        return True

    for ua, ub in units(f):
        if f.lang == "zh":
            parts = clauses(f, ua, ub)
            found = False
            for k, (ca, cb) in enumerate(parts):
                if _zh_history(f.t[ca:cb]):
                    got = zh_anchor(f, masked, parts, k)
                    if got and got[0] != REF:
                        last.append(got[0])
                    continue
                got = zh_anchor(f, masked, parts, k)
                if got and add(_Anchor(ua, ca, *got)):
                    found = True
                elif not got:
                    named = zh_is_a(f, ca, cb)  # 据悉，智数科技是一家工业大数据平台公司: named for 其/该公司
                    if named:
                        last.append(named)
            if not found:
                for ca, cb in parts:
                    if _zh_history(f.t[ca:cb]):
                        continue
                    got = zh_investor_first(f, masked, ca, cb)
                    if got and add(_Anchor(ua, ca, *got)):
                        break
        else:
            hist = _EN_HISTORY.search(f.t[ua:ub])
            if hist and out:
                continue  # "It previously raised …" is not this deal
            anchors_here = en_anchors(f, ua, ub)
            if not anchors_here and not out:  # "X, whose …, saw revenue grow last year. This week it raised …": X is "it"
                subj = _EN_SUBJECT.match(f.t, ua) or _EN_SUBJECT_VERB.match(f.t, ua)
                if subj and not is_investor(f, subj.group(1)) and not _EN_NOT_SUBJECT.match(subj.group(1)):
                    last.append(subj.group(1))
            found = [x for x in anchors_here if add(_Anchor(ua, *x))]
            if not found and not hist:
                got = en_investor_first(f, ua, ub)
                if got:
                    add(_Anchor(ua, ua, *got))
    # the same company again (X表示…, 这是X今年完成的…) belongs to its deal, unless its clause names
    # another round (格物科技完成B轮融资。格物科技于2018年完成A轮融资。: two deals)
    unit_spans = units(f)

    def unit_rounds(an: _Anchor) -> set:
        end = next((ub for ua, ub in unit_spans if ua == an.unit_start), len(f.t))
        return {r[2] for r in f.rounds if an.clause_start <= r[0] < end}

    merged: list[_Anchor] = []
    for an in out:
        if merged and _same_company(merged[-1].company, an.company):
            mine, theirs = unit_rounds(an), unit_rounds(merged[-1])
            if mine and not theirs and not merged[-1].cells:
                # "这是继A轮融资后，X获得的又一笔融资。2022年9月，X完成1.2亿元B轮融资": the sentence with the round
                merged[-1] = an
                continue
            if not (mine and theirs and not mine & theirs):
                continue
        merged.append(an)
    if not merged:
        row = _table_row(f)
        if row:
            merged.append(row)
    if not merged and f.rounds:  # "这笔B轮投资由A领投，…，投资标的为晶圆量测设备商晶量科技": the target named by a label
        target = _TARGET.search(f.t)
        got = record_company(f, target.start("co"), target.end("co")) if target else None
        if got and not is_investor(f, got[0]):
            ua = _unit_of(f, f.rounds[0][0])[0]
            merged.append(_Anchor(ua, ua, *got))
    return merged


_TARGET = re.compile(r"(?:(?:投资|融资)?标的(?:公司|企业)?|被投(?:企业|公司|方)|获投(?:企业|公司|方)|融资(?:企业|公司))\s*(?:为|是|:)\s*"
                     r"(?P<co>[^,;。|!?\n]{2,40}?)\s*(?=[,;。|!?\n]|$)")


def _table_row(f: Frame) -> _Anchor | None:
    """A deal written as one table row without words: "凌云光智 | B轮 | 2亿人民币 | 红杉中国、IDG资本"."""
    cells = spans(f.t, re.compile(r"\s*\|\s*"))
    if len(cells) < 3 or len(f.t) > 200 or not f.rounds:
        return None
    company, investors = None, []
    for ca, cb in cells:
        marks = [m for m in (*f.rounds, *f.amounts, *f.dates) if ca <= m[0] < cb]
        names = [n for n in f.names if ca <= n[0] < cb and n[2] == "INVESTOR"]
        if names:
            investors.append((ca, cb))
        elif company is None and not marks and 2 <= len(f.t[ca:cb].strip()) <= 40:
            got = record_company(f, ca, cb)
            if got:
                company = (ca, got)
    if company is None:
        return None
    an = _Anchor(0, 0, *company[1])
    an.cells = investors
    return an


def _same_company(x: str, y: str) -> bool:
    """The same company, also when one is the short form of the other (零重力 / 零重力飞机工业)."""
    x, y = norm_key(x), norm_key(y)
    return x == y or (min(len(x), len(y)) >= 2 and (x.startswith(y) or y.startswith(x)))


def _history_ranges(f: Frame, a: int, b: int, anchor_clause: int) -> list[tuple[int, int]]:
    out = []
    if f.lang == "zh":
        for ua, ub in units(f):
            if ub <= a or ua >= b:
                continue
            past = False  # a history clause's sentence stays history (此前已完成4轮融资，投资方包括…)
            for ca, cb in clauses(f, max(a, ua), min(b, ub)):
                if ca == anchor_clause or (ca <= anchor_clause < cb) or _THIS_ROUND.search(f.t, ca, cb):
                    past = False
                    continue
                if past or _zh_history(f.t[ca:cb]):
                    # an earlier financing's clause keeps the sentence history; a total alone (累计金额2.5亿元) does not
                    past = past or bool(re.search(r"轮|融资|投资|获", f.t[ca:cb]))
                    out.append((ca, cb))
    else:
        for ua, ub in units(f):
            if a <= ua < b and ua != anchor_clause and _EN_HISTORY.search(f.t[ua:ub]):
                out.append((ua, ub))
        # "two rounds: a Series A … led by X earlier this year, and a newly closed Series A+ …": the part of
        # the deal's own sentence that names another round with a history cue is history
        au = _unit_of(f, anchor_clause)
        parts = spans(f.t, _EN_PART_SEP, max(a, au[0]), min(b, au[1]))
        with_rounds = [(pa, pb) for pa, pb in parts if any(pa <= r[0] < pb for r in f.rounds)]
        if len(with_rounds) > 1:
            for pa, pb in with_rounds:
                if _EN_HISTORY.search(f.t, pa, pb):
                    out.append((pa, pb))
        for m in re.finditer(r",\s*(?:which|who)\b[^,]*,", f.t[a:b]):
            if _EN_HISTORY.search(m.group()):
                out.append((a + m.start(), a + m.end()))
        for m in re.finditer(r",\s*(?:already\s+)?(?:backed|funded|supported)\s+by\b[^,]*,", f.t[a:b], _I):
            out.append((a + m.start(), a + m.end()))  # "X, backed by Tencent, has raised …": an earlier backer
    return out


_ROUND_OF_INVESTOR = re.compile(r"(?:融资|投资)?的?(?:投资方|投资人|投资机构|股东|领投方|资方)")
_EN_PART_SEP = re.compile(r",\s*(?:and|but|while|whereas)\s+|:\s+|;\s*")


def _inside(pos: int, ranges: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in ranges)


def _company_spans(f: Frame, company: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    if len(company) >= 2:
        for m in re.finditer(re.escape(company), f.t[a:b]):
            out.append((a + m.start(), a + m.end()))
    return out


_BG_ZH = re.compile(alternation(words("background", "zh")))
_BG_EN = re.compile(alternation(words("background", "en"), english=True), _I)


def _unit_of(f: Frame, pos: int) -> tuple[int, int]:
    for ua, ub in units(f):
        if ua <= pos < ub:
            return ua, ub
    return pos, len(f.t)


def _background(f: Frame, a: int, b: int, anchor_clause: int) -> list[tuple[int, int]]:
    """Clauses (zh) or sentences (en) of ``t[a:b]`` that tell the company's history or business
    figures (成立于…, 2019年营收…, 此前曾获…, founded in, revenue …): no deal field comes from them."""
    out = _history_ranges(f, a, b, anchor_clause)
    au = _unit_of(f, anchor_clause)
    if f.lang == "zh":
        for ca, cb in clauses(f, a, b):
            if ca != anchor_clause and not (ca <= anchor_clause < cb) and _BG_ZH.search(f.t[ca:cb]):
                out.append((ca, cb))
    else:
        for ua, ub in units(f):
            if a <= ua < b and (ua, ub) != au and _BG_EN.search(f.t[ua:ub]):
                out.append((ua, ub))
    return out


_DL_SEP = re.compile(r"[,;:|。!?\n]|--|—|–|\s-\s|消息|讯")


def _about_financing(f: Frame, pos: int) -> bool:
    """The sentence at ``pos`` speaks of the financing (a round label, 融资, funding …)."""
    xa, xb = _unit_of(f, pos)
    return bool(_MONEY_CUE.search(f.t, xa, xb)) or any(xa <= r[0] < xb for r in f.rounds)


def _dateline(f: Frame, before: int) -> tuple | None:
    """The date a text opens with, standing alone before the story ("2019年12月5日消息，",
    "Beijing, June 9, 2020 —", "【香港】2021年4月12日，", "March 3, 2021 --")."""
    for d in f.dates:
        if d[0] >= before or d[0] > 60:
            break
        seps = [m.end() for m in _DL_SEP.finditer(f.t, 0, d[0])]
        lead = f.t[seps[-1] if seps else 0:d[0]]
        nxt = _DL_SEP.search(f.t, d[1])
        tail = f.t[d[1]:nxt.start() if nxt else len(f.t)]
        if d[3] >= 2 and len(re.sub(r"[\s【】\[\]()]", "", lead)) <= 30 and len(tail.strip(" -—/")) <= 3 \
                and len(f.t[:d[0]].strip()) <= 40:
            return d
    return None


_NOT_DONE = re.compile(alternation(words("not_done", "zh")) + "|" + alternation(words("not_done", "en"), english=True), _I)
_EN_SUBJECT = re.compile(r"\s*([A-Z][\w&.+-]*(?:\s+[A-Z][\w&.+-]*){0,4})(?=,|\s+(?:is|was|has|had|which|who)\b)")
_EN_SUBJECT_VERB = re.compile(r"\s*([A-Z][\w&.+-]*(?:\s+[A-Z][\w&.+-]*){0,4})(?=\s+[a-z]{3,}(?:s|ed)\b)")
_EN_NOT_SUBJECT = re.compile(r"(?:On|In|At|By|For|From|This|That|These|Last|Earlier|Today|Now|The|It|Its|Since|After|Before|"
                             r"According|Founded|Established|Based|With|As|While|When|[A-Z]{2,}\b)\b|"
                             + alternation(words("sources", "en"), english=True))
_SIGNATURE = re.compile(r"(?:——|—|--|－－)\s*([\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9 ]{1,20}?)(?:全体员工|全体同仁|团队|全体|"
                        r"\s+team)?\s*[。!.]?\s*$", _I)
_THIS_ROUND = re.compile(r"本轮|本次|此轮|此次|该轮|\bth(?:is|e)\s+(?:round|deal|financing)\b", _I)
_UNDISCLOSED = re.compile(alternation(words("undisclosed", "zh")) + "|" + alternation(words("undisclosed", "en"), english=True), _I)
_MONEY_CUE = re.compile(r"融资|金额|募资|本轮|funding|financing|investment|\bround\b", _I)
_EXCL_ZH = re.compile(alternation(words("exclusions", "zh")))
_EXCL_EN = re.compile(alternation(words("exclusions", "en"), english=True), _I)
_EXCL_BOUND = re.compile(r"[,;。!?|:]|\b(?:but|while|whereas|and|however)\b|但|而|其中")


def _excluded(f: Frame, masked: str, a: int, b: int, hist) -> set[str]:
    """Investors the text says did not take part ("红点中国未参与本轮", "X did not participate")."""
    out: set[str] = set()
    rx = _EXCL_ZH if f.lang == "zh" else _EXCL_EN
    for m in rx.finditer(f.t, a, b):
        lo = max(a, _unit_of(f, m.start())[0])
        bounds = [x.end() for x in _EXCL_BOUND.finditer(f.t, lo, m.start())]
        s = bounds[-1] if bounds else lo
        for _, piece, ident in split_names(f, masked, s, m.start()):
            name = resolve_investor(f, piece, ident)
            if name:
                out.add(name)
    return out


def _fill(f: Frame, an: _Anchor, a: int, b: int, prior_date: str | None,
          foreign: list[tuple[int, int]] = (), extra: list[tuple[int, int]] = (), want_round: str | None = None) -> Deal:
    hist = _background(f, a, b, an.clause_start) + list(foreign)
    deal = Deal(company=an.company, descriptor=an.descriptor or None, span=(a, b))
    ev: dict[str, list[int]] = {}
    ua, ub = _unit_of(f, an.clause_start)

    def ordered(marks):
        """Marks of the deal: those of its own sentence first, then the rest of its text."""
        mine = [m for m in marks if a <= m[0] < b and not _inside(m[0], hist)]
        return [m for m in mine if ua <= m[0] < ub] + [m for m in mine if not ua <= m[0] < ub and m[0] >= ua]

    # round: the best ranked label of the deal's sentence (B轮战略融资 is a B轮)
    rounds = ordered(f.rounds)
    if not rounds:  # a kicker before the story ("3亿元B轮！X再获融资，…")
        rounds = [m for m in f.rounds if a <= m[0] < ua and not _inside(m[0], hist)]
    combined = False
    if want_round is not None:  # one of two rounds announced together: its own label
        rounds = [r for r in rounds if r[2] == want_round] or rounds
    if rounds:
        own = [r for r in rounds if ua <= r[0] < ub] or rounds
        r = min(own, key=lambda r: (-r[3], r[0]))
        nxt = [x for x in own if x[0] > r[0] and re.fullmatch(r"\s*(?:及|和|与|、|以及|&|and|及其|加)\s*", f.t[r[1]:x[0]], _I)]
        if nxt and want_round is None:  # B轮及B+轮融资: the later of rounds announced together
            r, combined = nxt[-1], True
        deal.round = r[2]
        ev["round"] = f.span(r[0], r[1])
        for xa, xb in units(f):  # a later sentence about another round ("其B轮融资的投资方包括…") is not this deal's
            labels = {m[2] for m in f.rounds if xa <= m[0] < xb}
            if a <= xa < b and (xa, xb) != (ua, ub) and labels and deal.round not in labels \
                    and not _THIS_ROUND.search(f.t, xa, xb):
                hist.append((xa, xb))
        if f.lang == "zh" and not combined:  # …，A轮由创新工场领投: a clause about another round
            for xa, xb in (c for xu in units(f) if xu[1] > a and xu[0] < b for c in clauses(f, max(a, xu[0]), min(b, xu[1]))):
                labels = {m[2] for m in f.rounds if xa <= m[0] < xb
                          and not _ROUND_OF_INVESTOR.match(f.t, m[1])}  # A轮投资方X继续跟投: X is in this one
                if labels and deal.round not in labels and not xa <= an.clause_start < xb \
                        and not _THIS_ROUND.search(f.t, xa, xb):
                    hist.append((xa, xb))
    undisclosed = _UNDISCLOSED.search(f.t, ua, ub)
    amounts = ordered(f.amounts)
    if undisclosed and not any(ua <= m[0] < undisclosed.start() for m in amounts):
        amounts = []  # "an undisclosed amount in a Series A1 … after a RMB 30 million angel round"
    # an amount stated before the deal's sentence ("融资金额达3亿元！X完成B轮融资")
    amounts += [m for m in f.amounts if a <= m[0] < ua and not _inside(m[0], hist)
                and (_MONEY_CUE.search(f.t[_unit_of(f, m[0])[0]:m[0]]) or _about_financing(f, m[0])
                     or not f.t[slice(*_unit_of(f, m[0]))].replace(f.t[m[0]:m[1]], "").strip(" !?:|\u3000"))]
    # (a kicker that is the amount alone, "8000万元！X完成A轮融资", is the deal's)
    for s, e, value, cur in amounts:
        if combined and re.search(r"(?:总|合计|共计|累计|total|combined|in all)[^,;。]{0,6}$", f.t[max(a, s - 12):s], _I):
            deal.currency = cur  # the total of the rounds announced together is not this round's amount
            ev["amount"] = f.span(s, e)
            break
        if not _AMOUNT_NOT.search(f.t[max(a, s - 16):s]):
            deal.amount = value.value if isinstance(value, Amount) else None
            deal.currency = cur
            ev["amount"] = f.span(s, e)
            break
    dates = [d for d in ordered(f.dates) if ua <= d[0] < ub]
    if not dates:  # the dateline, else a later sentence about the financing ("该轮融资于2019年3月交割")
        line = _dateline(f, an.clause_start)
        dates = [line] if line else [d for d in ordered(f.dates) if d[0] >= ub and _about_financing(f, d[0])]
    if dates:
        deal.date = dates[0][2]
        ev["date"] = f.span(dates[0][0], dates[0][1])
    deal.evidence = ev
    deal.__dict__["_combined"] = combined
    # roles
    masked = f.mask(_company_spans(f, an.company, a, b))
    chunks: list[tuple[int, int, str]] = [(ca, cb, "follow") for ca, cb in an.cells]
    if f.lang == "zh":
        trig = f.mask(_company_spans(f, an.company, a, b), rounds=False)
        for ca, cb in clauses(f, a, b):
            if not _inside(ca, hist):
                chunks.extend(zh_roles(f, masked, trig, ca, cb))
    else:
        for ua, ub in units(f):
            ua, ub = max(ua, a), min(ub, b)
            if ua < ub and not _inside(ua, hist):
                chunks.extend(c for c in en_roles(f, ua, ub) if not _inside(c[0], hist))
    for xa, xb in extra:  # a later sentence about this deal's company
        if f.lang == "zh":
            for ca, cb in clauses(f, xa, xb):
                chunks.extend(zh_roles(f, masked, f.mask(rounds=False), ca, cb))
        else:
            chunks.extend(en_roles(f, xa, xb))
    found: list[tuple[int, str, str]] = []
    where: dict[str, list[int]] = {}
    for s, e, role in chunks:
        for pos, piece, ident in split_names(f, masked, s, e):
            name = resolve_investor(f, piece, ident)
            if name and norm_key(name) != norm_key(deal.company):
                found.append((pos, name, role))
                lead_ws = len(piece) - len(piece.lstrip(" \x00、,"))
                where.setdefault(name, f.span(pos + lead_ws, pos + len(piece.rstrip(" \x00、,."))))
    excluded = _excluded(f, masked, a, b, hist)
    found = [x for x in found if x[1] not in excluded]
    advisors = {n for _, n, r in found if r == "advisor"}
    sole = [n for _, n, r in found if r == "sole"]
    order: list[str] = []
    leads: list[str] = []
    for pos, name, role in sorted(found):
        if name in advisors or role == "advisor":
            continue
        if name not in order:
            order.append(name)
        if (role == "lead" or (role == "sole" and len(set(sole)) == 1)) and name not in leads:
            leads.append(name)
    deal.investors = order
    deal.lead_investors = [n for n in order if n in leads]
    deal.advisors = sorted(advisors)
    if order:
        ev["investors"] = [where[n] for n in order]
    if deal.lead_investors:
        ev["lead_investors"] = [where[n] for n in deal.lead_investors]
    _judge(f, an, deal, ev, (ua, ub))
    if deal.descriptor:
        deal.segment = descriptor_segment(deal.descriptor)
        reg = descriptor_region(deal.descriptor)
        deal.region = reg.id if reg is not None else None
    return deal


_LONG_DESC = re.compile(r"(?:公司|企业|平台|厂商|机构|集团|基金|资本|创投)$|^(?:the|a|an)\s", _I)


def _judge(f: Frame, an: _Anchor, deal: Deal, ev: dict, unit: tuple[int, int]) -> None:
    """Evidence of the company, the confidence of each field and of the deal, and the doubts that
    keep a deal out of the graph (company or round uncertain)."""
    ua, ub = unit
    deal.company_aliases = list(f.__dict__.get("full_forms", {}).get(deal.company, []))
    k = f.t.find(deal.company, an.clause_start)
    if k < 0:
        k = f.t.find(deal.company)
    if k >= 0:
        ev["company"] = f.span(k, k + len(deal.company))
    conf = {"company": 0.95 if k >= 0 else 0.8}
    if an.ref:
        conf["company"] = min(conf["company"], 0.75)
    name = deal.company
    if _LONG_DESC.search(name) or len(name) > (16 if CJK.search(name) else 48) or is_investor(f, name):
        conf["company"] = 0.4
        deal.doubts.append(f"company uncertain: {name!r} reads like a description or an investor")
    for fld in ("round", "amount", "date"):
        sp = ev.get(fld)
        if sp is None:
            conf[fld] = 0.9 if fld != "round" else 0.3
            continue
        inside = f.offsets[ua] <= sp[0] < (f.offsets[ub - 1] + 1 if ub > ua else sp[0] + 1)
        conf[fld] = 0.95 if inside else 0.75
    if deal.round is None:
        deal.doubts.append("round not stated")
    if deal.amount is not None and deal.currency and deal.currency not in load_ontology().currencies:
        # 新台币 is read, but the graph converts every amount to CNY: without a rate the deal waits
        deal.doubts.append(f"unknown currency {deal.currency}: no rate to CNY in ontology/currencies.yaml")
    clause_end = next((cb for ca, cb in clauses(f, ua, ub) if ca <= an.clause_start < cb), ub)
    if _NOT_DONE.search(f.t, an.clause_start if f.lang == "zh" else ua, clause_end):
        deal.doubts.append("not completed: the text says planned, rumoured or in talks")
        conf["round"] = min(conf["round"], 0.5)
    conf["investors"] = 0.9 if deal.investors else 0.7
    deal.field_confidence = {k2: round(v, 2) for k2, v in conf.items()}
    core = min(conf["company"], conf["round"])
    deal.confidence = round(core * 0.6 + 0.4 * sum(conf.values()) / len(conf), 2)


def extract(text: str, lexicon: Lexicon | None = None) -> list[Deal]:
    """The deals one announcement reports (an empty list when it reports none).

    ``lexicon`` adds a graph's investor and company names to the ontology's (see
    :func:`lexicon_from_store`).
    """
    if not text or not text.strip():
        return []
    f = Frame(text, lexicon)
    anchors = _anchors(f)
    # a later sentence whose subject is one deal's company belongs to that deal ("A raised …, while B
    # raised …. A, a welding-robot maker, said existing investor C also participated.")
    about: list[tuple[int, int, str]] = []
    if len({norm_key(an.company) for an in anchors}) > 1:
        for ua, ub in units(f):
            head = f.t[ua:ub].lstrip(" \"“「『")
            for an in anchors:
                if len(an.company) >= 2 and head.startswith(an.company) and ua > an.clause_start:
                    about.append((ua, ub, norm_key(an.company)))
                    break
    deals: list[Deal] = []
    for i, an in enumerate(anchors):
        # a deal's text runs from its sentence (the clauses before its company in that sentence, such as
        # a date, are its own) to the next deal's sentence
        prev = anchors[i - 1] if i else None
        a = 0 if prev is None else an.unit_start if an.unit_start > prev.clause_start else an.clause_start
        nxt = anchors[i + 1] if i + 1 < len(anchors) else None
        b = len(f.t) if nxt is None else nxt.unit_start if nxt.unit_start > an.clause_start else nxt.clause_start
        prior = [d for d in f.dates if d[1] <= a]
        key = norm_key(an.company)
        foreign = [(ua, ub) for ua, ub, k in about if k != key and a <= ua < b]
        extra = [(ua, ub) for ua, ub, k in about if k == key and not a <= ua < b]
        deal = _fill(f, an, a, b, prior[-1][2] if prior else None, foreign, extra)
        split = _split_rounds(f, an, a, b) if deal.__dict__.pop("_combined", False) and f.lang == "zh" else None
        if split:  # 宣布连续完成A轮和A+轮两轮融资，A轮由…领投，金额为…；A+轮…由…独家投资: one deal per round
            for label, others in split:
                deals.append(_fill(f, an, a, b, prior[-1][2] if prior else None, list(foreign) + others, extra,
                                   want_round=label))
            continue
        deals.append(deal)
    return deals


def _split_rounds(f: Frame, an: _Anchor, a: int, b: int) -> list[tuple[str, list[tuple[int, int]]]] | None:
    """Two or more rounds announced together, each with clauses of its own after the announcement
    (a clause naming one of them, and the clauses after it that name none): for each round label,
    the clauses that belong to the others. None when no clause speaks of one round alone."""
    ua, ub = _unit_of(f, an.clause_start)
    head = [r[2] for r in f.rounds if an.clause_start <= r[0] < ub
            and next((cb for ca, cb in clauses(f, ua, ub) if ca <= an.clause_start < cb), ub) > r[0]]
    labels = list(dict.fromkeys(head))
    if len(labels) < 2:
        return None
    owner: dict[str, list[tuple[int, int]]] = {lab: [] for lab in labels}
    current = None
    anchor_end = next((cb for ca, cb in clauses(f, ua, ub) if ca <= an.clause_start < cb), ub)
    for xa, xb in units(f):
        if xb <= anchor_end or xa >= b:
            continue
        for ca, cb in clauses(f, max(xa, anchor_end), min(xb, b)):
            named = {r[2] for r in f.rounds if ca <= r[0] < cb} & set(labels)
            if len(named) == 1:
                current = named.pop()
            elif len(named) > 1:
                current = None
            if current is not None:
                owner[current].append((ca, cb))
    if sum(1 for v in owner.values() if v) < 2:
        return None
    return [(lab, [c for other, cs in owner.items() if other != lab for c in cs]) for lab in labels]


# ================================================================================ files, batches
def read_announcements(path: str | Path) -> list[tuple[int, str]]:
    """(line number, announcement text) for every line of ``path``, empty lines included.

    A line is plain text, or a JSON object with a "text" field. UTF-8 (with or without BOM) or
    GB18030. Raises :class:`InputError` for a missing, unreadable or binary file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a directory, not a file of announcements")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path}: not a text file (one announcement per line expected)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            data = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}: neither UTF-8 nor GBK text")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for i, line in enumerate(lines, 1):
        line = line.rstrip("\r")
        s = line.strip()
        if s.startswith("{") and s.endswith("}"):
            try:
                obj = json.loads(s)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                line = obj["text"]
        out.append((i, line))
    return out


@dataclass
class NewsReject:
    line: int
    reason: str
    values: dict


@dataclass
class NewsResult:
    batch: Batch
    rows: int          # non-empty announcements
    loaded: int        # announcements that yielded at least one deal
    deals: int
    rejects: list[NewsReject]
    sha256: str


def add_deal(batch: Batch, deal: Deal, text: str, lexicon: Lexicon | None = None,
             round_news: dict[str, list[str]] | None = None) -> str:
    """Add one extracted deal to ``batch`` (Company, Round, Investors, roles; segment and region
    from the descriptor for companies that have none yet). The Round keeps the announcement texts
    in ``news``; every node and relationship gets the provenance ``news:<hash>``."""
    from loaders.deals import deal_batch, round_id
    from loaders.parse import parse_round

    source = provenance(text)
    company = deal.company
    known = lexicon.company(company) if lexicon else None
    if known:
        company = known
    ckey = norm_key(company)
    rtype, label = parse_round(deal.round)
    date = deal.date
    if date is None and lexicon is not None:
        same = [r for r in lexicon.rounds.get(ckey, []) if r[1] == rtype.type]
        if len(same) == 1:  # an undated announcement of a round the graph has: that round
            date = same[0][2]
    rid = round_id(company, rtype.type, label, date)
    news = round_news if round_news is not None else {}
    texts = list(news.get(rid) or (lexicon.round_news.get(rid, []) if lexicon else []))
    if text.strip() not in texts:
        texts.append(text.strip())
    news[rid] = texts
    segment = deal.segment if not (lexicon and ckey in lexicon.company_segment) else None
    province = city = None
    if deal.region and not (lexicon and ckey in lexicon.company_region):
        reg = load_ontology().region_by_id(deal.region)
        if reg is not None:
            if reg.level == "city":
                city = reg.name
            else:
                province = reg.name
    amount = Amount(deal.amount, deal.currency) if deal.amount is not None and deal.currency else None
    if deal.company_aliases:  # the legal or bilingual form stays findable
        from ontology import node_id

        batch.node("Company", node_id("company", company), source, name=company, aliases=list(deal.company_aliases))
    return deal_batch(batch, company=company, source=source, date=date, round_label=deal.round, amount=amount,
                      investors=deal.investors, leads=deal.lead_investors, segment=segment, province=province,
                      city=city, round_props={"news": texts})


def parse_news(path: str | Path, lexicon: Lexicon | None = None) -> NewsResult:
    """Extract every announcement of ``path`` into a batch; lines without a deal are rejects."""
    lines = read_announcements(path)
    batch = Batch()
    rejects: list[NewsReject] = []
    rows = loaded = n = 0
    round_news: dict[str, list[str]] = {}
    for lineno, text in lines:
        if not text.strip():
            continue
        rows += 1
        deals = extract(text, lexicon)
        if not deals:
            rejects.append(NewsReject(lineno, "no deal found", {"text": text}))
            continue
        sure = [d for d in deals if not d.doubts]
        for d in deals:
            if d.doubts:  # company or round uncertain: reviewed by a person, not put in the graph
                rejects.append(NewsReject(lineno, f"{d.company}: " + "; ".join(d.doubts), {"text": text}))
        if not sure:
            continue
        loaded += 1
        for d in sure:
            add_deal(batch, d, text, lexicon, round_news)
            n += 1
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return NewsResult(batch, rows, loaded, n, rejects, sha)


def _cells(table, column: str) -> list:
    """A column of a read-interface table as Python values (absent: Nones; JSON text decoded)."""
    if column not in table.column_names:
        return [None] * table.num_rows
    out = []
    for v in table.column(column).to_pylist():
        if isinstance(v, str) and v[:1] == "[":
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out.append(v)
    return out


def lexicon_from_store(store) -> Lexicon:
    """The names of a store's graph, through its read interface (:class:`kg.store.GraphReader`:
    ``entities``, ``relationships``, ``deals``), on every backend."""
    lex = Lexicon()

    def names_of(name, aliases):
        return [x for x in [name, *(aliases if isinstance(aliases, list) else [])] if x]

    inv = store.entities("Investor")
    for name, aliases in zip(_cells(inv, "name"), _cells(inv, "aliases")):
        for a in names_of(name, aliases):
            lex.add("INVESTOR", a, name or a)
    cos = store.entities("Company")
    key_of: dict[str, str] = {}
    for cid, name, aliases in zip(_cells(cos, "id"), _cells(cos, "name"), _cells(cos, "aliases")):
        if not name:
            continue
        key_of[cid] = norm_key(name)
        for a in names_of(name, aliases):
            lex.add("COMPANY", a, name)
    for rel, bucket in (("IN_SEGMENT", lex.company_segment), ("LOCATED_IN", lex.company_region)):
        for cid in _cells(store.relationships(rel), "_start"):
            if cid in key_of:
                bucket.add(key_of[cid])
    rounds = store.deals()
    for rid, cid, typ, date, news in zip(_cells(rounds, "id"), _cells(rounds, "company_id"), _cells(rounds, "type"),
                                         _cells(rounds, "date"), _cells(rounds, "news")):
        if cid in key_of:
            lex.rounds.setdefault(key_of[cid], []).append((rid, typ, date))
        if news:
            lex.round_news[rid] = list(news)
    return lex
