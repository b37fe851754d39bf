"""The report's venture events of a year, read once from the graph with their companies' facts
(segment, province, city, macro regions) and investors; the published numbers they are compared with."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ontology import load as load_ontology

__all__ = ["LISTED_TYPES", "REPORT_YEAR", "round_types", "THREE", "THREE_LABEL", "TOLERANCE", "UNKNOWN", "Events", "events_of",
           "events_from_store", "published_figures"]

REPORT_YEAR = 2019
TOLERANCE = 0.02     # "agrees" when within 2% of the published number (relative)


def round_types(group: str) -> tuple[str, ...]:
    """The round types of one of the report's groups in ``ontology/rounds.yaml`` (early, later,
    strategic, listed, other), by stage: the one place a group's members are written down."""
    return tuple(r.type for r in sorted(load_ontology().rounds, key=lambda r: r.stage) if r.group == group)


LISTED_TYPES = round_types("listed")   # listings (ipo, private_placement): not venture events
THREE = ("京津冀", "长三角", "粤港澳大湾区")
THREE_LABEL = "京津冀+长三角+粤港澳"
UNKNOWN = "未知"


@lru_cache(maxsize=1)
def published_figures() -> dict:
    """figures.yaml with Table 5 as ``{"table5": {name: reported_2019_companies}}``."""
    from loaders.seed import read_seed

    fig = dict(read_seed("figures.yaml"))
    fig["table5"] = {r["name"]: int(r["reported_2019_companies"]) for r in read_seed("table5_investors.yaml")}
    return fig



# ------------------------------------------------------------------------------------------ the events
@dataclass
class Events:
    """The venture events of one year, flattened (one entry per event) with their company's facts."""

    year: int
    ids: list = field(default_factory=list)
    company: list = field(default_factory=list)     # company id or None
    type: list = field(default_factory=list)
    group: list = field(default_factory=list)       # early | later | strategic | other
    month: list = field(default_factory=list)       # 1..12 or None
    amount: list = field(default_factory=list)      # CNY or None
    investors: list = field(default_factory=list)   # [(investor id, lead)]
    co_name: dict = field(default_factory=dict)     # company id -> name
    co_segment: dict = field(default_factory=dict)  # company id -> segment name or None
    co_province: dict = field(default_factory=dict)
    co_city: dict = field(default_factory=dict)
    co_macros: dict = field(default_factory=dict)   # company id -> tuple of macro region names
    inv_name: dict = field(default_factory=dict)
    # what the source knows beyond the year's events (set by :func:`events_from_store`; None: read the graph)
    listed: dict | None = None      # company id -> board, for every company listed by the year's end
    synthetic: bool | None = None   # any of the events synthetic
    facts: Callable | None = field(default=None, repr=False)  # company id -> fills the co_* facts

    def __len__(self) -> int:
        return len(self.ids)


def _year_of(d: dict):
    y = d.get("year")
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return int(y)
    date = d.get("date")
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def _month_of(d: dict):
    for v in (d.get("month"), d.get("date")):
        if isinstance(v, str) and len(v) >= 7 and v[5:7].isdigit():
            m = int(v[5:7])
            if 1 <= m <= 12:
                return m
    return None


def _amount(d: dict):
    return _amount_of(d.get("amount_cny"), d.get("disclosed"))


def _amount_of(a, disclosed=None):
    """A round's disclosed amount in CNY (None: none, not a number, or marked not disclosed)."""
    if isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) and (disclosed is None or disclosed):
        return float(a)
    return None


def _out(G: nx.MultiDiGraph, n, rel: str):
    """Targets of ``n``'s outgoing ``rel`` relationships (over networkx's own dicts: the views cost 3×)."""
    return [v for v, keys in G._succ[n].items() if rel in keys]


def _company_facts(G: nx.MultiDiGraph, c, ev: Events) -> None:
    if c in ev.co_name:
        return
    nodes = G._node
    onto = load_ontology()
    d = nodes[c]
    ev.co_name[c] = d.get("name") or c
    segs = sorted(nodes[s].get("name") or s for s in _out(G, c, "IN_SEGMENT"))
    ev.co_segment[c] = segs[0] if segs else None
    prov = city = None
    for r in _out(G, c, "LOCATED_IN"):
        level = nodes[r].get("level")
        if level == "province" and prov is None:
            prov = r
        elif level == "city" and city is None:
            city = r
    if prov is None and city is not None:
        ups = [p for p in _out(G, city, "PART_OF") if nodes[p].get("level") == "province"]
        if ups:
            prov = ups[0]
        else:
            reg = onto.region(nodes[city].get("name"), level="city")
            if reg is not None and reg.parents and reg.parents[0] in G:
                prov = reg.parents[0]
    ev.co_city[c] = nodes[city].get("name") if city is not None else None
    if prov is None:
        ev.co_province[c], ev.co_macros[c] = None, ()
        return
    pname = nodes[prov].get("name") or prov
    ev.co_province[c] = pname
    macros = tuple(sorted(nodes[m].get("name") for m in _out(G, prov, "PART_OF") if nodes[m].get("level") == "macro"))
    if not macros:  # a graph without the regions' PART_OF: the ontology knows
        reg = onto.region(pname, level="province")
        macros = tuple(sorted(onto.region_by_id(p).name for p in (reg.parents if reg else ())
                              if onto.region_by_id(p) and onto.region_by_id(p).level == "macro"))
    ev.co_macros[c] = macros


def events_of(G: nx.MultiDiGraph, year: int | None = REPORT_YEAR) -> Events:
    """The venture events of ``year`` (every year when None) with their companies and investors."""
    onto = load_ontology()
    groups = {r.type: r.group for r in onto.rounds}
    ev = Events(year=year)
    ev.facts = lambda c: _company_facts(G, c, ev)
    nodes, pred = G._node, G._pred
    for n, d in nodes.items():
        if d.get("_label") != "Round":
            continue
        t = d.get("type") or "other"
        if t in LISTED_TYPES:
            continue
        if year is not None and _year_of(d) != year:
            continue
        comp = None
        invs = []
        for u, keys in pred[n].items():
            if "RAISED" in keys and comp is None and nodes[u].get("_label") == "Company":
                comp = u
            if "INVESTED_IN" in keys:
                invs.append((u, bool(keys["INVESTED_IN"].get("lead"))))
                if u not in ev.inv_name:
                    ev.inv_name[u] = nodes[u].get("name") or u
        if comp is not None:
            _company_facts(G, comp, ev)
        ev.ids.append(n)
        ev.company.append(comp)
        ev.type.append(t)
        ev.group.append(groups.get(t, "other"))
        ev.month.append(_month_of(d))
        ev.amount.append(_amount(d))
        ev.investors.append(invs)
    return ev



# ------------------------------------------------------------------------------------------ from a store
_LABELS = ("Round", "Company", "Investor", "Region", "Segment")   # what the figures read of a store


class _Nodes:
    """The report's nodes (:data:`_LABELS`) under dense codes (one span of codes per label): ids, names, region levels."""

    def __init__(self, store):
        from kg.store.reading import column_values

        tables = {label: store.entities(label) for label in _LABELS}
        self.ids = pa.chunked_array([t.column("id") for t in tables.values()], pa.string()).combine_chunks()
        self.py_ids = self.ids.to_pylist()
        self.offset = dict(zip(_LABELS, np.cumsum([0] + [t.num_rows for t in tables.values()])[:-1].tolist()))
        self.names = [n for t in tables.values() for n in column_values(t, "name")]
        self.level = [None] * len(self.py_ids)
        off = self.offset["Region"]
        for k, lv in enumerate(column_values(tables["Region"], "level")):
            self.level[off + k] = lv
        self.tables = tables

    def codes(self, column, prefer: str | None = None) -> np.ndarray:
        """Each id of ``column`` as its code (-1: not one of the report's nodes). With ``prefer`` (the
        label these ids mostly have), looked up among that label's ids first and among all only for
        the rest: the same codes, from a smaller table."""
        if prefer is None:
            return pc.fill_null(pc.index_in(column, value_set=self.ids), -1).to_numpy().astype(np.int64)
        a, _ = self.span(prefer)
        ids = self.tables[prefer].column("id").combine_chunks()
        out = pc.fill_null(pc.index_in(column, value_set=ids), -1).to_numpy().astype(np.int64)
        hit = out >= 0
        out[hit] += a
        if not hit.all():
            out[~hit] = self.codes(pc.filter(column, pa.array(~hit)))
        return out

    def span(self, label: str) -> tuple[int, int]:
        a = self.offset[label]
        return a, a + self.tables[label].num_rows

    def name_or_id(self, code: int):
        return self.names[code] or self.py_ids[code]


# the label most starts and ends of each relationship have (a node of another label is found too)
_ENDS = {"RAISED": ("Company", "Round"), "INVESTED_IN": ("Investor", "Round"), "LOCATED_IN": ("Company", "Region"),
         "IN_SEGMENT": ("Company", "Segment"), "PART_OF": ("Region", "Region")}


def _edges(store, type_: str, nodes: _Nodes, props: tuple[str, ...] = ()):
    """The relationships of ``type_`` whose two ends are report nodes, in table order, as codes
    ``(starts, ends, {prop: values})``."""
    from kg.store.reading import column_values

    t = store.relationships(type_)
    start, end = _ENDS[type_]
    s, e = nodes.codes(t.column("_start"), start), nodes.codes(t.column("_end"), end)
    keep = (s >= 0) & (e >= 0)
    values = {}
    for p in props:
        vals = column_values(t, p)
        values[p] = vals if keep.all() else [v for v, k in zip(vals, keep.tolist()) if k]
    return s[keep], e[keep], values


def _first_per(starts: np.ndarray, ends: np.ndarray, size: int) -> np.ndarray:
    """For each start code, the end of its first relationship in table order (-1: none)."""
    out = np.full(size, -1, np.int64)
    if len(starts):
        uniq, first = np.unique(starts, return_index=True)
        out[uniq] = ends[first]
    return out


def events_from_store(store, year: int | None = REPORT_YEAR) -> Events:
    """:func:`events_of` read straight from the store's tables (:class:`kg.store.GraphReader`), with
    no graph in between: the same events, in the same order, with the same facts (a test compares the
    two on real workspaces), at a fraction of the cost of building the graph (13 s at 100k deals).
    Every company's facts are read at once; its :attr:`Events.listed` and :attr:`Events.synthetic`
    answer what :func:`listed_by_province` and the report's synthetic mark would otherwise read from
    the graph."""
    from kg.store.reading import column_values

    onto = load_ontology()
    groups = {r.type: r.group for r in onto.rounds}
    nodes = _Nodes(store)
    size = len(nodes.py_ids)
    ev = Events(year=year)
    _all_facts(store, ev, nodes, onto)
    ev.facts = lambda c: None   # every company's facts are in already

    r0, r1 = nodes.span("Round")
    c0, c1 = nodes.span("Company")
    s, e, _ = _edges(store, "RAISED", nodes)
    ok = (s >= c0) & (s < c1)
    company_of = _first_per(e[ok], s[ok], size)[r0:r1]          # round -> the first company that RAISED it
    s, e, props = _edges(store, "INVESTED_IN", nodes, ("lead",))
    leads = props["lead"]
    key = e.astype(np.int64) * size + s
    uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
    if len(uniq) < len(key):   # a repeated relationship keeps the first place and the last lead it gives
        last: dict = {}
        for k, lead in zip(key.tolist(), leads):
            if lead is not None or k not in last:
                last[k] = lead
        leads = [last[k] for k in key.tolist()]
    order = np.sort(first)
    order = order[np.argsort(e[order], kind="stable")]
    pairs = list(zip([nodes.py_ids[c] for c in s[order].tolist()], [bool(leads[i]) for i in order.tolist()]))
    per_round = np.bincount(e[order], minlength=size)[r0:r1]
    ends = np.cumsum(per_round).tolist()
    starts = (np.cumsum(per_round) - per_round).tolist()

    rounds = nodes.tables["Round"]
    cols = [column_values(rounds, k) for k in ("type", "year", "date", "month", "amount_cny", "disclosed", "synthetic")]
    types, years, dates, months, amounts, disclosed, synth = cols
    py_ids, company_of = nodes.py_ids, company_of.tolist()
    types = [t or "other" for t in types]
    # the year and the month of a round from its (year, date) and (month, date): few distinct pairs
    sel = [k for k, t in enumerate(types) if t not in LISTED_TYPES]
    if year is not None:
        ykeys = list(zip(years, dates))
        year_of = {yk: _year_of({"year": yk[0], "date": yk[1]}) for yk in set(ykeys)}
        sel = [k for k in sel if year_of[ykeys[k]] == year]
    mkeys = list(zip(months, dates))
    month_of = {mk: _month_of({"month": mk[0], "date": mk[1]}) for mk in {mkeys[k] for k in sel}}
    ev.ids = [py_ids[r0 + k] for k in sel]
    ev.company = [py_ids[c] if c >= 0 else None for c in (company_of[k] for k in sel)]
    ev.type = [types[k] for k in sel]
    ev.group = [groups.get(t, "other") for t in ev.type]
    ev.month = [month_of[mkeys[k]] for k in sel]
    ev.amount = [_amount_of(amounts[k], disclosed[k]) for k in sel]
    ev.investors = [pairs[starts[k]:ends[k]] for k in sel]
    name_of = dict(zip(py_ids, nodes.names))
    ev.inv_name = {u: name_of.get(u) or u for u in {u for invs in ev.investors for u, _ in invs}}
    ev.listed, ev.synthetic = _listed(nodes, company_of, cols, year), any(bool(synth[k]) for k in sel)
    return ev


def _listed(nodes: _Nodes, company_of: list, cols: list, year) -> dict:
    """company id -> board, for each company listed by the end of ``year``: one with an IPO by then
    (the IPO's board, else the company's), then every company with a board."""
    from kg.store.reading import column_values

    c0, _ = nodes.span("Company")
    boards = column_values(nodes.tables["Company"], "board")
    round_boards = column_values(nodes.tables["Round"], "board")
    listed: dict = {}
    for k, (t, y, date) in enumerate(zip(*cols[:3])):
        if t != "ipo" or company_of[k] < 0:
            continue
        y_ipo = _year_of({"year": y, "date": date})
        if year is not None and y_ipo is not None and y_ipo > year:
            continue
        c = company_of[k]
        cid = nodes.py_ids[c]
        listed[cid] = listed.get(cid) or round_boards[k] or boards[c - c0]
    for k, board in enumerate(boards):
        if board:
            cid = nodes.py_ids[c0 + k]
            listed[cid] = listed.get(cid) or board
    return listed


def _all_facts(store, ev: Events, nodes: _Nodes, onto) -> None:
    """:func:`_company_facts` for every company at once (the same rules, the same order): its first
    segment by name, its first province and city (a city's province when it has none), the macro
    regions of that province."""
    size = len(nodes.py_ids)
    level = np.array([{"province": 1, "city": 2, "macro": 3}.get(lv, 0) if isinstance(lv, str) else 0
                      for lv in nodes.level], np.int8)
    # the segment first by name: rank the few segment ends by their names
    s, e, _ = _edges(store, "IN_SEGMENT", nodes)
    seg_of = np.full(size, -1, np.int64)
    if len(s):
        ends = np.unique(e)
        by_name = sorted(ends.tolist(), key=nodes.name_or_id)
        rank = np.full(size, len(by_name), np.int64)
        rank[by_name] = np.arange(len(by_name))
        best = np.full(size, len(by_name), np.int64)
        np.minimum.at(best, s, rank[e])
        has = best < len(by_name)
        seg_of[has] = np.array(by_name, np.int64)[best[has]]
    s, e, _ = _edges(store, "LOCATED_IN", nodes)
    prov = _first_per(s[level[e] == 1], e[level[e] == 1], size)
    city = _first_per(s[level[e] == 2], e[level[e] == 2], size)
    s, e, _ = _edges(store, "PART_OF", nodes)
    city_prov = _first_per(s[level[e] == 1], e[level[e] == 1], size)
    macros_of: dict = {}
    for p, m in zip(s[level[e] == 3].tolist(), e[level[e] == 3].tolist()):
        macros_of.setdefault(p, {})[m] = nodes.names[m]   # each macro region once
    known = set(nodes.py_ids)
    code_of = {}

    def province_of_city(c):
        if city_prov[c] >= 0:
            return int(city_prov[c])
        reg = onto.region(nodes.names[c], level="city")
        if reg is not None and reg.parents and reg.parents[0] in known:
            if not code_of:
                code_of.update(zip(nodes.py_ids, range(size)))
            return code_of[reg.parents[0]]
        return -1

    def macros(p):
        ms = tuple(sorted(macros_of.get(p, {}).values()))
        if not ms:
            reg = onto.region(nodes.name_or_id(p), level="province")
            ms = tuple(sorted(onto.region_by_id(x).name for x in (reg.parents if reg else ())
                              if onto.region_by_id(x) and onto.region_by_id(x).level == "macro"))
        return ms

    c0, c1 = nodes.span("Company")
    cities = city[c0:c1]
    provs = prov[c0:c1].copy()
    lost = (provs < 0) & (cities >= 0)
    if lost.any():
        by_city = {c: province_of_city(c) for c in set(cities[lost].tolist())}
        provs[lost] = [by_city[c] for c in cities[lost].tolist()]
    ids = nodes.py_ids[c0:c1]
    names, py_names = nodes.names[c0:c1], nodes.names
    ev.co_name.update(zip(ids, [n or i for n, i in zip(names, ids)]))
    ev.co_segment.update(zip(ids, [nodes.name_or_id(x) if x >= 0 else None for x in seg_of[c0:c1].tolist()]))
    ev.co_city.update(zip(ids, [py_names[x] if x >= 0 else None for x in cities.tolist()]))
    pnames = {p: nodes.name_or_id(p) for p in set(provs.tolist()) if p >= 0}
    pmacros = {p: macros(p) for p in pnames}
    plist = provs.tolist()
    ev.co_province.update(zip(ids, [pnames.get(p) for p in plist]))
    ev.co_macros.update(zip(ids, [pmacros.get(p, ()) for p in plist]))
