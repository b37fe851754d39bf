"""Exports: ``GET /api/export?q=…|query=…&format=…`` (CONTRACT.md) with :mod:`kg.exports`.

- ``q=<question>``: the chat answer (``session`` + ``turn`` pick a kept answer of a conversation,
  so a follow-up exports what was shown, not the question out of context);
- ``query=<name>&<params>``: a named query's result;
- ``POST`` (CSRF-protected) ``{"format", "name", "graph": {nodes, edges}}``: exactly the subgraph
  on screen (the SVG button of a graph view, which sends its positions too).

File names go out as ``attachment; filename="ascii"; filename*=UTF-8''…`` with anything that
could break a header or a path removed.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, request

from kg.errors import InputError
from kg.exports import check_format, export
from kg.exports import safe_filename as export_filename
from web.data import request_params, run_query

bp = Blueprint("export", __name__)

MAX_POSTED_NODES = 5000


def attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    """A download named by the exports' one rule (:func:`kg.exports.safe_filename`), with an ASCII
    ``filename`` for old clients beside the UTF-8 ``filename*``."""
    stem, _, ext = str(filename or "").rpartition(".")
    if not stem:
        stem, ext = ext, "bin"
    name = export_filename(stem, ext)
    ext = name.rsplit(".", 1)[-1]
    ascii_name = export_filename(name[: -len(ext) - 1].encode("ascii", "ignore").decode(), ext)
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _source_from_args(args):
    """(thing to export, title) from the request's arguments."""
    if args.get("query"):
        name = args["query"]
        res = run_query(name, **request_params(args, name))
        return res, name
    q = (args.get("q") or "").strip()
    if q:
        from web.chat import stored_answer

        ans = stored_answer(args.get("session"), args.get("turn"))
        if ans is None or ans.get("question") != q:
            from kg.chat import answer

            from web.state import get_store

            ans = answer(get_store(), q)
        return ans, q
    raise InputError("say what to export: ?q=<question> or ?query=<name>&<parameters>, and &format=")


@bp.route("/api/export", methods=["GET", "POST"])
def api_export():
    if request.method == "POST":
        body = request.get_json(silent=True) or {}
        fmt = str(body.get("format") or request.args.get("format") or "")
        graph = body.get("graph")
        if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list) \
                or not isinstance(graph.get("edges", []), list):
            abort(400, description="POST a JSON body {format, name, graph: {nodes: [...], edges: [...]}}")
        if len(graph["nodes"]) > MAX_POSTED_NODES:
            abort(413, description=f"at most {MAX_POSTED_NODES} nodes")
        nodes = [n for n in graph["nodes"] if isinstance(n, dict) and isinstance(n.get("id"), str)]
        edges = [e for e in graph.get("edges", []) if isinstance(e, dict)
                 and isinstance(e.get("source"), str) and isinstance(e.get("target"), str)]
        source, title = {"nodes": nodes, "edges": edges}, str(body.get("name") or "graph")[:100]
    else:
        fmt = check_format(request.args.get("format", ""))  # before the query runs
        source, title = _source_from_args(request.args)
    from web.i18n import get_lang
    from web.state import get_store

    out = export(source, fmt, title=title, store=get_store(), lang=get_lang())
    resp = attachment(out.data, out.mimetype, out.filename or f"{title}.{fmt}")
    if out.truncated:
        resp.headers["X-IIKG-Truncated"] = "1"
    return resp
