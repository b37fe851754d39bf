"""Import: upload a deals file (CSV/XLSX) into the workspace, the only write the web makes.

``POST /import`` (form, CSRF-protected, at most ``Config.max_upload_mb``) and ``POST /api/import``
(same, JSON answer) run :func:`kg.loading.load_deals` and report loaded and rejected counts, the
rejected rows (line, reason) and a link to the rejects CSV (``/import/rejects/<file>``, served
only from the workspace's ``rejects/`` folder).

On the embedded backend the import never writes into the graph the other requests are reading:
it loads through a store of its own (exactly as ``kg load`` in a terminal would), which writes the
new snapshot atomically, and the served store then swaps the new graph in. A reader in the middle
of a page keeps the graph it started with (networkx graphs are not safe to read while written:
"dictionary changed size during iteration").
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template, request, send_from_directory, url_for

from kg.errors import InputError, KGError
from web.export import safe_filename
from web.i18n import t
from web.state import get_state, get_store

bp = Blueprint("importer", __name__)

ALLOWED = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
COLUMNS = "date, company, round, amount, currency, investors, lead_investors, segment, province, city"


def _workspace() -> Path:
    return Path(get_state().config.workspace)


def import_upload() -> dict:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise InputError(t("no_file"))
    name = safe_filename(os.path.basename(f.filename.replace("\\", "/")), "upload.csv")
    stem, ext = os.path.splitext(name)
    if len(stem.encode("utf-8")) > 120:  # the rejects file is named after it: stay far below 255 bytes
        stem = stem.encode("utf-8")[:120].decode("utf-8", "ignore")
        name = stem + ext
    if not name.lower().endswith(ALLOWED):
        raise InputError(t("bad_file_type"))
    from kg.loading import load_deals

    up = _workspace() / "uploads"
    up.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=Path(name).suffix.lower(), dir=up)
    try:
        with os.fdopen(fd, "wb") as fh:
            f.save(fh)
        with _writer() as store:
            try:
                rep = load_deals(store, tmp, _workspace(), display_name=name)
            except KGError as exc:
                # the message names the upload's temporary file: name the user's file instead
                raise type(exc)(str(exc).replace(tmp, name)) from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    get_state().cache.clear()
    out = rep.as_dict()
    out["file"] = name
    out["rejects"] = [{"line": r.line, "reason": r.reason, "values": dict(r.values)} for r in rep.rejects[:500]]
    if rep.rejects_path:
        out["rejects_file"] = os.path.basename(rep.rejects_path)
        out["rejects_url"] = url_for("importer.rejects", filename=out["rejects_file"])
    out.pop("rejects_path", None)
    return out


@contextlib.contextmanager
def _writer():
    """The store an import writes through: the served one for a Cypher server; for the embedded
    backend a private one on the same workspace, after which the served store reloads."""
    live = get_store()
    if getattr(live, "kind", None) != "embedded":
        yield live
        return
    from kg.store.embedded import EmbeddedStore

    own = EmbeddedStore(live.workspace)
    try:
        yield own
    finally:
        # nothing else holds this private graph: break networkx's view <-> graph cycles so that it is
        # freed now (the embedded store gc.freeze()s what it loads, so the cyclic GC would never see it)
        g, own.graph = own.graph, None
        g.__dict__.clear()
        state = get_state()
        with getattr(state, "_store_lock", None) or contextlib.nullcontext():
            live.refresh()


@bp.route("/import", methods=["GET", "POST"])
def upload():
    result, error = None, None
    if request.method == "POST":
        try:
            result = import_upload()
        except KGError as exc:
            error = str(exc)
    return render_template("import.html", result=result, error=error, columns=COLUMNS,
                           max_mb=get_state().config.max_upload_mb)


@bp.route("/api/import", methods=["GET", "POST"])
def api_import():
    if request.method == "GET":
        return jsonify({"imports": list(reversed(get_store().imports())), "max_upload_mb": get_state().config.max_upload_mb,
                        "columns": [c.strip() for c in COLUMNS.split(",")]})
    try:
        return jsonify(import_upload())
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400


@bp.route("/import/rejects/<path:filename>")
def rejects(filename):
    if "/" in filename or "\\" in filename or not filename.endswith(".csv") or "rejects" not in filename:
        abort(404)
    folder = _workspace() / "rejects"
    return send_from_directory(folder, filename, as_attachment=True, mimetype="text/csv")
