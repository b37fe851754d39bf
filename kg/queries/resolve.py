"""Entity resolution: a name, an alias (English included) or an id → the node it means.

Lookups go through :func:`ontology.norm_key` (NFKC, lower case, no spaces), so "ＩＤＧ 资本" finds
"IDG资本". Order: an id that exists; the ontology's own spelling rules (known investor aliases,
region and segment names); an exact name or alias in the graph; then one clear partial match
("联想" → 联想创投). Anything else raises :class:`~kg.errors.QueryError` with suggestions.
The catalogue of names is read once per store version, through the store's read interface.
"""
from __future__ import annotations

import difflib
import threading
import weakref
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

import numpy as np

from kg.errors import QueryError
from kg.store.reading import column_values
from kg.store.workspace import no_gc
from ontology import clean_name, node_id, norm_key
from ontology import load as load_ontology

__all__ = ["LABEL_ORDER", "Catalog", "Entity", "catalog", "resolve"]

LABEL_ORDER = ("Investor", "Company", "Region", "Segment", "Policy", "Factory")
_ORDER = {label: i for i, label in enumerate(LABEL_ORDER)}
_NAME_PROPS = ("name", "name_en", "full", "title")
_CACHE: weakref.WeakKeyDictionary[object, tuple] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()


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
    _text: tuple | None = field(default=None, repr=False)       # the keys as one string, for fast part matching
    _grams: dict | None = field(default=None, repr=False)       # character bigram -> key positions
    _labels: tuple | None = field(default=None, repr=False)     # (label per id position as codes, label -> code)
    names: dict = field(default_factory=dict, repr=False, compare=False)  # label -> LabelNames it was built from
    _parts: tuple | None = field(default=None, repr=False)      # (keys, their entry positions) as the build made them

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
        self._text = self._grams = self._labels = self._parts = None

    def entity(self, id: str) -> Entity | None:
        e = self.entries.get(id)
        return Entity(id, e[0], e[1]) if e else None

    def exact(self, text: str, labels=()) -> list[Entity]:
        ids = self.by_key.get(norm_key(text), [])
        out = [self.entity(i) for i in ids if not labels or self.entries[i][0] in labels]
        return sorted(out, key=_rank)

    def _flat(self):
        """(all keys joined by newlines, key starts, key lengths, key owner positions, ids, keys, id positions)."""
        if self._text is None:
            ids = list(self.entries)
            if self._parts is not None:  # the build's own lists, in this order
                keys, owners = self._parts
            else:
                keys, owners = [], []
                for n, id in enumerate(ids):
                    for k in self.entries[id][2]:
                        keys.append(k)
                        owners.append(n)
            lens = np.fromiter(map(len, keys), np.int64, len(keys))
            starts = np.zeros(len(keys), dtype=np.int64)
            if len(keys):
                starts[1:] = np.cumsum(lens + 1)[:-1]
            self._text = ("\n".join(keys), starts, lens, np.asarray(owners, dtype=np.int64), ids, keys,
                          dict(zip(ids, range(len(ids)))))
        return self._text

    def _allowed(self, labels) -> np.ndarray:
        """A boolean per id position: its label is one of ``labels`` (codes built once per catalogue)."""
        if self._labels is None:
            ids = self._flat()[4]
            codes: dict[str, int] = {}
            arr = np.fromiter((codes.setdefault(self.entries[i][0], len(codes)) for i in ids), np.int16, len(ids))
            self._labels = (arr, codes)
        arr, codes = self._labels
        return np.isin(arr, [codes[lab] for lab in labels if lab in codes])

    def _bigrams(self) -> tuple:
        """Which keys have each character bigram, as arrays: (bigram codes, sorted; where each one's
        key positions start in the third; key positions, ascending for each bigram). Built over the
        keys' joined text with numpy (a bigram's code: its two code points)."""
        if self._grams is None:
            blob, starts = self._flat()[:2]
            cp = np.frombuffer(blob.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            at = np.flatnonzero((cp[:-1] != 10) & (cp[1:] != 10))  # no bigram across two keys
            code = (cp[at] << 21) | cp[at + 1]
            kpos = np.searchsorted(starts, at, side="right") - 1
            order = np.lexsort((kpos, code))
            code, kpos = code[order], kpos[order]
            once = np.ones(len(code), bool)
            once[1:] = (code[1:] != code[:-1]) | (kpos[1:] != kpos[:-1])  # a key with a bigram twice counts once
            code, kpos = code[once], kpos[once]
            codes, first = np.unique(code, return_index=True)
            self._grams = (codes, np.append(first, len(code)), kpos)
        return self._grams

    def _sharing(self, key: str) -> np.ndarray:
        """Key positions by how many of ``key``'s distinct bigrams they share, most first (then by position)."""
        codes, bounds, kpos = self._bigrams()
        want = np.array(sorted({(ord(key[i]) << 21) | ord(key[i + 1]) for i in range(len(key) - 1)}), np.int64)
        at = np.searchsorted(codes, want)
        at = at[(at < len(codes)) & (codes[np.minimum(at, len(codes) - 1)] == want)] if len(codes) else at[:0]
        if not len(at):
            return np.zeros(0, np.int64)
        found, count = np.unique(np.concatenate([kpos[bounds[i]:bounds[i + 1]] for i in at.tolist()]),
                                 return_counts=True)
        return found[np.lexsort((found, -count))]

    def search(self, text: str, labels=(), limit: int = 10, fuzzy: bool = True) -> list[tuple[float, Entity]]:
        """Entities whose names or aliases match ``text`` fully (1), as a prefix (0.7-0.9), a part
        (0.5-0.7), contained in the text (0.4-0.5) or roughly (below 0.45), best first."""
        key = norm_key(text)
        if not key:
            return []
        blob, starts, lens, owners, ids, keys, pos_of = self._flat()
        L = len(key)
        found = []
        at = blob.find(key)
        while at != -1:
            found.append(at)
            at = blob.find(key, at + 1)
        best = np.zeros(len(ids))
        if found:
            pos = np.array(found, dtype=np.int64)
            k = np.searchsorted(starts, pos, side="right") - 1
            first = pos == starts[k]
            score = np.where(first & (lens[k] == L), 1.0,
                             np.where(first, 0.7 + 0.2 * L / lens[k], 0.5 + 0.2 * L / lens[k]))
            np.maximum.at(best, owners[k], np.round(score, 4))
        for size in range(L - 1, 1, -1):  # names contained in the text ("中金资本有限公司" → 中金资本)
            for i in range(L - size + 1):
                for id in self.by_key.get(key[i:i + size], ()):
                    n = pos_of[id]
                    best[n] = max(best[n], round(0.4 + 0.1 * size / L, 4))
        if labels:
            best = np.where(self._allowed(labels), best, 0.0)
        if fuzzy and L >= 2 and np.count_nonzero(best) < limit:
            self._fuzzy(key, best, labels, ids, keys, owners)
        hit = np.flatnonzero(best > 0)
        if len(hit) > limit:  # only scores as high as the limit-th can make the cut (ties kept)
            kth = -np.partition(-best[hit], limit - 1)[limit - 1]
            hit = hit[best[hit] >= kth]
        cands = [(-float(best[n]), self.entity(ids[n])) for n in hit.tolist()]
        cands.sort(key=lambda c: (c[0], *_rank(c[1])))
        return [(-s, e) for s, e in cands[:limit]]

    def _fuzzy(self, key, best, labels, ids, keys, owners, pool: int = 300) -> None:
        """Near spellings: keys sharing the most character bigrams, scored by difflib's ratio."""
        for kpos in self._sharing(key)[:pool].tolist():
            n = int(owners[kpos])
            if best[n] > 0 or (labels and self.entries[ids[n]][0] not in labels):
                continue
            r = difflib.SequenceMatcher(None, key, keys[kpos]).ratio()
            if r >= 0.6:
                best[n] = max(best[n], round(0.45 * r, 4))


def _rank(e: Entity):
    return (_ORDER.get(e.label, 99), e.name, e.id)


# ---------------------------------------------------------------------------- building the catalogue
NAME_COLUMNS = ("id", "name", "name_en", "full", "title", "aliases", "level")
TITLE_SLOT = _NAME_PROPS.index("title")  # a spelling's slot: its column's place in _NAME_PROPS, or ALIAS_SLOT
ALIAS_SLOT = len(_NAME_PROPS)
# text whose norm_key (and chat pattern key) arrow can compute exactly: printable ASCII, the CJK unified
# ideographs (no case, no compatibility form) and the full-width brackets (NFKC: ASCII brackets)
_PLAIN_TEXT = r"^[\x20-\x7e\x{4e00}-\x{9fef}\x{ff08}\x{ff09}]*$"


def entity_rows(store, label: str, columns=NAME_COLUMNS) -> list[dict]:
    """The ``columns`` of every ``label`` node (None where a node has no value), read through the
    store's read interface (:meth:`kg.store.GraphReader.entities`), JSON-text columns decoded."""
    table = store.entities(label)
    data = {c: column_values(table, c) for c in columns}
    return [{c: data[c][i] for c in columns} for i in range(table.num_rows)]


@dataclass
class LabelNames:
    """One label's named nodes (those with an id) and every spelling written on them, read once per
    store version for the catalogue and the chat's name matcher alike.

    Nodes are in id order (the catalogue's); ``row`` is each one's row in the store's table (the
    order the chat's matcher lists the nodes a spelling names). Spellings (the non-empty ``name``,
    ``name_en``, ``full``, ``title`` and aliases) are grouped by node, in that order, each with its
    :func:`ontology.norm_key`. When the label's table holds anything but plain text columns (JSON
    text, numbers) or repeats an id, ``rows`` has its :func:`entity_rows` instead and the readers
    build from those node by node."""

    label: str
    ids: list = field(default_factory=list)
    names: list = field(default_factory=list)    # display name: name, else title, else the id
    levels: list | None = None
    row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))    # node -> its row in the store's table
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # spelling -> node
    slot: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))    # spelling -> _NAME_PROPS index or ALIAS_SLOT
    text: list = field(default_factory=list)     # the spellings as written
    keys: list = field(default_factory=list)     # their norm_key
    simple: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))    # plain text without a space
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # keys as numbers (equal key, equal code)
    keyed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))     # the key is not empty
    key_array: object = None                     # the keys as an arrow array
    id_array: object = None                      # the ids as an arrow array
    kept: np.ndarray | None = None               # the spellings the catalogue keeps (a key each node has once)
    rows: list | None = None


def pick(values: list, idx) -> list:
    """``[values[i] for i in idx]``, in C."""
    idx = idx.tolist() if isinstance(idx, np.ndarray) else list(idx)
    if len(idx) > 1:
        return list(itemgetter(*idx)(values))
    return [values[i] for i in idx]


def _plain_columns(table) -> bool:
    """Every name column the catalogue reads is plain text (a list of text for aliases)."""
    import pyarrow as pa

    names = table.column_names
    if "id" not in names:
        return False
    for c in ("id", *_NAME_PROPS, "level", "aliases"):
        if c not in names:
            continue
        f = table.schema.field(c)
        if f.metadata:  # JSON text (or anything else marked)
            return False
        t = f.type.value_type if c == "aliases" and pa.types.is_list(f.type) else f.type
        if not pa.types.is_string(t) or (c == "aliases" and not pa.types.is_list(f.type)):
            return False
    return True


def _norm_keys(text):
    """:func:`ontology.norm_key` of every string of ``text`` (no nulls), computed by arrow for plain text
    and one by one for the rest; the keys as numbers (equal key, equal number); which strings are
    plain text without a space; which keys are not empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pc.match_substring_regex(text, _PLAIN_TEXT).to_numpy(zero_copy_only=False)
    keys = pc.replace_substring(pc.ascii_lower(pc.replace_substring(pc.replace_substring(text, "（", "("), "）", ")")),
                                " ", "")
    if not plain.all():
        listed = keys.to_pylist()
        for i in np.flatnonzero(~plain).tolist():
            listed[i] = norm_key(text[i].as_py())
        keys = pa.array(listed, pa.string())
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    spaced = pc.match_substring(text, " ").to_numpy(zero_copy_only=False)
    keyed = pc.not_equal(keys, "").to_numpy(zero_copy_only=False)
    return keys, codes, plain & ~spaced, keyed


def norm_keys(texts: list[str]) -> list[str]:
    """``[norm_key(t) for t in texts]``, by arrow where the text allows."""
    import pyarrow as pa

    return _norm_keys(pa.array(texts, pa.string()))[0].to_pylist() if texts else []


def label_names(store, label: str) -> LabelNames:
    """The names of ``label``'s nodes, read through the store's interface (see :class:`LabelNames`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = store.entities(label)
    if table.num_rows and not _plain_columns(table):
        return LabelNames(label, rows=entity_rows(store, label))
    if "id" not in table.column_names:
        return LabelNames(label)
    table = table.select([c for c in ("id", *_NAME_PROPS, "aliases", "level") if c in table.column_names])
    rows = np.flatnonzero(pc.fill_null(pc.not_equal(table.column("id"), ""), False).to_numpy(zero_copy_only=False))
    if len(rows) < table.num_rows:
        table = table.take(pa.array(rows))
    by_id = pc.sort_indices(table.column("id"))
    table = table.take(by_id)
    row = rows[np.asarray(by_id).astype(np.int64)]
    n = table.num_rows
    if n > 1 and pc.any(pc.equal(table.column("id").slice(1), table.column("id").slice(0, n - 1))).as_py():
        return LabelNames(label, rows=entity_rows(store, label))  # an id twice: read row by row

    def col(c):
        return table.column(c).combine_chunks() if c in table.column_names else None

    def written(a):
        return pc.fill_null(pc.not_equal(a, ""), False)

    ids = col("id").cast(pa.string())
    shown = ids
    for c in ("title", "name"):
        a = col(c)
        if a is not None:
            shown = pc.if_else(written(a), a, shown)
    owners, slots, texts = [np.zeros(0, np.int64)], [np.zeros(0, np.int8)], [pa.array([], pa.string())]
    for s, c in enumerate(_NAME_PROPS):
        a = col(c)
        if a is not None:
            m = written(a)
            owners.append(np.flatnonzero(m.to_numpy(zero_copy_only=False)))
            slots.append(np.full(len(owners[-1]), s, np.int8))
            texts.append(a.filter(m).cast(pa.string()))
    aliases = col("aliases")
    if aliases is not None and len(aliases):
        flat = pc.list_flatten(aliases)
        parent = pc.list_parent_indices(aliases).to_numpy(zero_copy_only=False)
        m = written(flat)
        owners.append(parent[m.to_numpy(zero_copy_only=False)])
        slots.append(np.full(len(owners[-1]), ALIAS_SLOT, np.int8))
        texts.append(flat.filter(m).cast(pa.string()))
    owner = np.concatenate(owners).astype(np.int64)
    order = np.argsort(owner, kind="stable")  # by node, each node's in column order then alias order
    text = pa.concat_arrays(texts).take(pa.array(order))
    keys, codes, simple, keyed = _norm_keys(text)
    level = col("level")
    return LabelNames(label, ids.to_pylist(), shown.to_pylist(), None if level is None else level.to_pylist(),
                      row, owner[order], np.concatenate(slots)[order], text.to_pylist(), keys.to_pylist(), simple,
                      codes, keyed, keys, id_array=ids)


def _add_rows(cat: Catalog, label: str, rows) -> None:
    """The straightforward build: node by node, spelling by spelling (labels whose columns are not plain text)."""
    for d in sorted(rows, key=lambda r: str(r.get("id"))):
        if not d.get("id"):
            continue
        name = d.get("name") or d.get("title") or d["id"]
        aliases = d.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        cat.add(d["id"], label, str(name), [*(d.get(k) for k in _NAME_PROPS), *aliases])


def _add_names(cat: Catalog, ln: LabelNames) -> tuple[list, list, object]:
    """One label's nodes in id order, each with its distinct non-empty keys in spelling order: what
    :meth:`Catalog.add` gives node by node, built over the arrays. Returns the (keys, ids, keys as
    an arrow array) still to go into ``cat.by_key``, in order."""
    n = len(ln.ids)
    if not n:
        return [], [], None
    seq = np.flatnonzero(ln.keyed)  # spellings with a key
    if len(seq):
        pair = ln.owner[seq] * (int(ln.codes.max()) + 1) + ln.codes[seq]
        _, first = np.unique(pair, return_index=True)
        seq = seq[np.sort(first)]  # a key a node spells twice counts once, where it first appears
    ln.kept = seq
    node = ln.owner[seq]
    kept = pick(ln.keys, seq)
    counts = np.bincount(node, minlength=n)
    if (counts == 1).all():
        per_node = zip(kept)
    else:
        ends = np.cumsum(counts).tolist()
        per_node = [tuple(kept[a:b]) for a, b in zip([0, *ends[:-1]], ends)]
    cat.entries.update(zip(ln.ids, zip(repeat(ln.label), ln.names, per_node)))
    return kept, pick(ln.ids, node), ln.key_array.take(seq)


def group(by_key: dict, keys: list, ids: list, key_arrays=None) -> None:
    """Append each id to its key's list in ``by_key``, in order (``key_arrays``: ``keys`` as arrow arrays)."""
    if not keys:
        return
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.concat_arrays([a.cast(pa.string()) for a in key_arrays]) if key_arrays else pa.array(keys, pa.string())
    codes = pc.dictionary_encode(array).indices.to_numpy(zero_copy_only=False)
    _, first, count = np.unique(codes, return_index=True, return_counts=True)
    new = np.zeros(len(keys), bool)
    new[first[count == 1]] = True  # a key one id spells: a list of its own
    if by_key:
        new &= np.fromiter((k not in by_key for k in keys), bool, len(keys))
    at = np.flatnonzero(new)
    by_key.update(zip(pick(keys, at), map(list, zip(pick(ids, at)))))  # [id] each, made in C
    for j in np.flatnonzero(~new).tolist():  # keys spelt by several nodes, or already there
        hit = by_key.get(keys[j])
        if hit is None:
            by_key[keys[j]] = [ids[j]]
        else:
            hit.append(ids[j])


def _build_catalog(store) -> Catalog:
    cat = Catalog()
    names = {}
    keys, ids, arrays, owners, flat = [], [], [], [], True
    with no_gc():
        for label in LABEL_ORDER:
            ln = names[label] = label_names(store, label)
            if ln.rows is not None:
                group(cat.by_key, keys, ids, arrays)
                keys, ids, arrays, flat = [], [], [], False
                _add_rows(cat, label, ln.rows)
            else:
                at = len(cat.entries)
                k, i, a = _add_names(cat, ln)
                flat = flat and len(cat.entries) == at + len(ln.ids)  # no id of an earlier label again
                owners.append(at + ln.owner[ln.kept] if ln.ids else np.zeros(0, np.int64))
                keys += k
                ids += i
                arrays += [a] if a is not None else []
        group(cat.by_key, keys, ids, arrays)
    cat._text = cat._grams = cat._labels = None
    cat._parts = (keys, np.concatenate(owners)) if flat and owners else None
    cat.names = names
    return cat


def catalog(store) -> Catalog:
    """The store's catalogue of names, built once per ``store.version`` (a server's version moves
    with :meth:`~kg.store.GraphReader.refresh`, which every named query calls first)."""
    version = store.version
    hit = _CACHE.get(store)
    if hit and hit[0] == version:
        return hit[1]
    with _BUILDING:  # built once when a server's warm-up thread and a request ask together
        hit = _CACHE.get(store)
        if hit and hit[0] == version:
            return hit[1]
        cat = _build_catalog(store)
        _CACHE[store] = (version, cat)
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
