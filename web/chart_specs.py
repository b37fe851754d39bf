"""Chart specifications for ``web/static/charts.js`` (Apache ECharts), one per chart a page shows.

A page emits ``<div class="iikg-chart" data-spec='{{ spec|tojson }}'></div>`` (no inline script: the
CSP has no ``unsafe-inline``) and, below it, the same numbers as a table (:func:`table`), so the page
is complete with or without the script. The spec::

    {"kind": "bar"|"hbar"|"line"|"stacked"|"pie", "title": str, "categories": [str],
     "series": [{"name": str, "data": [number]}], "unit": str, "synthetic": bool}

>>> s = bars([("深创投", 14), ("红杉资本（中国）", 12)], title="Top", series_name="rounds")
>>> s["kind"], s["categories"], s["series"][0]["data"]
('hbar', ['深创投', '红杉资本（中国）'], [14, 12])
>>> table(s)["rows"][0]
['深创投', 14]
"""
from __future__ import annotations

import math

__all__ = ["KINDS", "bars", "line", "spec", "stacked", "table"]

KINDS = ("bar", "hbar", "line", "stacked", "pie")


def _num(v):
    if isinstance(v, bool) or v is None:
        return 0
    if isinstance(v, (int, float)):
        return v if not (isinstance(v, float) and not math.isfinite(v)) else 0
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0


def spec(kind: str, title: str, categories, series, unit: str = "", synthetic: bool = False) -> dict:
    """A chart spec (validated: a known kind, one value per category in every series)."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}")
    cats = [str(c) for c in categories]
    out = []
    for s in series:
        data = [_num(v) for v in s["data"]]
        if len(data) != len(cats):
            raise ValueError("every series needs one value per category")
        out.append({"name": str(s.get("name") or ""), "data": data})
    return {"kind": kind, "title": str(title or ""), "categories": cats, "series": out, "unit": str(unit or ""),
            "synthetic": bool(synthetic)}


def bars(pairs, *, title: str, series_name: str = "", unit: str = "", synthetic: bool = False,
         horizontal: bool | None = None) -> dict:
    """A ranking or a mix as bars: ``pairs`` = [(category, value)] in the order to draw.
    Long category names (more than 6) draw horizontally unless ``horizontal`` says otherwise."""
    pairs = [(str(k), v) for k, v in pairs]
    if horizontal is None:
        horizontal = len(pairs) > 6 or any(len(k) > 6 for k, _ in pairs)
    return spec("hbar" if horizontal else "bar", title, [k for k, _ in pairs],
                [{"name": series_name, "data": [v for _, v in pairs]}], unit, synthetic)


def line(pairs, *, title: str, series_name: str = "", unit: str = "", synthetic: bool = False) -> dict:
    """A time series: ``pairs`` = [(period, value)] in time order."""
    pairs = list(pairs)
    return spec("line", title, [str(k) for k, _ in pairs], [{"name": series_name, "data": [v for _, v in pairs]}],
                unit, synthetic)


def stacked(categories, series: dict, *, title: str, unit: str = "", synthetic: bool = False) -> dict:
    """Shares as stacked bars: ``series`` = {name: [value per category]}."""
    return spec("stacked", title, categories, [{"name": k, "data": v} for k, v in series.items()], unit, synthetic)


def table(s: dict, category_title: str = "") -> dict:
    """The spec's numbers as a table: ``{"columns": [category, series…], "rows": [[…]]}`` (plus a
    total row for bars and stacks with more than one category)."""
    cols = [category_title or ""] + [x["name"] or s["unit"] or "" for x in s["series"]]
    rows = [[c] + [x["data"][i] for x in s["series"]] for i, c in enumerate(s["categories"])]
    return {"columns": cols, "rows": rows}
