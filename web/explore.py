"""Explore: the home page, search (with suggestions as you type) and one page per entity.

Each page and its JSON twin come from the same data function:
``/`` ↔ ``/api/home``, ``/search?q=`` ↔ ``/api/search?q=``, ``/entity/<id>`` ↔ ``/api/entity/<id>``.
"""
from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import charts, graphview
from web.data import get_entity, jsonable, loaded_info, mark_synthetic, query_accepts, queries, run_query, safe_run
from web.filters import money
from web.i18n import get_lang, label_name, t

bp = Blueprint("explore", __name__)

EXAMPLES = {
    "zh": ["深创投投资了哪些公司？", "2019年投资工业互联网企业最多的机构有哪些？", "红杉资本（中国）和深创投共同投资了哪些企业？",
           "长三角地区2019年有多少笔融资？", "数澜科技的融资历史", "哪些机构经常和中金一起投资？"],
    "en": ["Which companies did Shenzhen Capital invest in?", "Top investors in 2019",
           "Who co-invests most with Sequoia China?", "How many deals in the Yangtze River Delta in 2019?",
           "Funding history of 数澜科技", "Path between 深创投 and 数澜科技"],
}


# ------------------------------------------------------------------ home
def home_data() -> dict:
    info = loaded_info()
    data = {"loaded": info, "examples": EXAMPLES[get_lang()], "top_investors": None, "segments": None}
    res, _ = _optional("top_investors", k=10)
    if res is not None:
        data["top_investors"] = {"columns": res.columns, "rows": res.rows[:10]}
    res, _ = _optional("segment_summary")
    if res is not None:
        data["segments"] = {"columns": res.columns, "rows": res.rows}
    return jsonable(data)


def _optional(name, **params):
    try:
        if name not in queries().REGISTRY:
            return None, None
    except KGError as exc:
        return None, str(exc)
    return safe_run(name, **params)


@bp.route("/")
def home():
    data = home_data()
    top = data["top_investors"]
    top_chart = None
    if top and top["rows"]:
        key = _first_numeric(top["rows"][0], ("deals", "rounds", "companies", "count"))
        top_chart = charts.bars([(r.get("investor") or r.get("name"), r.get(key)) for r in top["rows"]],
                                title=t("top_investors"))
    seg_chart = None
    seg = data["segments"]
    if seg and seg["rows"]:
        key = _first_numeric(seg["rows"][0], ("deals", "rounds", "companies", "count"))
        seg_chart = charts.bars([(r.get("segment") or r.get("name"), r.get(key)) for r in seg["rows"]],
                                title=t("segments"))
    return render_template("home.html", data=data, top_chart=top_chart, seg_chart=seg_chart,
                           json_twin=url_for("explore.api_home"))


@bp.route("/api/home")
def api_home():
    return jsonify(home_data())


def _first_numeric(row: dict, prefer) -> str | None:
    for k in prefer:
        if isinstance(row.get(k), (int, float)) and not isinstance(row.get(k), bool):
            return k
    for k, v in row.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return k
    return None


# ------------------------------------------------------------------ search
def search_data(q: str, limit: int = 10, label: str | None = None) -> dict:
    q = (q or "").strip()
    if not q:
        return {"q": q, "results": []}
    res = run_query("search", text=q, limit=limit, label=label or None)
    results = []
    for r in res.rows:
        eid = r.get("id") or r.get("name_id") or r.get("entity_id")
        lab = r.get("label")
        results.append({**r, "id": eid, "label": lab, "label_name": label_name(lab or ""),
                        "url": _entity_href(eid) if eid else None})
    return jsonable({"q": q, "results": results})


def _entity_href(eid: str) -> str:
    return url_for("explore.entity", eid="_")[:-1] + quote(str(eid), safe="")


def _limit_arg(default=10, hi=100) -> int:
    try:
        return max(1, min(int(request.args.get("limit", default)), hi))
    except ValueError:
        return default


@bp.route("/api/search")
def api_search():
    return jsonify(search_data(request.args.get("q", ""), _limit_arg(), request.args.get("label")))


@bp.route("/search")
def search():
    q = request.args.get("q", "")
    error = None
    try:
        data = search_data(q, _limit_arg(50), request.args.get("label"))
    except KGError as exc:
        data, error = {"q": q, "results": []}, str(exc)
    if len(data["results"]) == 1 and request.args.get("go"):
        from flask import redirect

        return redirect(data["results"][0]["url"])
    return render_template("search.html", data=data, error=error,
                           json_twin=url_for("explore.api_search", q=q, limit=50))


# ------------------------------------------------------------------ entity pages
# (section key, query, entity parameter, extra parameters) per label; a section runs when its query
# exists and takes that parameter
SECTIONS = {
    "Investor": [("portfolio", "portfolio", "investor", {}), ("co_investors", "co_investors", "investor", {})],
    "Company": [("funding_history", "funding_history", "company", {}), ("investors", "investors_of", "company", {})],
    "Region": [("companies_here", "companies", "region", {}),
               ("investors_here", "top_investors", "region", {"k": 20}),
               ("clusters", "region_clusters", "region", {}),
               ("policies_here", "policies", "region", {})],
    "Segment": [("companies_here", "companies", "segment", {}),
                ("investors_here", "top_investors", "segment", {"k": 20}),
                ("stage_mix", "segment_stage", "segment", {})],
    "Policy": [],
    "Round": [],
    "Factory": [],
}
EGO = {"Investor": 2, "Company": 2, "Region": 1, "Segment": 1, "Policy": 1, "Round": 1, "Factory": 1}


def entity_data(eid: str) -> dict | None:
    node = get_entity(eid)
    if node is None:
        return None
    label = node.get("label")
    sections = {}
    for key, qname, param, extra in SECTIONS.get(label, []):
        try:
            if not query_accepts(qname, param):
                continue
        except KGError:
            continue
        res, err = safe_run(qname, **{param: eid}, **extra)
        if res is not None:
            res = mark_synthetic(res)
        sections[key] = {"query": qname, "params": {param: eid, **extra}, "error": err,
                         **({"result": res.as_dict()} if res is not None else {})}
    ego = None
    try:
        if query_accepts("neighborhood", "entity"):
            res, err = safe_run("neighborhood", entity=eid, hops=EGO.get(label, 1), limit=150)
            if res is not None:
                ego = {"result": res.as_dict(), "params": {"entity": eid, "hops": EGO.get(label, 1), "limit": 150}}
    except KGError:
        pass
    props = {k: v for k, v in node.items() if k not in ("label",)}
    data = {"id": eid, "label": label, "name": graphview.display_name(node), "properties": props,
            "sections": sections, "ego": ego,
            "synthetic": bool(node.get("synthetic")) or any((s.get("result") or {}).get("meta", {}).get("synthetic")
                                                            for s in sections.values())}
    if label == "Investor" and "portfolio" in sections and "result" in sections["portfolio"]:
        data["mix"] = investor_mix(eid, sections["portfolio"]["result"])
    return jsonable(data)


def investor_mix(eid: str, portfolio: dict) -> dict:
    """Stage, segment and region mix and rounds per year, from the investor's portfolio."""
    seg, reg = Counter(), Counter()
    for r in portfolio.get("rows", []):
        for s in _split(r.get("segment")):
            seg[s] += 1
        for s in _split(r.get("region")):
            reg[s] += 1
    rounds = {n["id"]: n for n in portfolio.get("graph", {}).get("nodes", []) if n.get("label") == "Round"}
    joined = {e["target"] for e in portfolio.get("graph", {}).get("edges", [])
              if e.get("type") == "INVESTED_IN" and e.get("source") == eid and e.get("target") in rounds}
    if not joined:  # the graph may not carry the investor itself: every round in it is one it joined
        joined = set(rounds)
    stage, years = Counter(), Counter()
    for rid in joined:
        n = rounds[rid]
        stage[n.get("round") or n.get("type") or "?"] += 1
        y = str(n.get("date") or "")[:4]
        if y:
            years[y] += 1
    return {"segments": seg.most_common(), "regions": reg.most_common(12), "stages": stage.most_common(),
            "years": sorted(years.items())}


def _split(v):
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v if x]
    return [s for s in str(v).replace(",", "、").split("、") if s]


@bp.route("/api/entity/<path:eid>")
def api_entity(eid):
    data = entity_data(eid)
    if data is None:
        abort(404, description=t("not_found_entity"))
    return jsonify(data)


@bp.route("/entity/<path:eid>")
def entity(eid):
    data = entity_data(eid)
    if data is None:
        abort(404, description=t("not_found_entity"))
    ego_view = None
    if data.get("ego"):
        ego_view = graphview.view(data["ego"]["result"]["graph"], focus=[eid],
                                  omitted=int(data["ego"]["result"].get("meta", {}).get("omitted") or 0))
    mix_charts = {}
    if data.get("mix"):
        m = data["mix"]
        mix_charts = {"years": charts.columns(m["years"], title=t("rounds_timeline"), width=900, height=150),
                      "stages": charts.bars(m["stages"], title=t("stage_mix"), label_width=100, width=320),
                      "segments": charts.bars(m["segments"], title=t("segment_mix"), label_width=100, width=320),
                      "regions": charts.bars(m["regions"], title=t("region_mix"), label_width=100, width=320)}
    return render_template("entity.html", data=data, ego_view=ego_view, mix_charts=mix_charts, money=money,
                           json_twin=_api_entity_href(eid))


def _api_entity_href(eid: str) -> str:
    return url_for("explore.api_entity", eid="_")[:-1] + quote(str(eid), safe="")
