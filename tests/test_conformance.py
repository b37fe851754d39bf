"""One behaviour on every backend: each named query gives the same Result (rows, value, graph,
meta) on the embedded store as on a real FalkorDB and on a real Neo4j 5.26, on the dev data and on a
small hand-built graph with ties, empty answers, Chinese names, quotes and ``<script>``.

Each server case is parametrised (``[falkordb-…]``, ``[neo4j-…]``) and carries that server's marker.
"""
from __future__ import annotations

import pytest

from conftest import SERVERS, neo4j_holding, server_dev_store
from kg.errors import QueryError
from kg.queries import REGISTRY, run
from kg.queries.samples import HOSTILE, tricky_batch

DEV = {
    "portfolio": [{"investor": "联想创投"}, {"investor": "Lenovo Capital", "year": 2019},
                  {"investor": "深创投", "region": "长三角", "lead_only": True},
                  {"investor": "红杉", "segment": "平台", "date_from": "2019-03", "date_to": "2019-12"},
                  {"investor": "深创投", "round": ["A轮", "b"], "min_amount": "1亿元"},
                  {"investor": "深创投", "year": 1999}],
    "investors_of": [{"company": "协同数据"}, {"company": "墨子科技", "lead_only": True}],
    "funding_history": [{"company": "博联网络"}, {"company": "山石网科"}],
    "co_investors": [{"investor": "红杉资本（中国）"}, {"investor": "红杉资本（中国）", "k": 2},
                     {"investor": "Baidu Ventures", "year": 2019}, {"investor": "深创投", "lead_only": True}],
    "common_portfolio": [{"a": "红杉资本（中国）", "b": "中科创星"}, {"a": "深创投", "b": "联想创投", "year": 2019}],
    "coinvest_network": [{}, {"min_shared": 2, "year": 2019}, {"region": "广东"}, {"k": 3}, {"k": 7, "year": 2019}],
    "top_investors": [{}, {"year": 2018, "k": 2}, {"by": "companies", "k": 5}, {"by": "leads", "lead_only": True}],
    "deal_count": [{}, {"region": "长三角"}, {"region": "成都"}, {"investor": "同创伟业"},
                   {"investor": "深创投", "company": "宇控数据", "lead_only": True},
                   {"date_from": "2019-09", "date_to": "2019-09"}],
    "company_count": [{"investor": "同创伟业"}, {"region": "浙江", "round": "B轮"}],
    "companies": [{}, {"region": "上海", "round": "Series A"}, {"segment": "工业软件及APP"}],
    "amount_total": [{"company": "博联网络"}, {"investor": "深创投", "year": 2019}, {"company": "山石网科"},
                     {"year": 1999}],
    "largest_rounds": [{}, {"k": 3, "region": "广东"}],
    "region_summary": [{}, {"level": "city", "year": 2019}, {"level": "macro"}],
    "segment_summary": [{}, {"region": "长三角"}],
    "segment_stage": [{}, {"year": 2019}],
    "timeline": [{}, {"by": "quarter"}, {"by": "year", "segment": "平台"}],
    "region_clusters": [{"region": "长三角"}, {"region": "广东", "year": 2019}, {"region": "西藏"}],
    "policies": [{}, {"year": 2017, "level": "provincial"}, {"region": "长三角"}, {"level": "国家级"}],
    "listings": [{}, {"board": "star", "date_from": "2019-09", "date_to": "2019-09"}],
    "factories": [{}, {"region": "江苏"}, {"year": 2020}, {"region": "长三角", "year": 2019}],
    "path": [{"a": "深创投", "b": "博联网络"}, {"a": "联想创投", "b": "中科创星"}, {"a": "数澜科技", "b": "杭州", "max_hops": 6},
             {"a": "深创投", "b": "深创投"}, {"a": "西门子", "b": "数澜科技", "max_hops": 2}],
    "neighborhood": [{"entity": "深创投"}, {"entity": "浙江", "hops": 2, "limit": 20}],
    "search": [{"text": "联想"}, {"text": "Sequoia"}, {"text": "智能", "label": "company"}],
    "deals": [{}, {"measure": "avg", "region": "长三角"}, {"measure": "median", "segment": "平台"},
              {"group_by": "investor", "k": 3, "year": 2019}, {"group_by": "city", "measure": "amount", "k": 2},
              {"group_by": "macro"}, {"group_by": "province", "order": "asc"}, {"group_by": "year", "order": "key"},
              {"group_by": "month"}, {"group_by": "type", "measure": "amount"}, {"group_by": "segment", "measure": "companies"},
              {"group_by": "round", "company": "博联网络", "order": "date"}, {"investor": "红杉资本（中国）,深创投", "group_by": "company"},
              {"group_by": "investor", "lead_only": True, "region": "广东"}, {"measure": "investors", "year": 2019},
              {"date_to": "2018", "max_amount": "1亿元", "round": "early"}, {"measure": "max", "disclosed": True},
              {"measure": "min", "investor": "深创投", "min_amount": "5000万元"}, {"disclosed": False, "group_by": "company"},
              {"currency": "USD", "group_by": "company"}, {"min_amount": "10亿元", "min_inclusive": True},
              {"group_by": "city", "k": 1, "ties": True}, {"group_by": "round", "measure": "max", "k": 1}],
}

TRICKY = {
    "portfolio": [{"investor": "甲资本"}, *({"investor": h} for h in HOSTILE)],
    "investors_of": [{"company": "<b>粗体</b>公司"}, {"company": "反斜杠\\公司"}],
    "funding_history": [{"company": "O'Neil科技"}, {"company": "无日期公司"}],
    "co_investors": [{"investor": "甲资本"}, {"investor": "甲资本", "k": 3}, {"investor": "Zeta Fund"}],
    "common_portfolio": [{"a": "甲资本", "b": "乙创投"}, {"a": "Zeta Fund", "b": "Alpha Fund"}],
    "coinvest_network": [{}, {"min_shared": 2}],
    "top_investors": [{"k": 7}, {"by": "companies", "k": 4}],
    "deal_count": [{}, {"date_from": "2020", "date_to": "2020-02"}, {"region": "浙江"}],
    "company_count": [{"year": 2020}],
    "companies": [{}],
    "amount_total": [{}, {"investor": "甲资本"}, {"company": "O'Neil科技"}],
    "largest_rounds": [{"k": 3}, {"k": 20}],
    "region_summary": [{}, {"level": "macro"}],
    "segment_summary": [{}],
    "segment_stage": [{}],
    "timeline": [{}, {"by": "year"}],
    "region_clusters": [{"region": "浙江"}],
    "policies": [{}],
    "listings": [{}, {"board": "科创板"}],
    "factories": [{}],
    "path": [{"a": HOSTILE[1], "b": HOSTILE[3]}, {"a": "Tie Co", "b": "Tie Co 2"}],
    "neighborhood": [{"entity": HOSTILE[2], "hops": 2}],
    "search": [{"text": "资本"}, {"text": "O'Bri"}, {"text": "<script>"}],
    "deals": [{}, {"group_by": "investor"}, {"group_by": "company", "measure": "amount"}, {"measure": "median"},
              {"investor": HOSTILE[2], "group_by": "company"}, {"group_by": "year", "order": "key"},
              {"group_by": "macro", "measure": "avg"}, {"group_by": "round", "order": "date"}, {"measure": "investors"}],
}


def _cases(table):
    return [pytest.param(name, params, id=f"{name}-{k}") for name, lst in table.items()
            for k, params in enumerate(lst)]


@pytest.fixture(scope="module", params=SERVERS)
def server(request):
    """The server a case compares with the embedded store (module scope: its cases run together)."""
    return request.param


def assert_same(a, b):
    assert a.rows == b.rows
    assert a.value == b.value
    assert a.columns == b.columns and a.truncated == b.truncated
    assert a.graph == b.graph
    strip = lambda m: {k: v for k, v in m.items() if k != "took_ms"}
    assert strip(a.meta) == strip(b.meta)


def test_every_query_has_cases():
    assert set(DEV) == set(REGISTRY) and set(TRICKY) == set(REGISTRY)


@pytest.mark.parametrize("name, params", _cases(DEV))
def test_dev_data(dev_store_ro, server, request, name, params):
    assert_same(run(dev_store_ro, name, **params), run(server_dev_store(request, server), name, **params))


@pytest.fixture(scope="module")
def tricky_embedded(tmp_path_factory):
    from kg.store.embedded import EmbeddedStore

    emb = EmbeddedStore(tmp_path_factory.mktemp("tricky"))
    emb.apply(tricky_batch())
    return emb


@pytest.fixture(scope="module")
def tricky_falkordb(tmp_path_factory, falkor_dev_store):
    """The hand-built graph in a second graph on the session's FalkorDB."""
    from dataclasses import replace

    from kg.store.cypher import open_cypher_store

    cfg = replace(falkor_dev_store.config, falkordb_graph="iikg_conformance_tricky",
                  workspace=str(tmp_path_factory.mktemp("tricky-falkor-ws")))
    falk = open_cypher_store(cfg)
    falk.clear()
    falk.apply(tricky_batch())
    yield falk
    falk.clear()
    falk.close()


def _tricky_store(request, server):
    if server == "falkordb":
        return request.getfixturevalue("tricky_falkordb")
    # Neo4j Community has one user database: the session's, loaded with this graph when it holds another
    return neo4j_holding(request.getfixturevalue("_neo4j_shared_handle"), "tricky", lambda s: s.apply(tricky_batch()))


@pytest.mark.parametrize("name, params", _cases(TRICKY))
def test_tricky_graph(tricky_embedded, server, request, name, params):
    assert_same(run(tricky_embedded, name, **params), run(_tricky_store(request, server), name, **params))


@pytest.mark.parametrize("name, params", [("portfolio", {"investor": "不存在"}), ("path", {"a": "深创投", "b": "完全不存在的实体X"}),
                                          ("portfolio", {"investor": "资本"})])
def test_same_mistakes(dev_store_ro, server, request, name, params):
    with pytest.raises(QueryError) as a:
        run(dev_store_ro, name, **params)
    with pytest.raises(QueryError) as b:
        run(server_dev_store(request, server), name, **params)
    assert str(a.value) == str(b.value)


# ---------------------------------------------------------------------------------------------- web JSON twins
TWINS = ["/api/query/portfolio?investor=深创投", "/api/query/co_investors?investor=红杉资本（中国）&k=3",
         "/api/query/region_summary?level=macro", "/api/entity/investor:深创投", "/api/entity/company:博联网络",
         "/api/search?q=联想", "/api/ask?q=深创投投资了哪些公司", "/api/path?a=深创投&b=博联网络",
         "/api/network?year=2019&min_shared=2", "/api/regions"]


def _plain(v):
    """A JSON document without what may differ from run to run or by dialect (timings, session ids, Cypher text)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if k not in ("took_ms", "cypher", "elapsed_ms", "session")}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


@pytest.mark.parametrize("server", SERVERS)
def test_web_json_twins(dev_store_ro, server, request, tmp_path):
    """The explorer's JSON twins say the same on every backend."""
    from web import create_app

    store = server_dev_store(request, server)
    apps = [create_app({"workspace": str(s.workspace), "TESTING": True}, store=s).test_client()
            for s in (dev_store_ro, store)]
    for url in TWINS:
        a, b = (c.get(url) for c in apps)
        assert (a.status_code, url) == (b.status_code, url)
        assert _plain(a.get_json()) == _plain(b.get_json()), url


# ---------------------------------------------------------------------------------------------- the read interface
def _types(t) -> dict:
    """Each column's type as the interface promises it (a list's item field name is not part of it)."""
    import pyarrow as pa

    from kg.store.workspace import _is_json

    out = {}
    for f in t.schema:
        kind = ("list", str(f.type.value_type)) if pa.types.is_list(f.type) else (str(f.type),)
        out[f.name] = (*kind, _is_json(f))
    return out


def _rows(t, key=("id",)) -> list:
    return sorted(t.to_pylist(), key=lambda r: tuple(str(r[k]) for k in key))


def assert_same_table(a, b, key=("id",)):
    assert _types(a) == _types(b)
    assert a.num_rows == b.num_rows
    assert _rows(a, key) == _rows(b, key)


def _readers(request, server, graph: str):
    if graph == "dev":
        return request.getfixturevalue("dev_store_ro"), server_dev_store(request, server)
    return request.getfixturevalue("tricky_embedded"), _tricky_store(request, server)


@pytest.mark.parametrize("backend", ["embedded", *SERVERS])
def test_every_store_is_a_graph_reader(request, backend):
    from kg.store import GraphReader

    store = server_dev_store(request, backend)
    assert isinstance(store, GraphReader)
    assert isinstance(store.version, int)
    assert store.refresh() is False  # nothing was written since: the version stays


@pytest.mark.parametrize("graph", ["dev", "tricky"])
def test_reader_stats_entities_relationships(request, server, graph):
    emb, srv = _readers(request, server, graph)
    stats = emb.stats()
    assert srv.stats() == stats and stats["nodes"]
    from ontology import LABELS, REL_TYPES

    for label in LABELS:
        assert_same_table(emb.entities(label), srv.entities(label))
    for type_ in REL_TYPES:
        assert_same_table(emb.relationships(type_), srv.relationships(type_), key=("_start", "_end"))
    assert srv.entities("Investor").num_rows == stats["nodes"]["Investor"]
    assert srv.relationships("INVESTED_IN").num_rows == stats["relationships"]["INVESTED_IN"]
    # a column selection, and names that are no label or type: empty tables of the right shape
    assert_same_table(emb.entities("Company", ["id", "name"]), srv.entities("Company", ["id", "name"]))
    for bad in ("NoSuchLabel", "Investor`) DETACH DELETE n //"):
        assert_same_table(emb.entities(bad), srv.entities(bad))
        assert_same_table(emb.relationships(bad), srv.relationships(bad), key=("_start", "_end"))
    assert srv.stats() == stats  # nothing was written by reading


@pytest.mark.parametrize("graph", ["dev", "tricky"])
def test_reader_deals_and_catalogue(request, server, graph):
    emb, srv = _readers(request, server, graph)
    a, b = emb.deals(), srv.deals()
    assert_same_table(a, b)
    assert "company_id" in b.column_names and b.num_rows == emb.stats()["nodes"].get("Round", 0)
    assert_same_table(emb.catalogue(), srv.catalogue())
    assert srv.catalogue() is srv.catalogue()  # built once per version


def _sample_ids(store) -> list[str]:
    """A few ids of every label (the first and last by id), plus ids that name nothing."""
    out = []
    for label in store.stats()["nodes"]:
        ids = sorted(store.entities(label, ["id"]).column("id").to_pylist())
        out += ids[:2] + ids[-1:]
    return [*dict.fromkeys(out), "investor:没有这个投资方", "", "investor:x'}) DETACH DELETE n //"]


@pytest.mark.parametrize("graph", ["dev", "tricky"])
def test_reader_entity_and_neighbours(request, server, graph):
    emb, srv = _readers(request, server, graph)
    ids = _sample_ids(emb)
    seen = 0
    for key in ids:
        e = emb.entity(key)
        assert srv.entity(key) == e, key
        seen += e is not None
        for type_, direction in ((None, "both"), (None, "out"), (None, "in"), ("INVESTED_IN", "both"),
                                 ("PART_OF", "out"), ("NO_SUCH_TYPE", "both")):
            a = sorted(emb.neighbours(key, type_, direction), key=repr)
            b = srv.neighbours(key, type_, direction)
            assert sorted(b, key=repr) == a, (key, type_, direction)
    assert seen >= len(emb.stats()["nodes"])  # every label had a node to compare


def test_reader_sees_a_write(falkor_store, tmp_path):
    """A write bumps the version, and every cached table (catalogue, deals) follows it."""
    from kg.model import Batch

    before = falkor_store.version
    assert falkor_store.catalogue().num_rows == 0 and falkor_store.deals().num_rows == 0
    b = Batch()
    b.node("Company", "company:新公司", "test", name="新公司")
    b.node("Round", "round:新公司|a|2020-01", "test", type="a", label="A轮", date="2020-01", year=2020)
    b.rel("RAISED", "company:新公司", "round:新公司|a|2020-01", "test")
    falkor_store.apply(b)
    assert falkor_store.version != before
    assert falkor_store.catalogue().column("name").to_pylist().count("新公司") == 1
    assert falkor_store.deals().column("company_id").to_pylist() == ["company:新公司"]
    assert falkor_store.entity("company:新公司")["_label"] == "Company"
    assert falkor_store.neighbours("company:新公司") == [("RAISED", "round:新公司|a|2020-01", "out",
                                                         {"sources": ["test"]})]
