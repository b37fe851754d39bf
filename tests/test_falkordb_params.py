"""The FalkorDB parameter writer (kg/store/falkordb.py ``params_header``): values travel as literals in a
``CYPHER name=<literal> …`` prefix that the server parses with the query, so a value must never leave its
literal, and must arrive exactly as sent.

- what FalkorDB's lexer does, pinned on the real server (the writer is built on it: \\uXXXX is not decoded,
  backticked keys take any character but a backtick, integers beyond int64 are clamped);
- the writer's text for each kind of value, and what it refuses (NaN, ±Infinity, integers beyond int64,
  NUL, keys it cannot quote, unknown types);
- hostile, Unicode and edge values round-trip through the real server, written and read back, and
  nothing in them runs: a canary node survives every attempt.
"""
from __future__ import annotations

import collections
import enum
import fractions
import math
import uuid

import pytest

from kg.errors import BackendError
from kg.store.falkordb import FalkorExecutor, ParamError, param_literal, params_header

pytestmark = pytest.mark.falkordb

BREAKOUTS = [
    "'}) DETACH DELETE n //",
    '"}) DETACH DELETE n //',
    '" MATCH (n) DETACH DELETE n RETURN 1 //',
    "\\\" MATCH (n) DETACH DELETE n RETURN 1 //",
    '\\" }] MATCH (n) DETACH DELETE n //',
    "` MATCH (n) DETACH DELETE n //",
    "*/ MATCH (n) DETACH DELETE n /*",
    "\n MATCH (n) DETACH DELETE n //",
    "$rows",
]
HOSTILE = BREAKOUTS + [
    "", " ", "O'Brien", 'say "hi"', "back\\slash", "trailing\\", "\\", "\\\\", '\\"', "C:\\users\\new",
    "\\u0041 stays six characters", "\\n is not a newline", "line\nbreak", "cr\rlf\r\n", "tab\there",
    "".join(chr(c) for c in range(1, 32)) + "\x7f", "\b\f", "<script>alert(1)</script>", "&lt;&amp;",
    "深创投投资了哪些公司？", "红杉资本（中国）", "😀 emoji 👩‍👩‍👧 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301 combining", "עברית RTL",
    "\u2028\u2029\ufeff\uffff\U0010ffff", "x" * 100_000, "中" * 20_000,
]


# ---------------------------------------------------------------------------------------------- the writer's text
@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (False, "false"),
    (0, "0"), (-7, "-7"), (2 ** 63 - 1, "9223372036854775807"), (-2 ** 63, "-9223372036854775808"),
    (1.0, "1.0"), (-0.0, "-0.0"), (2.5, "2.5"), (1e20, "1e+20"), (1.5e-7, "1.5e-07"), (5e-324, "5e-324"),
    (0.30000000000000004, "0.30000000000000004"),
    ("", '""'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ("line\nbreak\t", '"line\\nbreak\\t"'),
    ("a\x01b", '"a\x01b"'), ("C:\\users", '"C:\\\\users"'), ("中文😀", '"中文😀"'),
    ([], "[]"), ({}, "{}"), ((1, "x"), '[1,"x"]'), (["a", "b"], '["a","b"]'),
    ([1, [2, [3, {"k": None}]], {"a": [True, 1.5]}], "[1,[2,[3,{k:null}]],{a:[true,1.5]}]"),
    ({"id": "x", "props": {"name": "n", "amount": 3.0, "lead": False}, "sources": ["s"]},
     '{id:"x",props:{name:"n",amount:3.0,lead:false},sources:["s"]}'),
    ({"a b": 1, "x-y": 2, "中文": 3, "}) DETACH DELETE n //": 4, "_ok1": 5, "match": 6},
     "{`a b`:1,`x-y`:2,`中文`:3,`}) DETACH DELETE n //`:4,_ok1:5,match:6}"),
])
def test_literal_text(value, text):
    assert param_literal(value) == text


def test_ints_stay_ints_and_floats_stay_floats():
    assert param_literal([1, 1.0, True, 1e16]) == "[1,1.0,true,1e+16]"


def test_lookalikes_of_the_plain_types():
    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    class Kind(str, enum.Enum):
        FUND = 'f"und'

    assert param_literal(Level.HIGH) == "3"
    assert param_literal(Name('x"y')) == '"x\\"y"'
    assert param_literal(Kind.FUND) == '"f\\"und"'
    assert param_literal(b"by\xe4\xb8\xad") == '"by中"'
    assert param_literal(collections.OrderedDict(b=1, a=2)) == "{b:1,a:2}"
    assert param_literal(fractions.Fraction(1, 4)) == "0.25"
    assert param_literal([Name("a"), 1]) == '["a",1]'
    assert param_literal({b"key": 1}) == "{key:1}"


def test_numpy_numbers():
    import numpy as np
    assert param_literal([np.int64(5), np.float64(2.5), np.float32(0.5)]) == "[5,2.5,0.5]"
    with pytest.raises(ParamError):
        param_literal(np.int64(0) + np.float64("nan"))


@pytest.mark.parametrize("value", [
    math.nan, math.inf, -math.inf, [1, math.nan], {"a": math.inf},  # no literal exists for them
    2 ** 63, -2 ** 63 - 1, [10 ** 30],  # the server would clamp them to int64 without a word
    "a\x00b", ["ok", "\x00"], {"k": "\x00"},  # a NUL cuts the query short in the server
    {1, 2}, object(), __import__("datetime").date(2019, 1, 1), __import__("decimal").Decimal("1.5"),
])
def test_refused_values(value):
    with pytest.raises(ParamError):
        param_literal(value)


@pytest.mark.parametrize("key", ["", "a`b", "`", "a``b", "x`}) DETACH DELETE n //", "nul\x00", 1, None, (1,)])
def test_keys_that_cannot_be_quoted_are_refused(key):
    with pytest.raises(ParamError):
        param_literal({key: 1})
    with pytest.raises(ParamError):
        params_header({key: 1})


def test_params_header():
    assert params_header(None) == "" and params_header({}) == ""
    assert params_header({"rows": [{"id": "a"}], "n": 1}) == 'CYPHER rows=[{id:"a"}] n=1 '
    assert params_header({"a b": 1}) == "CYPHER `a b`=1 "
    # a string with a control character, then one the JSON writer would have written with \u: plainly
    assert params_header({"s": ["a\x01", "b\\u0041"]}) == 'CYPHER s=["a\x01","b\\\\u0041"] '


def test_hostile_strings_stay_inside_their_literal():
    """Every hostile string is one literal: open quote, then only escaped quotes and backslashes, then close."""
    for s in HOSTILE:
        lit = param_literal(s)
        assert lit[0] == lit[-1] == '"'
        body, i = lit[1:-1], 0
        while i < len(body):
            if body[i] == "\\":
                assert body[i + 1] in '\\"nrtbf', (s, body[i:i + 2])
                i += 2
            else:
                assert body[i] != '"', s
                i += 1


# ---------------------------------------------------------------------------------------------- the real server
@pytest.fixture
def ex(falkordb_server):
    """An executor on a fresh graph holding one canary node (checked untouched after the test)."""
    ex = FalkorExecutor.connect(falkordb_server.url, f"params_{uuid.uuid4().hex[:10]}")
    ex.write("CREATE (:Canary {id: 'canary'})", {})
    yield ex
    try:
        assert ex.read("MATCH (n) RETURN count(n) AS n, collect(n.id) AS ids", {}, 5000) == \
            [{"n": 1, "ids": ["canary"]}], "something ran that should have been a parameter"
    finally:
        ex.clear()
        ex.close()


def _raw(ex, query: str):
    """One query sent as is (no parameter writer): the server's own answer for ``RETURN $x AS x``."""
    from falkordb.query_result import QueryResult

    reply = ex.db.connection.execute_command("GRAPH.RO_QUERY", ex.graph_name, query.encode("utf-8"), "--compact")
    return QueryResult(ex.graph, reply).result_set[0][0]


def test_server_lexer_facts_the_writer_relies_on(ex):
    """FalkorDB 4.16.3: these escapes are decoded, \\uXXXX is not (so JSON's \\u escapes would corrupt text),
    raw control characters and UTF-8 are taken as they are, keys may be bare or backticked (not quoted),
    and an integer beyond int64 is clamped. If an upgrade changes one of these, revisit the writer."""
    assert _raw(ex, r'CYPHER x="q\"b\\n\nr\rt\tb\bf\f" RETURN $x AS x') == 'q"b\\n\nr\rt\tb\bf\f'
    assert _raw(ex, r'CYPHER x="\u00e9\ud83d\ude00" RETURN $x AS x') == r"\u00e9\ud83d\ude00"
    assert _raw(ex, 'CYPHER x="raw\x01\x1f\n中😀" RETURN $x AS x') == "raw\x01\x1f\n中😀"
    assert _raw(ex, "CYPHER x={a: 1, `b c`: 2, `}{`: 3} RETURN $x AS x") == {"a": 1, "b c": 2, "}{": 3}
    with pytest.raises(Exception, match="expected"):
        _raw(ex, 'CYPHER x={"a": 1} RETURN $x AS x')
    assert _raw(ex, "CYPHER x=9223372036854775808 RETURN $x AS x") == 2 ** 63 - 1


def test_hostile_strings_round_trip_through_reads_and_writes(ex):
    for s in HOSTILE:
        assert ex.read("RETURN $s AS s, size($s) AS n", {"s": s}, 5000) == [{"s": s, "n": len(s)}], s[:60]
    ids = [f"p{i}" for i in range(len(HOSTILE))]
    ex.write("UNWIND $rows AS row CREATE (n:P {id: row.id}) SET n += row.props, n.tags = row.tags",
             {"rows": [{"id": i, "props": {"v": s}, "tags": [s, "t"]} for i, s in zip(ids, HOSTILE)]})
    got = {r["id"]: (r["v"], r["tags"]) for r in
           ex.read("MATCH (n:P) RETURN n.id AS id, n.v AS v, n.tags AS tags", {}, 5000)}
    assert got == {i: (s, [s, "t"]) for i, s in zip(ids, HOSTILE)}
    # and as a lookup key (the MERGE path): each finds its own node only
    for i, s in zip(ids, HOSTILE):
        assert ex.read("MATCH (n:P {v: $v}) RETURN collect(n.id) AS ids", {"v": s}, 5000) == [{"ids": [i]}]
    ex.write("MATCH (n:P) DELETE n", {})


def test_edge_values_round_trip(ex):
    value = {"none": None, "t": True, "f": False, "zero": 0, "neg": -7, "max": 2 ** 63 - 1, "min": -2 ** 63,
             "float": 2.5, "intfloat": 3.0, "negzero": -0.0, "tiny": 5e-324, "big": 1e300,
             "empty": "", "list": [], "map": {}, "nested": [1, [2, [3, {"k": None, "l": ["中", 1.5]}]]],
             "odd keys": {"a b": 1, "x-y": 2, "中文": 3, "}) DETACH DELETE n //": 4, "match": 5}}
    got = ex.read("RETURN $v AS v", {"v": value}, 5000)[0]["v"]
    assert got == value
    assert type(got["intfloat"]) is float and type(got["zero"]) is int and got["t"] is True
    assert math.copysign(1, got["negzero"]) == -1
    # replies print floats with 15 digits, but the parameter is parsed to the exact double
    assert ex.read("RETURN $v > 0.3 AS gt, $v = 0.1 + 0.2 AS same", {"v": 0.1 + 0.2}, 5000) == \
        [{"gt": True, "same": True}]


def test_same_value_as_the_clients_own_writer(ex):
    """Where the client's stringify_param_value is right, the server sees the same values from both."""
    values = [s for s in HOSTILE if len(s) < 1000] + [
        1, -2.5, None, True, [1, "a", [None]], {"id": "x", "props": {"name": "n"}, "sources": ["s1", "s2"]}]
    ours = ex.read("RETURN $v AS v", {"v": values}, 5000)[0]["v"]
    theirs = ex.graph.ro_query("RETURN $v AS v", {"v": values}).result_set[0][0]
    assert ours == theirs == values


def test_refused_values_never_reach_the_server(ex):
    for params in ({"v": math.nan}, {"v": 2 ** 64}, {"v": "a\x00 MATCH (n) DETACH DELETE n"}, {"v": object()},
                   {"v": {"a`}) MATCH (n) DETACH DELETE n //": 1}},
                   {"x` = 1 MATCH (n) DETACH DELETE n //": 1}, {"": 1}):
        with pytest.raises(BackendError, match="cannot send the query's parameters"):
            ex.write("MATCH (n) DETACH DELETE n", {**params, "_never": 1})
    with pytest.raises(BackendError, match="cannot send the query"):
        ex.read("RETURN $v AS v", {"v": "lone \ud800 surrogate"}, 5000)


def test_a_key_that_is_no_identifier_cannot_break_out(ex):
    keys = ["}) MATCH (n) DETACH DELETE n //", "a}, b: 1}] MATCH (n) DETACH DELETE n //", 'x"y', "x'y", "a\\",
            "\n", "$v", "中文 key"]
    value = {k: i for i, k in enumerate(keys)}
    assert ex.read("RETURN $v AS v", {"v": value}, 5000) == [{"v": value}]
    assert ex.read("RETURN $`odd name` AS v", {"odd name": 1}, 5000) == [{"v": 1}]


def test_batched_rows_arrive_as_planned(ex, dev_deals_path):
    """The load's own statements: every row of every batch arrives as it was planned."""
    from kg.store.cypher import plan_writes
    from loaders.deals import parse_deals

    batch = parse_deals(dev_deals_path).batch
    ends = {nid: label for label, nodes in batch.nodes.items() for nid in nodes}
    statements = plan_writes(batch, ends, 500)
    assert statements
    for st in statements:
        assert ex.read("RETURN $rows AS rows", st.params, 10_000) == [{"rows": st.params["rows"]}], st.name


def test_reads_keep_their_timeout_and_read_only(ex):
    with pytest.raises(BackendError, match="read-only"):
        ex.read("CREATE (:X {v: $v})", {"v": "x"}, 5000)
    with pytest.raises(BackendError, match="timed out"):
        ex.read("UNWIND range(1, $n) AS a UNWIND range(1, $n) AS b RETURN count(*) AS c", {"n": 20_000}, 1)
