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


def query_data(name: str, args) -> dict:
    params = request_params(args, name)
    res = mark_synthetic(run_query(name, **params))
    return jsonable(res.as_dict())


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
    given = {k: v for k, v in request.args.items() if not k.startswith("_") and v.strip()}
    should_run = bool(given) or request.args.get("_run") or not any(p.required for p in q.params)
    data, error, view = None, None, None
    if should_run:
        try:
            data = query_data(name, request.args)
        except KGError as exc:
            error = str(exc)
    if data and (data.get("graph") or {}).get("nodes"):
        view = graphview.view(data["graph"], color_by="community" if name == "coinvest_network" else "label",
                              omitted=int((data.get("meta") or {}).get("omitted") or 0))
    twin = url_for("query.api_query", name=name, **given)
    return render_template("query.html", q=q.describe(), params=q.params, given=given, data=data, error=error,
                           view=view, choices=_choices, json_twin=twin)
