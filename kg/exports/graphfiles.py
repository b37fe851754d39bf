"""Graph files through ``networkx.readwrite``: GraphML, GEXF and node-link JSON.

Each builds an ``nx.MultiDiGraph`` from the payload. GraphML and GEXF take scalars only, one type
per attribute name, so lists (``sources``, ``aliases``) are joined with ``"; "``, maps become JSON
text, None is dropped, and an attribute with mixed types across nodes becomes text (or float when
all are numbers). The schema label is the node attribute ``label`` (GEXF: ``node_label``, since
GEXF's own ``label`` is what Gephi draws, the caption); a round's own ``label`` property is kept as
``round_label``. Provenance and truncation are graph-level attributes.
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from kg.exports.base import Payload, about, flat_props, json_dumps, jsonable, register, truncation_note

__all__ = ["to_networkx", "write_gexf", "write_graphml", "write_json"]


def _prop_key(node_label: str, key: str, reserved) -> str:
    if key in reserved:
        return f"{node_label.lower()}_{key}" if key == "label" else f"{key}_prop"
    return key


def _uniform(items: list[dict]) -> None:
    """Give each attribute one type across ``items`` (in place): numbers -> float, mixed -> str."""
    kinds: dict[str, set] = {}
    for d in items:
        for k, v in d.items():
            kinds.setdefault(k, set()).add(type(v))
    for k, ts in kinds.items():
        if len(ts) < 2:
            continue
        to = float if ts <= {int, float} else str
        for d in items:
            if k in d:
                d[k] = to(d[k]) if to is float else ("true" if d[k] is True else "false" if d[k] is False
                                                      else str(d[k]))


def _graph_attrs(p: Payload) -> dict:
    attrs = {"title": p.title, "truncated": bool(p.truncated), "synthetic": bool(p.synthetic)}
    for k, v in about(p):
        if k not in attrs and k not in ("nodes", "edges", "rows"):
            attrs[k] = v
    for k, v in p.omitted.items():
        attrs[f"omitted_{k}"] = int(v)
    return attrs


def to_networkx(p: Payload, *, flat: bool, gexf: bool = False):
    """The payload as a ``networkx.MultiDiGraph`` keyed by relationship type (flat: scalar attributes
    only). networkx is imported here, not with the module: ``kg`` and its format list start without it."""
    import networkx as nx

    G = nx.MultiDiGraph()
    node_reserved = {"label", "id", "pid", "start", "end", "viz", "parents", "spells", "slices"} if gexf \
        else {"label", "id"}
    edge_reserved = {"label", "id", "weight", "type", "start", "end", "viz", "key", "networkx_key"} if gexf \
        else {"type", "id", "key", "source", "target"}
    node_attrs = []
    for n in p.nodes:
        props = flat_props(n["props"]) if flat else jsonable(n["props"])
        a = {_prop_key(n["label"], k, node_reserved): v for k, v in props.items()}
        if gexf:
            a = {"label": n["caption"], "node_label": n["label"], **a}
        else:
            a = {"label": n["label"], **a}
        a.setdefault("name", n["caption"])
        node_attrs.append(a)
    edge_attrs = []
    for e in p.edges:
        props = flat_props(e["props"]) if flat else jsonable(e["props"])
        a = {_prop_key("edge", k, edge_reserved): v for k, v in props.items()}
        a = {"label": e["type"], **a} if gexf else {"type": e["type"], **a}
        edge_attrs.append(a)
    if flat:
        _uniform(node_attrs)
        _uniform(edge_attrs)
    for n, a in zip(p.nodes, node_attrs):
        G.add_node(n["id"], **a)
    for i, (e, a) in enumerate(zip(p.edges, edge_attrs)):
        # GraphML edge ids must be unique: key by position there, by type elsewhere (like the store)
        key = f"e{i}" if flat and not gexf else e["type"]
        G.add_edge(e["source"], e["target"], key=key, **a)
    return G


@register("graphml", extension="graphml", mimetype="application/graphml+xml",
          description="GraphML (yEd, Gephi, Cytoscape, networkx); provenance as graph attributes")
def write_graphml(p: Payload) -> bytes:
    G = to_networkx(p, flat=True)
    G.graph.update({k: v for k, v in _graph_attrs(p).items() if v is not None})
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8", prettyprint=True)
    data = buf.getvalue()
    if p.truncated:  # also say it where a human reading the file looks first
        note = truncation_note(p).replace("--", "- -")
        head, sep, rest = data.partition(b"?>")
        data = head + sep + f"\n<!-- {note} -->".encode() + rest if sep else data
    return data


@register("gexf", extension="gexf", mimetype="application/gexf+xml",
          description="GEXF 1.2 (Gephi); node label = name, schema label in node_label")
def write_gexf(p: Payload) -> bytes:
    from networkx.readwrite.gexf import GEXFWriter

    G = to_networkx(p, flat=True, gexf=True)
    G.graph["name"] = p.title
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(G)
    meta = writer.xml.find("meta")
    if meta is not None:
        desc = [f"{k}: {v}" for k, v in about(p) if k not in ("nodes", "edges", "rows")]
        ET.SubElement(meta, "description").text = "\n".join(desc)
        ET.SubElement(meta, "keywords").text = "IIKG" + ("; truncated" if p.truncated else "") + \
            ("; synthetic" if p.synthetic else "")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@register("json", extension="json", mimetype="application/json",
          description="node-link JSON (networkx.node_link_data) with rows, Cypher and provenance")
def write_json(p: Payload) -> bytes:
    import networkx as nx

    G = to_networkx(p, flat=False)
    doc = {
        "format": "iikg-export",
        "version": 1,
        "title": p.title,
        "provenance": p.provenance,
        "truncated": bool(p.truncated),
        "omitted": p.omitted,
        "synthetic": bool(p.synthetic),
        "graph": nx.node_link_data(G, edges="edges"),
        "columns": p.columns,
        "rows": p.rows,
        "cypher": p.cypher,
        "params_cypher": p.params_cypher,
    }
    if p.truncated:
        doc["truncated_note"] = truncation_note(p)
    return (json_dumps(doc, indent=1) + "\n").encode("utf-8")
