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


_LEVEL = {"country": 0, "macro": 1, "province": 2, "city": 3}


def _search(store, p) -> dict:
    """Best first: exact names, aliases and English names (1), then prefixes, parts and near
    spellings, across every kind; at equal scores investors, companies, regions… in that order.
    One row per name and kind: 上海 the province-level municipality stands for 上海 the city too."""
    labels = (p["label"],) if p["label"] else ()
    limit = p["limit"]
    hits = catalog(store).search(p["text"], labels, limit=limit + 8)
    best: dict[tuple[str, str], tuple[float, object]] = {}
    order: list[tuple[str, str]] = []
    for s, e in hits:
        key = (e.label, e.name)
        if key not in best:
            best[key] = (s, e)
            order.append(key)
            continue
        s0, e0 = best[key]
        if s > s0 or (s == s0 and _level(e.id) < _level(e0.id)):
            best[key] = (s, e)
    rows = [{"id": e.id, "label": e.label, "name": e.name, "score": s} for s, e in (best[k] for k in order)]
    return {"main": rows[:limit]}


def _level(eid: str) -> int:
    return _LEVEL.get(str(eid).split(":", 1)[0], 9)


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
    cypher_runner=lambda read, p, statements: _search(p.store, p),
    prepare=_prepare,
))
