"""The IIKG web explorer: a Flask app factory with one blueprint per area.

Every HTML page has a JSON twin under ``/api/…`` fed by the same data function (Datasette's
pattern), so what a user sees and what a script reads cannot drift apart::

    >>> from kg.config import Config
    >>> import tempfile
    >>> app = create_app(Config(workspace=tempfile.mkdtemp()))
    >>> sorted(app.blueprints)[:3]
    ['chat', 'explore', 'export']

The app holds one store (opened from the config, or passed in) and, for the embedded backend,
reloads it before a request when another process (``kg load`` in a terminal) wrote a newer
snapshot. The web only reads, except for the import page.
"""
from __future__ import annotations

import os
import secrets

from flask import Flask, jsonify, render_template, request

from kg.config import Config
from kg.errors import BackendError, KGError, WorkspaceError
from web.jsonio import FastJSONProvider

__all__ = ["create_app"]

BLUEPRINTS = ["explore", "chat", "query", "network", "regions", "paths", "report", "export", "importer"]


class _App(Flask):
    json_provider_class = FastJSONProvider  # JSON responses through orjson (web/jsonio.py)


def create_app(config: Config | dict | None = None, store=None) -> Flask:
    """Build the app.

    ``config`` is a :class:`kg.config.Config`, a dict of overrides (Config field names, plus Flask
    settings in upper case such as ``SECRET_KEY`` or ``TESTING``), or None (environment).
    ``store`` is an open store to serve; by default one is opened from the config.
    """
    flask_settings: dict = {}
    if isinstance(config, dict):
        fields = set(Config.__dataclass_fields__)
        flask_settings = {k: v for k, v in config.items() if k.isupper()}
        config = Config.from_env(**{k: v for k, v in config.items() if k in fields})
    elif config is None:
        config = Config.from_env()

    app = _App(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("KG_SECRET_KEY") or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=int(config.max_upload_mb) * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="iikg_session",
        JSON_SORT_KEYS=False,
        KG_CONFIG=config,
        KG_TOKEN=config.token,
    )
    app.config.update(flask_settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from web import i18n, security, state

    state.init_app(app, config, store)
    security.init_app(app)
    i18n.init_app(app)

    from web import cache, filters

    filters.init_app(app)
    cache.init_app(app)  # after the access checks: a kept page is still only for those let in

    import importlib

    for name in BLUEPRINTS:
        module = importlib.import_module(f"web.{name}")
        app.register_blueprint(module.bp)

    @app.context_processor
    def _common():
        from web.data import loaded_info

        try:
            info = loaded_info()
        except KGError:
            info = {"synthetic": False, "backend": config.backend}
        return {"synthetic_loaded": info["synthetic"], "backend_kind": info["backend"]}

    _register_errors(app)
    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.args.get("_format") == "json"


def _register_errors(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    def render_error(status: int, message: str, detail: str = ""):
        if _wants_json():
            return jsonify({"error": message, "detail": detail, "status": status}), status
        return render_template("error.html", status=status, message=message, detail=detail), status

    @app.errorhandler(KGError)
    def kg_error(exc):
        # the database or the workspace failing is the server's side (503: try again); the rest is the request's
        status = 503 if isinstance(exc, (BackendError, WorkspaceError)) else 400
        if _wants_json():
            return render_error(status, str(exc))
        from web.i18n import error_text

        return render_error(status, error_text(exc))

    @app.errorhandler(413)
    def too_large(exc):
        from web.i18n import t

        mb = app.config["KG_CONFIG"].max_upload_mb
        return render_error(413, t("upload_too_large").format(mb=mb))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return render_error(exc.code or 500, exc.name, exc.description or "")
