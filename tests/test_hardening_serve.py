"""Hardening (issue 9): the real ``kg serve`` (waitress) under concurrent clients, and its access rules.

- 16 clients in threads for a minute (``IIKG_STRESS_SECONDS``, default 60 s, what issue 9 asks and
  CI runs; set it lower for a quick local run): chat conversations with follow-ups in distinct sessions plus
  browsing, an upload (web import with its CSRF token) in the middle; no 5xx, no answer from another
  session, the server's memory flat, the new data visible after the upload.
- Access: loopback by default; ``--host 0.0.0.0`` refuses to start without a token (exit 1, one
  line) and with one, every request needs it; CSRF and the upload limit on the real server; a
  request for another host name (DNS rebinding) is refused when no token protects the server.
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from urllib.parse import quote

import pytest
from test_hardening_support import Client, Served, rss_kb, run_kg

STRESS_SECONDS = float(os.environ.get("IIKG_STRESS_SECONDS", "60"))
CLIENTS = 16


def _subjects(workspace) -> list[tuple[str, str]]:
    """(investor id, name) of investors the chat recognises and that have a portfolio."""
    from collections import Counter as C

    from kg.chat import answer
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(workspace)
    G = store.graph
    counts = C(u for u, _, k in G.edges(keys=True) if k == "INVESTED_IN")
    out = []
    for iid, _ in counts.most_common(40):
        name = G.nodes[iid]["name"]
        a = answer(store, f"{name}投资了哪些公司？")
        if a["intent"] == "portfolio" and a["params"].get("investor") == name and a["entities"]:
            out.append((iid, name))
    assert len(out) >= 8, out
    return out


@pytest.mark.slow
def test_sixteen_clients_and_an_upload(dev_workspace, tmp_path):
    subjects = _subjects(dev_workspace)
    n = len(subjects)
    failures: list[str] = []
    statuses: Counter = Counter()
    counts: Counter = Counter()
    lock = threading.Lock()
    upload_done = threading.Event()
    upload_result: dict = {}

    def fail(msg):
        with lock:
            failures.append(msg)

    def check(resp, what):
        with lock:
            statuses[resp.status] += 1
        if resp.status != 200:
            fail(f"{what}: HTTP {resp.status} {resp.text[:300]}")
            return False
        return True

    with Served(dev_workspace, "--threads", "8") as srv:
        deadline = time.monotonic() + STRESS_SECONDS

        def ask(c, q, sid=None):
            path = "/api/ask?q=" + quote(q) + (f"&session={quote(sid)}" if sid else "")
            r = c.get(path)
            return r.json() if check(r, f"ask {q!r}") else None

        def worker(i):
            c = Client(srv.base)
            iid, x = subjects[i % n]
            _, y = subjects[(3 * i + 1) % n] if subjects[(3 * i + 1) % n][1] != x else subjects[(i + 1) % n]
            rnd = random.Random(i)
            while time.monotonic() < deadline:
                a = ask(c, f"{x}投资了哪些公司？")
                if a is None:
                    continue
                sid = a["session"]
                if a["params"].get("investor") != x:
                    fail(f"client {i}: asked about {x}, answer about {a['params']}")
                b = ask(c, "只看2019年的", sid)
                if b is not None and (b["session"] != sid or b["params"].get("investor") != x
                                      or b["params"].get("year") != 2019):
                    fail(f"client {i}: follow-up of {x} in {sid} answered {b['session']} {b['params']}")
                d = ask(c, f"那{y}呢？", sid)
                if d is not None and (d["params"].get("investor") != y or d["params"].get("year") != 2019):
                    fail(f"client {i}: '那{y}呢' after {x}/2019 answered {d['params']}")
                conv = c.get(f"/api/chat?session={quote(sid)}")
                if check(conv, "conversation"):
                    qs = [t["question"] for t in conv.json()["answers"]]
                    if qs != [f"{x}投资了哪些公司？", "只看2019年的", f"那{y}呢？"]:
                        fail(f"client {i}: conversation {sid} holds {qs}")
                for path in rnd.sample(["/", "/entity/" + quote(iid, safe=""), "/network", "/network?year=2019",
                                        "/api/query/portfolio?investor=" + quote(x), "/api/query/top_investors",
                                        "/api/entity/" + quote(iid, safe=""), "/chat?session=" + quote(sid)], 4):
                    r = c.get(path)
                    if check(r, path) and path.startswith("/api/query/portfolio"):
                        if not r.json()["rows"]:
                            fail(f"client {i}: empty portfolio of {x}")
                with lock:
                    counts[i] += 1

        def uploader():
            time.sleep(STRESS_SECONDS / 6)
            c = Client(srv.base)
            token = c.csrf()
            rows = "".join(f"2019-0{k % 9 + 1}-01,并发导入科技{k},A轮,{k + 1}00万元,并发导入资本、深创投\n"
                           for k in range(200))
            data = ("date,company,round,amount,investors\n" + rows).encode()
            r = c.upload("/api/import", "并发导入.csv", data, token)
            upload_result["status"] = r.status
            upload_result["body"] = r.json() if r.status == 200 else r.text
            upload_done.set()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=uploader, daemon=True))
        rss = []
        for t in threads:
            t.start()
        # memory: sampled every half second; the baseline is taken once every code path has run (warm caches)
        while any(t.is_alive() for t in threads):
            rss.append((time.monotonic(), rss_kb(srv.pid)))
            time.sleep(0.5)
            if time.monotonic() > deadline + 120:
                break
        for t in threads:
            t.join(5)
        assert not any(t.is_alive() for t in threads), "clients still running 2 minutes after the deadline"

        # the upload went through while the others read, and its data is there afterwards
        assert upload_done.is_set() and upload_result["status"] == 200, upload_result
        assert upload_result["body"]["loaded"] == 200 and upload_result["body"]["rejected"] == 0
        c = Client(srv.base)
        assert c.get("/api/entity/" + quote("company:并发导入科技7", safe="")).status == 200
        assert c.get("/api/query/portfolio?investor=" + quote("并发导入资本")).json()["value"] == 200
        end_rss = rss_kb(srv.pid)
        err = srv.stop()

    assert not failures, f"{len(failures)} failures, first: {failures[:5]}"
    assert set(statuses) == {200}, statuses
    assert all(counts[i] >= 1 for i in range(CLIENTS)), counts  # every client got through whole rounds
    assert "Traceback" not in err, err[-3000:]
    # memory flat. The server keeps by design a bounded amount: 500 conversations of 50 answers, 256
    # cached results per graph version; the upload makes a new version (and so a new round of
    # caches). So: bounded growth once warm (from the first quarter: < 150 MB), and flat over the
    # second half, when every path has run on the new version (< 60 MB). A leak per request or per
    # conversation (thousands of them) grows steadily and fails the second.
    t0 = rss[0][0]
    quarter = next((kb for t, kb in rss if t - t0 >= STRESS_SECONDS / 4), rss[-1][1])
    half = next((kb for t, kb in rss if t - t0 >= STRESS_SECONDS / 2), rss[-1][1])
    print(f"server RSS {quarter // 1024} MB (1/4) -> {half // 1024} MB (1/2) -> {end_rss // 1024} MB (end) over "
          f"{STRESS_SECONDS:.0f} s; rounds {sum(counts.values())}")
    samples = [(round(t - t0), kb // 1024) for t, kb in rss[::4]]
    assert end_rss - quarter < 150 * 1024, f"RSS {quarter // 1024} -> {end_rss // 1024} MB; samples {samples}"
    assert end_rss - half < 60 * 1024, f"RSS {half // 1024} -> {end_rss // 1024} MB; samples {samples}"


@pytest.mark.slow
def test_a_big_upload_while_readers_walk_the_same_investor(dev_workspace):
    """The import writes 10,000 deals of 深创投 while 8 clients read its pages: the readers never see
    a graph being written (no 500 "dictionary changed size during iteration")."""
    statuses: Counter = Counter()
    errors: list = []
    done = threading.Event()
    eid = quote("investor:深创投", safe="")
    paths = [f"/entity/{eid}", f"/api/entity/{eid}", "/api/query/neighborhood?entity=" + eid,
             "/api/query/portfolio?investor=" + quote("深创投")]
    with Served(dev_workspace, "--threads", "8") as srv:
        def reader(i):
            c = srv.client()
            k = i
            while not done.is_set():
                r = c.get(paths[k % len(paths)], timeout=120)
                statuses[r.status] += 1
                if r.status != 200:
                    errors.append((paths[k % len(paths)], r.status))
                k += 1

        threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(8)]
        for t in threads:
            t.start()
        c = srv.client()
        rows = "".join(f"2019-0{k % 9 + 1}-01,竞态科技{k},A轮,{k + 1}00万元,深创投、竞态资本{k % 50}\n" for k in range(10000))
        r = c.upload("/api/import", "race.csv", ("date,company,round,amount,investors\n" + rows).encode(), c.csrf())
        time.sleep(1)
        done.set()
        for t in threads:
            t.join(120)
        assert r.status == 200 and r.json()["loaded"] == 10000, r.text[:300]
        assert c.get("/api/query/portfolio?investor=" + quote("竞态资本7")).json()["value"] == 200
        err = srv.stop()
    assert not errors and sum(statuses.values()) >= 20, (statuses, errors[:5], err[-2000:])
    assert "Traceback" not in err, err[-3000:]


# ---------------------------------------------------------------------------------------------- access
def test_public_host_without_token_exits_1_with_one_line(workspace):
    for host in ("0.0.0.0", "::", "192.0.2.1"):
        r = run_kg("--workspace", workspace, "serve", "--host", host, "--port", "0", timeout=60)
        assert r.returncode == 1, (host, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "token" in lines[0] and "Traceback" not in r.stderr, r.stderr
        assert r.stdout == ""  # never printed a URL: it did not start
    # a blank KG_TOKEN is no token
    r = run_kg("--workspace", workspace, "serve", "--host", "0.0.0.0", "--port", "0", env={"KG_TOKEN": "   "})
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1


def test_kg_up_on_a_public_host_without_token_refuses_before_writing(workspace):
    r = run_kg("--workspace", workspace, "up", "--host", "0.0.0.0", "--port", "0", "--no-open", timeout=120)
    assert r.returncode == 1 and "token" in r.stderr and "Traceback" not in r.stderr
    assert not (workspace / "store" / "manifest.json").exists()


def test_public_host_needs_the_token_on_every_request(dev_workspace):
    token = "t0k3n-" + os.urandom(12).hex()
    with Served(dev_workspace, "--host", "0.0.0.0", env={"KG_TOKEN": token}) as srv:
        assert token in srv.url  # the printed URL carries it once
        anon = srv.client()
        for path in ("/", "/api/home", "/api/ask?q=x", "/static/app.js", "/import", "/api/export?query=top_investors&format=csv"):
            assert anon.get(path).status == 401, path
        assert anon.get("/api/home", headers={"Authorization": "Bearer " + token[:-1]}).status == 401
        assert anon.get("/api/home", headers={"Authorization": "Bearer " + token + "x"}).status == 401
        assert anon.get("/api/home?token=" + token[:-1] + "X").status == 401
        ok = srv.client(headers={"Authorization": "Bearer " + token})
        assert ok.get("/api/home").status == 200
        # the browser way: ?token= once, then the HttpOnly cookie
        b = srv.client()
        r = b.get("/network?token=" + token)
        assert r.status == 302 and "token" not in r.headers["Location"]
        assert b.get("/network").status == 200 and b.get("/api/home").status == 200
        # the token is not a CSRF token: a POST with the token and no CSRF token is refused
        r = ok.upload("/api/import", "x.csv", b"date,company\n2019,x\n", None)
        assert r.status == 403
        r = anon.upload("/api/import", "x.csv", b"date,company\n2019,x\n", None)
        assert r.status == 401


def test_token_compare_is_constant_time():
    """The token and the CSRF token are compared with hmac.compare_digest only (no ==, no startswith)."""
    import ast
    import inspect

    import web.security as sec

    tree = ast.parse(inspect.getsource(sec))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            names = {ast.unparse(x) for x in [node.left, *node.comparators]}
            assert not any(("token" in n.lower() or n in ("sent", "expected", "given")) for n in names
                           if not n.startswith(("'", '"'))) or all(
                isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops), ast.unparse(node)
    src = inspect.getsource(sec)
    assert src.count("compare_digest") >= 2


def test_upload_limit_on_the_real_server(dev_workspace):
    with Served(dev_workspace, env={"KG_MAX_UPLOAD_MB": "1"}) as srv:
        c = srv.client()
        token = c.csrf()
        big = b"date,company\n" + b"2019-01-01,x\n" * 200_000  # 2.6 MB: waitress itself refuses it (plain text)
        r = c.upload("/api/import", "big.csv", big, token)
        assert r.status == 413, (r.status, r.text[:300])
        # just over the limit: the app's own answer, JSON for the API, a page (with the CSP) for the form
        over = b"date,company\n" + b"2019-01-01,x\n" * 82_000  # 1.07 MB
        assert 1024 * 1024 < len(over) < 1024 * 1024 + 60_000
        r = c.upload("/api/import", "over.csv", over, token)
        assert r.status == 413 and "1 MB" in r.json()["error"], r.text[:300]
        r = c.upload("/import", "over.csv", over, token)
        assert r.status == 413 and "1 MB" in r.text and "Content-Security-Policy" in r.headers
        # a body sent chunked (no Content-Length) is cut off the same way
        import http.client

        from test_hardening_support import multipart

        body, ctype = multipart({"csrf_token": token}, {"file": ("big.csv", big)})
        host, port = srv.base.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        cookies = "; ".join(f"{k.name}={k.value}" for k in c.jar)
        conn.putrequest("POST", "/api/import")
        conn.putheader("Content-Type", ctype)
        conn.putheader("Cookie", cookies)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for i in range(0, len(body), 65536):
                chunk = body[i:i + 65536]
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading as soon as the limit is passed
        resp = conn.getresponse()
        assert resp.status == 413, (resp.status, resp.read()[:300])
        conn.close()
        # nothing of it was loaded, and the server still serves
        assert c.get("/api/home").status == 200
        assert c.get("/api/import").json()["imports"][0]["kind"] != "deals" or \
            c.get("/api/import").json()["imports"][0]["file"] != "big.csv"
        small = c.upload("/api/import", "small.csv", "date,company\n2019-01-01,限额内科技\n".encode(), token)
        assert small.status == 200 and small.json()["loaded"] == 1


def test_other_host_names_are_refused_without_a_token(dev_workspace):
    """DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 reaches a loopback
    server with ``Host: evil.example``; without a token nothing else stops it, so such requests are
    refused. Loopback names and addresses are fine."""
    with Served(dev_workspace) as srv:
        c = srv.client()
        port = srv.base.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.1", "localhost"):
            assert c.get("/api/home", headers={"Host": host}).status == 200, host
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"10.0.0.1:{port}"):
            r = c.get("/api/home", headers={"Host": host})
            assert r.status == 403 and "rebinding" in r.json()["detail"], (host, r.status, r.text[:200])
            assert c.get("/", headers={"Host": host}).status == 403
    # with a token (a public bind), the token is the guard: any Host name may reach it (reverse proxies)
    token = "t0k3n-" + os.urandom(12).hex()
    with Served(dev_workspace, "--host", "0.0.0.0", env={"KG_TOKEN": token}) as srv:
        c = srv.client(headers={"Authorization": "Bearer " + token})
        assert c.get("/api/home", headers={"Host": "iikg.example.com"}).status == 200
        assert srv.client().get("/api/home", headers={"Host": "iikg.example.com"}).status == 401


LEAK_SCRIPT = r"""
import sys
from kg.demo import run_demo
from kg.store.embedded import EmbeddedStore

def rss():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS")) // 1024

ws = sys.argv[1]
run_demo(EmbeddedStore(ws), 10000, 3)
s = EmbeddedStore(ws)
for _ in range(2):  # what serving does with the graph: its views (edges, nodes, adj) are cached on it
    s.reload(); s.graph.edges; s.graph.nodes; s.graph.adj; s.stats()
base = rss()
for _ in range(4):  # four more reloads: four `kg load` runs in another terminal, or four web imports
    s.reload(); s.graph.edges; s.graph.nodes; s.graph.adj; s.stats()
print(base, rss())
"""


def test_reloading_the_served_graph_does_not_leak(tmp_path):
    import subprocess
    import sys

    from test_hardening_support import ROOT, kg_env

    r = subprocess.run([sys.executable, "-c", LEAK_SCRIPT, str(tmp_path / "ws")], capture_output=True, text=True,
                       env=kg_env(), cwd=str(ROOT), timeout=300)
    assert r.returncode == 0, r.stderr
    base, end = map(int, r.stdout.split())
    # one graph of 10k demo deals is ~40 MB here: four leaked copies would be ~160 MB
    assert end - base < 60, f"RSS {base} MB -> {end} MB after four reloads"


def test_serves_the_first_page_before_the_rest_is_warm(dev_workspace):
    """``kg serve`` says it is ready once the store, the index, the names, the chat, the landing page,
    the network and the report are built, serves at once, and builds the rest in the background (the
    other pages, an entity page of each kind), saying so when done; a request meanwhile is answered."""
    with Served(dev_workspace) as srv:
        c = srv.client()
        assert c.get("/").status == 200
        assert c.get("/report").status == 200 and c.get("/api/ask?q=" + quote("深创投投资了哪些公司？")).status == 200
        line = srv.proc.stdout.readline()   # the background warm-up's summary, after the ready line
        assert line.startswith("warmed up: ")
        steps = [s.rsplit(" ", 2)[0] for s in line[len("warmed up: "):].split(", ")]
        assert steps[:5] == ["store", "index", "names", "chat", "/ (zh)"] and "/report (en)" in steps
        assert steps.index("/report (en)") < steps.index("/regions (zh)") < steps.index("entities") < steps.index("gc_freeze")
        assert "warm-up:" not in srv.stop()   # no step failed
