"""``kg serve``: the web explorer under waitress (a production WSGI server).

The production setup: one process, ``--threads`` worker threads (8 by default), and everything
that depends only on the store computed once per store version and shared by those threads
(:mod:`web.cache`: the data under the pages and the pages, JSON twins and exports themselves).
One process, because what the requests need is in memory once: the store's tables, the query
index, the name catalogue, the chat's matcher and those caches (at 100k deals about 1.3 GB); a
second process would build and hold its own copy of each (the workspace itself is read-only on
disk and could be shared, the per-version caches could not) and the pages are CPU-bound Python,
so on a small machine more processes add memory, not answers. Threads: a slow answer (a new
co-investment network, an export) does not hold up the cheap ones queued behind it; more threads
than clients that compute at once add nothing under the GIL. Before it says it is ready, ``kg
serve`` builds what the first pages and the first question need (:meth:`web.state.WebState.warm_first`:
the store, the query index, the name catalogue, the chat's matcher and first answer, the landing page,
the default co-investment network and the report in both languages; its socket is open meanwhile, so a
request that comes early waits in the queue); then it serves, and renders the other pages and one
entity page of each kind in the background (:meth:`~web.state.WebState.warm_rest`). A request that
needs a part still being built waits for that part, not for the whole warm-up. What the warm-up
built is then frozen out of the garbage collector's scans (``gc.freeze``, undone when the store
changes): a full collection over a 100k-deal workspace's heap takes about a second, and stops every
request.

Binds 127.0.0.1 by default. Any other host needs a token (``--token`` or ``KG_TOKEN``) and the
command refuses to start without one; the printed URL carries it once (the browser keeps it in
an HttpOnly cookie).
"""
from __future__ import annotations

from urllib.parse import quote

import click

from kg.errors import KGError

__all__ = ["register", "is_loopback", "check_bind"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost.

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "192.168.1.5", "")]
    [True, True, True, False, False, False]
    """
    from web.security import is_loopback_host

    return is_loopback_host(host)


def check_bind(host: str, token: str | None) -> None:
    """Raise :class:`KGError` when ``host`` is not loopback and there is no token."""
    if not is_loopback(host) and not (token and token.strip()):
        raise KGError(f"refusing to serve on {host}: anything but 127.0.0.1 needs an access token "
                      f"(--token TOKEN or KG_TOKEN=TOKEN)")


def register(main: click.Group) -> None:
    from kg.cli import pass_config

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to bind; anything but loopback requires --token.")
    @click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
    @click.option("--token", envvar="KG_TOKEN", default=None,
                  help="Access token (env KG_TOKEN); required for any host but 127.0.0.1.")
    @click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
                  help="Worker threads of the one server process (see the module's doc for the choice).")
    @pass_config
    def serve(config, host, port, token, threads):
        """The web explorer: chat, graph views, entity pages, the report's figures, exports, import."""
        _serve(config, host, port, token, threads)

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to bind; anything but loopback requires --token.")
    @click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
    @click.option("--token", envvar="KG_TOKEN", default=None, help="Access token (env KG_TOKEN).")
    @click.option("--demo/--no-demo", default=True, show_default=True,
                  help="Add the synthetic demo deals (calibrated to the report) when none are loaded.")
    @click.option("--open/--no-open", "open_browser", default=True, show_default=True,
                  help="Open the explorer in a browser.")
    @pass_config
    def up(config, host, port, token, demo, open_browser):
        """Load the report's facts (and demo data) if the workspace lacks them, then serve the explorer."""
        from kg.cli import open_configured_store
        from kg.loading import load_seed

        check_bind(host, token or config.token)  # refuse before loading anything
        store = open_configured_store(config)
        kinds = {rec.get("kind") for rec in store.imports()}
        if "seed" not in kinds:
            load_seed(store)
            click.echo("loaded the report's facts (kg load seed)")
        if demo and "demo" not in kinds:
            from kg.demo import run_demo

            s = run_demo(store)
            click.echo(f"added {s['changes']['nodes_created']} synthetic demo nodes (kg demo); "
                       "they are marked synthetic in the data and the UI")
        store.close()
        _serve(config, host, port, token, 8, open_browser)

    def _serve(config, host, port, token, threads, open_browser=False):
        token = token or config.token
        check_bind(host, token)
        if token and len(token) < 16:
            click.echo("kg serve: warning: a short token is easy to guess; 16+ random characters are better "
                       "(python -c \"import secrets; print(secrets.token_urlsafe())\")", err=True)
        config.token = token
        from waitress import create_server

        from web import create_app

        app = create_app(config)
        server = create_server(app, host=host, port=port, threads=threads, ident="iikg",
                               max_request_body_size=int(config.max_upload_mb) * 1024 * 1024 + 65536)
        import threading

        state = app.extensions["iikg"]
        log = lambda m: click.echo(f"kg serve: {m}", err=True)  # noqa: E731
        # the socket listens from here on: a request that comes now waits in its queue for the first page
        first = state.warm_first(app, log=log)
        shown = f"[{host}]" if ":" in host else host
        real_port = server.effective_port
        url = f"http://{shown}:{real_port}/"
        if token:
            url += f"?token={quote(token, safe='')}"
        click.echo(f"IIKG serving {config.workspace if config.backend == 'embedded' else config.backend} "
                   f"at {url}  (Ctrl-C to stop; ready in {sum(first.values()):.1f} s, {threads} threads; "
                   f"warming the rest in the background)")

        def rest():
            took = {**first, **state.warm_rest(app, log=log, freeze=True)}
            click.echo("warmed up: " + ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))

        threading.Thread(target=rest, name="iikg-warm-rest", daemon=True).start()
        if open_browser:
            import webbrowser

            threading.Timer(0.5, lambda: webbrowser.open(url)).start()
        try:
            server.run()
        except KeyboardInterrupt:  # pragma: no cover
            pass
        finally:
            server.close()
