"""The report's figures regenerated from whatever graph is loaded, beside the numbers it published.

Every function is pure: a year's events (:func:`events_from_store`, read from any store's tables;
or :func:`events_of` a ``networkx.MultiDiGraph`` such as :func:`report_graph` builds) and the year
in, one figure out; :func:`build_report` takes a store or a graph. A figure is a dict::

    {"id": "fig11", "title": "图11 …", "title_en": "Fig. 11 …", "year": 2019, "source": "report 2020 …",
     "columns": [...], "rows": [{column: value}, ...],          # the table, comparison columns included
     "published": {row: {metric: value | {"min": x} | {"max": x} | "above" | …}},
     "diff": {row: {metric: value - published | bound violation (0 = kept) | agrees (bool)}},
     "checks": [{"row", "metric", "value", "published", "diff", "rel", "ok"}], "notes": [...]}

Published numbers come from ``loaders/seed_data/figures.yaml`` and ``table5_investors.yaml``; they
are attached only for the report's year (2019). What counts, as the report counts it:

- an *event* is a Round of the year that is not a listing (types ``ipo``, ``private_placement``);
- its company is the Company that RAISED it; the company's province is the province it is
  LOCATED_IN (or its city's province), its macro regions those the province is PART_OF;
- *A+ and earlier* is the round group ``early`` of ``ontology/rounds.yaml``;
- Table 5 counts the distinct companies whose events of the year an investor took part in.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("company:x", _label="Company", name="X")
>>> G.add_node("round:x|a|2019-07", _label="Round", type="a", date="2019-07-02", year=2019,
...            disclosed=True, amount_cny=5e7)
>>> _ = G.add_edge("company:x", "round:x|a|2019-07", key="RAISED")
>>> h = headline(G, 2019)
>>> [(r["metric"], r["value"]) for r in h["rows"][:3]]
[('events', 1), ('companies', 1), ('companies_multi_round', 0)]
"""
from __future__ import annotations

import threading
import weakref

import networkx as nx

from kg.store.reading import table_rows
from kg.reporting.events import (  # noqa: F401  (the public names of kg.report)
    LISTED_TYPES,
    REPORT_YEAR,
    THREE,
    THREE_LABEL,
    TOLERANCE,
    UNKNOWN,
    Events,
    events_from_store,
    events_of,
    published_figures,
)
from kg.reporting.figures import (  # noqa: F401
    FIGURES,
    ROUND_BUCKETS,
    cities,
    headline,
    listed_by_province,
    months,
    regions,
    round_mix,
    segment_stage,
    segments_by_company,
    table5,
)
from kg.reporting.files import (  # noqa: F401
    CHARTS,
    SYNTHETIC_CAPTION,
    cjk_font,
    format_cell,
    format_figure,
    format_report,
    write_charts,
    write_csv,
    write_report,
    write_xlsx,
)

__all__ = ["FIGURES", "build_report", "report_graph", "events_of", "events_from_store", "Events", "headline", "table5",
           "listed_by_province", "months", "regions", "cities", "segment_stage", "round_mix",
           "segments_by_company", "published_figures", "REPORT_YEAR", "TOLERANCE", "format_report", "write_report"]


def build_report(source, year: int = REPORT_YEAR, only: list[str] | None = None, scale: float = 1.0) -> dict:
    """Every figure for ``year`` (events extracted once), with a count of checks that agree.

    ``source`` is a store (any :class:`kg.store.GraphReader`: the events are read from its tables,
    :func:`events_from_store`) or a graph such as :func:`report_graph` builds (the same figures, slower:
    kept for graphs made by hand). ``scale`` multiplies the published counts (not the shares), to
    compare data of another size."""
    if isinstance(source, nx.Graph):
        G, ev = source, events_of(source, year)
        nodes = G._node
        synthetic = any(nodes[n].get("synthetic") for n in ev.ids if n in nodes)
    else:
        G, ev = None, events_from_store(source, year)
        synthetic = bool(ev.synthetic)
    figs = [fn(G, year, ev=ev, scale=scale) for k, fn in FIGURES.items() if not only or k in only]
    for f in figs:
        f["synthetic"] = synthetic
    checks = [c for f in figs for c in f["checks"]]
    return {"year": year, "scale": scale, "events": len(ev), "figures": figs, "synthetic": synthetic,
            "agreement": {"checks": len(checks), "ok": sum(1 for c in checks if c["ok"]), "tolerance": TOLERANCE}}


# ------------------------------------------------------------------------------------------ the graph
_REPORT_LABELS = ("Round", "Company", "Investor", "Region", "Segment")
_REPORT_RELS = ("RAISED", "INVESTED_IN", "LOCATED_IN", "IN_SEGMENT", "PART_OF")


_GRAPHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> (version, graph)
_GRAPHS_LOCK = threading.Lock()


def report_graph(store) -> nx.MultiDiGraph:
    """The graph the figures are computed from: the nodes and relationships they need, read through
    the store's read interface (:class:`kg.store.GraphReader`) into a MultiDiGraph, the same on every
    backend; built once per store version (do not change it)."""
    store.refresh()
    version = store.version
    with _GRAPHS_LOCK:
        hit = _GRAPHS.get(store)
        if hit is not None and hit[0] == version:
            return hit[1]
        G = nx.MultiDiGraph()
        for label in _REPORT_LABELS:
            t = store.entities(label)
            for nid, props in zip(t.column("id").to_pylist(), table_rows(t)):
                G.add_node(nid, _label=label, **{k: v for k, v in props.items() if k != "_label"})
        for rel in _REPORT_RELS:
            t = store.relationships(rel)
            starts, ends = t.column("_start").to_pylist(), t.column("_end").to_pylist()
            for s, e, props in zip(starts, ends, table_rows(t, skip=("_start", "_end"))):
                if s in G and e in G:
                    G.add_edge(s, e, key=rel, **props)
        _GRAPHS[store] = (version, G)
    return G
