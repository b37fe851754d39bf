"""Search ranks exact names, aliases and English names first, then prefixes, across investors,
companies and regions; one row per name and kind (上海 the municipality, not twice)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from demo_workspace import demo_workspace

    return demo_workspace(tmp_path_factory, 300, "search-rank")[1]


def _ids(store, text, **kw):
    from kg.queries import run

    return [r["id"] for r in run(store, "search", text=text, **kw).rows]


@pytest.mark.parametrize("text,first", [("Shanghai", "province:上海"), ("shanghai", "province:上海"),
                                        ("上海", "province:上海"), ("Beijing", "province:北京"),
                                        ("Sequoia China", "investor:红杉资本(中国)"), ("红杉中国", "investor:红杉资本(中国)"),
                                        ("深创", "investor:深创投"), ("Yangtze River Delta", "macro:长三角"),
                                        ("platform", "segment:平台")])
def test_exact_alias_english_and_prefix_first(store, text, first):
    ids = _ids(store, text)
    assert ids and ids[0] == first, ids[:5]
    assert len(ids) == len(set(ids))


def test_one_row_per_name_and_kind_and_the_limit_holds(store):
    from kg.queries import run

    rows = run(store, "search", text="上海", limit=5).rows
    assert 2 <= len(rows) <= 5 and len(run(store, "search", text="上海", limit=1).rows) == 1
    assert [r["id"] for r in rows].count("city:上海") == 0
    assert len({(r["label"], r["name"]) for r in rows}) == len(rows)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    # prefix matches (names starting 上海…) come before anything matched only in part or roughly
    prefix = [r["name"].startswith("上海") for r in rows[1:]]
    assert prefix == sorted(prefix, reverse=True)
