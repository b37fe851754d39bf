"""Finding entities by name: what the search box and the chat's suggestions use.

Matching is the entity resolver's (:mod:`kg.queries.resolve`): NFKC-normalised names and aliases,
Chinese or English, exact first, then prefixes, parts and near spellings. It runs in Python over
the store's catalogue of names on every backend, so the ranking is the same everywhere.
"""
from __future__ import annotations

from kg.errors import QueryError
from kg.queries.base import Graph, NamedQuery, Param, register
from kg.queries.resolve import LABEL_ORDER, catalog

__all__ = ["LABELS", "search"]

LABELS = {"investor": "Investor", "投资方": "Investor", "投资机构": "Investor", "机构": "Investor",
          "company": "Company", "公司": "Company", "企业": "Company",
          "region": "Region", "地区": "Region", "区域": "Region", "城市": "Region", "省份": "Region",
          "segment": "Segment", "领域": "Segment", "行业": "Segment", "细分领域": "Segment",
          "policy": "Policy", "政策": "Policy", "factory": "Factory", "工厂": "Factory", "灯塔工厂": "Factory"}


def _prepare(p) -> None:
    lab = p["label"]
    if lab is not None:
        canon = LABELS.get(lab.strip().lower()) or next((x for x in LABEL_ORDER if x.lower() == lab.strip().lower()), None)
        if canon is None:
            raise QueryError(f"label: unknown label {lab!r}; use {', '.join(LABEL_ORDER)}")
        p.values["label"] = canon
        p.cy["label"] = canon
    p.cy.update(text=p["text"], limit=p["limit"], label=p["label"])


def _search(store, p) -> dict:
    labels = (p["label"],) if p["label"] else ()
    hits = catalog(store).search(p["text"], labels, limit=p["limit"])
    return {"main": [{"id": e.id, "label": e.label, "name": e.name, "score": s} for s, e in hits]}


def _shape(raw, p) -> dict:
    rows = list(raw["main"])
    g = Graph()
    for r in rows:
        g.node(r["id"], r["label"], r["name"], score=r["score"])
    return {"rows": rows, "value": len(rows), "graph": g}


search = register(NamedQuery(
    name="search",
    doc="""Entities whose name or alias matches the text (Chinese or English, partial input and
    near spellings accepted), best first: score 1 exact, then prefix, part, near.""",
    params=(Param("text", "str", required=True, help="what to look for"),
            Param("limit", "int", 10, help="results at most", lo=1, hi=1000),
            Param("label", "str", help="only this kind: Investor, Company, Region, Segment, Policy, Factory")),
    columns=("name", "label", "score"),
    value="number of matches",
    statements={"main": """
MATCH (n)
WHERE ($label IS NULL OR labels(n)[0] = $label)
  AND (toLower(n.name) CONTAINS toLower($text)
       OR any(alias IN coalesce(n.aliases, []) WHERE toLower(alias) CONTAINS toLower($text)))
RETURN n.id AS id, labels(n)[0] AS label, n.name AS name
LIMIT $limit"""},
    embedded=lambda ix, p: _search(p.store, p),
    shape=_shape,
    cypher_runner=lambda store, p, statements: _search(store, p),
    prepare=_prepare,
))
