"""What every exporter works from: a :class:`Payload`, the registry, and the small helpers they share.

:func:`make_payload` turns any input (a :class:`kg.result.Result`, a chat answer dict, a plain graph
dict ``{"nodes", "edges"}`` or a networkx graph from the embedded store) into one normal form:
nodes with a schema label, a display caption and their properties; edges with a type; the table
rows; the Cypher; provenance; and whether the subgraph was cut (by the query's own limit or by
``max_nodes``) and by how much.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from kg.formatting import is_money_column, money_text
from kg.graph_style import LABEL_NAMES, LABEL_STYLE, color_of  # noqa: F401  (color_of: the exporters' name for it)
from kg.result import jsonable

__all__ = [
    "EXPORTERS",
    "LABEL_COLORS",
    "LABEL_ZH",
    "SYNTHETIC_NOTE",
    "Export",
    "Exporter",
    "Payload",
    "about",
    "caption_of",
    "cell_text",
    "clean",
    "color_of",
    "flat_props",
    "json_dumps",
    "jsonable",
    "make_payload",
    "one_line",
    "register",
    "safe_filename",
    "scalar",
    "truncation_note",
]

SYNTHETIC_NOTE = "contains synthetic demo data / 含合成演示数据"

# one colour per schema label, shared by the HTML, PNG and SVG exports and the pages (kg.graph_style)
LABEL_COLORS = {label: style["color"] for label, style in LABEL_STYLE.items()}
LABEL_ZH = {label: zh for label, (zh, _en) in LABEL_NAMES.items()}


@dataclass
class Payload:
    """The normal form of anything exported (see the module docstring)."""

    nodes: list[dict]      # {"id": str, "label": str, "caption": str, "props": {...}} (props without id/label)
    edges: list[dict]      # {"source": str, "target": str, "type": str, "props": {...}}
    rows: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cypher: str = ""
    params_cypher: dict = field(default_factory=dict)
    title: str = "IIKG graph"
    provenance: dict = field(default_factory=dict)  # kind, query/question, params, generated_at, generator
    truncated: bool = False
    omitted: dict = field(default_factory=dict)     # {"nodes": n, "edges": m, ...}; counts of what was cut
    synthetic: bool = False                         # any node or edge marked synthetic
    lang: str = "zh"                                # the language the drawn formats' table cells read in

    def degree(self) -> dict[str, int]:
        deg = {n["id"]: 0 for n in self.nodes}
        for e in self.edges:
            deg[e["source"]] += 1
            deg[e["target"]] += 1
        return deg


@dataclass(frozen=True)
class Export:
    """One exported file: its bytes, MIME type, a safe file name, and whether it was cut."""

    data: bytes
    mimetype: str
    filename: str
    truncated: bool


@dataclass(frozen=True)
class Exporter:
    """One format: ``write(payload) -> bytes``; ``max_nodes`` is its default cap (None: no cap)."""

    format: str
    extension: str
    mimetype: str
    write: Callable[[Payload], bytes]
    description: str
    max_nodes: int | None = None


EXPORTERS: dict[str, Exporter] = {}


def register(fmt: str, *, extension: str, mimetype: str, description: str, max_nodes: int | None = None):
    """Decorator: add ``write`` to :data:`EXPORTERS` under ``fmt``."""

    def deco(fn):
        EXPORTERS[fmt] = Exporter(fmt, extension, mimetype, fn, description, max_nodes)
        return fn

    return deco


# ---------------------------------------------------------------------------- values
def scalar(v):
    """A value a flat format accepts (str, int, float, bool) or None to drop it.

    Made JSON-safe first (:func:`kg.result.jsonable`: numpy scalars, non-finite floats None, sets
    sorted); then lists become ``"a; b"`` and maps JSON text.

    >>> scalar(["file:a.csv#L2", "report:表5"])
    'file:a.csv#L2; report:表5'
    >>> scalar(float("nan")) is None
    True
    """
    v = jsonable(v)
    if isinstance(v, list):
        items = (scalar(x) for x in v)
        return "; ".join(str(x) for x in items if x is not None and x != "")
    if isinstance(v, dict):
        return json_dumps(v)
    return v


def json_dumps(obj, **kw) -> str:
    return json.dumps(jsonable(obj), ensure_ascii=False, allow_nan=False, **kw)


def flat_props(props: dict) -> dict:
    """``props`` with scalar values only (None dropped), for GraphML, GEXF, CSV and XLSX."""
    out = {}
    for k, v in props.items():
        s = scalar(v)
        if s is not None:
            out[str(k)] = s
    return out


def caption_of(label: str, props: dict, id: str) -> str:
    """Display name: the name, a policy's title, a round's label and date, else the id."""
    if props.get("name"):
        return str(props["name"])
    if props.get("title"):
        return str(props["title"])
    if label == "Round" and (props.get("label") or props.get("date")):
        return " ".join(str(x) for x in (props.get("label"), props.get("date")) if x)
    return str(id)


_UNSAFE_FILENAME = re.compile(r"[^\w\-]+", re.UNICODE)


def safe_filename(stem: str, extension: str) -> str:
    """A file name with no path, no dot-files, no control or shell characters: letters (Chinese too),
    digits, ``-`` and ``_``, at most 60 characters before the extension.

    >>> safe_filename("../../etc/passwd", "csv")
    'etc-passwd.csv'
    >>> safe_filename("深创投 co-investors", "html")
    '深创投-co-investors.html'
    >>> safe_filename("", "json")
    'iikg-export.json'
    """
    s = unicodedata.normalize("NFKC", str(stem or ""))
    s = _UNSAFE_FILENAME.sub("-", s).strip("-_")
    s = re.sub(r"-{2,}", "-", s)[:60].strip("-_")
    ext = re.sub(r"[^a-z0-9]", "", extension.lower()) or "bin"
    return f"{s or 'iikg-export'}.{ext}"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(v):
    """``v`` with characters no XML file may hold removed from every string (recursively)."""
    if isinstance(v, str):
        return _XML_INVALID.sub("", v)
    if isinstance(v, dict):
        return {clean(k) if isinstance(k, str) else k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


def cell_text(col: str, v, lang: str = "zh") -> str | None:
    """One table cell as a person reads it (the HTML export's table): money by the one rule
    (:func:`kg.formatting.money_text`), anything else as :func:`scalar` text; None for no value.

    >>> cell_text("amount_cny", 639_000_000, "zh"), cell_text("amount_cny", None, "en"), cell_text("n", 3)
    ('6.39亿元', 'undisclosed', '3')
    """
    if is_money_column(col) and (v is None or isinstance(v, (int, float)) and not isinstance(v, bool)):
        return money_text(v, lang)
    s = scalar(v)
    return None if s is None else str(s)


def one_line(text) -> str:
    """``text`` on one line (for comments and headers: no line break can escape them)."""
    return " ".join(str(text).split())


def truncation_note(p: Payload) -> str:
    """'truncated: 120 nodes, 340 edges omitted' (English and Chinese), '' when not cut."""
    if not p.truncated:
        return ""
    parts = [f"{v} {k[:-1] if v == 1 and k.endswith('s') else k}" for k, v in p.omitted.items()
             if isinstance(v, int) and v]
    zh = {"nodes": "节点", "edges": "关系", "rows": "行"}
    parts_zh = [f"{v}个{zh.get(k, k)}" for k, v in p.omitted.items() if isinstance(v, int) and v]
    en = "truncated: " + (", ".join(parts) + " omitted" if parts else "the result was cut by a limit")
    cn = "已截断：" + ("省略" + "、".join(parts_zh) if parts_zh else "结果受数量上限限制")
    return f"{en} / {cn}"


# ---------------------------------------------------------------------------- inputs
def _split_label(d: dict) -> tuple[str, dict]:
    """(schema label, properties) of a node dict or networkx attributes.

    The graph format puts the schema label in ``label``; the stores use ``_label``, and then a
    ``label`` key is a property (a round's "A轮")."""
    props = dict(d)
    props.pop("id", None)
    if "_label" in props:
        label = props.pop("_label")
    else:
        label = props.pop("label", None)
    if isinstance(label, (list, tuple)):
        label = label[0] if label else None
    return str(label or "Node"), props


def _is_synthetic(props: dict) -> bool:
    v = props.get("synthetic")
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    if isinstance(v, list):
        return any(v)
    return bool(v)


def _declared_synthetic(obj) -> bool:
    """A Result's ``meta["synthetic"]`` or an answer's ``synthetic`` (the chat and :func:`kg.exports.provenance.mark`
    set them when any fact behind the result is synthetic)."""
    if isinstance(obj, dict):
        return _is_synthetic(obj) or _is_synthetic(obj.get("meta") or {})
    meta = getattr(obj, "meta", None)
    return isinstance(meta, dict) and _is_synthetic(meta)


def _from_networkx(G) -> dict:
    nodes = [{"id": str(n), **d} for n, d in G.nodes(data=True)]
    edges = []
    if G.is_multigraph():
        for u, v, k, d in G.edges(keys=True, data=True):
            t = d.get("type") or d.get("_type") or k
            edges.append({**{x: y for x, y in d.items() if x not in ("type", "_type")},
                          "source": str(u), "target": str(v), "type": str(t)})
    else:
        for u, v, d in G.edges(data=True):
            t = d.get("type") or d.get("_type") or "RELATED_TO"
            edges.append({**{x: y for x, y in d.items() if x not in ("type", "_type")},
                          "source": str(u), "target": str(v), "type": str(t)})
    return {"nodes": nodes, "edges": edges}


def _columns(rows: list[dict], columns) -> list[str]:
    cols = [str(c) for c in (columns or [])]
    seen = set(cols)
    for r in rows:
        for k in r:
            if str(k) not in seen:
                seen.add(str(k))
                cols.append(str(k))
    return cols


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _generator() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"IIKG {version('iikg')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "IIKG"


def make_payload(obj, *, title: str | None = None, max_nodes: int | None = None, lang: str | None = None) -> Payload:
    """Normalise ``obj`` (Result, answer dict, graph dict or networkx graph) and cut it to ``max_nodes``.

    ``lang`` (``"zh"`` or ``"en"``; default: an answer's own language, else Chinese) is the language a
    person reads the table in (:func:`cell_text`). ``max_nodes`` keeps the first nodes in the given order (queries put the entities that answer
    first) and the edges between them; what is left out is counted in ``omitted``.
    """
    from kg.result import Result

    obj = obj if not isinstance(obj, dict) else clean(obj)
    rows: list = []
    columns: list = []
    cypher, params_cypher = "", {}
    truncated = False
    omitted: dict = {}
    prov: dict = {}
    if isinstance(obj, Result):
        graph, rows, columns = clean(obj.graph or {}), clean(obj.rows or []), clean(obj.columns or [])
        cypher, params_cypher = clean(obj.cypher or ""), clean(obj.params_cypher or {})
        truncated = bool(obj.truncated)
        src_omitted = (obj.meta or {}).get("omitted")
        prov = {"kind": "query", "query": clean(obj.name), "params": clean(obj.params or {})}
        default_title = " ".join([obj.name, *(str(v) for v in (obj.params or {}).values() if v not in (None, ""))])
    elif hasattr(obj, "nodes") and hasattr(obj, "edges") and hasattr(obj, "is_multigraph"):
        graph, src_omitted = clean(_from_networkx(obj)), None
        prov = {"kind": "graph"}
        default_title = str(obj.graph.get("name") or "IIKG graph") if isinstance(obj.graph, dict) else "IIKG graph"
    elif isinstance(obj, dict) and isinstance(obj.get("graph"), dict):  # chat answer or Result.as_dict()
        graph, rows, columns = obj["graph"], obj.get("rows") or [], obj.get("columns") or []
        cypher, params_cypher = obj.get("cypher") or "", obj.get("params_cypher") or {}
        truncated = bool(obj.get("truncated"))
        src_omitted = (obj.get("meta") or {}).get("omitted")
        total, shown = obj.get("total"), obj.get("shown")
        if type(total) is int and type(shown) is int and total > shown and not src_omitted:
            truncated, src_omitted = True, total - shown  # an answer that lists the first rows of more
        if "question" in obj:
            prov = {"kind": "answer", "question": obj.get("question"), "intent": obj.get("intent"),
                    "params": obj.get("params") or {}, "language": obj.get("language")}
            default_title = str(obj.get("question") or "IIKG answer")
        else:
            prov = {"kind": "query", "query": obj.get("name"), "params": obj.get("params") or {}}
            default_title = " ".join([str(obj.get("name") or "IIKG query"),
                                      *(str(v) for v in (obj.get("params") or {}).values() if v not in (None, ""))])
    elif isinstance(obj, dict) and ("nodes" in obj or "edges" in obj):
        graph, src_omitted = obj, None
        prov = {"kind": "graph"}
        default_title = "IIKG graph"
    else:
        from kg.errors import InputError

        raise InputError(f"cannot export a {type(obj).__name__}: expected a Result, an answer or a graph")

    if isinstance(src_omitted, dict):
        omitted.update({k: v for k, v in src_omitted.items() if isinstance(v, int) and not isinstance(v, bool)})
    elif isinstance(src_omitted, int) and not isinstance(src_omitted, bool) and src_omitted:
        omitted["rows"] = src_omitted

    nodes, index = [], {}
    for raw in graph.get("nodes") or []:
        if not isinstance(raw, dict) or raw.get("id") in (None, ""):
            continue
        nid = str(raw["id"])
        label, props = _split_label(raw)
        if nid in index:  # the same node twice: merge its properties
            index[nid]["props"].update({k: v for k, v in props.items() if v is not None})
            continue
        props = {k: v for k, v in props.items() if v is not None}
        node = {"id": nid, "label": label, "caption": caption_of(label, props, nid), "props": props}
        index[nid] = node
        nodes.append(node)

    edges, seen = [], set()
    for raw in graph.get("edges") or []:
        if not isinstance(raw, dict):
            continue
        s, t = str(raw.get("source", raw.get("_start", ""))), str(raw.get("target", raw.get("_end", "")))
        typ = str(raw.get("type") or raw.get("_type") or "RELATED_TO")
        if s not in index or t not in index or (s, typ, t) in seen:
            continue
        seen.add((s, typ, t))
        props = {k: v for k, v in raw.items()
                 if k not in ("source", "target", "type", "_type", "_start", "_end", "key") and v is not None}
        edges.append({"source": s, "target": t, "type": typ, "props": props})

    if max_nodes is not None and max_nodes >= 0 and len(nodes) > max_nodes:
        keep = {n["id"] for n in nodes[:max_nodes]}
        kept_edges = [e for e in edges if e["source"] in keep and e["target"] in keep]
        omitted["nodes"] = omitted.get("nodes", 0) + len(nodes) - max_nodes
        omitted["edges"] = omitted.get("edges", 0) + len(edges) - len(kept_edges)
        nodes, edges = nodes[:max_nodes], kept_edges
        truncated = True
    synthetic = any(_is_synthetic(n["props"]) for n in nodes) or any(_is_synthetic(e["props"]) for e in edges) \
        or _declared_synthetic(obj) or any(isinstance(r, dict) and _is_synthetic(r) for r in rows)
    if omitted and any(omitted.values()):
        truncated = True

    prov = {k: v for k, v in prov.items() if v not in (None, "", {})}
    prov.update({"generated_at": _now(), "generator": _generator()})
    rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
    return Payload(nodes=nodes, edges=edges, rows=rows, columns=_columns(rows, columns), cypher=cypher,
                   params_cypher=params_cypher, title=one_line(clean(title or default_title))[:200] or "IIKG graph",
                   provenance=prov, truncated=truncated, omitted=omitted, synthetic=synthetic,
                   lang="en" if (lang or prov.get("language")) == "en" else "zh")


def about(p: Payload) -> list[tuple[str, str]]:
    """Provenance as (key, value) lines: for the XLSX 'about' sheet, CSV and comments."""
    lines = [("title", p.title)]
    for k in ("kind", "query", "question", "intent", "language"):
        if p.provenance.get(k):
            lines.append((k, str(p.provenance[k])))
    if p.provenance.get("params"):
        lines.append(("params", json_dumps(p.provenance["params"])))
    lines += [("generated_at", p.provenance.get("generated_at", "")),
              ("generator", p.provenance.get("generator", "")),
              ("nodes", str(len(p.nodes))), ("edges", str(len(p.edges))), ("rows", str(len(p.rows)))]
    if p.truncated:
        lines.append(("truncated", truncation_note(p)))
    if p.synthetic:
        lines.append(("synthetic", SYNTHETIC_NOTE))
    if p.cypher:
        lines.append(("cypher", p.cypher))
    if p.params_cypher:
        lines.append(("params_cypher", json_dumps(p.params_cypher)))
    return lines
