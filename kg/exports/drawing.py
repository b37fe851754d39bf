"""PNG and SVG drawings of a subgraph, made on the server with matplotlib and :mod:`kg.layout`.

Chinese needs a CJK font: :func:`cjk_font` looks for Noto Sans CJK (then other common CJK fonts)
through ``matplotlib.font_manager`` and warns when there is none (names then show as boxes).
Nodes are coloured by label with a legend, sized by degree; the title and provenance line sit
above and below. Text is drawn with ``parse_math=False`` so a ``$`` in a name stays a dollar.
SVG keeps text as ``<text>`` (searchable, selectable), naming the CJK font first.
"""
from __future__ import annotations

import functools
import io
import math
import threading
import warnings

from kg.exports.base import LABEL_ZH, SYNTHETIC_NOTE, Payload, color_of, one_line, register, truncation_note

__all__ = ["CJK_FONTS", "cjk_font", "draw", "write_png", "write_svg"]

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP", "Noto Sans CJK TC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
             "Heiti SC", "Arial Unicode MS")
LABELS_MAX = 150       # above this many nodes only the most connected get a name
_LOCK = threading.Lock()  # matplotlib's rcParams and font cache are process-wide


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that has Chinese glyphs, or None (with a warning)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    warnings.warn("no CJK font found (install fonts-noto-cjk): Chinese names will not render in PNG/SVG exports",
                  RuntimeWarning, stacklevel=2)
    return None


def _layout(p: Payload) -> dict:
    """Positions in [-1, 1]² (:func:`kg.layout.layout`, fixed seed); matplotlib scales them."""
    from kg.layout import layout

    return layout([n["id"] for n in p.nodes], [(e["source"], e["target"]) for e in p.edges], seed=7)


def draw(p: Payload, fmt: str) -> bytes:
    """The drawing as ``png`` or ``svg`` bytes."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    family = cjk_font()
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    n = len(p.nodes)
    side = min(8 + math.sqrt(n) * 0.9, 28)
    with _LOCK, matplotlib.rc_context({"font.family": fonts, "svg.fonttype": "none", "axes.unicode_minus": False,
                                       "svg.hashsalt": "iikg"}):
        fig = Figure(figsize=(side * 1.25, side), dpi=110 if fmt == "png" else 72)
        (FigureCanvasAgg if fmt == "png" else FigureCanvasSVG)(fig)
        ax = fig.add_axes((0.02, 0.06, 0.78, 0.86))
        ax.set_axis_off()
        pos = _layout(p)
        deg = p.degree()
        if p.edges:
            segs = [(pos[e["source"]], pos[e["target"]]) for e in p.edges]
            ax.add_collection(LineCollection(segs, colors="#9aa5b1", linewidths=0.7, alpha=0.8, zorder=1))
        if n:
            xs = [pos[x["id"]][0] for x in p.nodes]
            ys = [pos[x["id"]][1] for x in p.nodes]
            top = max(deg.values()) or 1
            sizes = [40 + 460 * math.sqrt(deg[x["id"]] / top) for x in p.nodes]
            colors = [color_of(x["label"]) for x in p.nodes]
            edgecolors = ["#c0392b" if x["props"].get("synthetic") else "#444444" for x in p.nodes]
            ax.scatter(xs, ys, s=sizes, c=colors, edgecolors=edgecolors, linewidths=0.8, zorder=2)
            ax.margins(0.08)
            named = p.nodes if n <= LABELS_MAX else sorted(p.nodes, key=lambda x: -deg[x["id"]])[:LABELS_MAX]
            fsize = 9 if n <= 60 else 7 if n <= LABELS_MAX else 6
            for x in named:
                cap = one_line(x["caption"])
                cap = cap if len(cap) <= 24 else cap[:23] + "…"
                px, py = pos[x["id"]]
                ax.text(px, py, cap, fontsize=fsize, ha="center", va="bottom", zorder=3, parse_math=False,
                        clip_on=False, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6})
        counts: dict[str, int] = {}
        for x in p.nodes:
            counts[x["label"]] = counts.get(x["label"], 0) + 1
        handles = [Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=color_of(lab),
                          markeredgecolor="#444444", label=f"{LABEL_ZH.get(lab, '')} {lab} ({c})".strip())
                   for lab, c in sorted(counts.items(), key=lambda kv: -kv[1])]
        if handles:
            leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.81, 0.92), frameon=False,
                             title="图例 Legend", fontsize=10)
            for t in leg.get_texts():
                t.set_parse_math(False)
        fig.text(0.02, 0.97, p.title, fontsize=14, fontweight="bold", va="top", parse_math=False)
        foot = [f"{n} nodes · {len(p.edges)} relationships", p.provenance.get("generated_at", ""),
                p.provenance.get("generator", "IIKG")]
        fig.text(0.02, 0.02, " · ".join(x for x in foot if x), fontsize=8, color="#666666", parse_math=False)
        notes = [t for t in (truncation_note(p), SYNTHETIC_NOTE if p.synthetic else "") if t]
        for i, t in enumerate(notes):
            fig.text(0.98, 0.02 + 0.025 * i, t, fontsize=9, color="#9c0006", ha="right", fontweight="bold",
                     parse_math=False)
        buf = io.BytesIO()
        meta = {"Title": p.title} if fmt == "png" else {"Title": p.title, "Date": None}
        fig.savefig(buf, format=fmt, metadata=meta, facecolor="white")
    return buf.getvalue()


@register("png", extension="png", mimetype="image/png",
          description="PNG drawing (matplotlib, Noto Sans CJK), colours by label, legend", max_nodes=1000)
def write_png(p: Payload) -> bytes:
    return draw(p, "png")


@register("svg", extension="svg", mimetype="image/svg+xml",
          description="SVG drawing, text kept as text (CJK font named first)", max_nodes=1000)
def write_svg(p: Payload) -> bytes:
    return draw(p, "svg")
