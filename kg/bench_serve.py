"""``kg bench serve``: the real ``kg serve`` under concurrent clients (issue 19), and its first
requests after a start (issue 18).

It starts ``kg serve`` (waitress) as a subprocess on a free 127.0.0.1 port on a workspace (by
default the demo workspace: the report's seed plus ``kg demo``, built once under TMP and reused),
and measures, in this order:

1. **Start**: time from the process start to the line ``IIKG serving …`` (the server says it is
   ready) and to the first byte of ``GET /``.
2. **First views**: each kind of page requested once, in sequence, right after the ready line
   (home, network, report, regions, query index, an investor, a company, a region, a segment,
   the chat): issue 18 wants every one ≤ 1 s at 100k deals.
3. **Load**: ``--clients`` clients (default 16), each a thread with its own keep-alive connection,
   cookie (session) and random generator (seeded: ``--seed``), for ``--seconds`` (default 60),
   with no think time (each client sends its next request as soon as the last one is read), over
   a mixed workload: chat questions in Chinese and English through ``/api/ask`` (what the chat
   page's form asks; follow-ups in the same session), the co-investment network page and its
   JSON (with facets), entity pages and their JSON twins, query pages and their twins, the
   report, home and regions, exports (GraphML, XLSX, CSV of query results; the whole
   co-investment network as GraphML and XLSX only when the workspace is small, ``--full-exports``)
   and bad input (an unknown entity, bad parameters, an oversize export body: each has its
   expected 4xx, and counts as correct only with that status).

Every answer is checked: status, content type, and no 5xx. The result (printed, and written with
``--out``) has, per kind and overall: count, errors, req/s, p50/p95/p99/max in ms; the error samples;
the targets (0 errors, p95 ≤ 300 ms, p99 ≤ 1 s) and whether they are met. The machine is shared:
the load average before and after the run goes into the result.

``python -m kg.bench_serve --workspace DIR`` is the same as ``kg bench serve --workspace DIR``.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import click

__all__ = ["TARGETS", "ensure_demo_workspace", "run_serve_bench", "serve_cmd"]

TARGETS = {"errors": 0, "p95_ms": 300, "p99_ms": 1000, "first_view_s": 1.0}
SEED = 2019
FULL_EXPORT_MAX_ROUNDS = 20_000  # above this many rounds, no export of the whole co-investment network
READY = re.compile(r"IIKG serving .* at (http://\S+)")


def _pct(xs: list[float], q: float) -> float:
    from kg.bench import _pct as pct  # one percentile for every bench section

    return pct(xs, q)


def _log(msg: str) -> None:
    click.echo(f"[bench serve {time.strftime('%H:%M:%S')}] {msg}", err=True)


# ---------------------------------------------------------------------------------------------- workspace
def ensure_demo_workspace(workdir: str | os.PathLike | None = None, deals: int | None = None,
                          seed: int = SEED) -> Path:
    """The demo workspace (the report's seed plus ``kg demo``; synthetic, marked so), built once:
    ``kg demo``'s default, or with ``deals`` that many deals of 2019 alone (``kg demo --deals N
    --years 2019``, the 100k workspace of issues 18 and 19)."""
    from kg.demo import run_demo
    from kg.loading import load_seed, prepare_reads
    from kg.store.embedded import EmbeddedStore

    base = Path(workdir or Path(tempfile.gettempdir()) / "iikg-bench-serve")
    ws = base / (f"demo-{deals}-2019-seed{seed}" if deals else f"demo-default-seed{seed}")
    done = ws / ".bench-serve-complete"
    if done.exists():
        return ws
    ws.mkdir(parents=True, exist_ok=True)
    store = EmbeddedStore(ws)
    load_seed(store)
    if deals:
        run_demo(store, deals, seed, years=(2019,))
    else:
        run_demo(store, seed=seed)
    prepare_reads(store)  # what `kg demo` leaves beside the data
    store.close()
    done.write_text("seed + demo\n", encoding="utf-8")
    return ws


# ---------------------------------------------------------------------------------------------- server
class Server:
    """``kg serve`` in a subprocess on a free loopback port; ``ready_s`` and ``first_byte_s`` from the
    process start."""

    def __init__(self, workspace, threads: int | None = None, timeout: float = 300):
        from kg.bench import _env, _free_port, _kg

        self.port = _free_port()
        args = ["serve", "--port", self.port] + (["--threads", threads] if threads else [])
        env = {**_env(), "PYTHONUNBUFFERED": "1"}
        for k in ("KG_TOKEN", "KG_WORKSPACE"):
            env.pop(k, None)
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(_kg(workspace, *args), env=env, cwd=Path(__file__).resolve().parent.parent,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._ready = threading.Event()
        self.ready_s: float | None = None
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.errors, False), daemon=True).start()
        if not self._ready.wait(timeout):
            self.stop()
            raise click.ClickException(f"kg serve did not say it was ready within {timeout} s: "
                                       f"{''.join(self.errors[-5:]) or ''.join(self.lines[-5:])}")
        if self.ready_s is None:
            self.stop()
            raise click.ClickException(f"kg serve stopped before it was ready: {''.join(self.errors[-5:])}")

    def _read(self, stream, into: list, watch: bool) -> None:
        for line in stream:
            into.append(line)
            if watch and not self._ready.is_set() and READY.search(line):
                self.ready_s = time.perf_counter() - self.t0
                self._ready.set()
        if watch:
            self._ready.set()

    @property
    def rss_mb(self) -> float | None:
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------- client
@dataclass
class Req:
    kind: str
    path: str
    status: int = 200
    ctype: str | tuple = "text/html"  # the start of the expected Content-Type (or of one of several)
    method: str = "GET"
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    chat: bool = False  # keep the session the answer names (follow-ups)


@dataclass
class Reply:
    status: int
    ctype: str
    body: bytes
    headers: dict


class Conn:
    """One client: a keep-alive connection, its cookies (one browser session) and CSRF token."""

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        h = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed a kept-alive connection between two requests: one new try
                self.close()
                if attempt:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(r.status, r.getheader("Content-Type", "") or "", data, dict(r.getheaders()))

    def get_csrf(self) -> str:
        r = self.request("GET", "/")
        m = re.search(rb'<meta name="csrf-token" content="([^"]+)"', r.body)
        if not m:
            raise click.ClickException(f"no CSRF token on the home page (HTTP {r.status})")
        self.csrf = m.group(1).decode()
        return self.csrf

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _q(v: str) -> str:
    return quote(v, safe="")


def discover(conn: Conn, seed: int) -> dict:
    """Names and ids to ask about, read from the server itself (its named queries): busy, middling
    and quiet investors, their companies, regions and segments."""
    def rows(path):
        r = conn.request("GET", path)
        if r.status != 200:
            raise click.ClickException(f"{path}: HTTP {r.status}: {r.body[:200]!r}")
        return json.loads(r.body).get("rows") or []

    inv = [(x["investor_id"], x["investor"]) for x in rows("/api/query/top_investors?k=60") if x.get("investor_id")]
    if not inv:
        raise click.ClickException("the workspace has no investors: load deals first (kg demo)")
    rng = random.Random(seed)
    picks = inv[:8] + rng.sample(inv[8:], min(12, max(0, len(inv) - 8)))
    companies: list[tuple[str, str]] = []
    for iid, _ in picks[:6]:
        for x in rows(f"/api/query/portfolio?investor={_q(iid)}&limit=5")[:5]:
            if x.get("company_id"):
                companies.append((x["company_id"], x.get("company") or x["company_id"]))
    companies = list(dict.fromkeys(companies))
    from ontology import load

    onto = load()
    segments = [s.name for s in onto.segments]
    regions = ["province:浙江", "province:广东", "province:北京", "macro:长三角", "macro:京津冀", "city:杭州", "city:深圳"]
    regions_zh = ["浙江", "长三角", "杭州", "北京", "广东", "深圳", "上海"]
    n_rounds = int(json.loads(conn.request("GET", "/api/query/deal_count").body).get("value") or 0)
    return {"investors": picks, "companies": companies or [(picks[0][0], picks[0][1])], "segments": segments,
            "regions": regions, "region_names": regions_zh, "rounds": n_rounds}


QUESTIONS_ZH = ["{inv}投资了哪些公司？", "{inv}和谁一起投资最多？", "{region}有多少笔融资？", "2019年{segment}领域融资最多的公司是哪些？",
                "{co}的融资历史", "{co}的投资方有哪些？", "{inv}在{region}投了哪些公司？", "哪些机构投资最多？",
                "{segment}领域有多少家公司获得融资？", "{inv}和{inv2}共同投资了哪些公司？"]
QUESTIONS_EN = ["Which companies did {inv} invest in?", "Who co-invests most with {inv}?", "How many deals in {region}?",
                "Which investors were most active in 2019?", "Who invested in {co}?", "Funding history of {co}"]
FOLLOW_UPS_ZH = ["那2018年呢？", "其中A轮的呢？", "在浙江的呢？"]
FOLLOW_UPS_EN = ["What about 2018?", "And in Zhejiang?"]

# kind -> weight in the mix (the issue's mix: chat, the network, exports, pages, bad input)
MIX = {"chat": 18, "network": 10, "entity": 20, "query": 12, "report": 5, "home": 7, "export": 12, "bad": 8}


class Workload:
    """The seeded request mix of one client."""

    def __init__(self, names: dict, rng: random.Random, full_exports: bool, start: int = 0):
        self.n, self.rng, self.full_exports = names, rng, full_exports
        self.kinds = list(MIX)
        self.weights = [MIX[k] for k in self.kinds]
        self.session: str | None = None
        # every kind once first (from ``start`` on, so that a few clients cover them all at once even
        # in a short run), then drawn by weight
        k = start % len(self.kinds)
        self.first = self.kinds[k:] + self.kinds[:k]

    def next(self) -> Req:
        kind = self.first.pop(0) if self.first else self.rng.choices(self.kinds, self.weights)[0]
        return getattr(self, "_" + kind)()

    # -- the kinds
    def _chat(self) -> Req:
        r, n = self.rng, self.n
        inv, inv2 = r.choice(n["investors"])[1], r.choice(n["investors"])[1]
        fill = {"inv": inv, "inv2": inv2, "co": r.choice(n["companies"])[1], "region": r.choice(n["region_names"]),
                "segment": r.choice(n["segments"])}
        en = r.random() < 1 / 3
        if self.session and r.random() < 0.3:
            q = r.choice(FOLLOW_UPS_EN if en else FOLLOW_UPS_ZH)
        else:
            q = r.choice(QUESTIONS_EN if en else QUESTIONS_ZH).format(**fill)
        args = {"q": q, **({"session": self.session} if self.session else {})}
        return Req("chat", "/api/ask?" + urlencode(args), ctype="application/json", chat=True)

    def _network(self) -> Req:
        r = self.rng
        facets = r.choice([{}, {}, {"year": "2019"}, {"min_shared": "2"}, {"segment": r.choice(self.n["segments"])},
                           {"region": "长三角"}, {"min_shared": "3", "year": "2019"}])
        qs = ("?" + urlencode(facets)) if facets else ""
        if r.random() < 0.5:
            return Req("network", "/network" + qs)
        return Req("network", "/api/network" + qs, ctype="application/json")

    def _entity(self) -> Req:
        r, n = self.rng, self.n
        pool = r.choices([n["investors"], n["companies"], [(x, x) for x in n["regions"]],
                          [(f"segment:{s}", s) for s in n["segments"]]], [4, 3, 2, 1])[0]
        eid = r.choice(pool)[0]
        if r.random() < 0.5:
            return Req("entity", f"/entity/{_q(eid)}")
        return Req("entity", f"/api/entity/{_q(eid)}", ctype="application/json")

    def _query(self) -> Req:
        r, n = self.rng, self.n
        inv = r.choice(n["investors"])[0]
        co = r.choice(n["companies"])[0]
        name, params = r.choice([
            ("portfolio", {"investor": inv}), ("co_investors", {"investor": inv}),
            ("top_investors", {"year": "2019"}), ("top_investors", {"by": "leads"}),
            ("timeline", {"by": "year"}), ("region_summary", {}), ("segment_summary", {"year": "2019"}),
            ("largest_rounds", {"k": "20"}), ("funding_history", {"company": co}), ("investors_of", {"company": co}),
            ("deals", {"segment": r.choice(n["segments"]), "k": "50"}), ("region_clusters", {"region": "浙江"}),
        ])
        if r.random() < 0.5:
            return Req("query", f"/query/{name}?{urlencode(params)}")
        return Req("query", f"/api/query/{name}?{urlencode({**params, 'limit': 50})}", ctype="application/json")

    def _report(self) -> Req:
        if self.rng.random() < 0.5:
            return Req("report", "/report")
        return Req("report", "/api/report", ctype="application/json")

    def _home(self) -> Req:
        return self.rng.choice([Req("home", "/"), Req("home", "/api/home", ctype="application/json"),
                                Req("home", "/regions"), Req("home", "/query"),
                                Req("home", "/search?" + urlencode({"q": self.rng.choice(self.n["investors"])[1][:2]}))])

    def _export(self) -> Req:
        r, n = self.rng, self.n
        fmt = r.choice(["graphml", "xlsx", "csv"])
        # CSV: one file per table, or a zip of the nodes' and the edges' files when there is a graph
        ctype = {"graphml": ("application/xml", "application/graphml", "text/xml"),
                 "xlsx": "application/vnd.openxmlformats", "csv": ("text/csv", "application/zip")}[fmt]
        if self.full_exports and r.random() < 0.25:
            params = {"query": "coinvest_network"}
        else:
            params = r.choice([{"query": "portfolio", "investor": r.choice(n["investors"])[0]},
                               {"query": "co_investors", "investor": r.choice(n["investors"])[0]},
                               {"query": "region_summary"}, {"query": "top_investors", "year": "2019"}])
        return Req("export", "/api/export?" + urlencode({**params, "format": fmt}), ctype=ctype)

    def _bad(self) -> Req:
        r = self.rng
        choice = r.randrange(7)
        if choice == 0:
            return Req("bad", f"/entity/{_q('investor:不存在的机构' + str(r.randrange(1000)))}", status=404)
        if choice == 1:
            return Req("bad", "/api/entity/company:nope" + str(r.randrange(1000)), status=404, ctype="application/json")
        if choice == 2:
            return Req("bad", "/api/query/coinvest_network?min_shared=abc", status=400, ctype="application/json")
        if choice == 3:
            return Req("bad", "/api/query/no_such_query", status=404, ctype="application/json")
        if choice == 4:
            return Req("bad", "/api/export?query=top_investors&format=exe", status=400, ctype="application/json")
        if choice == 5:
            return Req("bad", "/api/ask?q=", status=400, ctype="application/json")
        # an oversize body: an export of more nodes than the server draws (with the session's CSRF token)
        nodes = [{"id": f"n{i}", "label": "Investor", "name": f"x{i}"} for i in range(5001)]
        body = json.dumps({"format": "csv", "name": "big", "graph": {"nodes": nodes, "edges": []}}).encode()
        return Req("bad", "/api/export", status=413, ctype="application/json", method="POST", body=body,
                   headers={"Content-Type": "application/json"})


def check(req: Req, rep: Reply) -> str | None:
    """What is wrong with an answer, or None."""
    if rep.status != req.status:
        return f"HTTP {rep.status}, expected {req.status}"
    if not rep.ctype.startswith(req.ctype):  # str.startswith takes a tuple of prefixes too
        return f"Content-Type {rep.ctype!r}, expected {req.ctype}…"
    if req.ctype == "application/json":
        try:
            json.loads(rep.body)
        except ValueError as exc:
            return f"not JSON: {exc}"
    if req.kind == "export" and "attachment" not in rep.headers.get("Content-Disposition", ""):
        return "an export without Content-Disposition: attachment"
    if req.status == 200 and not rep.body:
        return "an empty body"
    return None


# ---------------------------------------------------------------------------------------------- runs
FIRST_VIEWS = ("/", "/network", "/report", "/regions", "/query", "investor", "company", "region", "segment", "chat")


def first_views(port: int, names_later: bool = True) -> tuple[list[dict], Conn]:
    """Each kind of page once, in sequence, on a fresh session. The entity ids are found after the
    fixed pages (through a named query, itself timed)."""
    conn = Conn(port)
    out = []

    def get(label, path, ctype="text/html"):
        t = time.perf_counter()
        rep = conn.request("GET", path)
        dt = time.perf_counter() - t
        out.append({"page": label, "path": path, "s": round(dt, 3), "status": rep.status,
                    "ok": rep.status == 200 and rep.ctype.startswith(ctype), "kb": round(len(rep.body) / 1024, 1)})
        return rep

    for p in ("/", "/network", "/report", "/regions", "/query"):
        get(p, p)
    top = get("top investors (JSON)", "/api/query/top_investors?k=3", "application/json")
    rows = json.loads(top.body).get("rows") or [] if top.status == 200 else []
    if rows:
        iid = rows[0]["investor_id"]
        get("investor", f"/entity/{_q(iid)}")
        port_rows = json.loads(conn.request("GET", f"/api/query/portfolio?investor={_q(iid)}&limit=1").body).get("rows") or []
        if port_rows and port_rows[0].get("company_id"):
            get("company", f"/entity/{_q(port_rows[0]['company_id'])}")
    get("region", "/entity/" + _q("province:广东"))
    get("segment", "/entity/" + _q("segment:平台"))
    get("chat", "/api/ask?" + urlencode({"q": "深创投投资了哪些公司？"}), "application/json")
    return out, conn


def _summary(lat: list[float], errors: int, seconds: float) -> dict:
    ms = [x * 1000 for x in lat]
    return {"count": len(ms), "errors": errors, "req_s": round(len(ms) / seconds, 2) if seconds else None,
            "p50_ms": round(_pct(ms, 50), 1) if ms else None, "p95_ms": round(_pct(ms, 95), 1) if ms else None,
            "p99_ms": round(_pct(ms, 99), 1) if ms else None, "max_ms": round(max(ms), 1) if ms else None}


def run_load(port: int, names: dict, clients: int, seconds: float, seed: int, full_exports: bool) -> dict:
    lock = threading.Lock()
    lat: dict[str, list[float]] = {k: [] for k in MIX}
    errs: dict[str, int] = {k: 0 for k in MIX}
    samples: list[dict] = []
    statuses: dict[int, int] = {}
    slowest: list[tuple[float, str]] = []
    stop_at = [0.0]
    # the load's clock starts when every client has its session (the barrier's action runs before any
    # thread goes on): a slow first page (a server still warming up) does not eat into the load
    start = threading.Barrier(clients + 1, action=lambda: stop_at.__setitem__(0, time.perf_counter() + seconds))

    def client(i: int):
        rng = random.Random(seed * 1000 + i)
        wl = Workload(names, rng, full_exports, start=i * 2)
        conn = Conn(port)
        try:
            conn.get_csrf()
        except Exception as exc:  # noqa: BLE001 - counted as an error of the client
            with lock:
                errs["home"] += 1
                samples.append({"kind": "home", "path": "/", "error": f"{type(exc).__name__}: {exc}"})
        start.wait()
        while time.perf_counter() < stop_at[0]:
            req = wl.next()
            headers = dict(req.headers)
            if req.method == "POST" and conn.csrf:
                headers["X-CSRF-Token"] = conn.csrf
            t = time.perf_counter()
            try:
                rep = conn.request(req.method, req.path, req.body, headers)
                problem = check(req, rep)
            except Exception as exc:  # noqa: BLE001 - a dropped connection or a timeout is an error
                rep, problem = None, f"{type(exc).__name__}: {exc}"
                conn.close()
            dt = time.perf_counter() - t
            if rep is not None and req.chat and rep.status == 200:
                try:
                    wl.session = json.loads(rep.body).get("session") or wl.session
                except ValueError:
                    pass
            with lock:
                lat[req.kind].append(dt)
                if rep is not None:
                    statuses[rep.status] = statuses.get(rep.status, 0) + 1
                if problem:
                    errs[req.kind] += 1
                    if len(samples) < 30:
                        samples.append({"kind": req.kind, "path": req.path[:300], "error": problem,
                                        "body": (rep.body[:300].decode("utf-8", "replace") if rep else "")})
                slowest.append((dt, req.path[:200], round(t - stop_at[0] + seconds, 2)))
                if len(slowest) > 200:
                    slowest.sort(reverse=True)
                    del slowest[20:]
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = stop_at[0] - seconds
    for t in threads:
        t.join(seconds + 300)
    wall = time.perf_counter() - t0
    kinds = {k: _summary(v, errs[k], wall) for k, v in lat.items() if v or errs[k]}
    every = [x for v in lat.values() for x in v]
    slowest.sort(reverse=True)
    return {"clients": clients, "seconds": round(wall, 2), "overall": _summary(every, sum(errs.values()), wall),
            "kinds": kinds, "statuses": {str(k): v for k, v in sorted(statuses.items())}, "error_samples": samples,
            "slowest": [{"ms": round(d * 1000, 1), "path": p, "at_s": at} for d, p, at in slowest[:10]]}


def run_serve_bench(workspace=None, clients: int = 16, seconds: float = 60, seed: int = SEED,
                    full_exports: bool | None = None, threads: int | None = None, workdir=None,
                    deals: int | None = None) -> dict:
    """Start ``kg serve`` on ``workspace`` (default: the demo workspace, of ``deals`` deals when
    given), time its start and first views, then run the load. Returns the results (see the
    module's doc)."""
    ws = Path(workspace) if workspace else ensure_demo_workspace(workdir, deals, seed=seed)
    from kg.bench import machine

    res: dict = {"workspace": str(ws), "seed": seed, "machine": machine(), "load_before": os.getloadavg(),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    srv = Server(ws, threads)
    try:
        t = time.perf_counter()
        first = Conn(srv.port)
        r = first.request("GET", "/")
        res["start"] = {"ready_s": round(srv.ready_s, 3),
                        "first_byte_s": round(time.perf_counter() - srv.t0, 3),
                        "first_request_after_ready_s": round(time.perf_counter() - t, 3), "status": r.status,
                        "rss_mb_ready": srv.rss_mb}
        first.close()
        views, conn = first_views(srv.port)
        res["first_views"] = views
        res["first_view_worst_s"] = max(v["s"] for v in views)
        names = discover(conn, seed)
        conn.close()
        if full_exports is None:
            full_exports = names["rounds"] <= FULL_EXPORT_MAX_ROUNDS
        res["rounds"] = names["rounds"]
        res["full_exports"] = full_exports
        _log(f"{ws}: ready in {res['start']['ready_s']} s, first byte {res['start']['first_byte_s']} s; "
             f"worst first view {res['first_view_worst_s']} s; load: {clients} clients × {seconds} s")
        res["load"] = run_load(srv.port, names, clients, seconds, seed, full_exports)
        res["rss_mb_after"] = srv.rss_mb
        alive = srv.proc.poll() is None
        res["server_alive"] = alive
        res["warm_up"] = next((ln.strip() for ln in srv.lines if ln.startswith("warmed up:")), None)
    finally:
        srv.stop()
        res["server_stderr_tail"] = "".join(srv.errors[-20:])[-3000:]
    res["load_after"] = os.getloadavg()
    res["targets"] = targets(res)
    return res


def targets(res: dict) -> list[dict]:
    o = (res.get("load") or {}).get("overall") or {}
    rows = [("errors", "errors (wrong status or content type, 5xx, dropped)", TARGETS["errors"], "", o.get("errors")),
            ("p95_ms", "p95 under load", TARGETS["p95_ms"], "ms", o.get("p95_ms")),
            ("p99_ms", "p99 under load", TARGETS["p99_ms"], "ms", o.get("p99_ms")),
            ("first_view_s", "worst first view after the ready line", TARGETS["first_view_s"], "s",
             res.get("first_view_worst_s"))]
    return [{"target": k, "what": w, "limit": lim, "unit": u, "measured": v, "met": None if v is None else v <= lim}
            for k, w, lim, u, v in rows]


def text(res: dict) -> str:
    lines = [f"workspace {res['workspace']} ({res.get('rounds', '?'):,} rounds; full-graph exports "
             f"{'on' if res.get('full_exports') else 'off'}); load average {res['load_before'][0]:.2f} before, "
             f"{res['load_after'][0]:.2f} after"]
    s = res.get("start") or {}
    if res.get("warm_up"):
        lines.append(res["warm_up"])
    lines.append(f"start: ready line {s.get('ready_s')} s, first byte of / {s.get('first_byte_s')} s from the process "
                 f"start; first request after ready {s.get('first_request_after_ready_s')} s; RSS {s.get('rss_mb_ready')} MB")
    for v in res.get("first_views", []):
        lines.append(f"  first view {v['page']:<22} {v['s']:>7.3f} s  HTTP {v['status']}  {v['kb']} KB")
    load = res.get("load") or {}
    if load:
        lines.append(f"load: {load['clients']} clients for {load['seconds']} s")
        lines.append(f"  {'kind':<10} {'count':>7} {'errors':>6} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} (ms)")
        for k, v in [*load["kinds"].items(), ("overall", load["overall"])]:
            lines.append(f"  {k:<10} {v['count']:>7} {v['errors']:>6} {v['req_s']:>7} {v['p50_ms']:>8} {v['p95_ms']:>8} "
                         f"{v['p99_ms']:>8} {v['max_ms']:>8}")
        for e in load.get("error_samples", [])[:10]:
            lines.append(f"  error: {e['kind']} {e['path'][:120]}: {e['error']}")
    for t in res.get("targets", []):
        mark = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        lines.append(f"target {t['what']}: {t['measured']} {t['unit']} (≤ {t['limit']}): {mark}")
    return "\n".join(lines)


@click.command("serve")
@click.option("--workspace", type=click.Path(file_okay=False, exists=True),
              help="Workspace to serve (default: the demo workspace, built once under TMP/iikg-bench-serve).")
@click.option("--clients", default=16, show_default=True, type=click.IntRange(1, 256), help="Concurrent clients.")
@click.option("--seconds", default=60.0, show_default=True, type=click.FloatRange(1, 3600), help="Length of the load.")
@click.option("--seed", default=SEED, show_default=True, type=int, help="Random seed of the request mix.")
@click.option("--threads", default=None, type=click.IntRange(1, 64),
              help="kg serve --threads (default: kg serve's own default).")
@click.option("--full-exports/--no-full-exports", default=None,
              help=f"Export the whole co-investment network too (default: when the workspace has at most "
                   f"{FULL_EXPORT_MAX_ROUNDS:,} rounds).")
@click.option("--deals", type=click.IntRange(1, 3_000_000), default=None,
              help="Without --workspace: a demo workspace of this many 2019 deals (kg demo --deals N "
                   "--years 2019), built once under --workdir.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Where demo workspaces are built (default TMP).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the results to this JSON file.")
def serve_cmd(workspace, clients, seconds, seed, threads, full_exports, deals, workdir, out):
    """kg serve under load: 16 clients × 60 s of chat, network, pages, exports and bad input; p50/p95/p99."""
    res = run_serve_bench(workspace, clients, seconds, seed, full_exports, threads, workdir, deals)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    click.echo(text(res))


if __name__ == "__main__":
    sys.exit(serve_cmd())
