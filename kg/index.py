"""A columnar index of the embedded graph, so named queries filter with numpy instead of walking networkx.

The index holds one array per round property (type, date, year, amount, company), the
investor–round participations as parallel arrays (and as a scipy sparse incidence matrix for
co-investment projections), and per-company segment and region sets. It is built once per
``store.version`` and cached in memory, so every query after a write sees the new data. It is built
from the tables of the store's read interface (``kg.store.GraphReader``: ``entities``,
``relationships``, ``stats``), never from a backend's internals (``tests/test_store_reads.py`` holds the
same index built by walking the networkx graph, as the reference this one is compared with).
"""
from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["GraphIndex", "graph_index", "node_name", "unique"]

_CACHE: weakref.WeakKeyDictionary[object, GraphIndex] = weakref.WeakKeyDictionary()
_BUILDING = threading.RLock()


def node_name(props: dict) -> str:
    """Display name of any node: its name, a policy's title, a round's label and date."""
    if props.get("name"):
        return str(props["name"])
    if props.get("title"):
        return str(props["title"])
    if props.get("_label") == "Round" or "type" in props and "label" in props:
        return " ".join(str(x) for x in (props.get("label"), props.get("date")) if x)
    return str(props.get("id", ""))


@dataclass
class GraphIndex:
    """Arrays over the graph's investors, companies, segments and rounds (positions are row numbers)."""

    version: int
    inv_ids: list[str] = field(default_factory=list)
    inv_names: list[str] = field(default_factory=list)
    co_ids: list[str] = field(default_factory=list)
    co_names: list[str] = field(default_factory=list)
    co_segments: list[tuple[str, ...]] = field(default_factory=list)   # segment ids, sorted
    co_regions: list[frozenset] = field(default_factory=list)          # region ids it is LOCATED_IN
    co_provinces: list[tuple[str, ...]] = field(default_factory=list)  # province names, sorted
    co_cities: list[tuple[str, ...]] = field(default_factory=list)     # city names, sorted
    seg_names: dict[str, str] = field(default_factory=dict)            # segment id -> name
    r_ids: list[str] = field(default_factory=list)
    r_labels: list[str | None] = field(default_factory=list)
    r_props: list[dict] = field(default_factory=list)
    r_id_arr: np.ndarray = None      # r_ids as a numpy str array (for sorting)
    r_type: np.ndarray = None        # str
    r_date: np.ndarray = None        # str, "" when undated
    r_year: np.ndarray = None        # int, -1 when unknown
    r_amount: np.ndarray = None      # float, nan when undisclosed
    r_company: np.ndarray = None     # int position in co_*, -1 when no company raised it
    p_inv: np.ndarray = None         # participations (INVESTED_IN), sorted by investor then round
    p_round: np.ndarray = None
    p_lead: np.ndarray = None
    inv_ptr: np.ndarray = None       # participations of investor i: p_*[inv_ptr[i]:inv_ptr[i+1]]
    rp_order: np.ndarray = None      # participations sorted by round: p_*[rp_order[rp_ptr[r]:rp_ptr[r+1]]]
    rp_ptr: np.ndarray = None
    co_round_order: np.ndarray = None  # rounds sorted by company: r = co_round_order[co_ptr[c]:co_ptr[c+1]]
    co_ptr: np.ndarray = None
    inv_pos: Mapping[str, int] = field(default_factory=dict)  # _Positions when built from tables
    co_pos: Mapping[str, int] = field(default_factory=dict)
    r_pos: Mapping[str, int] = field(default_factory=dict)
    _region_members: dict = field(default_factory=dict)
    _memo: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ lookups
    def memo(self, key, build):
        """``build()`` once per index (queries keep derived structures here; they die with the version)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def investor_participations(self, i: int) -> np.ndarray:
        """Participation positions of investor ``i``."""
        return np.arange(self.inv_ptr[i], self.inv_ptr[i + 1])

    def round_participations(self, r: int) -> np.ndarray:
        return self.rp_order[self.rp_ptr[r]:self.rp_ptr[r + 1]]

    def company_rounds(self, c: int) -> np.ndarray:
        return self.co_round_order[self.co_ptr[c]:self.co_ptr[c + 1]]

    def round_rank(self) -> np.ndarray:
        """Each round's position in (date, id) order with undated rounds last (Cypher's ``ORDER BY date, id``)."""
        def build():
            order = np.lexsort((self.r_id_arr, self.r_date, self.r_date == ""))
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return rank
        return self.memo("round_rank", build)

    def company_rank(self) -> np.ndarray:
        """Each company's position in (name, id) order."""
        def build():
            order = np.lexsort((np.array(self.co_ids, dtype=str), np.array(self.co_names, dtype=str)))
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return rank
        return self.memo("company_rank", build)

    def month_code(self) -> np.ndarray:
        """Each round's month as an int: YYYYMM, YYYY00 for a year-only date, -1 when undated."""
        def build():
            out = np.full(len(self.r_date), -1, dtype=np.int64)
            for k, d in enumerate(self.r_date.tolist()):
                if len(d) >= 7:
                    out[k] = int(d[:4]) * 100 + int(d[5:7])
                elif len(d) >= 4:
                    out[k] = int(d[:4]) * 100
            return out
        return self.memo("month_code", build)

    def type_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct round types, each round's position in them)."""
        return self.memo("type_codes", lambda: np.unique(self.r_type, return_inverse=True))

    def incidence(self, round_mask: np.ndarray | None = None) -> sp.csr_matrix:
        """Rounds × investors 0/1 matrix of INVESTED_IN, restricted to rounds where ``round_mask``."""
        if round_mask is None:
            rows, cols = self.p_round, self.p_inv
        else:
            keep = round_mask[self.p_round]
            rows, cols = self.p_round[keep], self.p_inv[keep]
        data = np.ones(len(rows), dtype=np.int64)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(self.r_ids), len(self.inv_ids)))

    def company_mask_for_regions(self, region_ids: frozenset) -> np.ndarray:
        """True for the companies LOCATED_IN any of ``region_ids``."""
        key = region_ids
        hit = self._region_members.get(key)
        if hit is None:
            hit = np.fromiter((bool(rs & region_ids) for rs in self.co_regions), bool, len(self.co_regions))
            if len(self._region_members) > 256:
                self._region_members.clear()
            self._region_members[key] = hit
        return hit


def unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` without its slow hashing path for int arrays)."""
    if len(a) == 0:
        return a
    s = np.sort(a, kind="stable")
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable order of ``keys`` and the pointer array of each key's run (keys in 0..n-1)."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n) if len(keys) else np.zeros(n, dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return order, ptr


def build_index(store) -> GraphIndex:
    """The index of ``store``, from the tables of its read interface (``kg.store.GraphReader``:
    ``entities``, ``relationships``, ``stats``): the same on every store, no backend asked for."""
    return _build_from_tables(store)


class _RoundProps(Sequence):
    """``GraphIndex.r_props`` read from the Round table the first time a query asks for one."""

    def __init__(self, table, ids: list[str]):
        self._table, self._n, self._rows = table, len(ids), None

    def _load(self) -> list[dict]:
        if self._rows is None:
            from kg.store.workspace import decode_rows

            self._rows = [{"_label": "Round", **d} for d in decode_rows(self._table)] if self._table is not None else []
            self._table = None
        return self._rows

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        return self._load()[i]

    def __iter__(self):
        return iter(self._load())


class _Positions(Mapping):
    """``{id: position}`` of a list of ids (``GraphIndex.inv_pos``/``co_pos``/``r_pos``), made the
    first time a query looks an id up: 0.06-0.08 s each at 100k deals, which a first page that
    ranks or counts does not need."""

    __slots__ = ("_ids", "_map")

    def __init__(self, ids: list[str]):
        self._ids, self._map = ids, None

    def _d(self) -> dict:
        d = self._map
        if d is None:
            d = self._map = {n: i for i, n in enumerate(self._ids)}
        return d

    def __getitem__(self, key):
        return self._d()[key]

    def __contains__(self, key) -> bool:
        return key in self._d()

    def get(self, key, default=None):
        return self._d().get(key, default)

    def __iter__(self):
        return iter(self._d())

    def __len__(self) -> int:
        return len(self._d())


def _plain(t, name: str, kind: str):
    """Column ``name`` of ``t`` as a plain Arrow array when it is stored as one of ``kind``
    ("int", "float"), else None (absent, or a JSON column of mixed values: the general reading)."""
    import pyarrow as pa

    if t is None or name not in t.column_names:
        return None
    arr = t.column(name).combine_chunks()
    ok = pa.types.is_integer(arr.type) if kind == "int" else pa.types.is_float64(arr.type)
    return arr if ok else None


def _floats(arr) -> np.ndarray:
    """A float64 Arrow array as numpy, NaN for nulls (from its buffers: see ``_ints``)."""
    n = len(arr)
    vals = np.frombuffer(arr.buffers()[1], np.float64, count=n + arr.offset)[arr.offset:].copy()
    if arr.null_count:
        bits = np.unpackbits(np.frombuffer(arr.buffers()[0], np.uint8), bitorder="little")
        vals[~bits[arr.offset:arr.offset + n].astype(bool)] = np.nan
    return vals


def _values(t, name: str) -> list:
    from kg.store.workspace import column_values

    return column_values(t, name) if t is not None and name in t.column_names else [None] * (t.num_rows if t is not None else 0)


def _names(t) -> list[str]:
    """node_name of each row of a node table (name, else title, else id)."""
    if t is None:
        return []
    names, titles, ids = _values(t, "name"), _values(t, "title"), t.column("id").to_pylist()
    return [str(n) if n else str(ti) if ti else str(i or "") for n, ti, i in zip(names, titles, ids)]


def _ints(arr, null: int = -1) -> np.ndarray:
    """An Arrow integer array as int64 (``null`` for nulls), read from its buffers: pyarrow's
    ``to_numpy(zero_copy_only=False)`` and ``fill_null``'s scalar import pandas (0.3 s of a reopen)."""
    arr = arr.combine_chunks() if hasattr(arr, "combine_chunks") else arr
    n = len(arr)
    if not n:
        return np.zeros(0, np.int64)
    dtype = np.dtype(f"int{arr.type.bit_width}")
    vals = np.frombuffer(arr.buffers()[1], dtype, count=n + arr.offset)[arr.offset:].astype(np.int64)
    if arr.null_count:
        bits = np.unpackbits(np.frombuffer(arr.buffers()[0], np.uint8), bitorder="little")
        vals[~bits[arr.offset:arr.offset + n].astype(bool)] = null
    return vals


def _positions(col, ids) -> np.ndarray:
    """Position of each value of ``col`` in ``ids`` (an Arrow array), -1 when absent."""
    import pyarrow.compute as pc

    return _ints(pc.index_in(col, value_set=ids))


class _Tables(dict):
    """A store's tables by name, asked for through its read interface when first used (None: empty)."""

    def __init__(self, get):
        super().__init__()
        self._get = get

    def get(self, name, default=None):
        if name not in self:
            t = self._get(name)
            self[name] = t if t is not None and t.num_rows else None
        return dict.get(self, name) if dict.get(self, name) is not None else default


def _groups(pos: np.ndarray, ends) -> list[tuple[int, tuple]]:
    """``(position, ends sorted)`` of each position >= 0 with the ends of its rows: what sorting the
    (position, end) pairs and grouping them gives, with the ends as codes (a few distinct ends)."""
    import pyarrow as pa

    enc = (ends.combine_chunks() if isinstance(ends, pa.ChunkedArray) else ends).dictionary_encode()
    names = enc.dictionary.to_pylist()
    rank = np.empty(len(names), np.int64)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    codes = rank[_ints(enc.indices)]
    by_rank = [None] * len(names)
    for k, r in enumerate(rank.tolist()):
        by_rank[r] = names[k]
    keep = pos >= 0
    pos, codes = pos[keep], codes[keep]
    order = np.lexsort((codes, pos))
    pos, codes = pos[order], codes[order]
    if not len(pos):
        return []
    cuts = np.flatnonzero(np.diff(pos)) + 1
    starts = np.concatenate(([0], cuts))
    stops = np.concatenate((cuts, [len(pos)]))
    base = len(names) + 1
    longest = int((stops - starts).max())
    if base ** longest < 2 ** 62:  # each group's codes as one number: equal groups, equal numbers
        local = np.arange(len(pos)) - np.repeat(starts, stops - starts)
        csum = np.cumsum((codes + 1) * base ** local)
        keys = csum[stops - 1] - np.concatenate(([0], csum[starts[1:] - 1]))
        uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        made = [tuple(by_rank[c] for c in codes[starts[f]:stops[f]].tolist()) for f in first.tolist()]
        return list(zip(pos[starts].tolist(), [made[k] for k in inv.reshape(-1).tolist()]))
    code_list = codes.tolist()
    cache: dict[tuple, tuple] = {}
    out = []
    for a, b, p in zip(starts.tolist(), stops.tolist(), pos[starts].tolist()):
        key = tuple(code_list[a:b])
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = tuple(by_rank[c] for c in key)
        out.append((p, hit))
    return out


def _build_from_tables(store) -> GraphIndex:
    import pyarrow as pa

    ix = GraphIndex(version=store.version)
    N, R = _Tables(store.entities), _Tables(store.relationships)
    inv, co, seg, rnd = N.get("Investor"), N.get("Company"), N.get("Segment"), N.get("Round")
    empty = pa.nulls(0, pa.string())  # pa.array of a list would import pandas (0.3 s) to check its type
    inv_id = inv.column("id").combine_chunks() if inv is not None else empty
    co_id = co.column("id").combine_chunks() if co is not None else empty
    r_id = rnd.column("id").combine_chunks() if rnd is not None else empty
    ix.inv_ids = inv_id.to_pylist()
    ix.inv_names = _names(inv)
    ix.inv_pos = _Positions(ix.inv_ids)
    if seg is not None:
        ix.seg_names = dict(zip(seg.column("id").to_pylist(), _names(seg)))
    ix.co_ids = co_id.to_pylist()
    ix.co_names = _names(co)
    ix.co_pos = _Positions(ix.co_ids)
    nco = len(ix.co_ids)
    empty_set = frozenset()
    ix.co_segments = [()] * nco
    ix.co_regions = [empty_set] * nco
    ix.co_provinces = [()] * nco
    ix.co_cities = [()] * nco
    t = R.get("IN_SEGMENT")
    if t is not None and nco:
        for ci, ends in _groups(_positions(t.column("_start"), co_id), t.column("_end")):
            ix.co_segments[ci] = tuple(ends)
    t = R.get("LOCATED_IN")
    if t is not None and nco:
        region_kind: dict[str, tuple] = {}
        for label in store.stats()["nodes"]:
            lt = N.get(label)
            if lt is not None and "level" in lt.column_names:
                for i, lv, nm in zip(lt.column("id").to_pylist(), _values(lt, "level"), _names(lt)):
                    region_kind[i] = (lv, nm)
        none = (None, None)
        shared: dict[tuple, tuple] = {}  # a few hundred distinct region sets: made once, shared
        for ci, rs in _groups(_positions(t.column("_start"), co_id), t.column("_end")):
            hit = shared.get(rs)
            if hit is None:
                kinds = [region_kind.get(r, none) for r in rs]
                hit = shared[rs] = (frozenset(rs), tuple(sorted(k[1] for k in kinds if k[0] == "province")),
                                    tuple(sorted(k[1] for k in kinds if k[0] == "city")))
            ix.co_regions[ci], ix.co_provinces[ci], ix.co_cities[ci] = hit
    nr = len(r_id)
    ix.r_ids = r_id.to_pylist()
    ix.r_pos = _Positions(ix.r_ids)
    ix.r_labels = _values(rnd, "label")
    ix.r_props = _RoundProps(rnd, ix.r_ids)
    comps = np.full(nr, -1, dtype=np.int64)
    t = R.get("RAISED")
    if t is not None and nr and nco:
        c = _positions(t.column("_start"), co_id)
        r = _positions(t.column("_end"), r_id)
        keep = (c >= 0) & (r >= 0)
        c, r = c[keep], r[keep]
        big = np.iinfo(np.int64).max
        first = np.full(nr, big, dtype=np.int64)
        np.minimum.at(first, r, c)  # the first company (in index order) that RAISED it
        comps = np.where(first == big, -1, first)
    types = [x if isinstance(x, str) and x else (str(x) if x else "") for x in _values(rnd, "type")]
    dates = [x if isinstance(x, str) else (str(x) if x else "") for x in _values(rnd, "date")]
    y_col, a_col = _plain(rnd, "year", "int"), _plain(rnd, "amount_cny", "float")
    years = _ints(y_col) if y_col is not None else [
        int(y) if isinstance(y, (int, float)) and not isinstance(y, bool) else -1 for y in _values(rnd, "year")]
    amounts = _floats(a_col) if a_col is not None else [
        float(a) if isinstance(a, (int, float)) and not isinstance(a, bool) else np.nan
        for a in _values(rnd, "amount_cny")]
    ix.r_type = np.array(types, dtype=str) if types else np.array([], dtype="U1")
    ix.r_date = np.array(dates, dtype=str) if dates else np.array([], dtype="U1")
    ix.r_id_arr = np.array(ix.r_ids, dtype=str) if ix.r_ids else np.array([], dtype="U1")
    ix.r_year = np.array(years, dtype=np.int64)
    ix.r_amount = np.array(amounts, dtype=np.float64)
    ix.r_company = comps
    t = R.get("INVESTED_IN")
    if t is not None and nr and len(ix.inv_ids):
        p_inv = _positions(t.column("_start"), inv_id)
        p_round = _positions(t.column("_end"), r_id)
        lead = np.array([bool(x) for x in _values(t, "lead")], dtype=bool)
        keep = (p_inv >= 0) & (p_round >= 0)
        p_inv, p_round, lead = p_inv[keep], p_round[keep], lead[keep]
    else:
        p_inv = p_round = np.array([], dtype=np.int64)
        lead = np.array([], dtype=bool)
    order = np.lexsort((p_round, p_inv)) if len(p_inv) else np.array([], dtype=np.int64)
    ix.p_inv, ix.p_round, ix.p_lead = p_inv[order], p_round[order], lead[order]
    _finish(ix)
    return ix


def _finish(ix: GraphIndex) -> None:
    _, ix.inv_ptr = _csr(ix.p_inv, len(ix.inv_ids))
    ix.rp_order, ix.rp_ptr = _csr(ix.p_round, len(ix.r_ids))
    has_co = ix.r_company >= 0
    co_keys = np.where(has_co, ix.r_company, len(ix.co_ids))
    order, ptr = _csr(co_keys, len(ix.co_ids) + 1)
    ix.co_round_order, ix.co_ptr = order, ptr[:-1] if len(ptr) > 1 else ptr


def graph_index(store) -> GraphIndex:
    """The index of an embedded store, rebuilt when ``store.version`` changed."""
    ix = _CACHE.get(store)
    if ix is not None and ix.version == store.version:
        return ix
    with _BUILDING:  # a server's warm-up thread and its first request build it once, not twice
        ix = _CACHE.get(store)
        if ix is None or ix.version != store.version:
            ix = build_index(store)
            _CACHE[store] = ix
            # long-lived like the graph (see EmbeddedStore.reload): keep its millions of tuples, sets and
            # lists out of the cyclic GC's full collections, which otherwise stall queries for a second
            gc.freeze()
    return ix
