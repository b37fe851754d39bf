"""A standalone, offline HTML graph: one file with vis-network inlined (``kg/vendor``), no network at all.

Names are hostile: the page text goes through Jinja2's autoescaping, the graph data sits in a
``<script type="application/json">`` with ``<``, ``>``, ``&`` written as ``\\u003c`` etc., hover
titles are DOM text nodes (never HTML), and a Content-Security-Policy forbids every load from
elsewhere. Physics stops once the layout settles; above :data:`PHYSICS_MAX` nodes positions are
computed here instead (the browser would take tens of seconds). Nodes are coloured by label (with
a legend) and sized by degree.
"""
from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from kg.exports.base import (
    LABEL_ZH,
    SYNTHETIC_NOTE,
    Payload,
    about,
    color_of,
    flat_props,
    register,
    safe_filename,
    truncation_note,
)

__all__ = ["PHYSICS_MAX", "TEMPLATES", "VENDOR", "script_json", "write_html"]

KG = Path(__file__).resolve().parent.parent
VENDOR = KG / "vendor" / "vis-network"
TEMPLATES = KG / "templates_export"
PHYSICS_MAX = 300      # above this many nodes the layout is computed server-side
TABLE_ROWS = 500       # rows shown in the page's table (the CSV/XLSX exports have them all)
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'

_JS_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(obj) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, ``<!--`` or ``&`` can appear.

    >>> script_json({"name": "</script><img src=x>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
    """
    s = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    for ch, esc in _JS_ESCAPES.items():
        s = s.replace(ch, esc)
    return s


@functools.lru_cache(maxsize=1)
def _vendor() -> tuple[str, str]:
    js = (VENDOR / "vis-network.min.js").read_text(encoding="utf-8")
    css = (VENDOR / "vis-network.css").read_text(encoding="utf-8")
    # inlined verbatim: make sure nothing in them can close their element early
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower():
        raise RuntimeError("the vendored vis-network cannot be inlined safely")
    return js, css


@functools.lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    return env.get_template("graph.html")


def _tip(lines: list[tuple[str, object]], limit: int = 14) -> str:
    out = []
    for k, v in lines[:limit]:
        s = str(v)
        out.append(f"{k}: {s if len(s) <= 200 else s[:199] + '…'}")
    if len(lines) > limit:
        out.append(f"… {len(lines) - limit} more")
    return "\n".join(out)


def _node_tip(n: dict, degree: int) -> str:
    props = flat_props(n["props"])
    props.pop("name", None)
    head = f"{n['caption']}\n{LABEL_ZH.get(n['label'], '')} {n['label']} · {n['id']}".rstrip()
    sources = props.pop("sources", None)
    lines = [(k, v) for k, v in props.items()]
    lines.append(("degree", degree))
    if sources:
        lines.append(("sources", sources))
    return head + "\n" + _tip(lines)


def _layout(p: Payload) -> dict:
    """Positions in pixels for big graphs (:func:`kg.layout.layout`, fixed seed), 60·√n wide on
    either side of 0."""
    from kg.layout import layout

    pos = layout([n["id"] for n in p.nodes], [(e["source"], e["target"]) for e in p.edges], seed=7)
    scale = 60 * math.sqrt(len(p.nodes))
    return {k: (x * scale, y * scale) for k, (x, y) in pos.items()}


def render(p: Payload, filename: str = "graph.png") -> str:
    deg = p.degree()
    physics = len(p.nodes) <= PHYSICS_MAX
    pos = {} if physics else _layout(p)
    nodes = []
    counts: dict[str, int] = {}
    for n in p.nodes:
        counts[n["label"]] = counts.get(n["label"], 0) + 1
        d = {"id": n["id"], "caption": n["caption"] if len(n["caption"]) <= 40 else n["caption"][:39] + "…",
             "group": n["label"], "color": color_of(n["label"]), "degree": deg[n["id"]],
             "tip": _node_tip(n, deg[n["id"]])}
        if n["props"].get("synthetic"):
            d["border"] = "#c0392b"
            d["tip"] += "\nsynthetic demo data / 合成演示数据"
        else:
            d["border"] = "#555555"
        if pos:
            d["x"], d["y"] = pos[n["id"]]
        nodes.append(d)
    names = {n["id"]: n["caption"] for n in p.nodes}
    edges = []
    for e in p.edges:
        lines = [(k, v) for k, v in flat_props(e["props"]).items()]
        tip = f"{names[e['source']]} —{e['type']}→ {names[e['target']]}" + ("\n" + _tip(lines) if lines else "")
        edges.append({"from": e["source"], "to": e["target"], "tip": tip})
    data = {"nodes": nodes, "edges": edges, "physics": physics, "font": FONT, "filename": filename}
    legend = [{"label": lab, "zh": LABEL_ZH.get(lab, ""), "color": color_of(lab), "count": c}
              for lab, c in sorted(counts.items(), key=lambda kv: -kv[1])]
    columns = list(p.columns)
    rows = [{c: _cell(r.get(c)) for c in columns} for r in p.rows[:TABLE_ROWS]]
    js, css = _vendor()
    from markupsafe import Markup

    return _template().render(
        title=p.title, generator=p.provenance.get("generator", "IIKG"),
        generated_at=p.provenance.get("generated_at", ""),
        n_nodes=len(p.nodes), n_edges=len(p.edges), n_rows=len(p.rows),
        truncated=truncation_note(p), synthetic=SYNTHETIC_NOTE if p.synthetic else "",
        legend=legend, physics=physics, about=[(k, v) for k, v in about(p) if k != "title"],
        columns=columns, rows=rows,
        data_json=Markup(script_json(data)), vis_js=Markup(js), vis_css=Markup(css))


def _cell(v):
    from kg.exports.base import scalar

    s = scalar(v)
    return None if s is None else str(s)


@register("html", extension="html", mimetype="text/html; charset=utf-8",
          description="standalone offline HTML graph (vis-network inlined), legend, hover details",
          max_nodes=3000)
def write_html(p: Payload) -> bytes:
    return render(p, safe_filename(p.title, "png")).encode("utf-8")
