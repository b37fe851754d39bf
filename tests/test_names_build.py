"""The name catalogue (kg/queries/resolve.py) and the chat's name matcher (kg/chat/nlu.py
``Lexicon.from_store``) are built over the store's tables with arrow and numpy, not name by name.
These tests hold both to a straightforward per-name build (the code they replaced, kept here) on
tricky names: full-width and traditional spellings, aliases, spaces, brackets, keys shared by
several nodes and labels, empty and missing values, a table in the store's (not the id) order,
JSON-text columns (built row by row) and the dev graph. Speed is measured with ``/tmp``-style
timing scripts (see the README's benchmarks), never here.
"""
from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest
from conftest import SERVERS, server_dev_store

from kg.chat import nlu as N
from kg.queries import resolve as R
from ontology import load as load_ontology
from ontology import norm_key


# ------------------------------------------------------------------------ the per-name reference
def reference_catalog(store) -> R.Catalog:
    """Node by node, spelling by spelling: the build the catalogue had (kept for tables that are not plain text)."""
    cat = R.Catalog()
    for label in R.LABEL_ORDER:
        R._add_rows(cat, label, R.entity_rows(store, label))
    return cat


def reference_lexicon(store) -> N.Lexicon:
    """Node by node, spelling by spelling through ``Lexicon.add_node``: the build the chat had."""
    lex = N.Lexicon()
    onto = load_ontology()
    lex.add_ontology(onto)
    active = N._with_deals(store)
    for label in N.LABELS:
        for r in R.entity_rows(store, label):
            if r.get("id"):
                props = {**r, "aliases": r.get("aliases") or []}
                lex.add_node(r["id"], label, props, in_graph=label not in ("Investor", "Company") or r["id"] in active)
    lex.add_stems()
    lex._prefer_regions(onto)
    return lex


def assert_same_catalog(store) -> R.Catalog:
    fast, ref = R._build_catalog(store), reference_catalog(store)
    assert list(fast.entries.items()) == list(ref.entries.items())
    assert fast.by_key == ref.by_key
    a, b = fast._flat(), ref._flat()  # search's one-string view of every key, from the build's own lists
    assert a[0] == b[0] and a[4:] == b[4:] and all((x == y).all() for x, y in zip(a[1:4], b[1:4]))
    return fast


def reference_sharing(cat: R.Catalog, key: str) -> list[int]:
    """Key positions by the number of ``key``'s distinct bigrams they share, then by position (dicts and a Counter)."""
    grams: dict[str, list[int]] = {}
    for n, k in enumerate(cat._flat()[5]):
        for g in {k[i:i + 2] for i in range(len(k) - 1)}:
            grams.setdefault(g, []).append(n)
    shared = Counter()
    for g in {key[i:i + 2] for i in range(len(key) - 1)}:
        shared.update(grams.get(g, ()))
    return [k for k, _ in sorted(shared.items(), key=lambda x: (-x[1], x[0]))]


def assert_same_sharing(cat: R.Catalog, texts) -> None:
    for text in texts:
        key = norm_key(text)
        assert cat._sharing(key).tolist() == reference_sharing(cat, key), text


def assert_same_lexicon(store) -> N.Lexicon:
    R._CACHE.pop(store, None)
    fast, ref = N.Lexicon.from_store(store), reference_lexicon(store)
    assert fast.entries == ref.entries
    assert fast.patterns == ref.patterns  # each pattern's ids in the same order (the first reading wins)
    assert fast.weak == ref.weak
    return fast


# ------------------------------------------------------------------------------- a store of tables
class TableStore:
    """The part of the read interface the builders use, over tables given as they are."""

    def __init__(self, nodes: dict[str, pa.Table], rels: dict[str, pa.Table] | None = None):
        self.nodes, self.rels, self.version = nodes, rels or {}, 1

    def entities(self, kind, columns=None):
        return self.nodes.get(kind, pa.table({"id": pa.array([], pa.string())}))

    def relationships(self, type_):
        return self.rels.get(type_)


S, L = pa.string(), pa.list_(pa.string())

INVESTORS = pa.table({
    "id": pa.array(["investor:红杉资本（中国）", "investor:idg资本", "investor:ａｂｃ创投", "investor:深创投",
                    "investor:紅杉", "investor:远见创投", "investor:远见资本", "", None,
                    "investor:中金资本", "investor:seed", "investor:【甲】资本", "investor:12", "investor:ab",
                    "investor:光速china资本", "investor:光速中国", "investor:北方之光资本"], S),
    "name": pa.array(["红杉资本（中国）", "IDG资本", "ＡＢＣ创投", "深创投", "紅杉", "远见创投", "远见资本", "无名", "无id",
                      "中金资本", "Seed Fund", "【甲】资本", "12", "ab", "光速China资本", "光速中国", "北方之光资本"], S),
    "name_en": pa.array(["Sequoia Capital China", "IDG Capital", None, "SCGC", "Sequoia", "", None, None, None,
                         "CICC  Capital", "SEED FUND", None, "123", "AB", None, None, None], S),
    "aliases": pa.array([["红杉中国", "红杉资本 (中国)", "Sequoia China", "红杉中国"], ["IDG", "ＩＤＧ 资本", "idg资本"],
                         None, ["深圳创投", "深圳市创新投资集团", "", None], ["红杉"], [], None, None, None,
                         ["中金", "CICC"], ["Seed\u3000Fund", "種子基金"], ["甲资本"], ["12"], ["AB", "ab"],
                         None, ["光速 China"], None], L),
    "level": pa.array([None] * 17, S),
})
COMPANIES = pa.table({
    "id": pa.array(["company:华为(深圳)", "company:abc", "company:紅杉", "company:ｘ科技", "company:南京擎天科技",
                    "company:360安全", "company:a&b tech", "company:中金"], S),
    "name": pa.array(["华为(深圳)", "ABC", "紅杉", "Ｘ科技", "南京擎天科技", "360安全", "A&B Tech", "中金"], S),
    "full_name": pa.array(["华为技术（深圳）有限公司", None, None, None, None, None, None, None], S),
})
REGIONS = pa.table({
    "id": pa.array(["province:北京", "city:南京", "city:吉林", "province:吉林"], S),
    "name": pa.array(["北京", "南京", "吉林", "吉林"], S),
    "name_en": pa.array(["Beijing", "Nanjing", "Jilin", "Jilin"], S),
    "full": pa.array(["北京市", "南京市", "吉林市", "吉林省"], S),
    "level": pa.array(["province", "city", "city", "province"], S),
    "aliases": pa.array([["京", "Peking"], None, [], ["吉"]], L),
})
SEGMENTS = pa.table({"id": pa.array(["segment:网络"], S), "name": pa.array(["网络及标识"], S),
                     "name_en": pa.array(["Network"], S), "aliases": pa.array([["网络", "network"]], L)})
POLICIES = pa.table({"id": pa.array(["policy:b", "policy:a"], S), "title": pa.array(["工业互联网创新发展行动计划", None], S),
                     "name": pa.array([None, ""], S)})
RELS = {"INVESTED_IN": pa.table({"_start": pa.array(["investor:idg资本", "investor:深创投", "investor:ab"], S),
                                 "_end": pa.array(["round:1", "round:2", "round:3"], S)}),
        "RAISED": pa.table({"_start": pa.array(["company:abc"], S), "_end": pa.array(["round:1"], S)})}


def tricky_store(**replace) -> TableStore:
    nodes = {"Investor": INVESTORS, "Company": COMPANIES, "Region": REGIONS, "Segment": SEGMENTS, "Policy": POLICIES}
    nodes.update(replace)
    return TableStore(nodes, RELS)


def test_catalogue_tricky_names():
    cat = assert_same_catalog(tricky_store())
    assert cat.exact("ＩＤＧ资本")[0].id == "investor:idg资本"
    assert [e.id for e in cat.exact("红杉资本(中国)")] == ["investor:红杉资本（中国）"]
    assert {e.id for e in cat.exact("吉林")} == {"city:吉林", "province:吉林"}
    assert cat.entity("policy:a").name == "policy:a" and cat.entity("policy:b").name.startswith("工业")
    assert "无名" not in cat.by_key and "无id" not in cat.by_key
    assert_same_sharing(cat, ["红杉资本中国", "IDG Capitol", "红杉", "吉林市", "x", "zz", "南京擎天", "ＡＢＣ"])
    assert cat.entries["investor:红杉资本（中国）"][2] == ("红杉资本(中国)", "sequoiacapitalchina", "红杉中国", "sequoiachina")


def test_lexicon_tricky_names():
    lex = assert_same_lexicon(tricky_store())
    assert lex.patterns["sequoia capital china"][-1] == "investor:红杉资本（中国）"  # after the ontology's own
    assert lex.entries["investor:idg资本"].in_graph and not lex.entries["investor:红杉资本（中国）"].in_graph
    assert "12" not in lex.patterns and "ab" in lex.patterns  # digits never; two capitals written as such
    assert lex.patterns["北方之光"] == ["investor:北方之光资本"] and "北方之光" in lex.weak  # a stem
    assert lex.patterns["光速china"] == ["investor:光速中国"]  # not 光速China资本's stem: a name has it


def test_store_order_is_kept_where_it_decides():
    """Two nodes of one label spelling the same pattern: the store's row order lists them (not the ids')."""
    twins = pa.table({"id": pa.array(["company:z", "company:a"], S), "name": pa.array(["同名科技", "同名科技"], S)})
    store = tricky_store(Company=twins)
    assert assert_same_lexicon(store).patterns["同名科技"] == ["company:z", "company:a"]
    assert assert_same_catalog(store).by_key["同名科技"] == ["company:a", "company:z"]


def test_json_and_repeated_ids_are_read_row_by_row():
    meta = {b"iikg": b"json"}
    odd = pa.table({"id": pa.array(["company:n", "company:m"], S),
                    "name": pa.array(['"数字名"', "123"], S)}).cast(
        pa.schema([pa.field("id", S), pa.field("name", S, metadata=meta)]))
    twice = pa.table({"id": pa.array(["region:x", "region:x"], S), "name": pa.array(["甲地", "乙地"], S)})
    store = tricky_store(Company=odd, Region=twice)
    assert_same_catalog(store)
    assert_same_lexicon(store)


def test_an_id_under_two_labels():
    """One id as a region and a segment (and a company as an investor): the later label's entry, both
    labels' spellings, as node by node."""
    segs = pa.table({"id": pa.array(["province:北京", "segment:网络"], S), "name": pa.array(["京津冀", "网络及标识"], S),
                     "aliases": pa.array([["北京地区"], ["网络"]], L)})
    firms = pa.table({"id": pa.array(["investor:idg资本", "company:abc"], S), "name": pa.array(["IDG科技", "ABC"], S)})
    store = tricky_store(Segment=segs, Company=firms)
    cat = assert_same_catalog(store)
    assert cat.entity("province:北京").label == "Segment"
    assert_same_lexicon(store)


def test_empty_store():
    store = TableStore({})
    assert not assert_same_catalog(store).entries
    assert_same_lexicon(store)


def test_a_difference_is_seen(monkeypatch):
    """The comparison fails when the fast keys differ (here: arrow's key for plain text made wrong)."""
    real = R._norm_keys

    def wrong(text):
        keys, codes, simple, keyed = real(text)
        return pa.array([k.upper() for k in keys.to_pylist()], pa.string()), codes, simple, keyed

    monkeypatch.setattr(R, "_norm_keys", wrong)
    with pytest.raises(AssertionError):
        assert_same_catalog(tricky_store())
    with pytest.raises(AssertionError):
        assert_same_lexicon(tricky_store())


def test_dev_graph(dev_store_ro):
    cat = assert_same_catalog(dev_store_ro)
    assert_same_sharing(cat, ["深创投资", "红杉资本中过", "联想创头", "Sequoia Capitol", "北京", "科技有限公司"])
    assert_same_lexicon(dev_store_ro)


@pytest.mark.parametrize("server", SERVERS)
def test_every_backend(server, request):
    """FalkorDB's and Neo4j's tables (however their columns come back) build what the per-name build does."""
    store = server_dev_store(request, server)
    assert_same_catalog(store)
    assert_same_lexicon(store)
