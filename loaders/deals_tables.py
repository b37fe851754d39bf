"""The good rows of a deals file → node and relationship tables (Arrow), vectorised.

:func:`loaders.deals.parse_deals` reads and checks the rows (each distinct cell value parsed once,
by the one parser of each field in ``loaders.parse``) and hands over, for every good row, small
integer codes into the distinct values: its date, amount, round label, investor cells and its
place (segment, province, city). This module derives from them, with numpy and pyarrow, exactly
the nodes and relationships that :func:`loaders.deals.deal_batch` would add row by row to a
:class:`~kg.model.Batch`, merged by the same rules (a property's last value that is not None wins;
``sources`` and ``aliases`` are unions in the order met; a node's row comes where it was first met):

- Company (name; ``segment_label`` for a segment the ontology does not know), Round (type, label,
  date, year, month, disclosed, amount, currency, amount_cny, fx_rate), Investor (as
  ``add_investor`` makes it), Segment and Region (as ``add_company`` makes them);
- RAISED, INVESTED_IN (``lead``), IN_SEGMENT, LOCATED_IN, PART_OF.

The company's segment/region links and an investor's node come from recording what
``add_company``/``add_investor`` do for one distinct value (``_Recorder`` in ``loaders.deals``),
so those rules keep one home. ``tests/test_load_deals.py`` checks the tables against ``deal_batch``
row by row on the dev files and the demo.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kg.model import TableBatch

__all__ = ["FlatNames", "Rows", "build_tables", "factorize", "plain_names"]

# Names made only of CJK unified ideographs (U+4E00-U+9FFF, none with a compatibility mapping),
# ASCII letters and digits: NFKC leaves them as they are, no space or bracket to tidy, so
# ``clean_name`` is the name itself and ``norm_key`` its ASCII lower case (checked in
# tests/test_load_columns.py against the functions, character by character).
_PLAIN = r"^[\x{4e00}-\x{9fff}A-Za-z0-9]+$"


def plain_names(arr: pa.Array) -> np.ndarray:
    """Per string: is it a plain name (see ``_PLAIN``)."""
    return pc.match_substring_regex(arr, _PLAIN).fill_null(False).to_numpy(zero_copy_only=False)


def _keys(names: pa.Array, norm_key) -> pa.Array:
    """``norm_key`` of each name: vectorised for the plain ones, the function for the others."""
    plain = plain_names(names)
    keys = pc.ascii_lower(names)
    if not plain.all():
        out = keys.to_pylist()
        for i in np.flatnonzero(~plain).tolist():
            out[i] = norm_key(names[i].as_py())
        keys = pa.array(out, pa.string())
    return keys

class FlatNames(NamedTuple):
    """The names of every distinct investors/leads cell (cell code ``c``: entries ``offsets[c]`` to
    ``offsets[c + 1]``) as codes into ``names``: ``inv`` each name once per cell, ``raw`` as
    written (what ``investor_names``' two lists of lists say, without a list per cell)."""

    inv: np.ndarray
    inv_offsets: np.ndarray
    raw: np.ndarray
    raw_offsets: np.ndarray
    names: list


_ROW_SLOTS = 4096      # seq = row * _ROW_SLOTS + position of the call within the row
_INV_POS = 64          # investor calls come after the company's, the round's and RAISED


class Rows:
    """What the row reader collects for the good rows (lists of the same length), and blocks of
    them read as columns (:meth:`add_block`)."""

    def __init__(self):
        self.prefix: list[int] = []    # index into ``prefixes`` (the source's text before the line)
        self.line: list[int] = []
        self.company: list[str] = []
        self.date: list[int] = []      # codes into date values
        self.amount: list[int] = []
        self.round: list[int] = []
        self.investors: list[int] = []
        self.leads: list[int] = []
        self.place: list[int] = []
        self.prefixes: list[str] = []
        self.blocks: list[dict] = []

    _FIELDS = ("prefix", "line", "company", "date", "amount", "round", "investors", "leads", "place")

    def add_block(self, **cols) -> None:
        """Rows given as arrays (in line order, after the rows collected before)."""
        self.flush()
        self.blocks.append(cols)

    def flush(self) -> None:
        """The rows collected one by one so far as a block."""
        if self.line:
            self.blocks.append({f: getattr(self, f) for f in self._FIELDS})
            for f in self._FIELDS:
                setattr(self, f, [])

    def column(self, name: str, dtype=np.int64):
        parts = []
        for b in self.blocks:
            v = b[name]
            if name == "company":
                parts.append(v if isinstance(v, pa.Array) else pa.array(v, pa.string()))
            elif name == "prefix" and np.ndim(v) == 0:
                parts.append(np.full(len(b["line"]), v, dtype))
            else:
                parts.append(np.asarray(v, dtype))
        if name == "company":
            return pa.concat_arrays(parts) if parts else pa.array([], pa.string())
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    def __len__(self) -> int:
        return len(self.line) + sum(len(b["line"]) for b in self.blocks)


# ---------------------------------------------------------------------------------------------- helpers
def factorize(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key per entry, numbered in order of first appearance; index of each key's first entry).
    Hashed by pandas' factorize (5-10x a sort here; numpy's ``unique`` sorts, or hashes slower):
    a key's first entry is where the keys so far reach a new high (keys come numbered in order)."""
    import pandas as pd

    n = len(codes)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = pd.factorize(codes, sort=False)[0].astype(np.int64, copy=False)
    top = np.maximum.accumulate(keys)
    new = np.empty(n, bool)
    new[0] = True
    np.greater(top[1:], top[:-1], out=new[1:])
    return keys, np.flatnonzero(new)


def _first_order(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize`, with no hash when the codes are already numbered in order of first
    appearance (a company's or a round's code over the rows: dictionary indices)."""
    n = len(codes)
    if n:
        top = np.maximum.accumulate(codes)
        if codes[0] == 0 and bool((codes[1:] <= top[:-1] + 1).all()):
            new = np.empty(n, bool)
            new[0] = True
            np.greater(top[1:], top[:-1], out=new[1:])
            return codes.astype(np.int64, copy=False), np.flatnonzero(new)
    return factorize(codes)


def _last(keys: np.ndarray, valid: np.ndarray, nkeys: int) -> np.ndarray:
    """Index of the last entry (entries are in call order) with ``valid`` of each key; -1 when none."""
    out = np.full(nkeys, -1, np.int64)
    idx = np.flatnonzero(valid)
    if len(idx):
        np.maximum.at(out, keys[idx], idx)
    return out


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    """``arr`` at ``idx``; -1 gives null."""
    mask = idx < 0
    return arr.take(pa.array(np.where(mask, 0, idx), mask=mask if mask.any() else None))


def _member(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.isin(a, b)`` for int64 arrays, by sorting ``b`` (numpy's isin hashes both sides)."""
    if not len(b) or not len(a):
        return np.zeros(len(a), bool)
    bs = np.sort(b)
    i = np.minimum(np.searchsorted(bs, a), len(bs) - 1)
    return bs[i] == a


def _stable_order(k: np.ndarray, nkeys: int) -> np.ndarray:
    """``np.argsort(k, kind="stable")`` of keys below ``nkeys``; as 16-bit keys when they fit
    (numpy then sorts by radix: an investor's 2.6M calls at 1M deals in a tenth of the time)."""
    return np.argsort(k.astype(np.uint16) if nkeys <= 1 << 16 else k, kind="stable")


def _sources(keys: np.ndarray, rows: np.ndarray, nkeys: int, src: pa.Array) -> pa.Array:
    """Each key's distinct sources in call order (null for a key without one); ``rows`` -1: none."""
    sel = rows >= 0
    k, r = (keys, rows) if sel.all() else (keys[sel], rows[sel])
    if len(k) == nkeys and len(k) and (k[1:] > k[:-1]).all():
        # one call per key, in key order (a round per row): each key's one source
        return pa.ListArray.from_arrays(pa.array(np.arange(nkeys + 1, dtype=np.int32)), src.take(pa.array(r)))
    if len(k) and (r[1:] >= r[:-1]).all():
        # calls in row order (the usual case): within a key, sorted stably, a repeated source is
        # next to its first, and the first ones are in call order
        order = _stable_order(k, nkeys)
        k, r = k[order], r[order]
        keep = np.ones(len(k), bool)
        keep[1:] = (k[1:] != k[:-1]) | (r[1:] != r[:-1])
        k, r = k[keep], r[keep]
        counts = np.bincount(k, minlength=nkeys)
        offsets = np.zeros(nkeys + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), src.take(pa.array(r)),
                                        mask=pa.array(counts == 0))
    if len(k):
        pair = k * (int(r.max()) + 1) + r
        _, first = factorize(pair)
        first.sort()
        k, r = k[first], r[first]
    order = _stable_order(k, nkeys)
    counts = np.bincount(k, minlength=nkeys)
    offsets = np.zeros(nkeys + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = src.take(pa.array(r[order])) if len(order) else pa.array([], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, mask=pa.array(counts == 0))


def _values(values: list) -> pa.Array:
    from kg.store.workspace import column_array

    arr, is_json = column_array(values)
    if is_json:  # pragma: no cover - the loaders' constant props have one type each
        raise TypeError("a property with values of several types")
    return arr


class _Entries:
    """The calls that touch one label or relationship type: key codes (per end for relationships),
    the call's position (seq), the row that gives it a source (-1: none), the op (its constant
    props), and props given per call."""

    def __init__(self):
        self.keys: list[list[np.ndarray]] = []
        self.seq: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.ops: list[np.ndarray] = []
        self.row_props: dict[str, list] = {}

    def add(self, keys: list[np.ndarray], seq, rows, op: int | np.ndarray, **row_props) -> None:
        n = len(seq)
        if not n:
            return
        self.keys.append(keys)
        self.seq.append(seq)
        self.rows.append(rows)
        self.ops.append(np.broadcast_to(np.asarray(op, np.int64), (n,)))
        for name, v in row_props.items():
            self.row_props.setdefault(name, []).append(v)
        for name, parts in self.row_props.items():
            if len(parts) != len(self.seq):  # pragma: no cover - every add of one table gives the same props
                raise AssertionError(f"{name} is not given for every call")


def _fold(e: _Entries, names: list[pa.Array] | None, ops: list[dict], src: pa.Array, key_cols: tuple[str, ...]):
    """One row per key: the key columns, the props merged by Batch's rules, ``sources``; and the
    key codes of each row (per key column). ``names`` None: the table without its key columns
    (the caller makes them from the codes later)."""
    seq = e.seq[0] if len(e.seq) == 1 else np.concatenate(e.seq)
    # calls already in order (one add in row order: companies, rounds): no sort, no reordering
    order = None if len(seq) < 2 or bool((seq[1:] >= seq[:-1]).all()) else np.argsort(seq, kind="stable")
    del seq

    def ordered(parts: list[np.ndarray]) -> np.ndarray:
        a = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return a if order is None else a[order]

    nk = len(key_cols)
    codes = [ordered([k[j] for k in e.keys]) for j in range(nk)]
    rows = ordered(e.rows)
    op = ordered(e.ops)
    if nk == 1:
        combined = codes[0]
    else:
        combined = codes[0] * (int(codes[1].max()) + 1) + codes[1]
    keys, first = _first_order(combined)
    nkeys = len(first)
    cols: dict[str, pa.Array] = {}
    for j, col in enumerate(key_cols if names is not None else ()):
        cols[col] = names[j].take(pa.array(codes[j][first]))
    # props given per call: the last one that is not null
    for name, parts in e.row_props.items():
        arr = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
        if order is not None:
            arr = arr.take(pa.array(order))
        last = _last(keys, arr.is_valid().to_numpy(zero_copy_only=False), nkeys)
        cols[name] = _take(arr, last)
    # constant props of the ops (lists: a union in the order met; others: the last one)
    prop_names = dict.fromkeys(k for d in ops for k in d)
    for name in prop_names:
        has = np.array([d.get(name) is not None for d in ops] + [False])
        valid = has[op]
        if name in ("aliases", "news"):
            idx = np.flatnonzero(valid)
            pair = keys[idx] * (len(ops) + 1) + op[idx]
            _, first_i = factorize(pair)
            merged: list = [None] * nkeys
            for i in np.sort(first_i):
                k = keys[idx[i]]
                cur = merged[k]
                vals = ops[op[idx[i]]][name]
                merged[k] = list(dict.fromkeys(vals)) if cur is None else cur + [x for x in vals if x not in cur]
            cols[name] = _values(merged)
            continue
        last = _last(keys, valid, nkeys)
        cols[name] = _values([None if i < 0 else ops[op[i]][name] for i in last.tolist()])
    cols["sources"] = _sources(keys, rows, nkeys, src)
    cols = {k: v for k, v in cols.items() if v.null_count < len(v) or k in key_cols}
    return (pa.table(cols) if cols else None), [c[first] for c in codes]


class _Names:
    """Strings numbered in order of first use (the ids of one key space); or, for the ids made
    vectorised (companies, rounds), an Arrow array of them numbered by position (``fixed``)."""

    def __init__(self, fixed: pa.Array | None = None):
        self.index: dict[str, int] = {}
        self.fixed = fixed

    def code(self, s: str) -> int:
        c = self.index.get(s)
        if c is None:
            c = self.index[s] = len(self.index)
        return c

    def array(self) -> pa.Array:
        if self.fixed is not None:
            return self.fixed
        return pa.array(list(self.index), pa.string())


# ---------------------------------------------------------------------------------------------- build
def build_tables(r: Rows, *, dates: list, amounts: list, rounds: list, investor_names: list, places: list,
                 investor_op, onto, round_kind, norm_key, node_id) -> TableBatch:
    """The :class:`TableBatch` of the good rows ``r``.

    ``dates``/``amounts``/``rounds``/``investor_names``/``places``: the values of the codes in ``r``
    (a date string or None; an Amount or None; ``(RoundType, label)``; a list of canonical names; the
    compiled ``add_company`` calls of a (segment, province, city)). ``investor_op(name)`` gives the
    compiled ``add_investor`` call of a name. ``r``'s rows are read once and dropped from it."""
    r.flush()
    n = len(r)
    if n == 0:
        return TableBatch({}, {})
    row = np.arange(n, dtype=np.int64)
    src = pc.binary_join_element_wise(
        pa.array(r.prefixes, pa.string()).take(pa.array(r.column("prefix", np.int32))),
        pc.cast(pa.array(r.column("line")), pa.string()), "")
    dc = r.column("date")
    ac = r.column("amount")
    rc = r.column("round")
    pcode = r.column("place")
    company_col = r.column("company")
    ic = r.column("investors")
    lc = r.column("leads")
    r.blocks = []  # read: the rows' blocks are not held while the tables are built
    base = row * _ROW_SLOTS
    nodes: dict[str, _Entries] = {}
    rels: dict[str, _Entries] = {}
    node_ops: dict[str, list] = {}
    rel_ops: dict[str, list] = {}
    ids: dict[str, _Names] = {}   # one key space per label
    _REL_ENDS: dict[str, tuple[str, str]] = {}  # the labels of each relationship type's ends

    def space(label: str) -> _Names:
        s = ids.get(label)
        if s is None:
            s = ids[label] = _Names()
        return s

    def op_index(store: dict, name: str, props: dict) -> int:
        lst = store.setdefault(name, [])
        lst.append(props)
        return len(lst) - 1

    out_nodes: dict[str, pa.Table] = {}
    out_rels: dict[str, pa.Table] = {}
    row_of: dict[str, np.ndarray] = {}   # label -> the row of each key code in its node table
    rel_codes: dict[str, tuple] = {}     # type -> the key codes of its rows' ends, when not all are node rows
    end_rows: dict[str, tuple] = {}      # type -> (start label, start rows, end label, end rows)

    def fold_ready() -> None:
        """Fold the tables whose calls are all made (each section's own labels and types), and
        drop their calls: the per-call arrays of one section are not held while the next is built."""
        for label, e in nodes.items():
            if e is not None and e.seq:
                ids_ = space(label).array()
                out_nodes[label], (kc,) = _fold(e, [ids_], node_ops[label], src, ("id",))
                row_of[label] = np.full(len(ids_), -1, np.int32)  # (int32: half the memory of the ends' rows)
                row_of[label][kc] = np.arange(len(kc), dtype=np.int32)
            nodes[label] = None
        for type_, e in rels.items():
            if e is not None and e.seq:
                s_label, e_label = _REL_ENDS[type_]
                # the ends' ids are made at the end (ends_as_ids): not held while the next sections are built
                out_rels[type_], (sc, ec) = _fold(e, None, rel_ops[type_], src, ("_start", "_end"))
                end_rows[type_] = (s_label, row_of[s_label][sc], e_label, row_of[e_label][ec])
                if not ((end_rows[type_][1] >= 0).all() and (end_rows[type_][3] >= 0).all()):
                    rel_codes[type_] = (sc, ec)  # an end that is no row of the batch's nodes: ids from the codes
            rels[type_] = None
        pa.default_memory_pool().release_unused()  # the freed calls' pages, before the next section's

    # ---- companies
    comp = company_col.dictionary_encode()
    del company_col
    ccodes = comp.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # node_id("company", name) is "company:" + norm_key(name); the round's key starts with norm_key
    nks = _keys(comp.dictionary, norm_key)
    cids = pc.binary_join_element_wise("company:", nks, "").dictionary_encode()  # two spellings, one id
    ids["Company"] = _Names(cids.dictionary)
    cid_of = cids.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    cid = cid_of[ccodes]
    nk_of = pc.binary_join_element_wise("round:", nks, "")
    del nks

    # ---- the company's plan: Company, Segment, Region nodes; IN_SEGMENT, LOCATED_IN, PART_OF
    rows_of_place = np.argsort(pcode, kind="stable")
    bounds = np.searchsorted(pcode[rows_of_place], np.arange(len(places) + 1))
    seg_label: list = [None] * len(places)
    empty_op = {}
    for p, plan in enumerate(places):
        R = rows_of_place[bounds[p]:bounds[p + 1]]
        if not len(R):
            continue
        for j, op in enumerate(plan):
            seq = base[R] + j
            if op[0] == "n":
                _, label, nid, with_src, props, _key = op
                rows_src = R if with_src else np.full(len(R), -1, np.int64)
                if nid is None:  # the row's company
                    seg_label[p] = props.get("segment_label")
                    continue
                if not with_src:  # the same props every time, no source: its first and last calls say all
                    ends = R[[0, -1]] if len(R) > 1 else R
                    seq, rows_src = base[ends] + j, np.full(len(ends), -1, np.int64)
                k = np.full(len(seq), space(label).code(nid), np.int64)
                nodes.setdefault(label, _Entries()).add([k], seq, rows_src, op_index(node_ops, label, props))
            else:
                _, type_, s_, e_, with_src, props = op
                rows_src = R if with_src else np.full(len(R), -1, np.int64)
                ks = cid[R] if s_ is None else np.full(len(R), space(_label_of(s_, plan)).code(s_), np.int64)
                ke = cid[R] if e_ is None else np.full(len(R), space(_label_of(e_, plan)).code(e_), np.int64)
                rels.setdefault(type_, _Entries()).add([ks, ke], seq, rows_src, op_index(rel_ops, type_, props))
                _REL_ENDS.setdefault(type_, ("Company" if s_ is None else _label_of(s_, plan),
                                             "Company" if e_ is None else _label_of(e_, plan)))
    # the Company calls: one per row, first in its row; its name from the row
    seg = _values(seg_label) if any(x is not None for x in seg_label) else pa.nulls(len(places), pa.string())
    nodes.setdefault("Company", _Entries()).add(
        [cid], base + 0, row, op_index(node_ops, "Company", empty_op),
        name=comp.dictionary.take(comp.indices), segment_label=seg.take(pa.array(pcode)))
    del rows_of_place, seg
    fold_ready()

    # ---- rounds
    kinds, labels_out, types = [], [], []
    for rt, label in rounds:
        types.append(rt.type)
        labels_out.append(label or rt.label)
        kinds.append(round_kind(rt.type, label))
    m7 = [(d or "undated")[:7] for d in dates]
    rid_str = pc.binary_join_element_wise(nk_of.take(pa.array(ccodes)), pa.array(kinds).take(pa.array(rc)),
                                          pa.array(m7).take(pa.array(dc)), "|")
    renc = rid_str.dictionary_encode()
    ids["Round"] = _Names(renc.dictionary)
    rid = renc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    del rid_str
    years = [int(d[:4]) if d else None for d in dates]
    year_arr = pa.array(years, pa.int64())
    # amount values per (amount code, year): amount_cny and fx_rate depend on the year
    yc = np.asarray([0 if y is None else y for y in years] or [0], np.int64)[dc]
    pair = ac * 10000 + yc
    pinv, pfirst = factorize(pair)
    upair = pair[pfirst]
    amount_v, currency_v, cny_v, fx_v, disclosed_v = [], [], [], [], []
    for pr in upair.tolist():
        a, y = amounts[pr // 10000], pr % 10000 or None
        disclosed_v.append(a is not None)
        if a is None:
            amount_v.append(None), currency_v.append(None), cny_v.append(None), fx_v.append(None)
            continue
        amount_v.append(a.value)
        currency_v.append(a.currency)
        cny_v.append(onto.to_cny(a.value, a.currency, y))
        fx_v.append(onto.fx_rate(a.currency, y) if a.currency != "CNY" else None)
    pidx = pa.array(pinv.reshape(-1))
    dci, rci = pa.array(dc), pa.array(rc)
    nodes.setdefault("Round", _Entries()).add(
        [rid], base + 40, row, op_index(node_ops, "Round", empty_op),
        type=pa.array(types, pa.string()).take(rci), label=pa.array(labels_out, pa.string()).take(rci),
        date=pa.array(dates, pa.string()).take(dci), year=year_arr.take(dci),
        month=pa.array([d[:7] if d and len(d) >= 7 else None for d in dates], pa.string()).take(dci),
        disclosed=pa.array(disclosed_v, pa.bool_()).take(pidx), amount=_floats(amount_v).take(pidx),
        currency=pa.array(currency_v, pa.string()).take(pidx), amount_cny=_floats(cny_v).take(pidx),
        fx_rate=_floats(fx_v).take(pidx))
    rels.setdefault("RAISED", _Entries()).add([cid, rid], base + 41, row, op_index(rel_ops, "RAISED", empty_op))
    _REL_ENDS.setdefault("RAISED", ("Company", "Round"))
    del pidx, dci, rci, pair, pinv, yc
    fold_ready()

    # ---- investors: per row, the leads' nodes, then each investor's node and INVESTED_IN
    inv_space = space("Investor")
    name_code: dict[str, int] = {}
    name_iid: list[int] = []
    name_op: list[int] = []

    def names_codes(lists: list) -> tuple[np.ndarray, np.ndarray]:
        """Flattened name codes of each distinct cell, with offsets."""
        flat, offs = [], [0]
        for names in lists:
            for nm in names:
                c = name_code.get(nm)
                if c is None:
                    c = name_code[nm] = len(name_iid)
                    o = investor_op(nm)
                    _, label, nid, with_src, props, _key = o
                    name_iid.append(inv_space.code(nid))
                    name_op.append(op_index(node_ops, "Investor", props))
                flat.append(c)
            offs.append(len(flat))
        return np.asarray(flat, np.int64), np.asarray(offs, np.int64)

    def names_flat(f: FlatNames):
        """:func:`names_codes` of both lists at once: the names numbered in order of first use
        over the investors' lists, then the leads' (as names_codes numbers them)."""
        keys, first = factorize(np.concatenate([f.inv, f.raw]))
        allc = np.concatenate([f.inv, f.raw])[first]
        for c in allc.tolist():
            nm = f.names[c]
            name_code[nm] = len(name_iid)
            _, label, nid, with_src, props, _key = investor_op(nm)
            name_iid.append(inv_space.code(nid))
            name_op.append(op_index(node_ops, "Investor", props))
        return keys[:len(f.inv)], f.inv_offsets, keys[len(f.inv):], f.raw_offsets

    def expand(cell_codes: np.ndarray, flat: np.ndarray, offs: np.ndarray):
        """(row, name code, position within the row's list) of every name of every row."""
        lens = (offs[1:] - offs[:-1])[cell_codes]
        total = int(lens.sum())
        rows_ = np.repeat(row, lens)
        starts = np.repeat(offs[:-1][cell_codes], lens)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        return rows_, flat[starts + within], within, lens

    if isinstance(investor_names, FlatNames):
        fi, oi, fl, ol = names_flat(investor_names)
    else:
        fi, oi = names_codes(investor_names[0])
        fl, ol = names_codes(investor_names[1])
    iid_of = np.asarray(name_iid or [0], np.int64)
    op_of = np.asarray(name_op or [0], np.int64)
    l_rows, l_names, l_pos, l_lens = expand(lc, fl, ol)
    i_rows, i_names, i_pos, _ = expand(ic, fi, oi)
    nnames = max(len(name_iid), 1)
    # leads named in no investors cell of their row come after the investors (the rule of deal_batch)
    in_inv = _member(l_rows * nnames + l_names, i_rows * nnames + i_names)
    extra = ~in_inv
    n_inv_row = np.bincount(i_rows, minlength=n)
    # the lead calls: positions right after the company/round calls
    lead_seq = base[l_rows] + _INV_POS + l_pos
    inv_nodes = nodes.setdefault("Investor", _Entries())
    inv_nodes.add([iid_of[l_names]], lead_seq, l_rows, op_of[l_names])
    # the investor loop: investors in order, then the extra leads in their order
    loop_start = base + _INV_POS + l_lens
    ex_rows = l_rows[extra]
    e_rank = np.arange(len(ex_rows), dtype=np.int64) - np.searchsorted(ex_rows, ex_rows, "left")
    loop_rows = np.concatenate([i_rows, ex_rows])
    loop_names = np.concatenate([i_names, l_names[extra]])
    loop_seq = np.concatenate([loop_start[i_rows] + 2 * i_pos,
                               loop_start[ex_rows] + 2 * (n_inv_row[ex_rows] + e_rank)])
    if len(loop_seq) and int((loop_seq - base[loop_rows]).max()) >= _ROW_SLOTS:
        raise ValueError("a row names more investors than the loader handles (2,000)")
    inv_nodes.add([iid_of[loop_names]], loop_seq, loop_rows, op_of[loop_names])
    # lead: is the investor's id among the ids of the row's leads
    loop_iids = iid_of[loop_names]
    ninv = max(len(inv_space.index), 1)
    lead = _member(loop_rows * ninv + loop_iids, l_rows * ninv + iid_of[l_names])
    rels.setdefault("INVESTED_IN", _Entries()).add(
        [loop_iids, rid[loop_rows]], loop_seq + 1, loop_rows, op_index(rel_ops, "INVESTED_IN", empty_op),
        lead=pa.array(lead, pa.bool_()))
    _REL_ENDS.setdefault("INVESTED_IN", ("Investor", "Round"))

    del loop_rows, loop_names, loop_seq, loop_iids, lead, l_rows, l_names, l_pos, i_rows, i_names, i_pos
    # nothing of the rows but the calls (and the sources) is held while the last section is folded
    del (inv_nodes, l_lens, lead_seq, in_inv, extra, n_inv_row, loop_start, ex_rows, e_rank, fi, oi, fl, ol, iid_of,
         op_of, base, dc, ac, rc, pcode, ic, lc, cid, ccodes, rid, comp, cids, cid_of, nk_of, renc, year_arr)
    row = None  # (read by expand)
    fold_ready()
    src = None  # each table has its own sources (read by fold_ready)

    def ends_as_ids(type_: str) -> pa.Table:
        """The relationship table with its ``_start`` and ``_end`` ids first: each the id of its
        node's row (the node table's ids are its key codes' names in row order)."""
        s_label, e_label = _REL_ENDS[type_]
        if type_ in rel_codes:
            sc, ec = rel_codes.pop(type_)
            cols = [space(s_label).array().take(pa.array(sc)), space(e_label).array().take(pa.array(ec))]
        else:
            _, srows, _, erows = end_rows[type_]
            cols = [_one_chunk(out_nodes[s_label].column("id")).take(pa.array(srows)),
                    _one_chunk(out_nodes[e_label].column("id")).take(pa.array(erows))]
        t = out_rels[type_]
        return pa.Table.from_arrays(cols + ([] if t is None else t.columns),
                                    names=["_start", "_end"] + ([] if t is None else t.column_names))

    batch = TableBatch({k: out_nodes[k] for k in nodes if k in out_nodes},
                       {k: ends_as_ids(k) for k in rels if k in out_rels})
    if all((v[1] >= 0).all() and (v[3] >= 0).all() for v in end_rows.values()):
        # where each relationship's ends are among the batch's node tables (the store's plan
        # then need not look the ids up again); read only while the tables are the batch
        batch.end_rows = end_rows
    return batch


def _one_chunk(col: pa.ChunkedArray) -> pa.Array:
    """The column as one array (its one chunk as it is: combine_chunks would copy it)."""
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _label_of(nid: str, plan) -> str:
    for op in plan:
        if op[0] == "n" and op[2] == nid:
            return op[1]
    raise AssertionError(f"{nid} is no node of its plan")  # pragma: no cover - add_company adds both ends


def _floats(values: list) -> pa.Array:
    return pa.array([None if v is None else float(v) for v in values], pa.float64())
