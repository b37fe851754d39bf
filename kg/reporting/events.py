"""The report's venture events of a year, read once from the graph with their companies' facts
(segment, province, city, macro regions) and investors; the published numbers they are compared with."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx

from ontology import load as load_ontology

__all__ = ["LISTED_TYPES", "REPORT_YEAR", "round_types", "THREE", "THREE_LABEL", "TOLERANCE", "UNKNOWN", "Events", "events_of",
           "published_figures"]

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
    a = d.get("amount_cny")
    if isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) and d.get("disclosed", True):
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

