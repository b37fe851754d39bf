"""Demo data: synthetic deals calibrated to the report's 2019 figures, and the years before 2019 sized
by the report's yearly industry figures (``kg demo``).

- :mod:`kg.demo.targets`: the report's figures the data aims at (read from the seed data) and
  exact integer quotas for any size;
- :mod:`kg.demo.generate`: the numpy generator and the :class:`~kg.model.Batch` it becomes;
- :mod:`kg.demo.names`: made-up Chinese company and investor names;
- :func:`run_demo`: generate and apply to a store, atomically and idempotently.

2019 is exactly the calibrated year (its own random stream, as before other years existed). Each
other year of ``years`` gets ``round(deals × year_factor(year))`` deals with 2019's shape (the
report's core-industry value added 2018 vs 2019; before 2018 the same growth continued, see
:data:`kg.demo.targets.VALUE_ADDED_CNY_YI`), new companies, and the same syndicates of synthetic
investors (:func:`kg.demo.generate.keep_syndicates`), so co-investment builds up over the years.
"""
from __future__ import annotations

import time

from kg.demo.generate import (DEFAULT_DEALS, DEFAULT_SEED, MAX_DEALS, YEAR, DemoData, demo_batch, generate,
                              keep_syndicates, source_of)
from kg.demo.targets import DEMO_YEARS, year_factor
from kg.store.reading import column_values

__all__ = ["run_demo", "generate", "demo_batch", "DemoData", "DEFAULT_DEALS", "DEFAULT_SEED", "MAX_DEALS",
           "DEMO_YEARS", "taken_names", "year_deals"]


def year_deals(deals: int, year: int) -> int:
    """Deals of ``year`` when 2019 has ``deals``."""
    return deals if year == YEAR else max(1, round(deals * year_factor(year)))


def taken_names(store, source: str) -> set[str]:
    """Names of companies and investors already in ``store`` that this demo run must not reuse:
    every one not written by ``source`` itself (real data, or another seed's demo)."""
    names: set[str] = set()
    for label in ("Company", "Investor"):
        t = store.entities(label)
        for name, sources in zip(column_values(t, "name"), column_values(t, "sources")):
            if name and source not in (sources or ()):
                names.add(name)
    return names


def run_demo(store, deals: int = DEFAULT_DEALS, seed: int = DEFAULT_SEED, progress=None,
             years=DEMO_YEARS) -> dict:
    """Generate ``deals`` synthetic 2019 deals with ``seed`` (and the other ``years``, sized by
    :func:`year_deals`) and apply them to ``store`` in one batch.

    ``progress``, if given, is called with the number of items to write and returns the callback
    the store calls as it writes (``lambda total: tqdm(total=total).update``).
    Returns 2019's summary (the calibrated year) with ``years`` (events, companies and disclosed
    amount per year), ``all`` (every synthetic node written, by kind), ``changes`` (what the store
    created or updated) and ``seconds`` (generation, writing). Running it again with the same seed,
    size and years changes nothing.
    """
    t0 = time.perf_counter()
    source = source_of(seed)
    years = sorted({int(y) for y in (years or ())} | {YEAR})
    avoid = set(taken_names(store, source))
    data: DemoData = generate(deals, seed, avoid=frozenset(avoid))
    batch = demo_batch(data)
    per_year = {YEAR: data.summary()}
    used = set(data.co_name) | set(data.inv_name)
    for y in years:
        if y == YEAR:
            continue
        other = generate(year_deals(deals, y), seed, avoid=frozenset(avoid | used), year=y)
        keep_syndicates(other, data)
        used |= set(other.co_name) | set(other.inv_name)
        per_year[y] = other.summary()
        extra = demo_batch(other)
        for label, nodes in extra.nodes.items():
            batch.nodes.setdefault(label, {}).update(nodes)
        for rel, rels in extra.rels.items():
            batch.rels.setdefault(rel, {}).update(rels)
    t1 = time.perf_counter()
    events = sum(v["events"] for v in per_year.values())   # every year's rounds: what the manifest shows as loaded
    record = {"kind": "demo", "file": source, "seed": seed, "deals": deals, "rows": events, "loaded": events,
              "rejected": 0, "batch": batch.counts(), "years": years}
    changes = store.apply(batch, record=record, progress=progress(len(batch)) if progress else None)
    t2 = time.perf_counter()
    synthetic = {label: sum(1 for p in nodes.values() if p.get("synthetic")) for label, nodes in batch.nodes.items()}
    return {**data.summary(), "source": source, "changes": changes,
            "years": {y: {k: per_year[y][k] for k in ("events", "companies", "disclosed_events", "disclosed_amount_cny")}
                      for y in years},
            "all": {k: v for k, v in synthetic.items() if v},
            "seconds": {"generate": round(t1 - t0, 3), "write": round(t2 - t1, 3)}}
