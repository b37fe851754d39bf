"""Entity resolution: a name, an alias (English included) or an id → the node it means.

Lookups go through :func:`ontology.norm_key` (NFKC, lower case, no spaces), so "ＩＤＧ 资本" finds
"IDG资本". Order: an id that exists; the ontology's own spelling rules (known investor aliases,
region and segment names); an exact name or alias in the graph; then one clear partial match
("联想" → 联想创投). Anything else raises :class:`~kg.errors.QueryError` with suggestions.
The catalogue of names is read once per store version (embedded) or every few seconds (servers).
"""
from __future__ import annotations

import difflib
import time
import weakref
from dataclasses import dataclass, field

from kg.errors import QueryError
from ontology import clean_name, load as load_ontology, node_id, norm_key

__all__ = ["Entity", "Catalog", "catalog", "resolve", "LABEL_ORDER"]

LABEL_ORDER = ("Investor", "Company", "Region", "Segment", "Policy", "Factory")
_ORDER = {label: i for i, label in enumerate(LABEL_ORDER)}
_NAME_PROPS = ("name", "name_en", "full", "title")
_CACHE: "weakref.WeakKeyDictionary[object, tuple]" = weakref.WeakKeyDictionary()
SERVER_TTL = 5.0  # seconds a server's catalogue is reused


@dataclass(frozen=True)
class Entity:
    id: str
    label: str
    name: str


@dataclass
class Catalog:
    """Every searchable node's id, label, display name and normalised spellings."""

    entries: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # id -> (label, name, keys)
    by_key: dict[str, list[str]] = field(default_factory=dict)  # norm key -> ids

    def add(self, id: str, label: str, name: str, spellings) -> None:
        keys = []
        for s in spellings:
            if s is None or s == "":
                continue
            k = norm_key(s)
            if k and k not in keys:
                keys.append(k)
        self.entries[id] = (label, name, tuple(keys))
        for k in keys:
            self.by_key.setdefault(k, []).append(id)

    def entity(self, id: str) -> Entity | None:
        e = self.entries.get(id)
        return Entity(id, e[0], e[1]) if e else None

    def exact(self, text: str, labels=()) -> list[Entity]:
        ids = self.by_key.get(norm_key(text), [])
        out = [self.entity(i) for i in ids if not labels or self.entries[i][0] in labels]
        return sorted(out, key=_rank)

    def search(self, text: str, labels=(), limit: int = 10, fuzzy: bool = True) -> list[tuple[float, Entity]]:
        """Entities whose names or aliases match ``text`` fully, as a prefix, a part, or roughly."""
        key = norm_key(text)
        if not key:
            return []
        scored: dict[str, float] = {}
        for id, (label, name, keys) in self.entries.items():
            if labels and label not in labels:
                continue
            best = 0.0
            for k in keys:
                s = _score(key, k)
                if s > best:
                    best = s
            if best > 0:
                scored[id] = best
        if fuzzy and len(scored) < limit:
            for id, (label, name, keys) in self.entries.items():
                if id in scored or (labels and label not in labels):
                    continue
                best = 0.0
                for k in keys:
                    if not set(k) & set(key):
                        continue
                    sm = difflib.SequenceMatcher(None, key, k)
                    if sm.real_quick_ratio() < 0.6 or sm.quick_ratio() < 0.6:
                        continue
                    r = sm.ratio()
                    if r >= 0.6:
                        best = max(best, round(0.45 * r, 4))
                if best:
                    scored[id] = best
        hits = [(s, self.entity(i)) for i, s in scored.items()]
        hits.sort(key=lambda h: (-h[0], *_rank(h[1])))
        return hits[:limit]


def _rank(e: Entity):
    return (_ORDER.get(e.label, 99), e.name, e.id)


def _score(key: str, cand: str) -> float:
    """1.0 exact; prefix 0.7-0.9; part 0.5-0.7; the text containing the name 0.4-0.5; else 0."""
    if cand == key:
        return 1.0
    if cand.startswith(key):
        return round(0.7 + 0.2 * len(key) / len(cand), 4)
    if key in cand:
        return round(0.5 + 0.2 * len(key) / len(cand), 4)
    if len(cand) >= 2 and cand in key:
        return round(0.4 + 0.1 * len(cand) / len(key), 4)
    return 0.0


# ---------------------------------------------------------------------------- building the catalogue
def _embedded_catalog(store) -> Catalog:
    from kg.index import node_name

    cat = Catalog()
    G = store.graph
    for label in LABEL_ORDER:
        for n in store.nodes_by_label(label):
            d = G.nodes[n]
            cat.add(n, label, node_name(d), [*(d.get(k) for k in _NAME_PROPS), *(d.get("aliases") or [])])
    return cat


CATALOG_CYPHER = ("MATCH (n:{label}) RETURN n.id AS id, n.name AS name, n.name_en AS name_en, n.full AS full, "
                  "n.title AS title, n.aliases AS aliases")


def _server_catalog(store) -> Catalog:
    cat = Catalog()
    for label in LABEL_ORDER:  # labels come from this fixed tuple, never from input
        rows = store.read(CATALOG_CYPHER.replace("{label}", label), {})
        for r in sorted(rows, key=lambda r: str(r.get("id"))):
            if not r.get("id"):
                continue
            name = r.get("name") or r.get("title") or r["id"]
            aliases = r.get("aliases") or []
            if isinstance(aliases, str):
                aliases = [aliases]
            cat.add(r["id"], label, str(name), [*(r.get(k) for k in _NAME_PROPS), *aliases])
    return cat


def catalog(store) -> Catalog:
    """The store's catalogue of names (cached per ``store.version``; on a server without a
    version, for :data:`SERVER_TTL` seconds)."""
    version = getattr(store, "version", None)
    now = time.monotonic()
    hit = _CACHE.get(store)
    if hit and version is not None and hit[0] == version:
        return hit[2]
    if hit and version is None and now - hit[1] < SERVER_TTL:
        return hit[2]
    embedded = getattr(store, "kind", "embedded") == "embedded"
    cat = _embedded_catalog(store) if embedded else _server_catalog(store)
    _CACHE[store] = (version, now, cat)
    return cat


# ---------------------------------------------------------------------------- resolving
def _ontology_ids(text: str, labels) -> list[str]:
    """Ids the ontology's spelling rules give for ``text`` (known aliases, region suffixes, segments)."""
    onto = load_ontology()
    out = []
    for label in labels or LABEL_ORDER:
        if label == "Investor":
            out.append(node_id("investor", onto.investor_name(text)))
        elif label == "Company":
            out.append(node_id("company", clean_name(text)))
        elif label == "Region":
            reg = onto.region(text)
            if reg is not None:
                out.append(reg.id)
        elif label == "Segment":
            seg = onto.segment(text)
            if seg is not None:
                out.append(seg.id)
    return out


def resolve(store, text: str, labels=(), param: str = "entity") -> Entity:
    """The node ``text`` names among ``labels`` (any label when empty)."""
    text = str(text).strip()
    labels = tuple(labels or ())
    what = "/".join(x.lower() for x in labels) if labels else "entity"
    if not text:
        raise QueryError(f"{param}: empty {what} name")
    cat = catalog(store)
    ent = cat.entity(text)
    if ent is not None and (not labels or ent.label in labels):
        return ent
    for i in _ontology_ids(text, labels):
        ent = cat.entity(i)
        if ent is not None and (not labels or ent.label in labels):
            return ent
    hits = cat.exact(text, labels)
    if hits:
        return hits[0]
    partial = [h for h in cat.search(text, labels, limit=6, fuzzy=False) if h[0] >= 0.4]
    if partial and (len(partial) == 1 or partial[0][0] > partial[1][0]):
        return partial[0][1]
    if partial:
        names = "、".join(e.name for _, e in partial[:5])
        raise QueryError(f"{param}: {text!r} could be any of {names}; be more specific")
    close = cat.search(text, labels, limit=5)
    hint = f"; did you mean {'、'.join(e.name for _, e in close)}?" if close else ""
    raise QueryError(f"{param}: no {what} named {text!r}{hint}")
