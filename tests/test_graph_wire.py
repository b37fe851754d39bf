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
                 {"from": "x", "to": "a", "type": "T", "id": "x|T|a", "value": 1}],
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
