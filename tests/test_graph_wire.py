"""The compact form graph views travel in (web/graphview.py ``wire``/``unwire``; static/graph.js
decodes it the same way, checked in tests/test_network_browser.py): lossless on real views and on
awkward ones, and small enough that the 100k network's first view stays under 200 KB of JSON."""
from __future__ import annotations

import json

import pytest

from web.graphview import WIRE, unwire, view, wire


@pytest.fixture
def app(dev_workspace):
    from web import create_app

    return create_app({"workspace": str(dev_workspace), "TESTING": True})


@pytest.fixture(scope="module")
def app_100k(demo_100k):
    from demo_workspace import demo_client

    client = demo_client(*demo_100k)
    return client, client.application

AWKWARD = {
    "nodes": [
        {"id": "investor:a", "label": "Investor", "name": "一个名字很长很长很长很长很长很长很长很长的投资机构", "community": 0},
        {"id": "company:b", "label": "Company", "name": "乙", "synthetic": True},
        {"id": "company:c", "label": "Company"},                      # no name
        {"id": "round:d|a|2019", "label": "Round", "name": "𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋𠀌𠀍𠀎𠀏𠀐𠀑𠀒𠀓𠀔𠀕𠀖"},  # beyond the BMP
        {"id": 'x:"<script>', "label": "Investor", "name": "</script><b>x</b>"},
    ],
    "edges": [
        {"source": "investor:a", "target": "company:b", "type": "INVESTED_IN", "lead": True},
        {"source": "investor:a", "target": "round:d|a|2019", "type": "INVESTED_IN", "weight": 3},
        {"source": "company:c", "target": 'x:"<script>', "type": "CO_INVESTED", "weight": 2.5},
    ],
}


# hand-made oddities the view never makes: a label that is not the short name, a title that does not
# start with the name (or holds the template's slot), an id that is not the kind's key, an edge id of
# its own, an end that is not a node, numbers in a tooltip, a shape per row
ODD = {"nodes": [{"id": "a", "name": "甲", "label": "别名", "title": "另一个\n行"},
                 {"id": "b", "name": "乙", "group": "Investor", "title": "乙\n行 1.5e-07 和 \x01 2"},
                 {"id": "investor:丙", "name": "丙", "group": "Investor", "title": "丙\n[机构]\n连接数: 12\nPageRank: 0.5"},
                 {"id": "x", "name": None, "label": None, "group": "İnvestor"}],
       "edges": [{"id": "own", "from": "a", "to": "b", "type": "T"}, {"from": "a", "to": "zz", "id": "a||zz"},
                 {"from": "x", "to": "a", "type": "T", "id": "x|T|a", "value": 1},
                 {"from": "a", "to": "b", "type": None, "id": "a|None|b"}],
       "legend": [], "layout": "physics"}


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False) == json.dumps(b, sort_keys=True, ensure_ascii=False)


def test_round_trip_on_awkward_views(app):
    with app.test_request_context("/"):
        for color_by in ("label", "community"):
            v = view(AWKWARD, color_by=color_by, focus=["company:b"], layout=True)
            w = wire(v)
            assert w["wire"] == WIRE and _same(unwire(w), v)
    assert _same(unwire(wire(ODD)), ODD)
    assert unwire({"nodes": [], "edges": []}) == {"nodes": [], "edges": []}   # not wired: as it is


@pytest.mark.slow
def test_wire_keeps_the_100k_network_first_view_small(app_100k):
    """At 100k deals the drawn network (810 investors, 1,000 links) is about a third of its full JSON,
    under 200 KB, and decodes to exactly the view."""
    client, app = app_100k
    html = client.get("/network").get_data(as_text=True)
    import re

    raw = re.search(r'<script type="application/json" id="net-data">(.*?)</script>', html, re.S).group(1)
    payload = json.loads(raw)
    assert payload["wire"] == WIRE and len(raw.encode()) < 200_000
    full = unwire(payload)
    assert len(full["nodes"]) > 500 and len(full["edges"]) >= 1000
    assert len(json.dumps(full, ensure_ascii=False).encode()) > 2 * len(raw.encode())
    twin = client.get("/api/network?_view=1").get_json()
    assert _same(full["nodes"], twin["view"]["nodes"]) and _same(full["edges"], twin["view"]["edges"])
    # the twin pages its centrality list: every investor is counted, one page is sent
    meta = twin["meta"]
    assert meta["centrality_total"] == meta["investors"] > 1000 and meta["centrality_shown"] == len(meta["centrality"]) == 50


FIRST_VIEWS = ["/", "/network", "/report", "/regions", "/query/region_clusters?region=浙江",
               "/query/portfolio?investor=深创投", "/query/coinvest_network", "/query/co_investors?investor=深创投",
               "/entity/investor%3A%E6%B7%B1%E5%88%9B%E6%8A%95", "/entity/macro%3A%E9%95%BF%E4%B8%89%E8%A7%92"]


@pytest.mark.slow
def test_first_views_at_100k_stay_under_200_kb_of_json(app_100k):
    """Issue 18: the first view of any page carries at most 200 KB of JSON at 100k deals; a query
    page draws its busiest 1,000 nodes and says how many it left out."""
    import re

    from web.query import PAGE_GRAPH_NODES

    client, _ = app_100k
    for path in FIRST_VIEWS:
        r = client.get(path)
        assert r.status_code == 200, path
        blobs = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', r.get_data(as_text=True), re.S)
        assert sum(len(b.encode()) for b in blobs) <= 200_000, path
    html = client.get("/query/region_clusters?region=浙江").get_data(as_text=True)
    view = unwire(json.loads(re.search(r'<script type="application/json" id="[^"]*-data">(.*?)</script>', html, re.S).group(1)))
    assert len(view["nodes"]) == PAGE_GRAPH_NODES and view["omitted"] > 0
