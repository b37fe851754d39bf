"""Understanding a question: spaCy pipelines that find the graph's names, then rules for slots.

Two pipelines, both offline and untrained: ``spacy.blank("zh")`` (one token per character, so a
name is found wherever it is written) for any text with Chinese in it, and ``spacy.blank("en")``
for the rest. Each runs

1. ``iikg_names`` (:mod:`kg.chat.names`): every name and alias of the graph's investors,
   companies, regions and segments plus the ontology's (``id`` = node id), matched on lower case
   token by token as a ``span_ruler`` with phrase patterns would, from a dictionary that is built
   in milliseconds (the span ruler took 16-21 s to tokenise 100,000 names);
2. ``iikg_mentions``: keeps one reading per stretch of text: the longest match wins, a name
   must not start or end inside a Latin word, single-character aliases (京, 沪) never fire,
   and a few words that are also names in other senses (网络 in 合投网络) are dropped;
3. ``iikg_slots``: regular-expression rules over the text for years, months, quarters and
   ranges, round types, rankings (前三, top 5), lead-only, amount thresholds, listing boards,
   policy levels and the level of regions asked about.

The result is a :class:`Parse` (a plain dataclass) that :mod:`kg.chat.intents` turns into a
named query. Pipelines are cached per store version (embedded) or for a few seconds (servers).

Examples
--------
>>> nlu = NLU(Lexicon.from_entries([Entry("investor:深创投", "Investor", "深创投")],
...                                [("深创投", "investor:深创投"), ("深圳创投", "investor:深创投")]))
>>> p = nlu.parse("深圳创投在2019年领投了哪些B轮？")
>>> [(m.label, m.name) for m in p.mentions], p.slots["year"], p.slots["round"], p.slots["lead_only"]
([('Investor', '深创投')], 2019, ['b'], True)
>>> p.language, p.skeleton
('zh', 'Ⓘ在Ⓨ领投了哪些Ⓑ?')
"""
from __future__ import annotations

import re
import threading
import time
import unicodedata
import weakref
from dataclasses import asdict, dataclass, field
from itertools import repeat
from typing import NamedTuple

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.chat.names import NameIndex
from loaders.parse import FieldError, chinese_number, parse_amount
from ontology import load as load_ontology
from ontology import node_id, norm_key

__all__ = [
    "MARK",
    "MAX_CHARS",
    "NLU",
    "Entry",
    "Lexicon",
    "Mention",
    "Parse",
    "detect_language",
    "extract_slots",
    "nlu_for",
    "normalise",
]

LABELS = ("Investor", "Company", "Region", "Segment")
# one placeholder character per kind of thing found, in the skeleton the intent rules read
MARK = {"Investor": "Ⓘ", "Company": "Ⓒ", "Region": "Ⓡ", "Segment": "Ⓢ",
        "time": "Ⓨ", "round": "Ⓑ", "amount": "Ⓐ", "board": "Ⓚ"}
MAX_CHARS = 400  # longer input is not a question we can answer: it gets the polite "unknown"
_PRIORITY = {"Investor": 0, "Company": 1, "Region": 2, "Segment": 3}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_SERVER_TTL = 10.0
_SPACES = re.compile(r"\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff()])\s+|\s+(?=[\u3400-\u9fff()])")

for _ext in ("node_id", "name", "level", "slot_value", "readings"):
    if not Span.has_extension(_ext):
        Span.set_extension(_ext, default=None)
if not Doc.has_extension("iikg_skeleton"):
    Doc.set_extension("iikg_skeleton", default=None)


def normalise(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), one space between words,
    no control characters."""
    s = unicodedata.normalize("NFKC", str(text))
    if not s.isprintable():
        s = "".join(ch if ch.isprintable() else " " for ch in s)
    elif " " not in s:
        return s  # the only printable white space is U+0020: nothing to collapse or strip
    return _SPACES.sub(" ", s).strip()


def detect_language(text: str) -> str:
    """'zh' when the words around the names are Chinese, else 'en' (names alone do not count)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk * 3 >= latin else "en"


# ---------------------------------------------------------------------------------------------- data
class Entry(NamedTuple):
    """A thing that can be named: a node of the graph, or of the ontology not (yet) in the graph
    (a named tuple: the chat's names make ~100,000 of them in one go at 100k deals)."""

    id: str
    label: str
    name: str
    level: str | None = None
    in_graph: bool = True


@dataclass
class Mention:
    """A name found in the question, already linked to its node."""

    label: str
    id: str
    name: str
    text: str
    start: int
    end: int
    level: str | None = None
    in_graph: bool = True
    alts: tuple = ()  # other (label, id, name) readings of the same words


@dataclass
class Parse:
    """What a question says: its language, the names in it, the slot values, and (after
    :func:`kg.chat.intents.interpret`) the intent and the named query's parameters."""

    question: str
    text: str = ""
    language: str = "zh"
    mentions: list[Mention] = field(default_factory=list)
    slots: dict = field(default_factory=dict)
    skeleton: str = ""
    intent: str = "unknown"
    query: str | None = None
    params: dict = field(default_factory=dict)
    followup: bool = False
    notes: list[str] = field(default_factory=list)
    mode: dict = field(default_factory=dict)  # how to read the query's result (count, k, singular, …)

    def of(self, label: str) -> list[Mention]:
        return [m for m in self.mentions if m.label == label]

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        ments = ", ".join(f"{m.label}:{m.name}" for m in self.mentions) or "-"
        return (f"[{self.language}] {self.intent} {self.params} | mentions: {ments} | slots: {self.slots} "
                f"| skeleton: {self.skeleton!r}")


# ------------------------------------------------------------------------------------------ lexicon
_STEM_SUFFIX = re.compile(r"(创业投资|创投|资本|基金|投资|风投|集团|控股)$")


class Lexicon:
    """Entries (id → :class:`Entry`) and phrase patterns (text, id) taken from the graph and the ontology."""

    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.patterns: dict[str, list[str]] = {}  # normalised pattern text -> ids
        self.weak: set[str] = set()                # patterns derived by us (stems), not written anywhere
        self.key = None
        self.complete = False  # every pattern's ids are entries (so built by from_store: no need to check)
        self._shared_ids = False  # (from_store) an id names nodes of two labels

    @classmethod
    def from_entries(cls, entries, patterns) -> Lexicon:
        lex = cls()
        for e in entries:
            lex.entries[e.id] = e
        for text, id_ in patterns:
            lex.add(text, id_)
        return lex

    def add(self, text, id_: str, weak: bool = False) -> None:
        if text is None:
            return
        t = _pattern_key(text).lower()
        if not _pattern_ok(t, text):
            return
        ids = self.patterns.setdefault(t, [])
        if id_ not in ids:
            ids.append(id_)
            if weak:
                self.weak.add(t)
        elif not weak:
            self.weak.discard(t)

    def add_node(self, id_, label, props: dict, in_graph=True) -> None:
        name = props.get("name") or props.get("title") or id_
        old = self.entries.get(id_)
        if old is None or (in_graph and not old.in_graph):
            self.entries[id_] = Entry(id_, label, str(name), props.get("level"), in_graph)
        for s in (props.get("name"), props.get("name_en"), props.get("full"), *(props.get("aliases") or ())):
            if s is not None:
                self.add(s, id_)

    def add_stems(self, others: set | None = None) -> None:
        """Investor names without their generic suffix (远见创投 → 远见), when that is unambiguous.
        ``others``: when given, the only patterns that may not be their own ``norm_key`` (all the
        rest are plain text without a space, which is)."""
        if others is None:
            taken = {norm_key(t) for t in self.patterns}.__contains__
        else:
            keyed = {norm_key(t) for t in others}
            patterns = self.patterns

            def taken(k: str) -> bool:
                return k in keyed or (k in patterns and k not in others)
        stems: dict[str, list[str]] = {}
        for e in self.entries.values():
            if e.label != "Investor":
                continue
            stem = _STEM_SUFFIX.sub("", e.name)
            if stem != e.name and len(stem) >= 2 and _CJK.fullmatch(stem[0]) and not taken(norm_key(stem)):
                stems.setdefault(stem, []).append(e.id)
        for stem, ids in stems.items():
            if len(ids) == 1:
                self.add(stem, ids[0], weak=True)

    # ------------------------------------------------------------------ sources
    @classmethod
    def from_store(cls, store) -> Lexicon:
        from kg.queries.resolve import catalog, label_names
        from kg.store.workspace import no_gc

        lex = cls()
        onto = load_ontology()
        lex.add_ontology(onto)
        shared = [t for t, ids in lex.patterns.items() if len(ids) > 1]  # spellings of more than one node
        others = set(lex.patterns)  # patterns that may not be their own norm_key (see add_stems)
        active = _with_deals_array(store)
        # the catalogue's reading of the same tables (its spellings and their keys), read once per version
        names = catalog(store).names
        with no_gc():
            spelt = []
            for n, label in enumerate(LABELS):
                ln = names.get(label) or label_names(store, label)
                if ln.rows is None:
                    spelt.append(lex._add_label(ln, active, n))
                    if others is not None:
                        others.update(spelt[-1][3])
                    continue
                lex._add_patterns(spelt)
                spelt = []
                dealt = set(active.to_pylist())
                for id_, label_, props in _graph_names(store, ln.rows, label):
                    lex.add_node(id_, label_, props, in_graph=label not in ("Investor", "Company") or id_ in dealt)
                shared = others = None  # added one by one: look at every spelling
            more = lex._add_patterns(spelt)
            lex.add_stems(others)
            lex._prefer_regions(onto, None if shared is None else [*shared, *more])
        lex.complete = True
        return lex

    def add_ontology(self, onto) -> None:
        """The ontology's regions, segments and known investors (advisors aside), not (yet) in the graph."""
        for r in onto.regions:
            self.add_node(r.id, "Region", {"name": r.name, "name_en": r.name_en, "full": r.full,
                                           "aliases": r.aliases, "level": r.level}, in_graph=False)
        for s in onto.segments:
            self.add_node(s.id, "Segment", {"name": s.name, "name_en": s.name_en, "aliases": (*s.aliases, s.key)},
                          in_graph=False)
        for inv in onto.investors:
            if inv.kind == "advisor":
                continue
            self.add_node(node_id("investor", inv.name), "Investor",
                          {"name": inv.name, "name_en": inv.name_en, "aliases": inv.aliases}, in_graph=False)

    def _add_label(self, ln, active, n: int) -> tuple:
        """One label's nodes as :meth:`add_node` adds them, built over the arrays of ``ln`` (a
        :class:`kg.queries.resolve.LabelNames`); returns their (patterns, ids, order, odd) for
        :meth:`_add_patterns`, ``order`` being where ``add_node`` would add each (the ``n``-th
        label, the store's row order), and the patterns that differ from their spelling's key. An
        investor or company with no deal in the graph (a seed name only) is not "in the graph" for
        the chat: a question about it is answered with that, never with an empty list."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from kg.queries.resolve import TITLE_SLOT, pick

        label, ids = ln.label, ln.ids
        if not ids:
            return [], [], np.zeros(0, np.int64), []
        if label in ("Investor", "Company"):
            id_array = ln.id_array if ln.id_array is not None else pa.array(ids, pa.string())
            in_graph = pc.is_in(id_array, value_set=active).to_numpy(zero_copy_only=False).tolist()
        else:
            in_graph = repeat(True)
        entries = self.entries
        old = {i: entries[i] for i in ids if i in entries}  # (each id's hash, made here, serves the update too)
        if any(e.label != label for e in old.values()):
            self._shared_ids = True  # an id of two labels: _add_patterns tells ids apart by their text
        levels = repeat(None) if ln.levels is None else ln.levels
        entries.update(zip(ids, map(Entry._make, zip(ids, repeat(label), ln.names, levels, in_graph))))
        for id_, e in old.items():  # a node the ontology named: the graph's reading only when it is in the graph
            if not (entries[id_].in_graph and not e.in_graph):
                entries[id_] = e
        # spellings as add_node reads them: name, name_en, full and aliases (a title is no pattern)
        sel = np.flatnonzero(ln.slot != TITLE_SLOT)
        every = len(sel) == len(ln.keys)
        keys = ln.keys if every else pick(ln.keys, sel)
        simple = ln.simple if every else ln.simple[sel]
        pats = keys if simple.all() else list(keys)
        odd = np.flatnonzero(~simple).tolist()  # not plain text, or spaced: its own pattern key, unlike its key
        for j in odd:
            pats[j] = _pattern_key(ln.text[int(sel[j])]).lower()
        size = np.fromiter(map(len, pats), np.int64, len(pats))
        keep = size > 2
        if any(map(str.isdigit, pats)):
            for j in np.flatnonzero(keep).tolist():
                keep[j] = not pats[j].isdigit()
        for j in np.flatnonzero(size == 2).tolist():
            keep[j] = _pattern_ok(pats[j], ln.text[int(sel[j])])
        owner = ln.owner[sel]
        pats_all = pats
        if not keep.all():
            at = np.flatnonzero(keep)
            pats, owner = pick(pats, at), owner[at]
        ident = len(owner) == len(ids) and bool((owner == np.arange(len(ids))).all())
        return pats, ids if ident else pick(ids, owner), (n << 40) + ln.row[owner], [pats_all[j] for j in odd if keep[j]]

    def _add_patterns(self, spelt: list[tuple]) -> list[str]:
        """Each (pattern, id) of ``spelt`` (from :meth:`_add_label`) added as :meth:`add` adds them one
        by one in their order; returns the patterns that came to name more than one node."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from kg.queries.resolve import pick

        keys = [k for part in spelt for k in part[0]] if len(spelt) != 1 else spelt[0][0]
        ids = [i for part in spelt for i in part[1]] if len(spelt) != 1 else spelt[0][1]
        if not keys:
            return []
        order = np.argsort(np.concatenate([part[2] for part in spelt]), kind="stable")
        key_array = pa.array(keys, pa.string())
        kc = pc.dictionary_encode(key_array).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if self._shared_ids:
            ic = pc.dictionary_encode(pa.array(ids, pa.string())).indices.to_numpy(zero_copy_only=False)
        else:  # each node's own number: one id, one node
            ic = np.unique(np.concatenate([part[2] for part in spelt]), return_inverse=True)[1]
        _, first = np.unique((kc * (int(ic.max()) + 1) + ic)[order], return_index=True)
        pos = order[np.sort(first)]  # each (pattern, node) once, where add_node first adds it
        _, once, count = np.unique(kc[pos], return_index=True, return_counts=True)
        alone = np.zeros(len(pos), bool)
        alone[once[count == 1]] = True  # a pattern one node spells: a list of its own
        patterns = self.patterns
        if patterns:
            alone &= ~pc.is_in(key_array, value_set=pa.array(list(patterns), pa.string())).to_numpy(
                zero_copy_only=False)[pos]
        at = pos[alone]
        patterns.update(zip(pick(keys, at), map(list, zip(pick(ids, at)))))  # [id] each, made in C
        shared = []
        for j in pos[~alone].tolist():
            got = patterns.get(keys[j])
            if got is None:
                patterns[keys[j]] = [ids[j]]
            elif ids[j] not in got:
                got.append(ids[j])
                if len(got) == 2:
                    shared.append(keys[j])
        return shared

    def _prefer_regions(self, onto, texts=None) -> None:
        """A spelling shared by a province and a city (北京, 吉林) means what the ontology says first
        (``texts``: the patterns that may name more than one node; None: look at all)."""
        for text in self.patterns if texts is None else texts:
            ids = self.patterns[text]
            if len(ids) < 2:
                continue  # one reading: nothing to order
            regs = [i for i in ids if self.entries[i].label == "Region"]
            if len(regs) > 1:
                best = onto.region(text)
                if best is not None and best.id in regs:
                    ids.remove(best.id)
                    ids.insert(0, best.id)


def _with_deals(store) -> set:
    """Ids of the investors that joined a round and the companies that raised one."""
    return set(_with_deals_array(store).to_pylist())


def _with_deals_array(store):
    """:func:`_with_deals` as an arrow array (each id once)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for type_ in ("INVESTED_IN", "RAISED"):
        t = store.relationships(type_)
        if t is not None and t.num_rows:
            parts.append(pc.unique(t.column("_start")).cast(pa.string()))
    return pc.unique(pa.chunked_array(parts, pa.string())) if parts else pa.array([], pa.string())


def _graph_names(store, rows=None, label=None):
    """(id, label, props) of every Investor, Company, Region and Segment in the store (through its read
    interface: no graph is built for this); or of ``rows``, one label's :func:`entity_rows`."""
    from kg.queries.resolve import entity_rows

    for lab in (label,) if rows is not None else LABELS:  # fixed labels, never user input
        for r in rows if rows is not None else entity_rows(store, lab):
            if r.get("id"):
                yield r["id"], lab, {**r, "aliases": r.get("aliases") or []}


# ------------------------------------------------------------------------------- spaCy components
# contexts in which a word is not the name it spells (the segment 网络 in 合投网络, Network in co-investment network)
_BLOCK_BEFORE = re.compile(r"(合投|投资|共投|关系|联合投资|合作|co-?invest(ment|or)?s?|investment|investor|relationship|"
                           r"syndicat\w*|partner\w*)\s*$", re.IGNORECASE)
_BLOCK_AFTER = re.compile(r"^\s*(图|关系|graph|map)", re.IGNORECASE)
_CONTEXT_WORDS = {"网络", "network", "networks", "networking", "服务", "services", "平台", "platform", "platforms",
                  "安全", "security"}


class MentionFilter:
    """Keeps the best non-overlapping reading of the names in ``doc.spans["ruler"]`` (see the module docstring)."""

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        lex = self.lexicon
        cands = []
        for sp in doc.spans.get("ruler", []):
            s, e = sp.start_char, sp.end_char
            surf = text[s:e]
            if s > 0 and _ASCII_ALNUM.match(surf[0]) and _ASCII_ALNUM.match(text[s - 1]):
                continue  # starts inside a Latin word
            if e < len(text) and _ASCII_ALNUM.match(surf[-1]) and _ASCII_ALNUM.match(text[e]):
                continue  # ends inside a Latin word
            key = _pattern_key(surf).lower()
            if key not in lex.patterns:
                continue  # the characters matched across a space that the name does not have ("of c" ≠ OFC)
            if key in _CONTEXT_WORDS and (_BLOCK_BEFORE.search(text[:s]) or _BLOCK_AFTER.search(text[e:])):
                continue
            entry = lex.entries.get(sp.id_)
            if entry is None:
                continue
            weak = key in lex.weak
            cands.append((s, e, weak, entry, surf))
        # longest first; a written name before a derived stem; graph nodes first; then label priority
        cands.sort(key=lambda c: (c[2], -(c[1] - c[0]), not c[3].in_graph, _PRIORITY.get(c[3].label, 9),
                                  _order(lex, _pattern_key(c[4]).lower(), c[3].id), c[0]))
        taken: list[tuple[int, int]] = []
        kept: dict[tuple[int, int], list] = {}
        for s, e, weak, entry, surf in cands:
            if (s, e) in kept:
                kept[(s, e)].append(entry)
                continue
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            kept[(s, e)] = [entry]
        spans = []
        for (s, e), entries in sorted(kept.items()):
            sp = doc.char_span(s, e, label=entries[0].label, alignment_mode="expand")
            if sp is None:
                continue
            sp._.node_id = entries[0].id
            sp._.name = entries[0].name
            sp._.level = entries[0].level
            sp._.readings = [(x.label, x.id, x.name, x.level, x.in_graph) for x in entries]
            spans.append(sp)
        doc.spans["iikg_mentions"] = spans
        return doc


def _pattern_ok(t: str, text) -> bool:
    """Whether ``t``, the pattern key of ``text``, is a pattern at all."""
    if len(t) < 2 or t.isdigit():
        return False  # single characters (京, 沪) never fire alone
    if len(t) == 2 and not _CJK.search(t) and not str(text).strip().isupper():
        return False  # two lower-case Latin letters are words, not names
    return True


def _pattern_key(surface: str) -> str:
    s = normalise(surface)
    return _CJK_SPACE.sub("", s) if " " in s else s


def _order(lex: Lexicon, key: str, id_: str) -> int:
    ids = lex.patterns.get(key) or []
    return ids.index(id_) if id_ in ids else 99


@Language.factory("iikg_mentions")
def _make_mentions(nlp, name):
    return MentionFilter()


@Language.factory("iikg_slots")
def _make_slots(nlp, name):
    return SlotRules()


class SlotRules:
    """Writes ``doc.spans["iikg_slots"]`` (label = slot kind, ``span._.slot_value``) and the skeleton."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        masked = list(text)
        spans_m = doc.spans.get("iikg_mentions", [])
        for sp in spans_m:
            for i in range(sp.start_char, sp.end_char):
                masked[i] = "\0"
        found = extract_slots("".join(masked))
        out = []
        marks: list[tuple[int, int, str]] = [(sp.start_char, sp.end_char, MARK.get(sp.label_, "Ⓧ")) for sp in spans_m]
        for kind, value, s, e in found:
            sp = doc.char_span(s, e, label=kind, alignment_mode="expand")
            if sp is not None:
                sp._.slot_value = value
                out.append(sp)
            mark = MARK.get(_SLOT_MARK.get(kind, ""), None)
            if mark and s < e:
                marks.append((s, e, mark))
        doc.spans["iikg_slots"] = out
        doc._.iikg_skeleton = _skeleton(text, marks)
        return doc


_SLOT_MARK = {"time": "time", "round": "round", "min_amount": "amount", "board": "board"}


def _skeleton(text: str, marks) -> str:
    chars = list(text)
    repl: dict[int, str] = {}
    for s, e, m in sorted(marks):
        if any(chars[i] is None for i in range(s, e)):
            continue
        repl[s] = m
        for i in range(s, e):
            chars[i] = None
    out = []
    for i, ch in enumerate(chars):
        if i in repl:
            if not out or out[-1] != repl[i]:
                out.append(repl[i])
        elif ch is not None:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------------ slots
_CN_NUM = "零〇一二两三四五六七八九十"
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a couple of": 2, "a pair of": 2}
_EN_NUM_RE = "|".join(sorted(_EN_NUM, key=len, reverse=True))
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"], start=1)}
_MONTH_RE = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
             r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_Y = r"((?:19|20)\d{2})"
_NOT_AMOUNT = r"(?!\s*(?:\d|万|亿|千|百|元|美元|块|%|多万|余万|million|billion|mn|bn|m\b|b\b|k\b|yuan|rmb|usd|dollars))"
_CNM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"


def _num(tok: str) -> int | None:
    tok = tok.strip().lower()
    if tok.isdigit():
        return int(tok)
    if tok in _EN_NUM:
        return _EN_NUM[tok]
    v = chinese_number(tok)
    return int(v) if v is not None else None


def _month(tok: str) -> int | None:
    tok = tok.strip().lower().rstrip(".")
    if tok[:3] in _MONTHS and not tok.isdigit():
        return _MONTHS[tok[:3]]
    v = _num(tok)
    return v if v and 1 <= v <= 12 else None


def _ym(y, m) -> str:
    return f"{int(y):04d}-{int(m):02d}"


_QUARTERS = {1: ("01", "03"), 2: ("04", "06"), 3: ("07", "09"), 4: ("10", "12")}

# (regex, handler) in order; each handler returns a dict of time slots. Earlier rules win overlaps.
_TIME_RULES: list[tuple[re.Pattern, callable]] = []


def _time_rule(pattern):
    def deco(fn):
        _TIME_RULES.append((re.compile(pattern, re.IGNORECASE), fn))
        return fn
    return deco


_NOT_LATIN = r"(?![0-9A-Za-z])"  # the end of a code such as Q4 or H2, also right before a Chinese character


def _front_rule(pattern):
    """A time rule read before the others (a range or a since-bound wins over the single period inside it)."""
    def deco(fn):
        _TIME_RULES.insert(len(_FRONT), (re.compile(pattern, re.IGNORECASE), fn))
        _FRONT.append(fn)
        return fn
    return deco


_FRONT: list = []
_Q = r"(?:q|第\s*)([一二三四1-4])(?:\s*季度)?"


@_front_rule(r"(?:between|from)\s+q([1-4])\s+(?:and|to|through|till|until|-)\s+q([1-4])\s*,?\s*(?:of\s+|in\s+)?" + _Y +
             r"|\bq([1-4])\s*(?:-|–|~|to|through)\s*q([1-4])\s*,?\s*(?:of\s+|in\s+)?" + _Y +
             r"|" + _Y + r"\s*年?\s*(?:的)?\s*(?:从)?\s*" + _Q + r"\s*(?:-|–|~|到|至|to|through)\s*" + _Q + _NOT_LATIN)
def _t_quarter_range(m):
    g = m.groups()
    if g[0]:
        q1, q2, y = g[0], g[1], g[2]
    elif g[3]:
        q1, q2, y = g[3], g[4], g[5]
    else:
        y, q1, q2 = g[6], g[7], g[8]
    a, b = sorted((_num(q1), _num(q2)))
    return {"date_from": f"{y}-{_QUARTERS[a][0]}", "date_to": f"{y}-{_QUARTERS[b][1]}"}


@_front_rule(r"(?:between|from)\s+" + _MONTH_RE + r"\s+(?:and|to|through|till|until|-)\s+" + _MONTH_RE +
             r"\s*,?\s*(?:of\s+|in\s+)?" + _Y + r"|\b" + _MONTH_RE + r"\s*(?:-|–|~|to|through)\s*" + _MONTH_RE +
             r"\s*,?\s*(?:of\s+|in\s+)?" + _Y)
def _t_month_range_same_year(m):
    g = m.groups()
    m1, m2, y = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
    a, b = _month(m1), _month(m2)
    if a and b:
        return {"date_from": _ym(y, min(a, b)), "date_to": _ym(y, max(a, b))}


@_front_rule(r"(?:自|从)?\s*" + _Y + r"\s*年\s*" + _CNM + r"\s*月(?:份)?\s*(以来|之后|以后|起|开始|至今|到现在|迄今)"
             r"|\b(since|from|after|starting(?:\s+in)?|as\s+of)\s+" + _MONTH_RE + r"\s*,?\s*(?:of\s+)?" + _Y)
def _t_since_month(m):
    g = m.groups()
    if g[0]:
        y, mo, after = int(g[0]), _month(g[1]), g[2] in ("之后", "以后")
    else:
        y, mo, after = int(g[5]), _month(g[4]), g[3].lower() == "after"
    if not mo:
        return None
    if after:
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return {"date_from": _ym(y, mo)}


@_front_rule(r"(?:自|从)?\s*" + _Y + r"\s*年?\s*(?:年中|中期|年中期)\s*(以来|之后|以后|起|开始|至今|以前|之前|前)"
             r"|\b(since|from|after|before|until|prior\s+to)\s+(?:the\s+)?(?:mid|middle\s+of)[-\s]*" + _Y)
def _t_mid_year(m):
    g = m.groups()
    y, word = (g[0], g[1]) if g[0] else (g[3], g[2].lower())
    if word in ("以前", "之前", "前", "before", "until") or word.startswith("prior"):
        return {"date_to": f"{y}-06"}
    return {"date_from": f"{y}-07"}


_ZH_N = r"([一二三四五六七八九十]{1,2}|\d{1,2})"


@_front_rule(_Y + r"\s*年?\s*(?:的)?\s*(?:第)?([一二三四1-4])\s*季度\s*(?:-|–|~|到|至)\s*(?:第)?([一二三四1-4])\s*季度"
             r"|" + _Y + r"\s*年?\s*(?:的)?\s*前\s*([一二三四1-4])\s*(?:个)?\s*季度")
def _t_quarters_zh(m):
    g = m.groups()
    if g[0]:
        a, b = sorted((_num(g[1]), _num(g[2])))
        y = g[0]
    else:
        y, a, b = g[3], 1, _num(g[4])
    if a and b and 1 <= a <= 4 and 1 <= b <= 4:
        return {"date_from": f"{y}-{_QUARTERS[a][0]}", "date_to": f"{y}-{_QUARTERS[b][1]}"}


@_front_rule(_Y + r"\s*年?\s*(?:的)?\s*前\s*" + _ZH_N + r"\s*个\s*月|" + r"\b(?:the\s+)?first\s+(\d{1,2}|two|three|four|five|six|"
             r"seven|eight|nine|ten|eleven)\s+months\s+(?:of\s+)?" + _Y)
def _t_first_months(m):
    g = m.groups()
    y, n = (g[0], _num(g[1])) if g[0] else (g[3], _num(g[2]) if g[2].isdigit() else _EN_NUM.get(g[2].lower()))
    if n and 1 <= n <= 12:
        return {"date_from": f"{y}-01", "date_to": _ym(y, n)}


@_front_rule(_Y + r"\s*年?\s*(?:底|末|年底|年末)\s*(?:以前|之前|前|为止)?|\b(?:by|until|before)\s+the\s+end\s+of\s+" + _Y)
def _t_year_end(m):
    return {"date_to": m.group(1) or m.group(2)}


@_front_rule(_Y + r"\s*年?\s*(以后|之后|以来|后|起)\s*[（(]\s*(不含|不包括|含|包括|包含)\s*(?:" + _Y + r"\s*年?)?\s*(?:在内)?\s*[)）]")
def _t_since_marked(m):
    y, excl = int(m.group(1)), m.group(3) in ("不含", "不包括")
    return {"date_from": str(y + 1 if excl else y)}


@_front_rule(_Y + r"\s*年\s*" + _CNM + r"\s*月\s*(?:份)?\s*(?:和|与|及|、|,|，)\s*" + _CNM + r"\s*月(?:份)?")
def _t_two_months(m):
    a, b = _month(m.group(2)), _month(m.group(3))
    if a and b and abs(a - b) == 1:  # 11月和12月: the two months together (months apart are not one range)
        return {"date_from": _ym(m.group(1), min(a, b)), "date_to": _ym(m.group(1), max(a, b))}


@_front_rule(_Y + r"\s*年?\s*(?:的)?\s*q([1-4])" + _NOT_LATIN + r"|" + _Y + r"\s*年?\s*(?:的)?\s*h([12])" + _NOT_LATIN)
def _t_code_after_year(m):
    g = m.groups()
    if g[0]:
        a, b = _QUARTERS[int(g[1])]
        return {"date_from": f"{g[0]}-{a}", "date_to": f"{g[0]}-{b}"}
    a, b = ("01", "06") if g[3] == "1" else ("07", "12")
    return {"date_from": f"{g[2]}-{a}", "date_to": f"{g[2]}-{b}"}


@_time_rule(_Y + r"\s*年\s*" + _CNM + r"\s*月?\s*(?:份)?\s*(?:-|~|到|至|—|–)\s*(?:" + _Y + r"\s*年\s*)?" + _CNM + r"\s*月")
def _t_month_range_zh(m):
    y1, m1, y2, m2 = m.group(1), _month(m.group(2)), m.group(3) or m.group(1), _month(m.group(4))
    if m1 and m2:
        return {"date_from": _ym(y1, m1), "date_to": _ym(y2, m2)}


@_time_rule(_Y + r"\s*年\s*" + _CNM + r"\s*月(?:份)?")
def _t_month_zh(m):
    mo = _month(m.group(2))
    if mo:
        return {"date_from": _ym(m.group(1), mo), "date_to": _ym(m.group(1), mo)}


@_time_rule(r"\b" + _Y + r"[-/.](\d{1,2})(?![\d])(?!\s*[-/.]\s*\d)")
def _t_month_iso(m):
    mo = _month(m.group(2))
    if mo:
        return {"date_from": _ym(m.group(1), mo), "date_to": _ym(m.group(1), mo)}


@_time_rule(r"(?:between|from)\s+" + _MONTH_RE + r"\s*,?\s*" + _Y + r"\s+(?:and|to|through|till|until|-)\s+" +
            _MONTH_RE + r"\s*,?\s*" + _Y)
def _t_month_range_en(m):
    m1, m2 = _month(m.group(1)), _month(m.group(3))
    return {"date_from": _ym(m.group(2), m1), "date_to": _ym(m.group(4), m2)}


@_time_rule(r"\b" + _MONTH_RE + r"\s*(?:of\s+)?,?\s*" + _Y + r"\b")
def _t_month_en(m):
    mo = _month(m.group(1))
    return {"date_from": _ym(m.group(2), mo), "date_to": _ym(m.group(2), mo)}


@_time_rule(_Y + r"\s*年?\s*(?:第\s*)?([一二三四1-4])\s*季度")
def _t_quarter_zh(m):
    q = _num(m.group(2))
    a, b = _QUARTERS[q]
    return {"date_from": f"{m.group(1)}-{a}", "date_to": f"{m.group(1)}-{b}"}


@_time_rule(r"\bq([1-4])\s*(?:of\s+)?,?\s*" + _Y + r"|\b" + _Y + r"\s*q([1-4])\b|(?:the\s+)?(first|second|third|fourth)"
            r"\s+quarter\s+(?:of\s+)?" + _Y)
def _t_quarter_en(m):
    if m.group(1):
        q, y = int(m.group(1)), m.group(2)
    elif m.group(3):
        q, y = int(m.group(4)), m.group(3)
    else:
        q, y = {"first": 1, "second": 2, "third": 3, "fourth": 4}[m.group(5).lower()], m.group(6)
    a, b = _QUARTERS[q]
    return {"date_from": f"{y}-{a}", "date_to": f"{y}-{b}"}


@_time_rule(_Y + r"\s*年?\s*(上|下)半年")
def _t_half_zh(m):
    a, b = ("01", "06") if m.group(2) == "上" else ("07", "12")
    return {"date_from": f"{m.group(1)}-{a}", "date_to": f"{m.group(1)}-{b}"}


@_time_rule(r"(?:the\s+)?(first|second|1st|2nd)\s+half\s+(?:of\s+)?" + _Y + r"|\bh([12])\s*" + _Y)
def _t_half_en(m):
    if m.group(1):
        first, y = m.group(1).lower() in ("first", "1st"), m.group(2)
    else:
        first, y = m.group(3) == "1", m.group(4)
    a, b = ("01", "06") if first else ("07", "12")
    return {"date_from": f"{y}-{a}", "date_to": f"{y}-{b}"}


@_time_rule(r"(?:从|自|在|于)?\s*" + _Y + r"\s*年?\s*(?:-|~|到|至|—|–|和|与)\s*" + _Y + r"\s*年" +
            r"|(?:从|自)\s*" + _Y + r"\s*年?\s*(?:-|~|到|至|—|–)\s*" + _Y + _NOT_AMOUNT +
            r"|" + _Y + r"\s*(?:-|~|—|–)\s*" + _Y + _NOT_AMOUNT)
def _t_year_range_zh(m):
    g = [x for x in m.groups() if x]
    y1, y2 = sorted((int(g[0]), int(g[1])))
    return {"date_from": str(y1), "date_to": str(y2)}


@_time_rule(r"(?:between|from)\s+" + _Y + r"\s+(?:and|to|through|till|until|-)\s+" + _Y +
            r"|\b" + _Y + r"\s+(?:to|through|till|until)\s+" + _Y + r"\b")
def _t_year_range_en(m):
    g = [x for x in m.groups() if x]
    y1, y2 = sorted((int(g[0]), int(g[1])))
    return {"date_from": str(y1), "date_to": str(y2)}


@_time_rule(r"(?:自|从)?\s*" + _Y + r"\s*年?\s*(以来|之后|以后|后|起|开始|至今|到现在|迄今)")
def _t_since_zh(m):
    y = int(m.group(1))
    if m.group(2) in ("之后", "后"):  # 2018年之后: after 2018
        return {"date_from": str(y + 1)}
    return {"date_from": str(y)}


@_time_rule(r"(?:截至|截止|到|至)\s*" + _Y + r"\s*年?\s*(?:底|末|年底|年末|为止)?|" + _Y + r"\s*年?\s*(以前|之前|前(?!\s*[一二两三四五六七八九十\d]+\s*(?:名|位|家|个|大|强|座|项|轮)?(?![共年月])))")
def _t_until_zh(m):
    if m.group(1):
        return {"date_to": m.group(1)}
    return {"date_to": str(int(m.group(2)) - 1)}


@_time_rule(r"\b(since|from|starting(?:\s+in)?|as\s+of|after|post|before|prior\s+to|until|till|through|up\s+to|by|"
            r"no\s+later\s+than)\s+(?:the\s+(?:start|end|beginning)\s+of\s+)?" + _Y + r"\b|\b" + _Y +
            r"\s+(onwards?|and\s+(?:later|after)|or\s+later|and\s+(?:earlier|before)|or\s+earlier)")
def _t_since_en(m):
    if m.group(1):
        word, y = m.group(1).lower(), int(m.group(2))
    else:
        word, y = m.group(4).lower(), int(m.group(3))
    word = re.sub(r"\s+", " ", word)
    if word in ("since", "from", "as of", "onward", "onwards", "and later", "or later", "and after") \
            or word.startswith("starting"):
        return {"date_from": str(y)}
    if word in ("after", "post"):
        return {"date_from": str(y + 1)}
    if word in ("before",) or word.startswith("prior"):
        return {"date_to": str(y - 1)}
    return {"date_to": str(y)}


@_time_rule(r"(?<![\d.年])(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?:份)?(?!\s*\d)")
def _t_month_only(m):
    mo = _month(m.group(1))
    if mo:
        return {"month": mo}


@_time_rule(r"\b(?:in\s+)?(january|february|march|april|june|july|august|september|october|november|december|"
            r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?(?!\s*,?\s*(?:of\s+)?(?:19|20)\d{2})\b")
def _t_month_only_en(m):
    mo = _month(m.group(1))
    if mo:
        return {"month": mo}


@_time_rule(r"(?<![\d.])" + _Y + r"\s*年(?:度)?|(?<![\d.])" + _Y + r"(?![\d.%])" + _NOT_AMOUNT)
def _t_year(m):
    y = int(m.group(1) or m.group(2))
    return {"year": y}


_ROUND_RULES = [
    # "A轮之前", "B轮及以后", "Series B or later" are a round and a bound: kg.chat.frame reads the bound
    (re.compile(r"早期|天使轮?\s*(?:到|至|-)\s*a\+?\s*轮|early[- ]stage|early rounds?", re.IGNORECASE), ["early"]),
    (re.compile(r"中后期|后期|later[- ]stage|growth[- ]stage", re.IGNORECASE), ["later"]),
    (re.compile(r"pre[- ]?ipo", re.IGNORECASE), ["pre_ipo"]),
    (re.compile(r"pre[- ]?(?:series\s*)?([abc])\s*(\+)?(?:\s*轮)?", re.IGNORECASE), None),
    (re.compile(r"(?i:series|round)\s*([a-hA-H])(?![A-Za-z])\s*(\+)?|(?<![A-Za-z])([a-hA-H])\s*(\+)?\s*(?:轮|系列)|"
                r"(?<![A-Za-z])([A-H])(\+)?(?:\s*-\s*|\s+)(?i:rounds?)\b", 0), None),
    (re.compile(r"天使(?:轮|投资)?|angel(?:\s+rounds?|\s+investments?)?", re.IGNORECASE), ["angel"]),
    (re.compile(r"种子轮|种子|seed(?:\s+rounds?|\s+funding)?\b", re.IGNORECASE), ["seed"]),
    (re.compile(r"战略(?:投资|融资|入股)|战投|strategic(?:\s+(?:investments?|rounds?|financing))?", re.IGNORECASE), ["strategic"]),
    (re.compile(r"定向增发|定增|非公开发行|private placements?", re.IGNORECASE), ["private_placement"]),
    (re.compile(r"并购|收购|m&a|acquisitions?", re.IGNORECASE), ["ma"]),
]
_LETTER_TYPE = {"a": "a", "b": "b", "c": "c", "d": "d", "e": "e_plus", "f": "e_plus", "g": "e_plus", "h": "e_plus"}
_BOARDS = [(re.compile(r"科创板|star\s*(?:market|board)|sci-?tech\s+innovation\s+board|\bstar\b", re.IGNORECASE), "star"),
           (re.compile(r"创业板|chinext|growth enterprise market", re.IGNORECASE), "chinext"),
           (re.compile(r"中小板|中小企业板|sme\s+board", re.IGNORECASE), "sme"),
           (re.compile(r"主板|main\s+board", re.IGNORECASE), "main")]
_K_RULES = [
    re.compile(r"(?<![之以])前\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:名|位|家|个|大|强)?(?![共年月])"),
    re.compile(r"(?:最多|最活跃|最大|最高|最频繁|最多次)\s*的\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:家|个|位|笔|起|只)"),
    re.compile(r"(?<![\d.])(\d{1,2}|[二两三四五六七八九十]{1,3})\s*(?:家|个|位)\s*(?:最|出手|投资|融资|合投|共同|一起|领投|金额)"),
    re.compile(r"哪\s*(\d{1,2}|[二两三四五六七八九十]{1,3})\s*(?:家|个|位|笔|起)"),
    re.compile(r"\b(?:top|bottom|last)[- ]?(\d{1,3}|" + _EN_NUM_RE + r")\b", re.IGNORECASE),
    re.compile(r"(?:倒数|最后|末尾)\s*(?:前)?\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:名|位|家|个)?"),
    re.compile(r"(?:最少|最低|最小|最不活跃)\s*的\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:家|个|位|笔|起|只)"),
    re.compile(r"\b(?:which|what|name|list|the)\s+(\d{1,2}|" + _EN_NUM_RE + r")\s+(?!of\b)[a-z]", re.IGNORECASE),
    re.compile(r"\b(?:the\s+)?(\d{1,2}|" + _EN_NUM_RE + r")\s+(?:most|largest|biggest|top|leading|highest|busiest|"
               r"frequent)", re.IGNORECASE),
]
_LEAD = re.compile(r"领投|牵头|主投|\bled\b|\bleads?\b(?!ing)|\bas\s+(?:the\s+)?lead\b|\btook\s+the\s+lead\b", re.IGNORECASE)
_AMOUNT_NUM = (r"((?:us\$|\$|rmb|cny|¥|人民币)?\s*\d[\d,]*(?:\.\d+)?\s*(?:千万|百万|十万|亿|万|千)?\s*"
               r"(?:亿元|万元|美元|元|人民币|(?:billion|million|bn|mn|m|b|k|yuan|rmb|cny|usd|dollars)\b)?"
               r"(?:\s*(?:yuan|rmb|cny|usd|dollars)\b)?|[一二两三四五六七八九十百千]+\s*(?:千万|百万|十万|亿|万)\s*(?:元|美元)?)")
_AMOUNT_MIN = [
    re.compile(r"(?:超过|超|高于|大于|多于|不少于|不低于|至少|逾|过|达到)\s*" + _AMOUNT_NUM + r"(?:\s*(?:以上|及以上|或以上))?",
               re.IGNORECASE),
    re.compile(_AMOUNT_NUM + r"\s*(?:以上|及以上|或以上|及其以上)", re.IGNORECASE),
    re.compile(r"(?:over|more\s+than|above|at\s+least|exceeding|greater\s+than|larger\s+than|bigger\s+than|>=?|"
               r"upwards\s+of|no\s+less\s+than|minimum(?:\s+of)?)\s+" + _AMOUNT_NUM, re.IGNORECASE),
    re.compile(_AMOUNT_NUM + r"\s+(?:or\s+more|and\s+(?:above|up|more)|plus)\b", re.IGNORECASE),
]
_AMOUNT_UNIT = re.compile(r"[万亿元$¥]|人民币|\d\s*(?:billion|million|bn|mn|m|b|k)\b|\b(?:yuan|rmb|cny|usd|dollars)\b", re.IGNORECASE)
_BILLION_WORDS = re.compile(r"过亿|亿元以上|亿元级|超亿元?|上亿|nine[- ]figure", re.IGNORECASE)
_LEVEL = [(re.compile(r"国家级|国家层面|国家(?:的|出台的|发布的)?政策|中央|国务院|全国性|部委|工信部|national|state council|"
                      r"central government|\bMIIT\b", re.IGNORECASE),
           "national"),
          (re.compile(r"省级|省一级|地方(?:性)?政策|provincial|local", re.IGNORECASE), "provincial")]
_REGION_LEVEL = [
    (re.compile(r"大区|大区域|大地区|城市群|经济圈|经济区|\bmacro[- ]?regions?|\beconomic (?:zones?|regions?)|"
                r"\bmajor\s+regions?", re.IGNORECASE), "macro"),
    (re.compile(r"城市|哪个市|哪些市|各市|\bcit(?:y|ies)\b", re.IGNORECASE), "city"),
    (re.compile(r"省份|省区|哪个省|哪些省|各省|(?:个|几|多少)省|省(?:市)?(?:发布|出台|颁布|印发)|\bprovinc(?:e|es)\b", re.IGNORECASE),
     "province"),
]
_CLEAR = [
    (re.compile(r"不限年份|所有年份|全部年份|不分年份|全部时间|所有时间|不限时间|\ball\s+years|\bany\s+year\b|\ball\s+time\b|"
                r"regardless\s+of\s+(?:the\s+)?year|without\s+(?:the\s+)?year", re.IGNORECASE), "time"),
    (re.compile(r"不限轮次|所有轮次|全部轮次|不分轮次|\ball\s+rounds|\bany\s+round\b", re.IGNORECASE), "round"),
    (re.compile(r"不限地区|所有地区|全部地区|全国范围|不分地区|all\s+regions|anywhere|nationwide|all\s+of\s+china", re.IGNORECASE), "region"),
    (re.compile(r"不限领域|所有领域|全部领域|不分领域|all\s+segments|any\s+segment|all\s+sectors", re.IGNORECASE), "segment"),
    (re.compile(r"不限领投|不只领投|包括跟投|not\s+only\s+lead|including\s+follow", re.IGNORECASE), "lead_only"),
]


def _amount_value(txt: str) -> float | None:
    """An amount as a question writes it, in CNY yuan (the one amount parser: loaders.parse.parse_amount)."""
    try:
        a = parse_amount(txt.strip())
    except FieldError:
        return None
    if a is None:
        return None
    if a.currency == "CNY":
        return float(a.value)
    return load_ontology().to_cny(a.value, a.currency)


_QUESTION_WORDS = {"which", "what", "who", "how", "show", "list", "did", "does", "do", "is", "are", "the", "a", "an", "in",
                   "of", "and", "with", "for", "any", "all", "only", "name", "give", "find", "tell", "me", "were", "was"}


def _inside_latin_name(text: str, s: int, e: int) -> bool:
    """A capitalised word between capitalised words (Innovation Angel Fund) belongs to a name."""
    word = text[s:e]
    if not word[:1].isupper() or " " in word.strip():
        return False
    before = re.search(r"([A-Za-z][\w&.-]*)\s+$", text[:s])
    after = re.match(r"\s+([A-Za-z][\w&.-]*)", text[e:])
    cap = lambda w: w is not None and w.group(1)[:1].isupper() and w.group(1).lower() not in _QUESTION_WORDS
    return cap(before) or cap(after)


def _overlaps(s, e, used) -> bool:
    return any(s < ue and us < e for us, ue in used)


def extract_slots(text: str) -> list[tuple[str, object, int, int]]:
    """Every slot in ``text`` as (kind, value, start, end); names are masked out beforehand with NULs.

    >>> [(k, v) for k, v, *_ in extract_slots("2018到2019年超过1亿元的B轮")]
    [('time', {'date_from': '2018', 'date_to': '2019'}), ('min_amount', 100000000.0), ('round', ['b'])]
    """
    found: list[tuple[str, object, int, int]] = []
    used: list[tuple[int, int]] = []
    # amounts first, so their digits are never taken for years
    for rx in _AMOUNT_MIN:
        for m in rx.finditer(text):
            if _overlaps(m.start(), m.end(), used):
                continue
            if not _AMOUNT_UNIT.search(m.group(1)):
                continue  # 超过3家, over 5 deals: a count, not money
            v = _amount_value(m.group(1))
            if v is not None and v > 0:
                found.append(("min_amount", v, m.start(), m.end()))
                used.append((m.start(), m.end()))
    for m in _BILLION_WORDS.finditer(text):
        if not _overlaps(m.start(), m.end(), used):
            found.append(("min_amount", 1e8, m.start(), m.end()))
            used.append((m.start(), m.end()))
    for rx, fn in _TIME_RULES:
        for m in rx.finditer(text):
            if _overlaps(m.start(), m.end(), used):
                continue
            v = fn(m)
            if v:
                found.append(("time", v, m.start(), m.end()))
                used.append((m.start(), m.end()))
    for rx, types in _ROUND_RULES:
        for m in rx.finditer(text):
            if _overlaps(m.start(), m.end(), used):
                continue
            if types is not None and _inside_latin_name(text, m.start(), m.end()):
                continue  # Angel of "Innovation Angel Fund", Seed of "Seed Capital": part of a name
            if types is None:
                letter = next((g for g in m.groups()[::2] if g), None) if m.re.groups > 2 else m.group(1)
                plus = any(g == "+" for g in m.groups() if g)
                if letter is None:
                    continue
                letter = letter.lower()
                if m.re.pattern.startswith("pre"):
                    t = {"a": "pre_a", "b": "pre_b", "c": "c"}[letter]
                else:
                    t = _LETTER_TYPE[letter] + ("_plus" if plus and letter in "abc" else "")
                val = [t]
            else:
                val = list(types)
            found.append(("round", val, m.start(), m.end()))
            used.append((m.start(), m.end()))
    for rx, board in _BOARDS:
        for m in rx.finditer(text):
            if not _overlaps(m.start(), m.end(), used):
                found.append(("board", board, m.start(), m.end()))
                used.append((m.start(), m.end()))
    for rx in _K_RULES:
        for m in rx.finditer(text):
            k = _num(m.group(1))
            if k and 0 < k <= 1000 and not _overlaps(m.start(1), m.end(1), used):
                found.append(("k", k, m.start(1), m.end(1)))
                used.append((m.start(1), m.end(1)))
                break
    for m in _LEAD.finditer(text):
        found.append(("lead_only", True, m.start(), m.end()))
        break
    for rx, level in _LEVEL:
        m = rx.search(text)
        if m:
            found.append(("policy_level", level, m.start(), m.end()))
            break
    for rx, level in _REGION_LEVEL:
        m = rx.search(text)
        if m:
            found.append(("region_level", level, m.start(), m.end()))
            break
    for rx, what in _CLEAR:
        for m in rx.finditer(text):
            found.append(("clear", what, m.start(), m.end()))
    found.sort(key=lambda f: f[2])
    return found


def collect_slots(found) -> dict:
    """Slot list → the dict of a :class:`Parse`: one time filter (two years make a range), the
    rounds named, and the first value of every other kind."""
    slots: dict = {}
    years: list[int] = []
    unused: list[tuple[int, int]] = []  # times the one time filter cannot hold (2019年3月和6月): said, never dropped
    month_at = None
    for kind, value, *at in found:
        if kind == "time":
            if "month" in value:
                if "month" in slots and slots["month"] != value["month"] and at:
                    unused.append(tuple(at[:2]))
                slots.setdefault("month", value["month"])
                month_at = tuple(at[:2]) if at else None
            elif "year" in value:
                if value["year"] not in years:
                    years.append(value["year"])
            else:
                if any(k in slots and slots[k] != v for k, v in value.items()) and at:
                    unused.append(tuple(at[:2]))
                    continue
                for k, v in value.items():
                    slots.setdefault(k, v)
        elif kind == "round":
            cur = slots.setdefault("round", [])
            cur.extend(x for x in value if x not in cur)
        elif kind == "clear":
            slots.setdefault("clear", [])
            if value not in slots["clear"]:
                slots["clear"].append(value)
        else:
            slots.setdefault(kind, value)
    if years and "date_from" not in slots and "date_to" not in slots:
        if len(years) == 1 and "month" in slots:  # 2019年 … 7月
            slots["date_from"] = slots["date_to"] = f"{years[0]:04d}-{slots.pop('month'):02d}"
        elif len(years) == 1:
            slots["year"] = years[0]
        else:
            slots["date_from"], slots["date_to"] = str(min(years)), str(max(years))
    elif "month" in slots and ("date_from" in slots or "date_to" in slots):
        month = slots.pop("month")
        inside = str(slots.get("date_from", ""))[5:7] == f"{month:02d}" == str(slots.get("date_to", ""))[5:7]
        if month_at and not inside:
            unused.append(month_at)
    if unused:
        slots["unused_time"] = unused
    return slots


# ------------------------------------------------------------------------------------------- NLU
class NLU:
    """The two pipelines over one :class:`Lexicon` (each built on first use); :meth:`parse` gives a
    :class:`Parse` (no intent yet)."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        entries = lexicon.entries
        missing = () if lexicon.complete else {i for ids in lexicon.patterns.values() for i in ids if i not in entries}
        if missing:
            raise KeyError(sorted(missing)[0])  # a pattern for a node that is not an entry
        self.names = NameIndex(lexicon.patterns)  # shared by both pipelines: built once, in milliseconds
        self.pipelines = _Pipelines(self._build)  # each built when a text in its language first comes

    def _build(self, lang: str) -> Language:
        nlp = spacy.blank(lang)
        names = nlp.add_pipe("iikg_names")  # the graph's names, as a LOWER phrase matcher would find them
        names.index, names.entries = self.names, self.lexicon.entries
        nlp.add_pipe("iikg_mentions").lexicon = self.lexicon
        nlp.add_pipe("iikg_slots")
        return nlp

    def doc(self, text: str) -> Doc:
        lang = "zh" if _CJK.search(text) else "en"
        return self.pipelines[lang](text)

    def parse(self, question: str) -> Parse:
        text = normalise(question or "")
        p = Parse(question=question if isinstance(question, str) else str(question), text=text)
        if not text or len(text) > MAX_CHARS:
            p.language = detect_language(text[:MAX_CHARS])
            p.notes.append("empty" if not text else "too long")
            return p
        doc = self.doc(text)
        for sp in doc.spans["iikg_mentions"]:
            readings = sp._.readings or []
            p.mentions.append(Mention(sp.label_, sp._.node_id, sp._.name, sp.text, sp.start_char, sp.end_char,
                                      sp._.level, readings[0][4] if readings else True,
                                      tuple((r[0], r[1], r[2], r[3], r[4]) for r in readings[1:])))
        p.mentions = _country_beside_a_place(_one_per_name_given_twice(p.mentions, text))
        found = [(sp.label_, sp._.slot_value, sp.start_char, sp.end_char) for sp in doc.spans["iikg_slots"]]
        p.slots = collect_slots(found)
        p.skeleton = doc._.iikg_skeleton or text
        masked = p.skeleton
        for mark in MARK.values():
            masked = masked.replace(mark, " ")
        p.language = detect_language(masked) if _CJK.search(masked) or _LATIN.search(masked) else detect_language(text)
        return p


class _Pipelines(dict):
    """The pipeline of each language ("zh", "en"), built the first time it is asked for: a one-shot
    question reads one of the two, and the English one alone takes ~0.1-0.2 s to build (its
    tokeniser's exceptions); a server's warm-up asks one question in each."""

    def __init__(self, build):
        super().__init__()
        self._make = build
        self._lock = threading.Lock()

    def __missing__(self, lang: str):
        if lang not in ("zh", "en"):
            raise KeyError(lang)
        with self._lock:
            nlp = dict.get(self, lang)
            if nlp is None:
                nlp = self[lang] = self._make(lang)
        return nlp


_GLOSS = re.compile(r"^[\s(（\[【/、,，]*(?:即|也就是|又称|aka|a\.k\.a\.|also\s+known\s+as|i\.e\.)?[\s(（\[【/:：]*$", re.IGNORECASE)


def _one_per_name_given_twice(mentions: list, text: str) -> list:
    """A name glossed by another of the same node ("Fortune Capital (达晨)", "深创投/SCGC") is one
    mention, not two investors."""
    out: list = []
    for m in mentions:
        prev = out[-1] if out else None
        if prev is not None and prev.id == m.id and prev.label == m.label and m.start >= prev.end >= 0 and \
                _GLOSS.match(text[prev.end:m.start]):
            continue
        out.append(m)
    return out


def _country_beside_a_place(mentions: list) -> list:
    """"IDG Capital China deals in Shenzhen", "中国北京": the country beside a province or city adds
    nothing (every deal is in it) and must not widen the place into "China or Shenzhen"."""
    if not any(m.label == "Region" and m.level == "country" for m in mentions) or \
            not any(m.label == "Region" and m.level not in ("country", None) for m in mentions):
        return mentions
    return [m for m in mentions if not (m.label == "Region" and m.level == "country")]


# ------------------------------------------------------------------------------- names not listed
_STOP_CHUNK = re.compile(r"哪|什么|谁|多少|几|怎么|如何|是否|公司|企业|机构|投资人|投资方|投资者|基金|项目|融资|领域|地区|城市|省份|"
                         r"政策|上市|一共|总共|全部|所有|这|那|他|她|它|我|你|单笔|单轮|单次|金额|超过|以上|以下|最大|最多|总额|"
                         r"最|活跃|热门|头部|主要|知名|著名|排名|排行|^前\s*[0-9一二两三四五六七八九十]|"
                         r"轮|笔|起|次|年|月|"
                         r"^(?:which|what|who|how|the|a|an|all|any|this|that|it|they|them|me|us|companies|investors|"
                         r"firms|funds|deals|rounds|money|funding|total|most|top)$", re.IGNORECASE)
_NAME_CH = r"(?:[A-Za-z0-9][A-Za-z0-9&.'-]*(?:\s+[A-Za-z0-9][A-Za-z0-9&.'-]*){0,4}|[^\sⒾⒸⓇⓈⓎⒷⒶⓀ的，,。？?、和与及跟同]{2,24}?)"
_CHUNK_ZH = [
    re.compile(r"^(?:请问|请|告诉我|列出|查询|查一下|帮我查一下|帮我查|帮我看看|看看|我想知道|想知道|说说|介绍一下)?\s*"
               r"(?P<n>" + _NAME_CH + r")\s*"
               r"(?:的|投了|投资了|投过|投资过|参与|一共|总共|累计|共|融了|融资|获得|拿到|完成|在|和|与|跟|都|有哪些|是|领投|出手)"),
    re.compile(r"(?:谁投资了|谁投了|谁领投了|投资了|投资过|和|与|跟)\s*(?P<n>" + _NAME_CH + r")\s*"
               r"(?:的|[?？。]|$|一起|共同|合投|都|有什么|之间)"),
    re.compile(r"\b(?:in|of|by|with|and|about|did|does|has)\s+(?P<n>[\u3400-\u9fff]{2,16})(?=[\s?？.!,]|'s|$)"),
]
_CHUNK_EN = re.compile(r"(?:invested\s+in|invest\s+in|backed|funded|portfolio\s+of|investors\s+(?:of|in)|backers\s+of|"
                       r"co-?invest(?:ed|s|ing)?\s+with|alongside|did|does|has|have|about|raised\s+by|by|of|with|"
                       r"between|and|is)\s+"
                       r"(?P<n>[A-Z0-9][\w&.'-]*(?:\s+(?:[A-Z0-9][\w&.'-]*|&|of|and))*?)(?=\s+(?:invest|back|fund|raise|do|"
                       r"take|join|co-?invest|and\b|in\b|since|during|before|after|lead|led|get|got|receive)|'s\b|[?.!,]|$)")


def name_candidates(p: Parse) -> list[tuple[str, int]]:
    """Stretches of the question that read like a name the lexicon does not know (数澜, Gewu, Foo Robotics):
    (text, position in the skeleton)."""
    sk = p.skeleton or ""
    out: list[tuple[str, int]] = []
    for rx in _CHUNK_ZH:
        for m in rx.finditer(sk):
            n = m.group("n").strip()
            if n and not _STOP_CHUNK.search(n) and not n.isdigit() and not re.fullmatch(r"[a-z ]+", n):
                out.append((n, m.start("n")))
    for m in _CHUNK_EN.finditer(sk):
        n = m.group("n").strip()
        words = n.split()
        if words and not all(_STOP_CHUNK.search(w) for w in words) and not _STOP_CHUNK.search(words[0]) \
                and not n.isdigit() and not re.fullmatch(r"(?:19|20)\d{2}", n):
            out.append((n, m.start("n")))
    seen, uniq = set(), []
    for n, pos in out:
        if n not in seen:
            seen.add(n)
            uniq.append((n, pos))
    return uniq


def recover_names(p: Parse, store) -> list[str]:
    """Link names the lexicon does not list but the store's catalogue resolves clearly (a part of a
    name: 数澜 → 数澜科技, Gewu → Gewu Tech). Returns the stretches that stay unresolved."""
    named = [m for m in p.mentions if m.label in ("Investor", "Company")]
    if len(named) >= 2:
        return []
    cands = name_candidates(p)
    if not cands:
        return []
    try:
        from kg.queries.resolve import catalog
    except ImportError:  # pragma: no cover
        return []
    cat = catalog(store)
    unresolved = []
    for text, pos in cands:
        latin = not _CJK.search(text)
        if len(text) < (3 if latin else 2):
            continue
        hits = [h for h in cat.search(text, ("Investor", "Company"), limit=3, fuzzy=False)
                if h[0] >= (0.7 if latin else 0.5)]  # a Latin part must start the name (Gewu → Gewu Tech)
        if hits and (len(hits) == 1 or hits[0][0] > hits[1][0]) and hits[0][1].id not in {m.id for m in named}:
            ent = hits[0][1]
            mark = MARK[ent.label]
            p.mentions.append(Mention(ent.label, ent.id, ent.name, text, -1, -1))
            p.skeleton = p.skeleton[:pos] + mark + p.skeleton[pos + len(text):]
            p.notes.append(f"recovered {text!r} as {ent.name}")
            return []
        unresolved.append(text)
    return [] if named else unresolved


# ------------------------------------------------------------------------------------------ cache
_CACHE: weakref.WeakKeyDictionary[object, tuple] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()
_LOCK = threading.Lock()


def nlu_for(store) -> NLU:
    """The NLU for ``store``'s current names (rebuilt when the data changes)."""
    version = store.version if store is not None else None
    now = time.monotonic()
    with _LOCK:
        hit = _CACHE.get(store)
        if hit is not None:
            if version is not None and hit[0] == version:
                return hit[2]
            if version is None and now - hit[1] < _SERVER_TTL:
                return hit[2]
    with _BUILDING:  # one build at a time: a server's warm-up thread and its first question share it
        with _LOCK:
            hit = _CACHE.get(store)
            if hit is not None and version is not None and hit[0] == version:
                return hit[2]
        nlu = NLU(Lexicon.from_store(store))
        with _LOCK:
            _CACHE[store] = (version, now, nlu)
    return nlu
