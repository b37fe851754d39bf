"""The co-investment network explorer: investors joined by shared rounds, coloured by community.

Facets live in the URL (``/network?year=2019&segment=平台&region=长三角&round=A轮&min_shared=2``),
so a view can be bookmarked, shared and exported; ``/api/network?…`` is the JSON twin (the named
query ``coinvest_network`` plus the communities and the drawn view).
"""
from __future__ import annotations

import functools

from flask import Blueprint, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import graphview
from web.data import jsonable, run_query
from web.i18n import error_text, get_lang, round_type_name, t, term

bp = Blueprint("network", __name__)

FACETS = ("year", "segment", "region", "round", "min_shared", "date_from", "date_to", "min_amount")


def facets_from(args) -> dict:
    return {k: args.get(k).strip() for k in FACETS if args.get(k, "").strip()}


def facet_options() -> dict:
    """Choices for the facet selects: segments, provinces and macro regions, round types, years
    (once per store version and language)."""
    from web.state import cached

    return cached(("network_facet_options", get_lang()), _facet_options)


def _facet_options() -> dict:
    from ontology import load

    onto = load()
    years = []
    try:
        tl = run_query("timeline", by="year")
        years = sorted({str(r.get("period") or r.get("year") or "")[:4] for r in tl.rows} - {""}, reverse=True)
    except KGError:
        pass
    return {
        "years": years,
        "segments": [(s.name, term(s.name)) for s in onto.segments],
        "regions": [(r.name, term(r.name)) for level in ("macro", "province") for r in onto.regions if r.level == level],
        "rounds": [(r.label, round_type_name(r.type)) for r in onto.rounds],
    }


def network_data(args) -> dict:
    """The named query's answer for the facets in ``args``, once per store version and facets,
    shared by the page and its JSON twin (callers copy what they reshape)."""
    from web.state import cached

    facets = facets_from(args)

    def build():
        from web.explore import result_dict  # not Result.as_dict: that deep-copies 50k cells (~0.3 s at 100k)

        data = result_dict(run_query("coinvest_network", **facets))
        data["facets"] = facets
        # a copy: nothing shared with the query's own objects; except the centrality list (every
        # investor of the network, 4,100 rows at 100k deals: 60% of the copy's time), whose rows the
        # query's shape has just made for this answer alone, from plain numbers and text
        meta = data.get("meta") or {}
        out = jsonable({**data, "meta": {k: None if k == "centrality" else v for k, v in meta.items()}})
        if "centrality" in meta:
            out["meta"]["centrality"] = meta["centrality"]
        return out

    return cached(("network_data", tuple(sorted(facets.items()))), build)


def _years() -> list[str]:
    return facet_options()["years"]


def cut_info(data: dict | None, facets: dict) -> dict | None:
    """What the page says when the query kept only the heaviest links: shown and total links and
    investors, and the refinements that would draw more of it (a higher minimum, a year)."""
    if not data:
        return None
    total = int(data.get("value") or 0)
    shown = len(data.get("rows") or [])
    investors = int((data.get("meta") or {}).get("investors") or 0)
    drawn = len((data.get("graph") or {}).get("nodes") or [])
    if total <= shown:
        return None
    try:
        current = int(facets.get("min_shared") or 1)
    except ValueError:
        current = 1
    refine = [{"text": t("raise_min_shared").format(n=current + 1),
               "href": url_for("network.network", **{**facets, "min_shared": current + 1})}]
    if not facets.get("year"):
        for y in _years()[:4]:
            refine.append({"text": y, "href": url_for("network.network", **{**facets, "year": y})})
    return {"shown": shown, "total": total, "investors": investors, "drawn": drawn, "refine": refine}


def _view(data: dict, focus=()) -> dict:
    graph = data["graph"]
    if get_lang() != "zh":  # known investors by their English names on English pages
        en = _english_names()
        graph = {**graph, "nodes": [{**n, "name": en.get(n.get("name"), n.get("name"))} for n in graph.get("nodes", [])]}
    v = graphview.view(graph, color_by="community", focus=focus, initial=None,
                       community_info=(data.get("meta") or {}).get("communities"))
    v["labels"] = "auto"  # label the most central investors, the rest on hover and zoom
    return v


CENTRALITY_PAGE = 50   # investors of the centrality list in one page of the JSON twin


def centrality_page(data: dict, args) -> dict:
    """``data`` with one page of ``meta.centrality`` (every investor of the network, most central
    first: 3,800 at 100k deals): ``centrality_limit`` / ``centrality_offset`` / ``centrality_sort``,
    and ``centrality_total`` / ``centrality_shown`` / ``centrality_offset`` beside it."""
    from web.explore import paging, sort_rows

    meta = data.get("meta") or {}
    rows = meta.get("centrality") or []
    pg = paging(args, "centrality", default=CENTRALITY_PAGE, shared=False)
    rows, sort = sort_rows(rows, list(rows[0]) if rows else [], pg["sort"])
    shown = rows[pg["offset"]: pg["offset"] + pg["limit"]]
    return {**data, "meta": {**meta, "centrality": shown, "centrality_total": len(rows),
                             "centrality_shown": len(shown), "centrality_offset": pg["offset"],
                             "centrality_sort": sort}}


@bp.route("/api/network")
def api_network():
    data = centrality_page(network_data(request.args), request.args)
    if request.args.get("_view"):
        data = {**data, "view": _view(data)}
    return jsonify(data)


@bp.route("/network")
def network():
    error, data, view = None, None, None
    focus = request.args.get("focus")
    try:
        data = network_data(request.args)
        view = _view(data, focus=[focus] if focus else ())
    except KGError as exc:
        error = error_text(exc)
    facets = facets_from(request.args)
    centrality = (data or {}).get("meta", {}).get("centrality") or []
    empty_hint = None
    if data is not None and not data.get("rows") and (facets.get("min_shared") or "1") != "1":
        empty_hint = url_for("network.network", **{**facets, "min_shared": 1})
    return render_template("network.html", data=data, view=view, error=error, facets=facets,
                           options=facet_options(), centrality=centrality[:15], cut=cut_info(data, facets),
                           empty_hint=empty_hint, investor_name=_investor_name, main_wide=True,
                           json_twin=url_for("network.api_network", **facets))


def _investor_name(name: str) -> str:
    """An investor's name in the UI language (the ontology's English name on English pages)."""
    if get_lang() == "zh":
        return name
    return _english_names().get(name) or name


@functools.lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    from ontology import load

    return {inv.name: inv.name_en for inv in load().investors if inv.name_en}
