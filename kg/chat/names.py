"""Finding the graph's names in a question without a phrase matcher built at start-up.

spaCy's ``span_ruler`` with phrase patterns (``phrase_matcher_attr="LOWER"``) tokenises every
pattern into a :class:`~spacy.tokens.Doc` when it is added: 16-21 s for the ~100,000 names of a
100k-deal graph, paid by the first question after start. :class:`NameMatcher` gives the same
spans with a plain dictionary built in a few milliseconds:

* a pattern's characters without its spaces are the concatenation of its tokens' lower-case
  forms (patterns are normalised and lower case; both tokenisers split on single spaces and keep
  every other character), so the lexicon's own dictionary, plus a small one for the patterns
  with spaces, says which patterns can match a stretch of tokens;
* for every token of the question, the lower-case forms of that token and the following ones are
  joined and looked up, up to the longest pattern;
* a hit counts only when the pattern's own tokens equal the question's tokens there, exactly the
  phrase matcher's test (a pattern is tokenised the first time it is looked at, then cached).

The spans go to ``doc.spans["ruler"]`` as the span ruler wrote them (label = the node's label,
``span.id_`` = the node id, one per (start, end, label, id), sorted), so
:class:`kg.chat.nlu.MentionFilter` reads them unchanged.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

__all__ = ["NameIndex", "NameMatcher", "SPANS_KEY"]

SPANS_KEY = "ruler"


class NameIndex:
    """Where to look a stretch of a question up: the patterns of a lexicon (normalised text → node
    ids) that spell it once their spaces are dropped.

    Most patterns have no space and are looked up in the lexicon's own dictionary; only those
    with spaces get an entry here, so building this takes a few milliseconds.

    >>> ix = NameIndex({"sequoia china": ["investor:a"], "红杉中国": ["investor:a"], "sequoiachina": ["c:x"]})
    >>> ix.lookup("sequoiachina"), ix.lookup("红杉中国"), ix.lookup("红杉"), ix.max_len
    (['sequoiachina', 'sequoia china'], ['红杉中国'], [], 13)
    """

    __slots__ = ("patterns", "spaced", "max_len")

    def __init__(self, patterns: dict[str, list[str]]):
        self.patterns = patterns
        spaced: dict[str, list[str]] = {}
        for text in patterns:
            if " " in text:
                spaced.setdefault(text.replace(" ", ""), []).append(text)
        self.spaced = spaced
        self.max_len = max(map(len, patterns), default=0)  # no stretch longer than this can be a name

    def lookup(self, joined: str) -> list[str]:
        """The patterns whose characters other than spaces are ``joined``."""
        out = [joined] if joined in self.patterns else []
        more = self.spaced.get(joined)
        return out + more if more else out


class NameMatcher:
    """A pipeline component: every (start, end, node) where a pattern's tokens equal the doc's
    tokens on lower case, as ``doc.spans["ruler"]`` (what ``span_ruler`` with phrase patterns and
    ``phrase_matcher_attr="LOWER"`` gave)."""

    def __init__(self, nlp, index: NameIndex | None = None, entries: dict | None = None):
        self.tokenizer = nlp.tokenizer
        self.index = index if index is not None else NameIndex({})
        self.entries = entries if entries is not None else {}
        self._tokens: dict[str, tuple[str, ...]] = {}

    def pattern_tokens(self, text: str) -> tuple[str, ...]:
        """The lower-case forms of ``text``'s tokens under this pipeline's tokeniser (cached)."""
        toks = self._tokens.get(text)
        if toks is None:
            toks = tuple(t.lower_ for t in self.tokenizer(text))
            self._tokens[text] = toks
        return toks

    def matches(self, doc: Doc) -> list[tuple[int, int, str]]:
        """(start token, end token, node id) of every match, unordered, possibly repeated."""
        index = self.index
        patterns, spaced, max_len = index.patterns, index.spaced, index.max_len
        lowers = [t.lower_ for t in doc]
        n = len(lowers)
        out = []
        for i in range(n):
            joined = ""
            for j in range(i, n):
                joined += lowers[j]
                if len(joined) > max_len:
                    break
                if joined not in patterns and joined not in spaced:
                    continue
                seq = tuple(lowers[i:j + 1])
                for text in index.lookup(joined):
                    if self.pattern_tokens(text) == seq:
                        out.extend((i, j + 1, id_) for id_ in patterns[text])
        return out

    def __call__(self, doc: Doc) -> Doc:
        entries = self.entries
        spans = {Span(doc, s, e, label=entries[id_].label, span_id=id_) for s, e, id_ in self.matches(doc)}
        doc.spans[SPANS_KEY] = sorted(spans)
        return doc


@Language.factory("iikg_names")
def _make_names(nlp, name):
    return NameMatcher(nlp)
