"""Hardening (issue 9) of the web app through Flask's test client, on a real workspace on disk.

- CSRF on every state-changing request: the app's routes are enumerated, not listed by hand;
- no answer card, import result page, error page or download name lets hostile text out of its
  place (XSS, header and path injection); the CSP has no 'unsafe-inline' on any response;
- files served from the workspace (rejects) cannot reach anything else.
"""
from __future__ import annotations

import io
import re
from urllib.parse import quote, unquote

import pytest

from web import create_app

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
ATTR = "\"'><img src=x onerror=alert(2)>"
RAW = ("<img src=x", "<script>alert", "<svg onload", "onerror=alert(2)>")


def csrf_of(client) -> str:
    html = client.get("/import").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def no_raw(html: str, where: str) -> None:
    for bad in RAW:
        assert bad not in html, (where, bad, html[max(0, html.find(bad) - 200): html.find(bad) + 200])


@pytest.fixture
def hostile(dev_workspace, tmp_path):
    """The dev workspace plus a company and an investor with hostile names; the app on it."""
    from kg.loading import load_deals
    from kg.store.embedded import EmbeddedStore

    f = tmp_path / "hostile.csv"
    f.write_text("date,company,round,amount,investors,lead_investors,segment,province,city\n"
                 f"2019-05-01,{IMG},A轮,5000万元,深创投、{SVG},深创投,平台,浙江,杭州\n"
                 f"2019-06-02,\"{SCRIPT}\",天使轮,1000万元,\"{ATTR}\"、深创投,深创投,安全,北京,北京\n",
                 encoding="utf-8")
    rep = load_deals(EmbeddedStore(dev_workspace), f, dev_workspace)
    assert rep.loaded == 2, rep.as_dict()
    return create_app({"workspace": str(dev_workspace), "TESTING": True})


# ---------------------------------------------------------------------------------------------- CSRF
def _fill(rule) -> str:
    """A URL for a rule, its variables filled with harmless values."""
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(r"<(?:[a-z]+:)?%s>" % arg, "x", url)
    return url


def test_every_state_changing_route_needs_the_csrf_token(dev_workspace):
    app = create_app({"workspace": str(dev_workspace), "TESTING": True})
    unsafe = [(r, m) for r in app.url_map.iter_rules() for m in sorted(r.methods - {"GET", "HEAD", "OPTIONS"})]
    # the ones known today; a new one is covered by the loop below without being listed here
    assert {(r.rule, m) for r, m in unsafe} >= {("/chat", "POST"), ("/api/export", "POST"), ("/import", "POST"),
                                                  ("/api/import", "POST")}
    before = app.test_client().get("/api/home").get_json()["loaded"]
    for rule, method in unsafe:
        url = _fill(rule)
        c = app.test_client()
        token = csrf_of(c)
        other = app.test_client()
        other_token = csrf_of(other)
        assert other_token != token
        form = {"q": "深创投投资了哪些公司？", "file": (io.BytesIO(b"date,company\n2019,CSRF\xe7\xa7\x91\xe6\x8a\x80\n"), "c.csv")}
        cases = [
            ({}, {}),                                                   # no token at all
            ({"X-CSRF-Token": "x" * 43}, {}),                           # a made-up token
            ({"X-CSRF-Token": other_token}, {}),                        # another session's token
            ({"X-CSRF-Token": token, "Origin": "http://evil.example"}, {}),  # right token, other site
            ({}, {"csrf_token": other_token}),                          # form field from another session
        ]
        for headers, extra in cases:
            data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in form.items()}
            r = c.open(url, method=method, data={**data, **extra}, headers=headers, content_type="multipart/form-data")
            assert r.status_code == 403, (method, url, headers, extra, r.status_code)
            assert "Content-Security-Policy" in r.headers
        # and the same request with the right token is not refused for CSRF
        data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in form.items()}
        r = c.open(url, method=method, data=data, headers={"X-CSRF-Token": token}, content_type="multipart/form-data")
        assert r.status_code != 403, (method, url)
    after = app.test_client().get("/api/home").get_json()["loaded"]
    # only the accepted requests changed anything (two imports of the one-row file)
    assert len(after["imports"]) == len(before["imports"]) + 2


def test_csrf_token_survives_only_its_session(dev_workspace):
    app = create_app({"workspace": str(dev_workspace), "TESTING": True, "SECRET_KEY": "k" * 32})
    c = app.test_client()
    token = csrf_of(c)
    c.delete_cookie("iikg_session")  # the session is gone (new browser, cleared cookies)
    r = c.post("/api/import", data={"file": (io.BytesIO(b"date,company\n2019,x\n"), "x.csv")},
               headers={"X-CSRF-Token": token}, content_type="multipart/form-data")
    assert r.status_code == 403


# ---------------------------------------------------------------------------------------------- XSS
def test_answer_cards_of_hostile_questions_are_text(hostile):
    c = hostile.test_client()
    token = csrf_of(c)
    questions = [f"{IMG}的融资历史", f"{SCRIPT}的融资历史", f"{SVG}投资了哪些公司？", f"{ATTR}和哪些机构合投过？",
                 f"what about {IMG} {SCRIPT}?", f"{ATTR}", "<b>粗体</b>"]
    sid = None
    for q in questions:
        r = c.post("/chat", data={"q": q, "csrf_token": token, **({"session": sid} if sid else {})})
        assert r.status_code == 302, (q, r.status_code)
        sid = re.search(r"session=([^&#]+)", r.headers["Location"]).group(1)
    r = c.get(f"/chat?session={sid}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    no_raw(html, "chat page")
    assert "<b>粗体</b>" not in html
    # the hostile text is there, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;svg onload=alert(1)&gt;" in html
    # at least one card answered about a hostile entity (so its name went through tables, links and the graph)
    conv = c.get(f"/api/chat?session={sid}").get_json()
    assert len(conv["answers"]) == len(questions)
    understood = [a for a in conv["answers"] if a["intent"] != "unknown"]
    assert any(IMG in a["entities"] or SCRIPT in str(a["params"]) or SVG in str(a["params"]) for a in understood), \
        [(a["question"], a["intent"], a["params"]) for a in conv["answers"]]
    # JSON twins are JSON, never HTML
    r = c.get("/api/ask?q=" + quote(f"{IMG}的融资历史"))
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"
    # the CSP holds on the chat page too
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]


def test_import_result_page_with_hostile_file_name_and_rows_is_text(hostile):
    c = hostile.test_client()
    token = csrf_of(c)
    data = ("date,company,round,amount,investors\n"
            f"2019-03-01,导入{IMG},A轮,3000万元,{SVG}\n"
            f"2019-13-45,{SCRIPT},A轮,1000万元,深创投\n"         # impossible date: rejected, its company shown
            f"2019-03-02,坏金额科技,A轮,{IMG},深创投\n"          # the reason quotes the hostile amount
            f"2019-03-03,\"{ATTR}\",A轮,很多钱,深创投\n").encode()
    r = c.post("/import", data={"csrf_token": token, "file": (io.BytesIO(data), f"{IMG}{SVG}.csv")},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="n-rejected">3<' in html, html[-2000:]
    no_raw(html, "import result")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the rejected company, as text
    # the rejects download: a CSV attachment, never rendered as a page
    link = re.search(r'href="(/import/rejects/[^"]+)"', html).group(1)
    d = c.get(link)
    assert d.status_code == 200 and d.mimetype == "text/csv" and d.headers["Content-Disposition"].startswith("attachment")
    assert d.headers["X-Content-Type-Options"] == "nosniff"
    # an unusable file: the error names the user's file (not the server's temporary copy) and stays text
    bad = f"{IMG},{SVG}\n1,2\n".encode()
    r = c.post("/import", data={"csrf_token": token, "file": (io.BytesIO(bad), "坏表头.csv")},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert 'class="error"' in html and "坏表头.csv" in html and "upload-" not in html
    no_raw(html, "import error")
    j = c.post("/api/import", data={"file": (io.BytesIO(bad), "坏表头.csv")}, headers={"X-CSRF-Token": token},
               content_type="multipart/form-data").get_json()
    assert "坏表头.csv" in j["error"] and "uploads" not in j["error"]


def test_error_pages_carry_the_csp_and_escape_what_they_echo(hostile):
    c = hostile.test_client()
    for path in ["/entity/" + quote(f"company:{IMG}", safe=""), "/api/entity/" + quote(IMG, safe=""),
                 "/query/" + quote(IMG, safe=""), "/api/query/" + quote(SCRIPT, safe=""),
                 "/api/query/portfolio?investor=" + quote(IMG), "/query/portfolio?investor=" + quote(SVG),
                 "/api/export?query=portfolio&format=" + quote(IMG), "/path?a=" + quote(IMG) + "&b=" + quote(SVG),
                 "/nothing/here/" + quote(IMG, safe="")]:
        r = c.get(path)
        assert r.status_code in (200, 400, 404), (path, r.status_code)
        csp = r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "script-src 'self'" in csp, path
        if r.mimetype == "application/json":  # data as data: JSON is never rendered as a page
            assert r.headers["X-Content-Type-Options"] == "nosniff", path
        else:
            assert r.mimetype == "text/html", (path, r.mimetype)
            no_raw(r.get_data(as_text=True), path)


# ---------------------------------------------------------------------------------------------- names and paths
def _download_names(resp) -> list[str]:
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;"), cd
    assert "\r" not in cd and "\n" not in cd and "\x00" not in cd
    names = re.findall(r'filename="([^"]*)"', cd) + [unquote(x) for x in re.findall(r"filename\*=UTF-8''(\S+)", cd)]
    assert len(names) == 2, cd
    return names


HOSTILE_NAMES = ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\system32", "a\x00b.csv", "..", ".", "....//",
                 "%2e%2e%2fx", f"{IMG}.csv", "x\r\nSet-Cookie: a=b", "C:\\x.csv", "~/.ssh/id_rsa", "\u202egnp.exe"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_download_names_cannot_leave_the_downloads_folder(hostile, name):
    c = hostile.test_client()
    token = csrf_of(c)
    body = {"format": "json", "name": name, "graph": {"nodes": [{"id": "investor:深创投", "label": "Investor",
                                                                   "name": "深创投"}], "edges": []}}
    r = c.post("/api/export", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    for n in _download_names(r):
        assert n and not set(n) & set("/\\\x00\r\n:") and not n.startswith((".", "~")) and n not in (".", ".."), n
        assert not any(unicode_control(ch) for ch in n), n
    # a question whose words become the file name
    r = c.get("/api/export?format=csv&q=" + quote(f"{name}深创投投资了哪些公司？"))
    if r.status_code == 200:
        for n in _download_names(r):
            assert not set(n) & set("/\\\x00\r\n:") and not n.startswith("."), n


def unicode_control(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in ("Cc", "Cf")


@pytest.mark.parametrize("path", ["/import/rejects/..%2Fgraph.pickle", "/import/rejects/%2e%2e%2fgraph.pickle",
                                  "/import/rejects/..%5Cgraph.pickle.rejects.csv", "/import/rejects/%00rejects.csv",
                                  "/import/rejects/x.rejects.csv%00.csv", "/import/rejects//etc/passwd.rejects.csv",
                                  "/import/rejects/../../etc/passwd", "/import/rejects/.lock.rejects.csv"])
def test_rejects_downloads_stay_in_the_rejects_folder(dev_workspace, path):
    secret = b"SECRET-CONTENT-7f3a"
    (dev_workspace / "secret.rejects.csv").write_bytes(secret)  # in the workspace, outside rejects/
    c = create_app({"workspace": str(dev_workspace), "TESTING": True}).test_client()
    r = c.get(path, follow_redirects=True)  # werkzeug may first merge "//" with a redirect to the same folder
    assert r.status_code in (400, 404), (path, r.status_code)
    from urllib.parse import urlsplit

    assert all(urlsplit(h.headers["Location"]).path.startswith("/import/rejects/") for h in r.history)
    assert secret not in r.data
    r = c.get("/import/rejects/..%2Fsecret.rejects.csv")
    assert r.status_code == 404 and secret not in r.data


def test_upload_file_names_cannot_place_files(dev_workspace, tmp_path):
    """The uploaded file's own name never decides where anything is written."""
    import os

    app = create_app({"workspace": str(dev_workspace), "TESTING": True})
    c = app.test_client()
    token = csrf_of(c)
    before = {p for p in tmp_path.rglob("*")}
    data = "date,company,round\n2019-01-01,路径科技,A轮\n2019-99-01,坏行科技,A轮\n".encode()
    for name in ["../../escape.csv", "/tmp/escape.csv", "..\\..\\escape.csv", "a\x00b.csv", "....csv",
                 f"../{'长' * 300}.csv"]:
        r = c.post("/api/import", data={"file": (io.BytesIO(data), name)}, headers={"X-CSRF-Token": token},
                   content_type="multipart/form-data")
        j = r.get_json()
        if r.status_code == 400:  # a name with no usable file type left ("....csv"): refused, clearly
            assert "csv" in j["error"], j
            continue
        assert r.status_code == 200, (name, j)
        assert "/" not in j["file"] and "\\" not in j["file"] and "\x00" not in j["file"], j["file"]
        assert j["rejects_file"] and os.path.basename(j["rejects_file"]) == j["rejects_file"]
    after = {p for p in tmp_path.rglob("*")}
    new = {p for p in after - before}
    assert all(dev_workspace in p.parents for p in new), sorted(map(str, new - {p for p in new
                                                                                 if dev_workspace in p.parents}))
    assert not (dev_workspace / "uploads").exists() or not any((dev_workspace / "uploads").iterdir())
    assert not os.path.exists("/tmp/escape.csv")
