"""The co-investment network explorer: investors joined by shared rounds, coloured by community.

Facets live in the URL (``/network?year=2019&segment=平台&region=长三角&round=A轮&min_shared=2``),
so a view can be bookmarked, shared and exported; ``/api/network?…`` is the JSON twin (the named
query ``coinvest_network`` plus the communities and the drawn view).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import graphview
from web.data import jsonable, run_query
from web.i18n import get_lang

bp = Blueprint("network", __name__)

FACETS = ("year", "segment", "region", "round", "min_shared", "date_from", "date_to", "min_amount")


def facets_from(args) -> dict:
    return {k: args.get(k).strip() for k in FACETS if args.get(k, "").strip()}


def facet_options() -> dict:
    """Choices for the facet selects: segments, provinces and macro regions, round types, years."""
    from ontology import load

    onto = load()
    zh = get_lang() == "zh"
    years = []
    try:
        tl = run_query("timeline", by="year")
        years = sorted({str(r.get("period") or r.get("year") or "")[:4] for r in tl.rows} - {""}, reverse=True)
    except KGError:
        pass
    return {
        "years": years,
        "segments": [(s.name, s.name if zh else s.name_en) for s in onto.segments],
        "regions": [(r.name, r.name if zh else r.name_en) for r in onto.regions if r.level == "macro"]
                   + [(r.name, r.name if zh else r.name_en) for r in onto.regions if r.level == "province"],
        "rounds": [(r.label, r.label if zh else r.label_en) for r in onto.rounds],
    }


def network_data(args) -> dict:
    facets = facets_from(args)
    res = run_query("coinvest_network", **facets)
    data = res.as_dict()
    data["facets"] = facets
    return jsonable(data)


@bp.route("/api/network")
def api_network():
    data = network_data(request.args)
    if request.args.get("_view"):
        data["view"] = graphview.view(data["graph"], color_by="community")
    return jsonify(data)


@bp.route("/network")
def network():
    error, data, view = None, None, None
    focus = request.args.get("focus")
    try:
        data = network_data(request.args)
        view = graphview.view(data["graph"], color_by="community", focus=[focus] if focus else ())
    except KGError as exc:
        error = str(exc)
    facets = facets_from(request.args)
    centrality = (data or {}).get("meta", {}).get("centrality") or []
    communities = (data or {}).get("meta", {}).get("communities") or []
    return render_template("network.html", data=data, view=view, error=error, facets=facets,
                           options=facet_options(), centrality=centrality[:15], communities=communities[:12],
                           palette=graphview.PALETTE, main_wide=True,
                           json_twin=url_for("network.api_network", **facets))
