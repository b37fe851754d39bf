"""Names as people type them: traditional characters (OpenCC t2s) and near misses.

A near miss is corrected only when one name clearly wins: for Chinese, a stretch of the question
that differs from exactly one known name (or alias) in exactly one character (红衫资本 → 红杉资本);
for Latin script, a run of words within a small edit distance of one known name (Hilhouse Capital →
Hillhouse Capital, rapidfuzz). When two names are equally close, the caller asks which was meant.
"""
from __future__ import annotations

import functools
import re
import threading
import weakref

__all__ = ["Correction", "corrections", "to_simplified"]

_CJK_RUN = re.compile(r"[\u3400-\u9fff]{4,}")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9&.'-]*(?:\s+[A-Za-z0-9][A-Za-z0-9&.'-]*)*")
_STOP = {"which", "what", "who", "how", "many", "much", "companies", "company", "investors", "investor", "did", "does",
         "has", "have", "the", "in", "of", "and", "invest", "invested", "back", "backed", "during", "since", "portfolio",
         "deals", "rounds", "round", "series", "raised", "raise", "with", "for", "by", "top", "most", "is", "are", "was",
         "were", "a", "an", "all", "any", "ever", "led", "lead", "money", "amount", "average", "median", "total", "segment",
         "region", "city", "province", "between", "both", "not", "that", "this", "it", "its", "they", "them", "were",
         "put", "into", "co", "investors", "capital", "ventures", "partners", "fund", "china"}


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str, keep=()) -> str:
    """Traditional characters to simplified (紅杉資本 → 红杉资本); other text unchanged, and so are the
    ``keep`` spans (names already known as written: 蓝昇信息 keeps its 昇)."""
    if not text or not re.search(r"[\u3400-\u9fff]", text):
        return text
    out = _converter().convert(text)
    if len(out) != len(text):
        return text  # keep offsets: t2s is one character for one here
    for s, e in keep:
        out = out[:s] + text[s:e] + out[e:]
    return out


class Correction:
    def __init__(self, start: int, end: int, text: str, choices: list[tuple[str, str]]):
        self.start, self.end, self.text, self.choices = start, end, text, choices  # choices: (surface, id)

    @property
    def clear(self) -> bool:
        return len({i for _, i in self.choices}) == 1


class _Index:
    """Near-miss lookups over the lexicon's names, each table built the first time a question needs it
    (most questions name nothing unknown and never pay for it)."""

    def __init__(self, lexicon):
        self.lexicon = lexicon
        self._cjk = self._latin = None

    def _names(self):
        lex = self.lexicon
        for surface, ids in lex.patterns.items():
            if surface in lex.weak:
                continue
            for i in ids:
                e = lex.entries.get(i)
                if e is not None and e.label in ("Investor", "Company", "Region") and e.in_graph:
                    yield surface, e.id
                    break

    @property
    def cjk(self) -> dict:
        """(length, first half) and (length, second half) -> names: one character off a name leaves one
        half intact."""
        if self._cjk is None:
            table: dict = {}
            for surface, id_ in self._names():
                if re.fullmatch(r"[\u3400-\u9fff]{4,12}", surface):
                    h = len(surface) // 2
                    table.setdefault((len(surface), 0, surface[:h]), []).append((surface, id_))
                    table.setdefault((len(surface), 1, surface[h:]), []).append((surface, id_))
            self._cjk = table
        return self._cjk

    def cjk_near(self, w: str) -> dict:
        """id -> name for the names that differ from ``w`` in exactly one character."""
        h, out = len(w) // 2, {}
        for key in ((len(w), 0, w[:h]), (len(w), 1, w[h:])):
            for surface, id_ in self.cjk.get(key, ()):
                if sum(a != b for a, b in zip(surface, w)) == 1:
                    out.setdefault(id_, surface)
        return out

    @property
    def latin(self) -> tuple[list, list]:
        if self._latin is None:
            names, ids = [], []
            for surface, id_ in self._names():
                if re.fullmatch(r"[a-z][a-z0-9&.' -]{4,}", surface):
                    names.append(surface)
                    ids.append(id_)
            self._latin = (names, ids)
        return self._latin


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _index(lexicon) -> _Index:
    with _LOCK:
        ix = _CACHE.get(lexicon)
        if ix is None:
            ix = _CACHE[lexicon] = _Index(lexicon)
    return ix


def corrections(text: str, skeleton: str, lexicon, protected=()) -> list[Correction]:
    """Near misses in ``text`` (only in stretches the NLU left unmarked in ``skeleton`` and outside the
    ``protected`` spans of the skeleton: the question's own words)."""
    ix = _index(lexicon)
    covered = set()
    for s, e in protected:
        covered.update(range(s, e))
    known = lexicon.patterns  # a dict: membership is all we ask (a set of it costs ms at 100k names)
    out: list[Correction] = []
    def at(w: str) -> int:
        return text.find(w)

    for m in _CJK_RUN.finditer(skeleton):
        run = m.group(0)
        skel0 = m.start()
        base = at(run)
        if base < 0:
            continue
        best = None
        for L in range(min(12, len(run)), 3, -1):
            for s in range(0, len(run) - L + 1):
                w = run[s:s + L]
                if w in known or any(i in covered for i in range(skel0 + s, skel0 + s + L)):
                    continue
                hits = ix.cjk_near(w)
                if hits:
                    best = Correction(base + s, base + s + L, w, [(v, k) for k, v in hits.items()])
                    break
            if best:
                break
        if best:
            out.append(best)
    if _LATIN_RUN.search(skeleton):
        from rapidfuzz import fuzz, process

        for m in _LATIN_RUN.finditer(skeleton):
            words = m.group(0).split()
            base = at(m.group(0))
            if not words or base < 0:
                continue
            found = None
            for n in range(min(4, len(words)), 0, -1):
                for s in range(0, len(words) - n + 1):
                    chunk = words[s:s + n]
                    lower = not chunk[0][:1].isupper()  # "hilhouse": one long word typed in lower case
                    if chunk[0].lower() in _STOP or all(w.lower() in _STOP for w in chunk) or \
                            (lower and (n > 1 or len(chunk[0]) < 6)):
                        continue
                    phrase = " ".join(chunk)
                    if len(phrase) < 5 or phrase.lower() in known:
                        continue
                    latin, latin_ids = ix.latin
                    res = process.extract(phrase.lower(), latin, scorer=fuzz.ratio, limit=3, score_cutoff=88 if lower else 86)
                    if not res:
                        continue
                    top = res[0][1]
                    choices = [(latin[j], latin_ids[j]) for _, sc, j in res if sc >= top - 2]
                    start = base + len(" ".join(words[:s])) + (1 if s else 0)
                    found = Correction(start, start + len(phrase), phrase, choices)
                    break
                if found:
                    break
            if found:
                out.append(found)
    return out
