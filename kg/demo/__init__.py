"""Demo data: synthetic 2019 deals calibrated to the report's figures (``kg demo``).

- :mod:`kg.demo.targets`: the report's figures the data aims at (read from the seed data) and
  exact integer quotas for any size;
- :mod:`kg.demo.generate`: the numpy generator and the :class:`~kg.model.Batch` it becomes;
- :mod:`kg.demo.names`: made-up Chinese company and investor names;
- :func:`run_demo`: generate and apply to a store, atomically and idempotently.
"""
from __future__ import annotations

import time

from kg.demo.generate import DEFAULT_DEALS, DEFAULT_SEED, MAX_DEALS, DemoData, demo_batch, generate, source_of

__all__ = ["run_demo", "generate", "demo_batch", "DemoData", "DEFAULT_DEALS", "DEFAULT_SEED", "MAX_DEALS",
           "taken_names"]


def taken_names(store, source: str) -> set[str]:
    """Names of companies and investors already in ``store`` that this demo run must not reuse:
    every one not written by ``source`` itself (real data, or another seed's demo)."""
    names: set[str] = set()
    G = getattr(store, "graph", None)
    if G is not None:
        for n, d in G.nodes(data=True):
            if d.get("_label") in ("Company", "Investor") and d.get("name") \
                    and source not in (d.get("sources") or ()):
                names.add(d["name"])
        return names
    read = getattr(store, "read", None)
    if read is not None:
        rows = read("MATCH (n) WHERE (n:Company OR n:Investor) AND NOT $src IN coalesce(n.sources, []) "
                    "RETURN n.name AS name", {"src": source})
        names.update(r["name"] for r in rows if r.get("name"))
    return names


def run_demo(store, deals: int = DEFAULT_DEALS, seed: int = DEFAULT_SEED, progress=None) -> dict:
    """Generate ``deals`` synthetic deals with ``seed`` and apply them to ``store`` in one batch.

    ``progress``, if given, is called with the number of items to write and returns the callback
    the store calls as it writes (``lambda total: tqdm(total=total).update``).
    Returns the generator's summary with ``changes`` (what the store created or updated) and
    ``seconds`` (generation, writing). Running it again with the same seed and size changes nothing.
    """
    t0 = time.perf_counter()
    source = source_of(seed)
    data: DemoData = generate(deals, seed, avoid=frozenset(taken_names(store, source)))
    batch = demo_batch(data)
    t1 = time.perf_counter()
    record = {"kind": "demo", "file": source, "seed": seed, "deals": deals, "rows": deals, "loaded": deals,
              "rejected": 0, "batch": batch.counts()}
    changes = store.apply(batch, record=record, progress=progress(len(batch)) if progress else None)
    t2 = time.perf_counter()
    return {**data.summary(), "source": source, "changes": changes,
            "seconds": {"generate": round(t1 - t0, 3), "write": round(t2 - t1, 3)}}
