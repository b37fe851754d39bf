"""Named queries: each declared once (parameters, docstring, columns, portable Cypher with
``$params`` and the embedded implementation side by side), run on any backend by :func:`run`.

>>> sorted(REGISTRY)[:3]
['amount_total', 'co_investors', 'coinvest_network']
"""
# the modules below declare the queries (importing them registers them)
from kg.queries import counts, deals, network, paths, portfolio, reference, search, summaries  # noqa: F401
from kg.queries.base import REGISTRY, NamedQuery, Param, Prepared, lookup, prepare, run

__all__ = ["REGISTRY", "NamedQuery", "Param", "Prepared", "lookup", "prepare", "run"]
