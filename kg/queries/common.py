"""Pieces several named queries share: how a company or a round is described, on both backends.

Each description exists twice, as a Cypher fragment and as a function over the
:class:`kg.index.GraphIndex`, and both produce the same plain dicts.
Note: FalkorDB confuses two pattern comprehensions that reuse a variable name in one clause,
so every comprehension here has its own variable (``seg_``, ``prov_``, ``city_``).
"""
from __future__ import annotations

import functools
import math

from kg.queries.base import Graph, as_money

__all__ = [
    "COMPANY_INFO",
    "ROUND_MAP",
    "add_round",
    "company_fields",
    "company_info",
    "joined",
    "round_info",
    "round_sort_key",
    "stage_of",
]

# a company's segments and regions, as columns of a RETURN/WITH over `c`
COMPANY_INFO = ("[(c)-[:IN_SEGMENT]->(seg_:Segment) | seg_.name] AS segments, "
                "[(c)-[:LOCATED_IN]->(prov_:Region) WHERE prov_.level = 'province' | prov_.name] AS provinces, "
                "[(c)-[:LOCATED_IN]->(city_:Region) WHERE city_.level = 'city' | city_.name] AS cities")

# a round as a map (inside collect) over `r`
ROUND_MAP = "{id: r.id, label: r.label, type: r.type, date: r.date, amount_cny: r.amount_cny}"


def company_info(ix, c: int) -> dict:
    """Embedded twin of :data:`COMPANY_INFO`."""
    return {"segments": [ix.seg_names.get(s, s) for s in ix.co_segments[c]],
            "provinces": list(ix.co_provinces[c]), "cities": list(ix.co_cities[c])}


def round_info(ix, r: int) -> dict:
    """Embedded twin of :data:`ROUND_MAP`."""
    a = ix.r_amount[r]
    return {"id": ix.r_ids[r], "label": ix.r_labels[r], "type": ix.r_type[r] or None, "date": ix.r_date[r] or None,
            "amount_cny": None if math.isnan(a) else float(a)}


def joined(names) -> str | None:
    """Several names as one cell ("、"-joined, sorted, unique), None when there is none."""
    vals = sorted({str(n) for n in (names or []) if n})
    return "、".join(vals) if vals else None


def company_fields(raw: dict) -> dict:
    """segment / province / city cells from a raw row carrying :data:`COMPANY_INFO`."""
    return {"segment": joined(raw.get("segments")), "province": joined(raw.get("provinces")),
            "city": joined(raw.get("cities"))}


@functools.cache
def _stages() -> dict:
    from ontology import load

    return {r.type: r.stage for r in load().rounds}


def stage_of(type_: str | None) -> int:
    """The ontology's stage number of a round type (99 when unknown)."""
    return _stages().get(type_, 99)


def round_sort_key(r: dict):
    """Chronological, undated last, then by stage and id."""
    return (r.get("date") is None, r.get("date") or "", stage_of(r.get("type")), r.get("id") or "")


def add_round(g: Graph, r: dict, company_id: str | None = None) -> str:
    """A round node (and its RAISED edge when the company is known)."""
    name = " ".join(str(x) for x in (r.get("label"), r.get("date")) if x) or r["id"]
    g.node(r["id"], "Round", name, type=r.get("type"), round=r.get("label"), date=r.get("date"),
           amount_cny=as_money(r.get("amount_cny")))
    if company_id:
        g.edge(company_id, "RAISED", r["id"])
    return r["id"]
