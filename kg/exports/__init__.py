"""Exports of any answer, query result or view: a registry keyed by format.

>>> sorted(EXPORTERS)
['csv', 'cypher', 'gexf', 'graphml', 'html', 'json', 'png', 'svg', 'xlsx']
>>> g = {"nodes": [{"id": "investor:深创投", "label": "Investor", "name": "深创投"}], "edges": []}
>>> e = export(g, "json", title="深创投")
>>> e.filename, e.mimetype, e.truncated
('深创投.json', 'application/json', False)

Input: a :class:`kg.result.Result`, a chat answer dict (``rows``/``graph``/``cypher``), a plain graph
dict ``{"nodes": [...], "edges": [...]}`` or a networkx graph.
Formats: GraphML, GEXF and node-link JSON (``networkx.readwrite``), a CSV zip, XLSX, standalone
offline HTML (vis-network inlined), PNG and SVG (matplotlib), and a Cypher script. Every file
keeps the provenance (``sources``, ``synthetic``) and says when it was cut (``max_nodes``, or a
truncated Result). ``Export.filename`` is safe to put in a Content-Disposition header.
"""
from __future__ import annotations

from kg.errors import InputError

# each module registers its formats; the order they are imported in is the order FORMATS lists them
from kg.exports import graphfiles as _graphfiles  # noqa: F401  (graphml, gexf, json)
from kg.exports import tables as _tables  # noqa: F401  (csv, xlsx)
from kg.exports import html as _html  # noqa: F401
from kg.exports import drawing as _drawing  # noqa: F401  (png, svg)
from kg.exports import cypher as _cypher  # noqa: F401
from kg.exports.base import EXPORTERS, Export, Exporter, Payload, make_payload, safe_filename

__all__ = ["EXPORTERS", "FORMATS", "Export", "check_format", "Exporter", "Payload", "export", "make_payload", "safe_filename"]

# the one list of export formats (the CLI's --format choices, the web's ?format=, the error messages):
# the registry's keys. Importing this package is cheap (the exporters load networkx, matplotlib,
# xlsxwriter and pyvis only when they write).
FORMATS: tuple[str, ...] = tuple(EXPORTERS)


def check_format(fmt) -> str:
    """``fmt`` as a key of :data:`EXPORTERS` (``" XLSX"`` -> ``"xlsx"``); raises :class:`kg.errors.InputError`
    naming the formats when there is no such exporter."""
    key = str(fmt or "").strip().lower()
    if key not in EXPORTERS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return key


def export(result_or_graph, fmt: str, *, title: str | None = None, max_nodes: int | None = None,
           store=None, lang: str | None = None) -> Export:
    """``result_or_graph`` as a file in format ``fmt`` (see :data:`EXPORTERS`).

    ``max_nodes`` keeps the first that many nodes (the formats that draw have a default cap:
    HTML 3,000, PNG/SVG 1,000); a cut file says so. ``lang`` (``"zh"``/``"en"``; default an answer's own
    language, else Chinese) is the language the HTML table's cells read in (money by the one rule). With ``store``, every node, edge and row is first
    marked ``synthetic`` (and its source) from the store (:func:`kg.exports.provenance.mark`). Raises :class:`kg.errors.InputError` for an
    unknown format or input.
    """
    exporter = EXPORTERS[check_format(fmt)]
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1):
        raise InputError(f"max_nodes must be a positive whole number, got {max_nodes!r}")
    cap = max_nodes if max_nodes is not None else exporter.max_nodes
    if store is not None:
        from kg.exports.provenance import mark

        result_or_graph = mark(result_or_graph, store)
    payload = make_payload(result_or_graph, title=title, max_nodes=cap, lang=lang)
    data = exporter.write(payload)
    return Export(data=data, mimetype=exporter.mimetype, filename=safe_filename(payload.title, exporter.extension),
                  truncated=payload.truncated)
