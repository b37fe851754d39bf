"""The path finder: the shortest chains of relationships between two entities
(``/path?a=深创投&b=数澜科技``; twin ``/api/path?…``), through the named query ``path``."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from kg.errors import KGError
from kg.result import jsonable
from web import graphview
from web.data import get_entity, request_params, run_query
from web.i18n import error_text
from web.query import param_label

bp = Blueprint("paths", __name__)


def path_data(args) -> dict:
    params = request_params(args, "path")
    res = run_query("path", **params)
    return jsonable(res.as_dict())


@bp.route("/api/path")
def api_path():
    return jsonify(path_data(request.args))


@bp.route("/path")
def path():
    args = {k: v for k, v in request.args.items() if v.strip() and not k.startswith("_")}
    data, error, view = None, None, None
    a, b = args.get("a", ""), args.get("b", "")
    # an id from an entity page shows as its name in the form
    a_name = _name(a)
    b_name = _name(b)
    if a and b:
        try:
            data = path_data(request.args)
            if data["graph"]["nodes"]:
                ends = [e["id"] for e in (data.get("meta", {}).get("resolved") or {}).values() if isinstance(e, dict)]
                view = graphview.view(data["graph"], focus=ends, layout=False)
        except KGError as exc:
            error = error_text(exc)
    extra = {}
    try:
        from web.data import queries

        extra = {p.name: p for p in queries().REGISTRY["path"].params if p.name not in ("a", "b")}
    except (KGError, KeyError):
        pass
    examples = _examples() if not (a and b) else []
    return render_template("path.html", param_label=param_label, examples=examples, data=data, error=error, view=view, args=args, a_name=a_name, b_name=b_name,
                           extra=extra, json_twin=url_for("paths.api_path", **args) if a and b else None)


def _examples() -> list[dict]:
    """Pairs to try when the form is empty: the most active investor and the next two."""
    try:
        rows = run_query("top_investors", k=3).rows
    except KGError:
        return []
    from web.network import _investor_name

    names = [r.get("investor") for r in rows if r.get("investor")]
    return [{"a": _investor_name(names[0]), "b": _investor_name(b), "href": url_for("paths.path", a=names[0], b=b)}
            for b in names[1:3]]


def _name(v: str) -> str:
    if v and ":" in v:
        try:
            node = get_entity(v)
        except KGError:
            node = None
        if node:
            return graphview.display_name(node)
    return v
