"""The spaCy side of the news loader: pipelines with a name gazetteer and the rule marks.

One pipeline per language (``spacy.blank("zh")`` with character tokens, ``spacy.blank("en")``),
built once per process and per :class:`Lexicon`: a ``span_ruler`` whose patterns are the
ontology's investor names and aliases plus, when a graph is given, the graph's investor and
company names (each pattern's ``id`` is the canonical name), then the ``iikg_news_marks``
component, which puts the amounts, dates and rounds of :mod:`loaders.news_rules` on the doc as
span groups (``doc.spans["amount"]`` …) with the parsed value in ``span._.iikg_value``.

Examples
--------
>>> doc = pipeline("zh")(normalise("由IDG资本领投，完成8亿元B轮融资"))
>>> [(s.text, s.id_) for s in names(doc)]
[('IDG资本', 'IDG资本')]
>>> [(s.text, s._.iikg_value) for s in doc.spans["round"]]
[('B轮', 'B轮')]
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from loaders.news_vocab import alternation, words
from loaders.news_rules import CJK, find_amounts, find_dates, find_rounds, is_cjk_text, normalise, normalise_map
from ontology import load as load_ontology
from ontology import norm_key

__all__ = ["Lexicon", "names", "normalise", "pipeline"]

if not Span.has_extension("iikg_value"):
    Span.set_extension("iikg_value", default=None)
if not Span.has_extension("iikg_currency"):
    Span.set_extension("iikg_currency", default=None)
if not Span.has_extension("iikg_rank"):
    Span.set_extension("iikg_rank", default=0)


@dataclass
class Lexicon:
    """Names from a graph that the extractor links to (the ontology's investors are always known).

    ``investors`` / ``companies``: normalised name or alias → name in the graph. ``rounds``:
    normalised company name → [(round id, type, date)], used to place an undated announcement on
    the graph's only round of that company and type. ``round_news``: round id → announcement texts
    already stored. ``company_segment`` / ``company_region``: companies that already have one.
    """

    investors: dict[str, str] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)
    spellings: list[tuple[str, str, str]] = field(default_factory=list)  # (label, name or alias as written, name)
    rounds: dict[str, list[tuple[str, str, str | None]]] = field(default_factory=dict)
    round_news: dict[str, list[str]] = field(default_factory=dict)
    company_segment: set[str] = field(default_factory=set)
    company_region: set[str] = field(default_factory=set)

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for k in sorted(self.investors):
            h.update(f"i{k}={self.investors[k]}\n".encode())
        for k in sorted(self.companies):
            h.update(f"c{k}={self.companies[k]}\n".encode())
        for t in sorted(self.spellings):
            h.update(("s" + "=".join(t) + "\n").encode())
        return h.hexdigest()

    def add(self, label: str, spelling: str, name: str) -> None:
        """Record a graph name or alias (``label`` INVESTOR or COMPANY)."""
        table = self.investors if label == "INVESTOR" else self.companies
        table.setdefault(norm_key(spelling), name)
        self.spellings.append((label, spelling, name))

    def investor(self, text: str) -> str | None:
        return self.investors.get(norm_key(text))

    def company(self, text: str) -> str | None:
        return self.companies.get(norm_key(text))


@Language.component("iikg_news_marks")
def news_marks(doc: Doc) -> Doc:
    """Amounts, dates and round labels found by rules over ``doc.text``, as span groups."""
    text = doc.user_data.get("iikg_text") or doc.text  # doc.text walks every token: the frame gives it
    for kind, marks in (("amount", find_amounts(text)), ("date", find_dates(text)), ("round", find_rounds(text))):
        spans = []
        for m in marks:
            sp = doc.char_span(m.start, m.end, label=kind, alignment_mode="expand")
            if sp is None:
                continue
            sp._.iikg_value = m.value
            sp._.iikg_currency = m.currency
            sp._.iikg_rank = m.rank
            spans.append(sp)
        doc.spans[kind] = spans
    return doc


def _patterns(lang: str, lexicon: Lexicon | None) -> list[dict]:
    onto = load_ontology()
    seen: set[tuple[str, str]] = set()
    out: list[dict] = []

    def add(label: str, text: str | None, ident: str):
        if not text:
            return
        text = normalise(str(text)).strip()
        if len(text) < 2 or (lang == "en" and CJK.search(text)):
            return
        key = (label, norm_key(text))
        if key in seen:
            return
        seen.add(key)
        out.append({"label": label, "pattern": text, "id": ident})

    for inv in onto.investors:
        for a in (inv.name, inv.name_en, *inv.aliases):
            add("INVESTOR", a, inv.name)
    if lexicon is not None:
        for name in lexicon.investors.values():
            add("INVESTOR", name, onto.investor_name(name))
        for name in lexicon.companies.values():
            add("COMPANY", name, name)
        for label, spelling, name in lexicon.spellings:
            add(label, spelling, onto.investor_name(name) if label == "INVESTOR" else name)
    return out


_PIPES: dict[tuple[str, str], Language] = {}


def pipeline(lang: str, lexicon: Lexicon | None = None) -> Language:
    """The (cached) pipeline for ``lang`` ("zh" or "en") and the names of ``lexicon``."""
    key = (lang, lexicon.fingerprint() if lexicon is not None else "")
    nlp = _PIPES.get(key)
    if nlp is None:
        nlp = spacy.blank(lang)
        ruler = nlp.add_pipe("span_ruler", config={"spans_key": "names", "phrase_matcher_attr": "LOWER",
                                                   "validate": False, "overwrite": True})
        ruler.add_patterns(_patterns(lang, lexicon))
        nlp.add_pipe("iikg_news_marks")
        if len(_PIPES) > 8:  # graphs change between loads in a long-lived process: keep a few
            _PIPES.pop(next(iter(_PIPES)))
        _PIPES[key] = nlp
    return nlp


_BOUND_PREV = set("、,;。:!?()“”\"'《》「」 \t由和与及为括是获对向入")
_BOUND_NEXT = set("、,;。:!?()“”\"'《》「」 \t和与及领跟参独联共投继持追加担作也均亦等的旗为出")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")


def names(doc: Doc) -> list[Span]:
    """Gazetteer matches that hold in context: ASCII names not inside a longer word, short Chinese
    aliases (two characters) only between separators or role words (阿里 not in 阿里山), the
    longest of overlapping matches first."""
    text = doc.user_data.get("iikg_text") or doc.text
    good = []
    for sp in doc.spans.get("names", []):
        s, e = sp.start_char, sp.end_char
        t = text[s:e]
        prev = text[s - 1] if s > 0 else ""
        nxt = text[e] if e < len(text) else ""
        if _ASCII_ALNUM.match(t[0]) and prev and _ASCII_ALNUM.match(prev):
            continue
        if _ASCII_ALNUM.match(t[-1]) and nxt and _ASCII_ALNUM.match(nxt):
            continue
        if not CJK.search(t) and len(t) <= 4 and t != t.upper():
            continue  # short Latin aliases (IDG, CPE, GSR) only as written, in capitals
        cjk = len(CJK.findall(t))
        if cjk and len(t) <= 2:
            if prev and CJK.match(prev) and prev not in _BOUND_PREV:
                continue
            if nxt and CJK.match(nxt) and nxt not in _BOUND_NEXT:
                continue
        good.append(sp)
    good.sort(key=lambda sp: (sp.start_char, -(sp.end_char - sp.start_char)))
    out: list[Span] = []
    end = -1
    for sp in good:
        if sp.start_char >= end:
            out.append(sp)
            end = sp.end_char
    return out


# ============================================================================ one announcement
class Frame:
    """The normalised text of one announcement with its marks, gazetteer names and clauses."""

    def __init__(self, text: str, lexicon: Lexicon | None):
        self.original = text
        self.t, self.offsets = normalise_map(text)
        self.lang = "zh" if is_cjk_text(self.t) else "en"
        self.lexicon = lexicon
        nlp = pipeline(self.lang, lexicon)
        doc = nlp.make_doc(self.t)
        doc.user_data["iikg_text"] = self.t
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        self.doc = doc
        self.names = [(s.start_char, s.end_char, s.label_, s.id_) for s in names(doc)]
        self.amounts = [(s.start_char, s.end_char, s._.iikg_value, s._.iikg_currency) for s in doc.spans["amount"]]
        self.dates = [(s.start_char, s.end_char, s._.iikg_value, s._.iikg_rank) for s in doc.spans["date"]]
        inv_spans = [(a, b) for a, b, lab, _ in self.names if lab == "INVESTOR"]
        # a round word inside an investor's name (英诺天使基金) is no round
        self.rounds = [(s.start_char, s.end_char, s._.iikg_value, s._.iikg_rank) for s in doc.spans["round"]
                       if not any(a <= s.start_char and s.end_char <= b for a, b in inv_spans)]

    def span(self, a: int, b: int) -> list[int]:
        """[start, end] in the original text of the normalised ``t[a:b]``."""
        a = max(0, min(a, len(self.t)))
        b = max(a, min(b, len(self.t)))
        end = self.offsets[b - 1] + 1 if b > a else self.offsets[a]
        return [self.offsets[a], end]

    def mask(self, extra: list[tuple[int, int]] = (), rounds: bool = True) -> str:
        """The text with amounts, dates, rounds (and ``extra`` spans) blanked to NUL."""
        chars = list(self.t)
        for a, b, *_ in (*self.amounts, *self.dates, *(self.rounds if rounds else ()), *extra):
            for i in range(a, b):
                chars[i] = "\x00"
        return "".join(chars)


def spans(text: str, rx: re.Pattern, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Pieces of ``text[start:end]`` between separators matched by ``rx`` (as absolute offsets)."""
    end = len(text) if end is None else end
    out, pos = [], start
    for m in rx.finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        out.append((pos, end))
    return out


_ZH_UNIT_SEP = re.compile(r"[。!?;\n|]+")
# a clause also ends at a post's tilde (拿到钱啦～ X完成…; not 1000~2000万) and where a labelled list begins
# after a space ("…C轮融资 领投:A!跟投:B、C")
_ZH_CLAUSE_SEP = re.compile(r",(?!\d{3}(?!\d))|[!?;。\n|]|(?<![\d万亿千百])~+(?!\s*\d)|\s+(?=(?:本轮)?(?:" + alternation(words("labels")) + r")\s*:|感谢|谢谢)")
_EN_UNIT_SEP = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[\"“(]?[A-Z0-9])|;\s*|\n+|,\s+while\s+")
_EN_ABBREV = re.compile(r"(?:\b(?:Co|Ltd|Inc|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|St|Mr|Ms|Dr|"
                        r"vs|Bros|Intl|Mt)|\b[A-Z]|U\.S)\.$")


def units(f: Frame) -> list[tuple[int, int]]:
    """The sentences of the announcement (computed once per frame)."""
    cached = f.__dict__.get("_units")
    if cached is None:
        cached = f.__dict__["_units"] = _units(f)
    return cached


def _units(f: Frame) -> list[tuple[int, int]]:
    t = f.t
    if f.lang == "zh":
        return spans(t, _ZH_UNIT_SEP)
    out: list[tuple[int, int]] = []
    for a, b in spans(t, _EN_UNIT_SEP):
        if out and _EN_ABBREV.search(t[out[-1][0]:out[-1][1]].rstrip()):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def clauses(f: Frame, a: int, b: int) -> list[tuple[int, int]]:
    if f.lang == "zh":
        return spans(f.t, _ZH_CLAUSE_SEP, a, b)
    return [(a, b)]


def known_company(f: Frame, a: int, b: int) -> tuple[str, int] | None:
    """A graph company named at the end of ``t[a:b]``: (its name, start)."""
    for s, e, label, ident in f.names:
        if label == "COMPANY" and a <= s and e <= b and not f.t[e:b].strip(" \x00"):
            return ident, s
    return None


def is_investor(f: Frame, name: str) -> bool:
    if load_ontology().investor(name) is not None:
        return True
    return bool(f.lexicon and f.lexicon.investor(name))
