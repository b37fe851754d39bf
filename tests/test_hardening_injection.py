"""Hardening (issue 9): no user text is ever Cypher.

- A static check (``ast``) over ``kg/``, ``web/`` and ``loaders/``: every f-string, ``+``, ``%`` or
  ``.format`` that builds Cypher may only paste in constants, identifiers checked by
  ``quote_ident`` / ``_server_ident``, or the few vetted expressions named in :data:`VETTED` (each
  with why it is safe). A new place that builds Cypher from anything else fails this test.
- IIKG offers no raw Cypher console: no route, no command and no query parameter runs text as Cypher.
- Hostile values (quotes, ``}) DETACH DELETE n //``, ``<script>``) loaded as names and passed as
  parameters, through ``kg query`` and ``/api/query/…`` and the chat, on the embedded store and on a
  real FalkorDB: they come back as data, the graph is unchanged, and the Cypher text sent to the
  server never contains them.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from test_hardening_support import ROOT, run_kg

SCANNED = ("kg", "web", "loaders")
CYPHER = re.compile(r"\b(MATCH|MERGE|CREATE|UNWIND|RETURN|DETACH|DELETE|REMOVE|FOREACH|LOAD CSV|CALL|WHERE|SET)\b"
                    r"|\(\w*:[A-Z]\w*|-\[:?\w*|\]->|<-\[")

# (file, function, expression pasted into Cypher) -> why it cannot carry user text
VETTED = {
    ("kg/queries/base.py", "render", "' AND '.join(conds)"):
        "conditions from Filters.conditions() and NamedQuery.extra: fixed texts with $params only",
    ("kg/queries/reference.py", "_policies_statements", "' AND '.join(conds)"): "fixed condition texts with $params",
    ("kg/queries/reference.py", "_policies_statements", "where"): "built just above from the fixed conditions",
    ("kg/queries/reference.py", "_factories_statements", "' AND '.join(conds)"): "fixed condition texts with $params",
    ("kg/queries/reference.py", "_factories_statements", "where"): "built just above from the fixed conditions",
    ("kg/queries/counts.py", "statements", "pat"): "round_pattern(): one of four fixed patterns",
    ("kg/queries/counts.py", "statements", "extra_return"): "a constant given where each query is declared",
    ("kg/queries/counts.py", "_company_statements", "pat"): "round_pattern(): one of four fixed patterns",
    ("kg/queries/counts.py", "round_pattern", "c"): "one of two fixed node patterns chosen just above",
    ("kg/queries/paths.py", "_path_statements", "la"): "an entity's label, asserted to be in LABEL_ORDER",
    ("kg/queries/paths.py", "_path_statements", "lb"): "an entity's label, asserted to be in LABEL_ORDER",
    ("kg/queries/paths.py", "_path_statements", "head"): "built just above from the checked labels",
    ("kg/queries/paths.py", "_hood_statements", "label"): "an entity's label, asserted to be in LABEL_ORDER",
    ("kg/queries/summaries.py", "_region_statements", "pat"): "_REGION_PATTERNS[level], level a checked choice",
    ("kg/queries/summaries.py", "_region_statements", "base"): "built just above from the fixed pattern",
    ("kg/queries/deals.py", "_conditions", "k"): "the position (an int) of a resolved investor: $inv0, $inv1 …",
    ("kg/queries/deals.py", "_conditions", "lead"): "one of two fixed texts chosen just above",
    ("kg/queries/deals.py", "_statements", "'\\nAND '.join(conds)"): "conditions from _conditions(): fixed texts with $params",
    ("kg/queries/deals.py", "_statements", "where"): "built just above from the fixed conditions",
    ("kg/queries/deals.py", "_statements", "lead"): "one of two fixed texts chosen just above",
    ("kg/queries/deals.py", "_statements", "head"): "built just above from the fixed conditions",
    ("kg/queries/deals.py", "_statements", "key"): "_KEY[group_by], group_by a checked choice (Param choices)",
    ("kg/queries/deals.py", "_statements", "companies"): "one of two fixed texts chosen just above",
    ("kg/store/cypher.py", "_list_union", "var"): "the literal variable names 'n' / 'r'",
    ("kg/store/cypher.py", "_list_union", "key"): "a list-property name from kg.model.LIST_PROPS",
    ("kg/store/cypher.py", "_changed_expr", "var"): "the literal variable names 'n' / 'r'",
    ("kg/store/cypher.py", "_changed_expr", "k"): "a list-property name from kg.model.LIST_PROPS",
    ("kg/store/cypher.py", "node_merge_cypher", "_changed_expr('n', list_keys)"): "see _changed_expr",
    ("kg/store/cypher.py", "node_merge_cypher", "sets"): "built just above from quote_ident and _list_union",
    ("kg/store/cypher.py", "rel_merge_cypher", "_changed_expr('r', list_keys)"): "see _changed_expr",
    ("kg/store/cypher.py", "rel_merge_cypher", "sets"): "built just above from quote_ident and _list_union",
    ("kg/store/cypher.py", "_neighbour_cypher", "arrow"):
        "one of two fixed arrow texts around [r] or [r:<type>], the type checked by quote_ident",
    ("kg/store/dialect.py", "internal_id_lookup", "f"): "INTERNAL_ID[dialect]: elementId or id, a fixed table",
    ("kg/store/dialect.py", "unique_id_ddl", "index_name(label, 'id')"):
        "iikg_<label>_id, the label checked by quote_ident in the same statement",
    ("kg/store/dialect.py", "property_index_ddl", "index_name(label, prop)"):
        "iikg_<label>_<prop>, both checked by quote_ident in the same statement",
    # the Cypher *export* (a script written to a file for the user, never run by IIKG): values go
    # through _string() (escaped literals), labels and types are checked against the schema
    ("kg/exports/cypher.py", "statements", "lab"): "checked by _label() against ontology LABELS",
    ("kg/exports/cypher.py", "statements", "typ"): "checked by _label() against ontology REL_TYPES",
    ("kg/exports/cypher.py", "statements", "labels[e['source']]"): "labels checked by _label() above",
    ("kg/exports/cypher.py", "statements", "labels[e['target']]"): "labels checked by _label() above",
    ("kg/exports/cypher.py", "statements", "_string(n['id'])"): "an escaped Cypher string literal",
    ("kg/exports/cypher.py", "statements", "_string(e['source'])"): "an escaped Cypher string literal",
    ("kg/exports/cypher.py", "statements", "_string(e['target'])"): "an escaped Cypher string literal",
    ("kg/exports/cypher.py", "statements", "m"): "_map(): escaped literals under checked keys",
}
SAFE_CALLS = {"quote_ident", "_server_ident", "len", "int"}


def _is_str_const(n) -> bool:
    return isinstance(n, ast.Constant) and isinstance(n.value, str)


def _builds(n) -> bool:
    """An expression that builds a string from parts."""
    if isinstance(n, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in n.values)
    if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Mod)):
        return any(_is_str_const(s) or isinstance(s, ast.JoinedStr) for s in (n.left, n.right))
    return (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "format"
            and _is_str_const(n.func.value))


def _text(n) -> str:
    return " ".join(x.value for x in ast.walk(n) if _is_str_const(x))


def _parts(n):
    """The non-constant expressions pasted into a built string."""
    if isinstance(n, ast.JoinedStr):
        for v in n.values:
            if isinstance(v, ast.FormattedValue):
                yield from _parts(v.value)
    elif isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Mod)):
        yield from _parts(n.left)
        yield from _parts(n.right)
    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "format" \
            and _is_str_const(n.func.value):
        for a in [*n.args, *(k.value for k in n.keywords)]:
            yield from _parts(a)
    elif isinstance(n, (ast.Tuple, ast.List)):
        for e in n.elts:
            yield from _parts(e)
    elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and isinstance(n.left, (ast.Tuple, ast.Constant)):
        yield from _parts(n.left)
    elif not isinstance(n, ast.Constant):
        yield n


def _safe(part) -> bool:
    if isinstance(part, ast.Name) and part.id.isupper():
        return True  # a module constant
    if isinstance(part, ast.Attribute) and part.attr.isupper():
        return True
    if isinstance(part, ast.Call):
        f = part.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in SAFE_CALLS
    return False


def cypher_builders(source: str, filename: str = "<src>"):
    """(function, expression, line) of every non-constant part pasted into Cypher text in ``source``."""
    tree = ast.parse(source, filename)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for n in ast.walk(tree):
        if not _builds(n) or (parents.get(n) is not None and (_builds(parents[n])
                                                               or isinstance(parents[n], ast.FormattedValue))):
            continue
        if not CYPHER.search(_text(n)):
            continue
        fn = n
        while fn in parents and not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fn = parents[fn]
        for part in _parts(n):
            if not _safe(part):
                yield getattr(fn, "name", "<module>"), ast.unparse(part), n.lineno


def test_the_scanner_catches_pasted_user_text():
    bad = '''
def f(store, name, label, x):
    store.read(f"MATCH (n {{name: '{name}'}}) RETURN n")
    store.read("MATCH (n) WHERE n.name = '" + name + "' RETURN n")
    store.read("MATCH (n:%s) RETURN n" % label)
    store.read("MATCH (n) WHERE n.id = {} RETURN n".format(x))
    store.read(f"MATCH (a)-[:{x}]->(b) RETURN a")
    store.read(f"MATCH (n:{quote_ident(label)}) RETURN n")  # fine: checked identifier
    print(f"loaded {name}")  # fine: not Cypher
'''
    found = [(f, e) for f, e, _ in cypher_builders(bad)]
    assert found == [("f", "name"), ("f", "name"), ("f", "label"), ("f", "x"), ("f", "x")], found


def test_no_user_text_is_pasted_into_cypher():
    found, seen = [], set()
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for fn, expr, line in cypher_builders(path.read_text(encoding="utf-8"), rel):
                key = (rel, fn, expr)
                seen.add(key)
                if key not in VETTED:
                    found.append(f"{rel}:{line} in {fn}(): {expr}")
    assert not found, ("Cypher built from something not vetted (use $parameters; identifiers through "
                       "quote_ident; or vet it in VETTED with the reason):\n  " + "\n  ".join(found))
    # the allowlist stays honest: an entry nobody uses any more is removed
    stale = sorted(set(VETTED) - seen)
    assert not stale, f"VETTED entries no longer in the code: {stale}"


def test_there_is_no_raw_cypher_console(dev_workspace):
    """No route, CLI command or query parameter takes Cypher text to run."""
    from web import create_app

    app = create_app({"workspace": str(dev_workspace), "TESTING": True})
    for rule in app.url_map.iter_rules():
        assert not re.search(r"cypher|console|raw|sql|exec", rule.rule, re.IGNORECASE), rule.rule
    # the web never runs Cypher itself other than fixed texts: every .read( in web/ has a constant first argument
    for path in (ROOT / "web").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("read", "write") \
                    and n.args and isinstance(n.func.value, ast.Call | ast.Name) and "store" in ast.unparse(n.func.value):
                assert _is_str_const(n.args[0]), f"{path.name}: {ast.unparse(n)}"
    # no command of the CLI runs Cypher text
    r = run_kg("--help")
    commands = set(re.findall(r"^  (\w+)\s", r.stdout, re.MULTILINE))
    assert commands and not commands & {"cypher", "shell", "console", "exec", "run", "sql"}, commands
    from kg.queries import REGISTRY

    for q in REGISTRY.values():
        for p in q.params:
            assert p.name not in ("cypher", "query", "statement", "where", "order_by"), (q.name, p.name)


# ---------------------------------------------------------------------------------------------- hostile values
HOSTILE = ["'}) DETACH DELETE n //", '"}) DETACH DELETE n //', "x' OR 1=1 WITH n DETACH DELETE n //",
           "`) DETACH DELETE (n", "\\'; MATCH (n) DETACH DELETE n; //", "<script>alert(1)</script>",
           "O'Brien \"Q\" 反斜杠\\资本"]
# investor lists are split on 、，,；;| (a name with one of them is several investors, by design)
AS_INVESTOR = [h for h in HOSTILE if not re.search(r"[、，,；;|]", h)]
# values that could appear in legitimate Cypher are passed too but not searched for in the sent text
HOSTILE_PARAMS = [*HOSTILE, "$investor", "{id: 'x'}", "CALL dbms.components()", "LOAD CSV FROM 'file:///etc/passwd'"]


def _hostile_csv(path: Path) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "company", "round", "amount", "investors", "lead_investors", "province", "city"])
        for i, h in enumerate(HOSTILE):
            w.writerow([f"2019-0{i + 1}-15", h, "A轮", "1000万元", f"{h}、深创投", h, "浙江", "杭州"])
    return path


def _digest(store) -> tuple:
    """Everything the graph holds, as plain data, to compare before and after."""
    if getattr(store, "graph", None) is not None:
        store.refresh()
        G = store.graph
        return (sorted((n, json.dumps(d, sort_keys=True, default=str)) for n, d in G.nodes(data=True)),
                sorted((u, v, k) for u, v, k in G.edges(keys=True)))
    nodes = store.read("MATCH (n) RETURN n.id AS id, properties(n) AS p")
    rels = store.read("MATCH (a)-[r]->(b) RETURN a.id AS s, type(r) AS t, b.id AS e")
    return (sorted((r["id"], json.dumps(r["p"], sort_keys=True, default=str)) for r in nodes),
            sorted((r["s"], r["e"], r["t"]) for r in rels))


def _calls():
    """(query, params) pairs that put each hostile value where users put text."""
    out = []
    for h in HOSTILE_PARAMS:
        out += [("search", {"text": h}), ("funding_history", {"company": h}), ("investors_of", {"company": h}),
                ("portfolio", {"investor": h}), ("co_investors", {"investor": h}), ("neighborhood", {"entity": h}),
                ("path", {"a": h, "b": "深创投"}), ("companies", {"region": h}), ("companies", {"segment": h}),
                ("deal_count", {"round": h}), ("top_investors", {"year": h}), ("timeline", {"date_from": h}),
                ("listings", {"board": h}), ("policies", {"level": h}), ("amount_total", {"min_amount": h}),
                ("largest_rounds", {"k": h})]
    return out


def stored(h: str) -> str:
    """The name as the loader keeps it (``clean_name``: spaces around brackets and quotes go)."""
    from ontology import clean_name

    return clean_name(h)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


def _check_results(store):
    """Each call answers with data or a clean QueryError; the hostile names come back exactly as stored."""
    from kg.errors import KGError
    from kg.queries import run

    for name, params in _calls():
        try:
            res = run(store, name, **params)
        except KGError:
            continue
        assert res.rows is not None
    for h in HOSTILE:
        found = run(store, "search", text=h)
        assert stored(h) in [r.get("name") for r in found.rows], (h, found.rows[:3])
        hist = run(store, "funding_history", company=h)
        assert hist.rows and stored(h) in set(_strings(hist.as_dict())), (h, hist.rows)
        if h in AS_INVESTOR:
            inv = run(store, "investors_of", company=h)
            assert stored(h) in {r.get("investor") for r in inv.rows}, (h, inv.rows)
            port = run(store, "portfolio", investor=h)
            assert stored(h) in {r.get("company") for r in port.rows}, (h, port.rows)


@pytest.fixture
def hostile_embedded(workspace, tmp_path):
    from kg.loading import load_deals, load_seed
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(workspace)
    load_seed(store)
    assert load_deals(store, _hostile_csv(tmp_path / "h.csv"), workspace).loaded == len(HOSTILE)
    return store


@pytest.fixture
def hostile_falkor(falkordb_server, tmp_path):
    from conftest import falkor_config

    from kg.loading import load_deals, load_seed
    from kg.store.cypher import open_cypher_store

    cfg = falkor_config(falkordb_server, tmp_path / "fws")
    store = open_cypher_store(cfg)
    load_seed(store)
    assert load_deals(store, _hostile_csv(tmp_path / "h.csv"), tmp_path / "fws").loaded == len(HOSTILE)
    sent: list[str] = []
    real = store.executor._query

    def recording(cypher, params=None, **kw):  # the real server still answers: this only writes down the text
        sent.append(cypher)
        return real(cypher, params, **kw)

    store.executor._query = recording
    store.sent = sent
    yield store
    store.executor._query = real
    store.clear()
    store.close()


def test_hostile_parameters_on_the_embedded_store(hostile_embedded):
    store = hostile_embedded
    before = _digest(store)
    manifest = store.workspace / "store" / "manifest.json"
    snap = manifest.read_bytes()
    _check_results(store)
    assert _digest(store) == before and manifest.read_bytes() == snap


@pytest.mark.falkordb
def test_hostile_parameters_on_falkordb_never_reach_the_cypher_text(hostile_falkor):
    store = hostile_falkor
    before = _digest(store)
    store.sent.clear()
    _check_results(store)
    from kg.chat import Session, answer

    s = Session()
    for h in HOSTILE:
        for q in (f"{h}的融资历史", f"{h}投资了哪些公司？", f"{h}和哪些机构合投过？", f"And {h}?"):
            a = answer(store, q, session=s)
            assert isinstance(a["text"], str)
    assert _digest(store) == before
    assert store.sent
    leaked = [(h, c) for c in store.sent for h in HOSTILE for v in (h, stored(h)) if v in c]
    assert not leaked, leaked[:3]
    assert not any(re.search(r"\b(DETACH|DELETE|LOAD CSV|dbms)\b", c) for c in store.sent)


def _web_calls(app, store):
    c = app.test_client()
    for name, params in _calls():
        r = c.get(f"/api/query/{name}?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items()))
        assert r.status_code in (200, 400, 404), (name, params, r.status_code)
        assert r.mimetype == "application/json"
    for h in AS_INVESTOR:
        d = c.get("/api/query/investors_of?company=" + quote(h)).get_json()
        assert stored(h) in {r.get("investor") for r in d["rows"]}, (h, d)
        r = c.get("/api/ask?q=" + quote(f"{h}的融资历史"))
        assert r.status_code == 200
        # the HTML twin shows it as text
        html = c.get("/query/investors_of?company=" + quote(h)).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html


def test_hostile_parameters_over_http_embedded(hostile_embedded):
    from web import create_app

    store = hostile_embedded
    before = _digest(store)
    _web_calls(create_app({"workspace": str(store.workspace), "TESTING": True}), store)
    assert _digest(store) == before


@pytest.mark.falkordb
def test_hostile_parameters_over_http_falkordb(hostile_falkor):
    from web import create_app

    store = hostile_falkor
    before = _digest(store)
    store.sent.clear()
    app = create_app({"workspace": str(store.workspace), "backend": "falkordb", "TESTING": True}, store=store)
    _web_calls(app, store)
    assert _digest(store) == before
    leaked = [(h, c) for c in store.sent for h in HOSTILE for v in (h, stored(h)) if v in c]
    assert not leaked, leaked[:3]


@pytest.mark.falkordb
def test_hostile_parameters_through_kg_query_on_both_backends(hostile_embedded, hostile_falkor):
    falkor = hostile_falkor
    env_f = {"FALKORDB_URL": falkor.config.falkordb_url, "FALKORDB_GRAPH": falkor.config.falkordb_graph}
    before_e, before_f = _digest(hostile_embedded), _digest(falkor)
    for backend, ws, env in (("embedded", hostile_embedded.workspace, None), ("falkordb", falkor.workspace, env_f)):
        for h in (AS_INVESTOR[0], "<script>alert(1)</script>"):
            r = run_kg("--workspace", ws, "--backend", backend, "query", "investors_of", "--company", h, "--json",
                       env=env)
            assert r.returncode == 0, (backend, h, r.stderr)
            rows = json.loads(r.stdout)["rows"]
            assert stored(h) in {x.get("investor") for x in rows}, (backend, h, rows)
        # as a filter value it is a clean one-line refusal (no such region), never Cypher
        r = run_kg("--workspace", ws, "--backend", backend, "query", "portfolio", "--investor", "深创投",
                   "--region", HOSTILE[1], env=env)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, \
            (backend, r.stderr)
    assert _digest(hostile_embedded) == before_e and _digest(falkor) == before_f


# ---------------------------------------------------------------------------------------------- spreadsheet formulas
def test_report_files_keep_hostile_names_as_text(workspace, tmp_path):
    """`kg export` writes no live formula (tests/test_export.py); `kg report --out` must not either."""
    import csv
    import glob

    import openpyxl

    f = tmp_path / "f.csv"
    with open(f, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "company", "round", "amount", "investors", "lead_investors", "province", "city"])
        for i in range(30):
            w.writerow([f"2019-0{i % 9 + 1}-01", f"公式公司{i}", "A轮", "1亿元", "=1+1", "=1+1", "浙江", "杭州"])
    assert run_kg("--workspace", workspace, "load", "deals", f).returncode == 0
    out = tmp_path / "out"
    r = run_kg("--workspace", workspace, "report", "--out", out)
    assert r.returncode == 0, r.stderr
    formulas = []
    for x in glob.glob(str(out / "*.xlsx")):
        for ws in openpyxl.load_workbook(x).worksheets:
            formulas += [(ws.title, c.coordinate, c.value) for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert not formulas, formulas
    for x in glob.glob(str(out / "*.csv")):
        for row in csv.reader(open(x, encoding="utf-8-sig")):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row), (x, row)
