"""A standalone, offline HTML graph: one file with vis-network inlined (``kg/vendor``), no network at all,
built with pyvis: the nodes and edges go into a :class:`pyvis.network.Network` and its
``generate_html`` renders the project's own template (``kg/templates_export/pyvis.html``, through
``set_template_dir``, autoescaped) instead of pyvis's CDN one. :func:`repr_html` is the notebook view
of any answer, result or graph (an ``<iframe srcdoc>`` holding that file).

Names are hostile: the page text goes through Jinja2's autoescaping, the graph data sits in a
``<script type="application/json">`` with ``<``, ``>``, ``&`` written as ``\\u003c`` etc., hover
titles are DOM text nodes (never HTML), and a Content-Security-Policy forbids every load from
elsewhere. Physics stops once the layout settles; above :data:`PHYSICS_MAX` nodes positions are
computed here instead (the browser would take tens of seconds). Nodes are coloured by label (with
a legend) and sized by degree; co-investment edges are drawn without arrows and as wide as
their shared rounds.
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
    cell_text,
    color_of,
    flat_props,
    register,
    safe_filename,
    truncation_note,
)
from kg.formatting import is_money_column
from kg.graph_style import UNDIRECTED

__all__ = ["PHYSICS_MAX", "TEMPLATE", "TEMPLATES", "UNDIRECTED", "VENDOR", "network", "repr_html", "script_json",
           "write_html"]

KG = Path(__file__).resolve().parent.parent
VENDOR = KG / "vendor" / "vis-network"
TEMPLATES = KG / "templates_export"
TEMPLATE = "pyvis.html"
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


def _tip(lines: list[tuple[str, object]], limit: int = 14) -> str:
    out = []
    for k, v in lines[:limit]:
        s = str(v)
        out.append(f"{k}: {s if len(s) <= 200 else s[:199] + '…'}")
    if len(lines) > limit:
        out.append(f"… {len(lines) - limit} more")
    return "\n".join(out)


def _node_tip(n: dict, degree: int, lang: str = "zh") -> str:
    props = {k: cell_text(k, v, lang) if is_money_column(k) else v for k, v in flat_props(n["props"]).items()}
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


def _weight(props: dict):
    for k in ("weight", "shared_rounds", "rounds"):
        v = props.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return None


def _options(physics: bool, n: int, font: str) -> dict:
    """vis-network options (pyvis carries them into the template)."""
    return {
        "autoResize": True,
        "nodes": {"shape": "dot", "scaling": {"min": 8, "max": 40,
                                              "label": {"enabled": True, "min": 11, "max": 20, "drawThreshold": 6}},
                  "font": {"face": font, "size": 13, "color": "#222", "strokeWidth": 3, "strokeColor": "#fff"},
                  "borderWidth": 1.5},
        "edges": {"smooth": False, "width": 1, "color": {"color": "#9aa5b1", "highlight": "#333", "hover": "#333"},
                  "scaling": {"min": 1, "max": 8}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": n > 400},
        "layout": {"improvedLayout": n <= 150, "randomSeed": 7},
        "physics": ({"enabled": True, "solver": "forceAtlas2Based",
                     "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 110, "avoidOverlap": 0.2},
                     "stabilization": {"enabled": True, "iterations": 200, "updateInterval": 20}}
                    if physics else {"enabled": False}),
    }


def network(nodes: list[dict], edges: list[dict], options: dict, context: dict):
    """A pyvis Network holding ``nodes`` and ``edges`` (vis dicts) and ``options``, rendering the
    project's template with ``context`` as its page text. The lists are set directly: pyvis's
    ``add_node``/``add_edge`` check every earlier item (quadratic: seconds for a few thousand)."""
    from jinja2 import StrictUndefined
    from markupsafe import Markup
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=False, cdn_resources="in_line")
    net.set_template_dir(str(TEMPLATES), TEMPLATE)
    env = net.templateEnv
    env.autoescape = True          # names are hostile: every {{ }} is escaped unless marked safe here
    env.undefined = StrictUndefined
    env.globals.update(context)

    def iikg_data(nodes_, edges_, options_, physics_enabled):
        opts = json.loads(options_) if isinstance(options_, str) else options_
        return Markup(script_json({"nodes": nodes_, "edges": edges_, "options": opts,
                                   "physics": bool(physics_enabled), "font": FONT,
                                   "filename": context.get("filename", "graph.png")}))

    env.globals["iikg_data"] = iikg_data
    net.nodes = nodes
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.edges = edges
    net.options = options
    return net


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
             "tip": _node_tip(n, deg[n["id"]], p.lang)}
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
    weighted = False
    for e in p.edges:
        lines = [(k, cell_text(k, v, p.lang) if is_money_column(k) else v) for k, v in flat_props(e["props"]).items()]
        directed = e["type"] not in UNDIRECTED
        arrow = "→" if directed else "—"
        tip = f"{names[e['source']]} —{e['type']}{arrow} {names[e['target']]}" + ("\n" + _tip(lines) if lines else "")
        d = {"from": e["source"], "to": e["target"], "tip": tip}
        if directed:
            d["arrows"] = "to"
        w = _weight(e["props"])
        if w is not None and not directed:
            d["value"] = w
            weighted = True
        edges.append(d)
    legend = [{"label": lab, "zh": LABEL_ZH.get(lab, ""), "color": color_of(lab), "count": c}
              for lab, c in sorted(counts.items(), key=lambda kv: -kv[1])]
    columns = list(p.columns)
    rows = [{c: cell_text(c, r.get(c), p.lang) for c in columns} for r in p.rows[:TABLE_ROWS]]
    js, css = _vendor()
    from markupsafe import Markup

    context = dict(
        title=p.title, generator=p.provenance.get("generator", "IIKG"),
        generated_at=p.provenance.get("generated_at", ""),
        n_nodes=len(p.nodes), n_edges=len(p.edges), n_rows=len(p.rows),
        truncated=truncation_note(p), synthetic=SYNTHETIC_NOTE if p.synthetic else "",
        legend=legend, physics=physics, about=[(k, v) for k, v in about(p) if k != "title"],
        columns=columns, rows=rows, weighted=weighted, filename=filename,
        vis_js=Markup(js), vis_css=Markup(css))
    return network(nodes, edges, _options(physics, len(nodes), FONT), context).generate_html()


def repr_html(obj, *, title: str | None = None, height: int = 560, max_nodes: int | None = None) -> str:
    """The notebook view of an answer, a :class:`kg.result.Result`, a graph dict or a networkx graph:
    the standalone HTML export in an ``<iframe srcdoc>`` (its own page, so its scripts and its
    Content-Security-Policy apply; nothing is loaded from the internet). Hook it as
    ``Result._repr_html_ = lambda self: repr_html(self)``."""
    from markupsafe import escape

    from kg.exports import export

    page = export(obj, "html", title=title, max_nodes=max_nodes).data.decode("utf-8")
    return (f'<iframe srcdoc="{escape(page)}" style="width: 100%; height: {int(height)}px; border: 1px solid #ddd" '
            'sandbox="allow-scripts allow-downloads" title="IIKG graph"></iframe>')


@register("html", extension="html", mimetype="text/html; charset=utf-8",
          description="standalone offline HTML graph (vis-network inlined), legend, hover details",
          max_nodes=3000)
def write_html(p: Payload) -> bytes:
    return render(p, safe_filename(p.title, "png")).encode("utf-8")
