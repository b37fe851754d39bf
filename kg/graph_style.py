"""How a graph is drawn, everywhere: the pages' graph views (web.graphview) and the drawn exports
(kg.exports: HTML, PNG, SVG) take their colours, shapes, legend names and undirected types from here.

>>> color_of("Investor"), color_of("Nothing")
('#2563eb', '#64748b')
>>> community_color(0), community_color(99)
('#2563eb', '#a3aab5')
"""
from __future__ import annotations

__all__ = ["COMMUNITY_PALETTE", "LABEL_NAMES", "LABEL_STYLE", "OTHER_COMMUNITY", "OTHER_STYLE", "UNDIRECTED", "color_of",
           "community_color", "style_of"]

# one colour and a vis-network shape per schema label
LABEL_STYLE: dict[str, dict[str, str]] = {
    "Investor": {"color": "#2563eb", "shape": "dot"},
    "Company": {"color": "#ea580c", "shape": "square"},
    "Round": {"color": "#94a3b8", "shape": "diamond"},
    "Region": {"color": "#16a34a", "shape": "triangle"},
    "Segment": {"color": "#9333ea", "shape": "hexagon"},
    "Policy": {"color": "#b45309", "shape": "star"},
    "Factory": {"color": "#0d9488", "shape": "triangleDown"},
}
OTHER_STYLE = {"color": "#64748b", "shape": "dot"}

# each schema label in words (Chinese, English): legends, tooltips, the exports' sheets
LABEL_NAMES: dict[str, tuple[str, str]] = {
    "Investor": ("投资机构", "Investor"),
    "Company": ("企业", "Company"),
    "Round": ("融资轮次", "Round"),
    "Region": ("地区", "Region"),
    "Segment": ("细分领域", "Segment"),
    "Policy": ("政策", "Policy"),
    "Factory": ("灯塔工厂", "Factory"),
}

# colour-blind-safe-ish categorical palette for communities (0 = the largest)
COMMUNITY_PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
                     "#4f46e5", "#65a30d", "#0d9488", "#b45309", "#7c3aed", "#be123c", "#475569")
OTHER_COMMUNITY = "#a3aab5"  # communities past the palette share one grey

UNDIRECTED = frozenset({"CO_INVESTED"})  # relationship types drawn without arrows (symmetric by meaning)


def style_of(label: str) -> dict[str, str]:
    return LABEL_STYLE.get(label, OTHER_STYLE)


def color_of(label: str) -> str:
    return style_of(label)["color"]


def community_color(c: int) -> str:
    """The colour of community ``c`` (0 = the largest): the palette, then grey for the small rest."""
    return COMMUNITY_PALETTE[c] if 0 <= c < len(COMMUNITY_PALETTE) else OTHER_COMMUNITY
