"""Named queries over HTTP: ``/query`` lists them, ``/query/<name>`` is a form generated from the
query's declared parameters with the result below; ``/api/query/<name>?…`` is its JSON twin.

Parameters starting with ``_`` belong to the web layer: ``_view=1`` adds the vis-network payload
(what the graph views draw) to the JSON.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import graphview
from web.data import jsonable, mark_synthetic, queries, request_params, run_query

bp = Blueprint("query", __name__)


def registry_data() -> dict:
    return {"queries": [q.describe() for q in sorted(queries().REGISTRY.values(), key=lambda q: q.name)]}


PAGE_ARGS = ("limit", "offset", "sort")


def query_data(name: str, args, page_key: str | None = None) -> dict:
    """The result of query ``name`` with ``total`` / ``shown`` (and ``cut``: what the query itself left
    out) and, when asked, one page of its rows: ``limit``, ``offset``, ``sort`` (``col`` or ``-col``;
    ``_limit`` etc. for a query that has a parameter of that name), or ``<page_key>_limit`` etc."""
    from web.explore import paging, result_dict, table_page

    params = request_params(args, name)
    res = mark_synthetic(run_query(name, **params))
    d = result_dict(res)
    own = {p.name for p in queries().REGISTRY[name].params}
    alias = {k: (f"_{k}" if k in own else k) for k in PAGE_ARGS}
    args_ = {k: args.get(alias[k]) for k in PAGE_ARGS if args.get(alias[k])}
    key = page_key or "rows"
    if page_key:
        args_.update({f"{key}_{k}": args.get(f"{key}_{k}") for k in PAGE_ARGS if args.get(f"{key}_{k}")})
    if args_:
        pg = paging(args_, key, default=len(d["rows"]) or 1)
        pg["limit"] = pg["limit"] if args_.get("limit") or args_.get(f"{key}_limit") or page_key else len(d["rows"])
        page = table_page(d, {**pg, "limit": max(pg["limit"], 1)})
    else:
        page = table_page(d, {"limit": max(len(d["rows"]), 1), "offset": 0, "sort": None})
        page["limit"] = None
    page["truncated"] = bool(page["truncated"] or d["truncated"])
    d = {**d, **page}
    return jsonable(d)


def _choices(p) -> list:
    """Options for a form field: declared choices, or the ontology's vocabularies for known names."""
    if p.choices:
        return list(p.choices)
    return []


@bp.route("/api/query")
def api_index():
    return jsonify(registry_data())


@bp.route("/query")
def index():
    return render_template("query_index.html", data=registry_data(), json_twin=url_for("query.api_index"))


@bp.route("/api/query/<name>")
def api_query(name):
    if name not in queries().REGISTRY:
        abort(404, description=f"unknown query {name!r}")
    data = query_data(name, request.args)
    if request.args.get("_view"):
        focus = [v for k, v in request.args.items() if k in ("entity", "investor", "company")]
        data["view"] = graphview.view(data.get("graph"), focus=focus, layout=False,
                                      color_by="community" if name == "coinvest_network" else "label")
    return jsonify(data)


@bp.route("/query/<name>")
def page(name):
    q = queries().REGISTRY.get(name)
    if q is None:
        abort(404, description=f"unknown query {name!r}")
    given = {k: v for k, v in request.args.items() if not k.startswith("_") and v.strip()
             and not k.startswith("rows_")}
    should_run = bool(given) or request.args.get("_run") or not any(p.required for p in q.params)
    data, error, view = None, None, None
    if should_run:
        try:
            args = request.args.copy()
            args.setdefault("rows_limit", "50")
            data = query_data(name, args, page_key="rows")
        except KGError as exc:
            error = str(exc)
    if data and (data.get("graph") or {}).get("nodes"):
        view = graphview.view(data["graph"], color_by="community" if name == "coinvest_network" else "label",
                              omitted=int((data.get("meta") or {}).get("omitted") or 0))
    twin = url_for("query.api_query", name=name, **given, **({"_limit" if "limit" in {p.name for p in q.params}
                                                                   else "limit": 50}))
    return render_template("query.html", q=q.describe(), params=q.params, given=given, data=data, error=error,
                           view=view, choices=_choices, json_twin=twin, page_url=lambda **kw: _page_url(name, kw))


def _page_url(name: str, changes: dict) -> str:
    from urllib.parse import urlencode

    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        args.pop(k, None)
    return url_for("query.page", name=name) + "?" + urlencode(args)
