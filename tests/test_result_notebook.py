"""A query result shows itself in a notebook: the offline pyvis page of its graph, names as text."""
from __future__ import annotations

from kg.queries import run


def test_a_result_renders_as_an_offline_graph_in_a_notebook(dev_store_ro):
    res = run(dev_store_ro, "co_investors", investor="红杉资本（中国）", k=5)
    html = res._repr_html_()
    assert "<iframe" in html and "sandbox" in html
    import re

    # nothing loaded from outside: no script or stylesheet with an address (the library's own text may name URLs)
    assert not re.search(r"(?:src|href)\s*=\s*(?:&#34;|&quot;|\"|')?\s*(?:https?:)?//", html)
    assert "红杉资本" in html or "&#32418;" in html or "\\u7ea2" in html


def test_hostile_names_stay_text():
    from kg.result import Result

    res = Result("x", {}, graph={"nodes": [{"id": "a", "label": "Investor", "name": "<script>alert(1)</script>"}],
                                 "edges": []})
    assert "<script>alert(1)</script>" not in res._repr_html_()
