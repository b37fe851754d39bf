"""The common filters of the named queries, once for both backends.

``year``, ``date_from``/``date_to`` (ISO prefixes, inclusive), ``segment``, ``region`` (a
province or macro region includes its cities/members), ``round`` (types or labels), ``lead_only``
and ``min_amount`` (CNY yuan). Each filter is a Cypher condition over the conventional variables
``r`` (Round), ``c`` (Company) and ``p`` (INVESTED_IN), and the same test as a numpy mask over
:class:`kg.index.GraphIndex`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kg.errors import QueryError
from kg.queries.params import Param

__all__ = ["FILTER_PARAMS", "Filters", "filter_params", "region_closure", "round_types"]

FILTER_PARAMS: dict[str, Param] = {
    "year": Param("year", "int", help="only rounds of this year", lo=1900, hi=2100),
    "date_from": Param("date_from", "date", help="rounds on or after this date (2019, 2019-09, 2019-09-18)"),
    "date_to": Param("date_to", "date", help="rounds on or before this date (a prefix: 2019-09 includes the whole month)"),
    "segment": Param("segment", "entity", labels=("Segment",), help="industry segment (name, alias or id)"),
    "region": Param("region", "entity", labels=("Region",),
                    help="province, city or macro region (a province/macro region includes its cities/members)"),
    "round": Param("round", "round", help="round types or labels (a, a_plus, A轮, Series B, strategic, ipo; a list)"),
    "lead_only": Param("lead_only", "bool", False, help="only rounds the investor led"),
    "min_amount": Param("min_amount", "amount", help="only rounds of at least this amount in CNY yuan (or 1亿元)"),
}

ROUND_GROUPS = ("early", "later", "strategic", "listed", "other")


def filter_params(*names: str, exclude: tuple[str, ...] = ()) -> tuple[Param, ...]:
    """The common filter parameters named (all of them by default)."""
    names = names or tuple(FILTER_PARAMS)
    return tuple(FILTER_PARAMS[n] for n in names if n not in exclude)


def round_types(labels: list[str]) -> tuple[str, ...]:
    """Round types for labels as users write them (A轮, Series A+, a_plus, 战略投资, or a group: early…)."""
    from ontology import load

    onto = load()
    out: list[str] = []
    for lab in labels:
        key = lab.strip().lower()
        if key in ROUND_GROUPS:
            out += [r.type for r in onto.rounds if r.group == key]
            continue
        if not onto.round_known(lab):
            known = ", ".join(r.type for r in onto.rounds)
            raise QueryError(f"round: unknown round {lab!r}; use a type ({known}), a label such as A轮 "
                             f"or Series B, or a group ({', '.join(ROUND_GROUPS)})")
        out.append(onto.round(lab).type)
    return tuple(sorted(set(out)))


def region_closure(store, region_id: str) -> frozenset:
    """The region and every region PART_OF it within two hops (what the Cypher pattern
    ``(:Region)-[:PART_OF*0..2]->(:Region {id: $region})`` reaches), read through the store's
    relationships table (:class:`kg.store.GraphReader`), never a whole graph."""
    members = _part_of(store)
    seen = {region_id}
    frontier = [region_id]
    for _ in range(2):
        nxt = []
        for n in frontier:
            for s in members.get(n, ()):
                if s not in seen:
                    seen.add(s)
                    nxt.append(s)
        frontier = nxt
    return frozenset(seen)


_PART_OF: dict = {}


def _part_of(store) -> dict:
    """Region id -> the ids PART_OF it, cached per store version."""
    key = (id(store), store.version)
    hit = _PART_OF.get(key)
    if hit is None:
        table = store.relationships("PART_OF")
        d = table.select(["_start", "_end"]).to_pydict()
        hit = {}
        for a, b in zip(d["_start"], d["_end"]):
            hit.setdefault(b, []).append(a)
        _PART_OF.clear()
        _PART_OF[key] = hit
    return hit


@dataclass
class Filters:
    """Resolved filter values (ids and round types, not names)."""

    NAMES = tuple(FILTER_PARAMS)

    year: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    segment: str | None = None       # Segment id
    region: str | None = None        # Region id
    round_types: tuple[str, ...] | None = None
    lead_only: bool = False
    min_amount: float | None = None
    store: object = None

    @classmethod
    def build(cls, store, values: dict, entities: dict) -> Filters:
        from kg.queries.resolve import resolve

        f = cls(store=store)
        f.year = values.get("year")
        f.date_from = values.get("date_from")
        f.date_to = values.get("date_to")
        f.lead_only = bool(values.get("lead_only"))
        f.min_amount = values.get("min_amount")
        if values.get("segment") is not None:
            ent = resolve(store, values["segment"], ("Segment",), param="segment")
            entities["segment"] = ent
            f.segment = ent.id
        if values.get("region") is not None:
            ent = resolve(store, values["region"], ("Region",), param="region")
            entities["region"] = ent
            f.region = ent.id
        if values.get("round") is not None:
            f.round_types = round_types(values["round"])
        return f

    # ------------------------------------------------------------------ Cypher
    def conditions(self) -> list[str]:
        """Cypher conditions over ``r``, ``c`` and ``p`` for the active filters."""
        out = []
        if self.year is not None:
            out.append("r.year = $year")
        if self.date_from is not None:
            out.append("r.date >= $date_from")
        if self.date_to is not None:
            out.append("substring(r.date, 0, size($date_to)) <= $date_to")
        if self.round_types is not None:
            out.append("r.type IN $round_types")
        if self.min_amount is not None:
            out.append("r.amount_cny >= $min_amount")
        if self.segment is not None:
            out.append("(c)-[:IN_SEGMENT]->(:Segment {id: $segment})")
        if self.region is not None:
            out.append("(c)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..2]->(:Region {id: $region})")
        if self.lead_only:
            out.append("p.lead = true")
        return out

    def cypher_params(self) -> dict:
        out = {}
        for k in ("year", "date_from", "date_to", "min_amount", "segment", "region"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.round_types is not None:
            out["round_types"] = list(self.round_types)
        return out

    # ------------------------------------------------------------------ embedded
    def company_mask(self, ix) -> np.ndarray | None:
        """Companies passing the segment and region filters (None when neither is set)."""
        mask = None
        if self.segment is not None:
            seg = self.segment
            mask = ix.memo(("segment", seg),
                           lambda: np.fromiter((seg in s for s in ix.co_segments), bool, len(ix.co_ids)))
        if self.region is not None:
            closure = ix.memo(("closure", self.region), lambda: region_closure(self.store, self.region))
            reg = ix.company_mask_for_regions(closure)
            mask = reg if mask is None else mask & reg
        return mask

    def round_mask(self, ix) -> np.ndarray:
        """Rounds (raised by a company) passing every round and company filter."""
        m = ix.r_company >= 0
        if self.year is not None:
            m &= ix.r_year == self.year
        if self.date_from is not None:
            m &= (ix.r_date != "") & (ix.r_date >= self.date_from)
        if self.date_to is not None:
            m &= (ix.r_date != "") & (ix.r_date.astype(f"U{len(self.date_to)}") <= self.date_to)
        if self.round_types is not None:
            types, codes = ix.type_codes()  # a few distinct types: test those, not every round's string
            m &= np.isin(types, list(self.round_types))[codes] if len(codes) else np.zeros(0, dtype=bool)
        if self.min_amount is not None:
            with np.errstate(invalid="ignore"):
                m &= ix.r_amount >= self.min_amount
        cm = self.company_mask(ix)
        if cm is not None:
            m &= np.where(ix.r_company >= 0, cm[np.maximum(ix.r_company, 0)], False)
        return m

    def part_mask(self, ix, parts: np.ndarray | None = None, rmask: np.ndarray | None = None) -> np.ndarray:
        """Participations (positions ``parts``, or all) in passing rounds, led ones only with lead_only."""
        rmask = self.round_mask(ix) if rmask is None else rmask
        parts = np.arange(len(ix.p_round)) if parts is None else parts
        m = rmask[ix.p_round[parts]]
        if self.lead_only:
            m &= ix.p_lead[parts]
        return m
