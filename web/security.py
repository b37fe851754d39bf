"""Safe by default: token auth, CSRF on every state-changing request, strict response headers.

- **Token**: when the config has a token (``kg serve --token`` or ``KG_TOKEN``; required for any
  host but loopback), every request must carry it: ``Authorization: Bearer …``, ``?token=…``
  (a browser opening the printed URL; the token then moves into an HttpOnly cookie and the URL
  is cleaned) or that cookie. Compared with :func:`hmac.compare_digest`.
- **Host** (DNS rebinding): without a token the server is for this machine only, so it answers
  only requests addressed to a loopback name (``localhost``, ``127.x.x.x``, ``[::1]``); a page on
  ``evil.example`` whose name was made to resolve to 127.0.0.1 gets 403. With a token, the token
  is the guard and any host name may reach it (reverse proxies).
- **CSRF**: POST/PUT/PATCH/DELETE need the per-session token from ``csrf_token()`` as the form
  field ``csrf_token`` or the ``X-CSRF-Token`` header; a cross-origin ``Origin`` is refused too.
- **Headers**: a Content-Security-Policy with no inline script or style and no other origin,
  ``nosniff``, no framing, no referrer to other sites.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, request, session

__all__ = ["CSP", "TOKEN_COOKIE", "csrf_token", "init_app", "is_loopback_host"]

TOKEN_COOKIE = "iikg_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def csrf_token() -> str:
    tok = session.get("csrf")
    if not tok:
        tok = session["csrf"] = secrets.token_urlsafe(32)
    return tok


def _cookie_value(token: str) -> str:
    # the cookie holds a derivative, so the raw token never sits in the browser's cookie jar
    return hashlib.sha256(("iikg-cookie:" + token).encode()).hexdigest()


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _check_token():
    token = current_app.config.get("KG_TOKEN")
    if not token:
        return None
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and _same(auth[7:].strip(), token):
        return None
    if _same(request.cookies.get(TOKEN_COOKIE), _cookie_value(token)):
        return None
    given = request.args.get("token")
    if given is not None and _same(given, token):
        if request.method == "GET" and not request.path.startswith("/api/"):
            # remember it and drop it from the address bar (and from history and referrers)
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            url = request.path + ("?" + urlencode(args) if args else "")
            resp = redirect(url)
            resp.set_cookie(TOKEN_COOKIE, _cookie_value(token), httponly=True, samesite="Strict",
                            secure=request.is_secure)
            return resp
        return None
    abort(401, description="This IIKG server needs its access token: open the URL `kg serve` printed "
                           "(…/?token=…) or send `Authorization: Bearer <token>`.")


def is_loopback_host(host: str | None) -> bool:
    """True for a ``Host`` header naming this machine: localhost, 127.0.0.0/8 or ::1, with or without a port.

    >>> [is_loopback_host(h) for h in ("localhost:5000", "127.0.0.1", "[::1]:80", "LOCALHOST", "evil.example",
    ...                                 "127.0.0.1.evil.example", "0.0.0.0:5000", "", None)]
    [True, True, True, True, False, False, False, False, False]
    """
    h = (host or "").strip().lower()
    if h.startswith("["):
        h = h[1:].split("]", 1)[0]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    h = h.removesuffix(".")
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _check_host():
    if current_app.config.get("KG_TOKEN") or current_app.config.get("KG_ANY_HOST"):
        return
    if not is_loopback_host(request.host):
        abort(403, description=f"this IIKG server has no access token, so it answers only to localhost and "
                               f"127.0.0.1, not to the host name {request.host[:100]!r} (a guard against DNS "
                               f"rebinding). Open it as http://127.0.0.1:PORT/, or serve it with a token.")


def _check_csrf():
    if request.method not in UNSAFE_METHODS:
        return
    if current_app.config.get("WTF_CSRF_DISABLED"):  # tests may switch it off explicitly
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        o = urlsplit(origin)
        if o.netloc != request.host:
            abort(403, description="cross-origin request refused")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="missing or wrong CSRF token: reload the page and try again")


def init_app(app: Flask) -> None:
    @app.before_request
    def _guard():
        _check_host()
        resp = _check_token()
        if resp is not None:
            return resp
        _check_csrf()
        return None

    @app.after_request
    def _headers(resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.endpoint != "static" and "Cache-Control" not in h:
            h["Cache-Control"] = "no-store"
        return resp

    app.jinja_env.globals["csrf_token"] = csrf_token
