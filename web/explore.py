"""Explore: the home page, search (with suggestions as you type) and one page per entity.

Each page and its JSON twin come from the same data function:
``/`` ↔ ``/api/home``, ``/search?q=`` ↔ ``/api/search?q=``, ``/entity/<id>`` ↔ ``/api/entity/<id>``.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import chart_specs, charts, graphview
from web.data import (flag_rows, get_entity, jsonable, loaded_info, mark_synthetic, query_accepts, queries, rows_synthetic,
                      run_query, safe_run, safe_run_cached)
from web.filters import money
from web.i18n import column_name, error_text, get_lang, label_name, list_sep, pick, round_type_name, t, term, terms

bp = Blueprint("explore", __name__)

def examples(lang: str | None = None) -> list[str]:
    """Example questions made from the loaded data's own names (never names the data lacks)."""
    from kg.chat.answer import suggestions

    from web.state import get_store

    try:
        return [terms(q, lang) for q in suggestions(get_store(), lang or get_lang())]
    except KGError:
        return []


# ------------------------------------------------------------------ home
def home_data() -> dict:
    info = loaded_info()
    data = {"loaded": info, "examples": examples(), "top_investors": None, "segments": None}
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


IMPORT_KINDS = {"seed": ("报告数据", "Report facts"), "demo": ("演示数据", "Demo data"), "deals": ("融资数据文件", "Deals file"),
                "news": ("公告", "Announcements"), "web": ("网页导入", "Web import")}


def _pair(table: dict, key) -> str:
    return pick(table, key)


@bp.route("/")
def home():
    data = home_data()
    top = data["top_investors"]
    scripts = chart_scripts()
    top_chart = top_spec = seg_chart = seg_spec = None
    synthetic = bool(data["loaded"].get("synthetic"))
    if top and top["rows"]:
        key = _first_numeric(top["rows"][0], ("deals", "rounds", "companies", "count"))
        pairs = [(r.get("investor") or r.get("name"), r.get(key)) for r in top["rows"]]
        if scripts:
            top_spec = chart_specs.bars(pairs, title=t("top_investors"), series_name=column_name(key), synthetic=synthetic)
        else:
            top_chart = charts.bars(pairs, title=t("top_investors"))
    seg = data["segments"]
    if seg and seg["rows"]:
        key = _first_numeric(seg["rows"][0], ("deals", "rounds", "companies", "count"))
        pairs = [(segment_name(r.get("segment") or r.get("name")), r.get(key)) for r in seg["rows"]]
        if scripts:
            seg_spec = chart_specs.bars(pairs, title=t("segments"), series_name=column_name(key), synthetic=synthetic)
        else:
            seg_chart = charts.bars(pairs, title=t("segments"))
    return render_template("home.html", data=data, top_chart=top_chart, seg_chart=seg_chart, top_spec=top_spec,
                           seg_spec=seg_spec, chart_scripts=scripts,
                           import_kind=lambda k: _pair(IMPORT_KINDS, k), json_twin=url_for("explore.api_home"))


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
        data, error = {"q": q, "results": []}, error_text(exc)
    if len(data["results"]) == 1 and request.args.get("go"):
        from flask import redirect

        return redirect(data["results"][0]["url"])
    return render_template("search.html", data=data, error=error,
                           json_twin=url_for("explore.api_search", q=q, limit=50))


# ------------------------------------------------------------------ entity pages
# Every number a page shows comes from a named query over ALL matching rows (the portfolio's mix is
# aggregated over every round before any cut); tables page and sort on the server; a cut says so.
PAGE_SIZE = 25
MAX_LIMIT = 500
GRAPH_COMPANIES = 30  # companies drawn on an investor's graph (the table lists them all)
TOP_CHART = 12        # bars drawn in a mix chart (its table lists them all)
MAX_SOURCES = 50      # provenance entries an entity page lists (``sources_total`` counts them all)

# (section key, query, entity parameter, extra parameters) per label; a section runs when its query
# exists and takes that parameter; sections of queries that take `year` follow the page's year
SECTIONS = {
    "Investor": [("portfolio", "portfolio", "investor", {}), ("co_investors", "co_investors", "investor", {})],
    "Company": [("funding_history", "funding_history", "company", {}), ("investors", "investors_of", "company", {})],
    "Region": [("companies_here", "companies", "region", {"round": "market"}),
               ("investors_here", "top_investors", "region", {"k": 20}),  # listings have no investors
               ("clusters", "region_clusters", "region", {}),
               ("policies_here", "policies", "region", {})],
    "Segment": [("companies_here", "companies", "segment", {"round": "market"}),
                ("investors_here", "top_investors", "segment", {"k": 20})],
    "Policy": [],
    "Round": [],
    "Factory": [],
}
EGO = {"Policy": 1, "Round": 1, "Factory": 1}
# a region's or a segment's "deals" are its financing rounds, as the chat counts them: every round
# group but the listings (IPO, placements), which the page counts apart
MARKET = "early,later,strategic,other"

# property names and coded values shown on entity pages (never the raw key)
PROP_NAMES = {
    "kind": ("类型", "Kind"), "reported_2019_companies": ("报告公布的2019年投资企业数", "Companies in 2019 (report)"),
    "level": ("级别", "Level"), "full": ("全称", "Full name"), "full_name": ("全称", "Full name"),
    "board": ("上市板块", "Board"), "code": ("股票代码", "Stock code"), "type": ("轮次类型", "Round type"),
    "label": ("轮次", "Round"), "date": ("日期", "Date"), "year": ("年份", "Year"), "month": ("月份", "Month"),
    "amount": ("原币金额", "Amount (original)"), "currency": ("币种", "Currency"), "amount_cny": ("金额", "Amount (CNY)"),
    "disclosed": ("金额已披露", "Amount disclosed"), "board_name": ("板块", "Board"), "board_name_en": ("板块（英文）", "Board (English)"),
    "title": ("标题", "Title"), "issued_on": ("发布日期", "Issued"), "issuer": ("发布机构", "Issuer"),
    "field": ("领域", "Field"), "recognition": ("认定", "Recognition"), "news": ("公告", "Announcements"),
}
VALUE_NAMES = {
    "kind": {"vc": ("风险投资", "Venture capital"), "pe": ("私募股权", "Private equity"), "cvc": ("企业风投", "Corporate VC"),
             "corporate": ("产业投资方", "Corporate"), "bank": ("银行", "Bank"), "state_fund": ("政府引导基金", "State fund"),
             "province": ("省", "Province"), "municipality": ("直辖市", "Municipality"),
             "autonomous_region": ("自治区", "Autonomous region"), "sar": ("特别行政区", "SAR")},
    "level": {"province": ("省级", "Province"), "city": ("城市", "City"), "macro": ("区域", "Macro region"),
              "country": ("国家", "Country"), "national": ("国家级", "National"), "provincial": ("省级", "Provincial")},
    "board": {"star": ("科创板", "STAR Market"), "main": ("主板", "Main board"), "chinext": ("创业板", "ChiNext"),
              "sme": ("中小板", "SME board")},
}
HIDDEN_PROPS = ("id", "name", "sources", "aliases", "synthetic", "name_en", "_label", "label_en", "sources_total")


def value_name(key: str, value) -> str:
    """A coded property value (kind: vc, board: star) in the UI language; other values as they are."""
    return pick(VALUE_NAMES.get(key, {}), str(value))


def prop_items(props: dict) -> list[tuple[str, object]]:
    """(display name, display value) of the properties worth showing, in the UI language."""
    out = []
    for k, v in props.items():
        if k in HIDDEN_PROPS or v is None or v == "" or k.startswith("_"):
            continue
        label = pick(PROP_NAMES, k, column_name(k))
        if k == "type":
            v = round_type_name(v)
        elif isinstance(v, bool):
            v = t("yes") if v else t("no")
        elif k in VALUE_NAMES and str(v) in VALUE_NAMES[k]:
            v = value_name(k, v)
        elif k.endswith("_cny"):
            v = money(v)
        elif isinstance(v, (list, tuple)):
            v = list_sep().join(str(x) for x in v)
        out.append((label, v))
    return out


def _int_arg(args, key, default, lo=0, hi=None):
    try:
        v = int(args.get(key, default))
    except (TypeError, ValueError):
        return default
    v = max(lo, v)
    return min(v, hi) if hi is not None else v


def paging(args, key: str, default: int = PAGE_SIZE, shared: bool = True) -> dict:
    """limit / offset / sort of section ``key``: ``<key>_limit`` etc., else (``shared``) the request's
    ``limit`` / ``offset`` / ``sort``."""
    g = args if shared else {}
    limit = _int_arg(args, f"{key}_limit", _int_arg(g, "limit", default, 1, MAX_LIMIT), 1, MAX_LIMIT)
    offset = _int_arg(args, f"{key}_offset", _int_arg(g, "offset", 0))
    sort = (args.get(f"{key}_sort") or g.get("sort") or "").strip()[:60] or None
    return {"limit": limit, "offset": offset, "sort": sort}


def _sort_value(v):
    if isinstance(v, bool):
        return (0, int(v), "")
    if isinstance(v, (int, float)):
        return (0, v, "")
    if isinstance(v, (list, tuple)):
        return (0, len(v), "、".join(map(str, v)))
    return (1, 0, str(v))


def sort_rows(rows: list[dict], columns, sort: str | None) -> tuple[list[dict], str | None]:
    """``rows`` sorted by ``sort`` (``col`` ascending, ``-col`` descending; empty cells last), and the
    sort applied (None when ``sort`` names no column: the query's own order)."""
    if not sort:
        return rows, None
    desc, col = sort.startswith("-"), sort.lstrip("-")
    if col not in (columns or []):
        return rows, None
    full = [r for r in rows if r.get(col) not in (None, "", [])]
    empty = [r for r in rows if r.get(col) in (None, "", [])]
    return sorted(full, key=lambda r: _sort_value(r.get(col)), reverse=desc) + empty, sort


def table_page(res: dict, pg: dict) -> dict:
    """One page of a result's table with what a reader needs to know: ``total`` (every matching row,
    also those the query itself left out), ``available`` (rows that can be paged), ``shown`` and
    ``cut`` (what was left out, by whom)."""
    rows = res.get("rows") or []
    cols = list(res.get("columns") or [])
    rows, sort = sort_rows(rows, cols, pg.get("sort"))
    off = min(pg["offset"], max(len(rows) - 1, 0)) if rows else 0
    page = rows[off:off + pg["limit"]]
    cells = _trim_cells(page)
    omitted = (res.get("meta") or {}).get("omitted")
    omitted = omitted if isinstance(omitted, int) and not isinstance(omitted, bool) else 0
    total = len(rows) + omitted
    keys = list(dict.fromkeys(k for r in page[:1] for k in r)) + cols
    out = {"columns": cols, "id_columns": sorted({k for k in keys if k.endswith("_id") or k.endswith("_ids")}),
           "rows": page, "total": total, "available": len(rows), "shown": len(page),
           "offset": off, "limit": pg["limit"], "sort": sort, "value": res.get("value"),
           "truncated": bool(omitted) or len(page) < total}
    if omitted:
        out["cut"] = {"rows": omitted, "by": "query"}
    if cells:
        out["cut_cells"] = {"cells": cells, "items_shown": LIST_CELL}
    return out


def result_dict(res) -> dict:
    """A Result's fields without copying its rows and graph (``Result.as_dict`` deep-copies them)."""
    return {"name": res.name, "params": res.params, "rows": res.rows, "columns": res.columns, "graph": res.graph,
            "cypher": res.cypher, "params_cypher": res.params_cypher, "value": res.value,
            "truncated": res.truncated, "meta": res.meta or {}}


LIST_CELL = 20  # items of a list cell a table page shows (the query's JSON has them all)


def _trim_cells(rows: list[dict]) -> int:
    """Cut list cells to :data:`LIST_CELL` items (in place, on copies); the number of cells cut."""
    cut = 0
    for i, r in enumerate(rows):
        long = {k: v for k, v in r.items() if isinstance(v, (list, tuple)) and len(v) > LIST_CELL}
        if long:
            rows[i] = {**r, **{k: list(v[:LIST_CELL]) + [f"… (+{len(v) - LIST_CELL})"] for k, v in long.items()}}
            for k in long:
                if isinstance(r.get(k + "_ids"), (list, tuple)):
                    rows[i][k + "_ids"] = None
            cut += len(long)
    return cut


def _section(key, qname, param, eid, extra, year, args) -> dict | None:
    try:
        if not query_accepts(qname, param):
            return None
    except KGError:
        return None
    params = {param: eid, **{k: (MARKET if v == "market" else v) for k, v in extra.items()}}
    if year and query_accepts(qname, "year"):
        params["year"] = year
    res, err = safe_run_cached(qname, **params)
    sec = {"key": key, "query": qname, "params": params, "error": err}
    if res is None:
        return sec
    d = result_dict(res)
    page = table_page(d, paging(args, key))
    page["rows"] = flag_rows(page["rows"])
    if "synthetic" not in (res.meta or {}):  # once per cached result
        res.meta = {**(res.meta or {}), "synthetic": rows_synthetic(d["rows"], d["value"])}
    sec.update(page, synthetic=res.meta["synthetic"], cypher=d.get("cypher"), params_cypher=d.get("params_cypher"))
    sec["_result"] = res  # for the summary, charts and graph; dropped before JSON
    return sec


def _count(name, **params):
    res, _ = safe_run_cached(name, **params)
    return None if res is None else res.value


def _year_arg(args) -> int | None:
    y = args.get("year")
    if y and str(y).isdigit() and 1900 <= int(y) <= 2100:
        return int(y)
    return None


# arguments of /api/entity that shape the JSON answer only, not the data the page and its twin share
_TWIN_ONLY = ("section", "graph", "token")


def entity_data(eid: str, args=None) -> dict | None:
    """The page of an entity: summary, charts, graph, then its tables (one page each). Computed once
    per store version, language and arguments, and shared by the page and its JSON twin (callers
    must not change what it returns in place: copy what they reshape)."""
    from werkzeug.datastructures import MultiDict

    from web.i18n import get_lang
    from web.state import cached

    args = args if args is not None else MultiDict()
    key = ("entity", get_lang(), eid,
           tuple(sorted((k, tuple(args.getlist(k))) for k in args.keys() if k not in _TWIN_ONLY)))
    return cached(key, lambda: _entity_data(eid, args))


def _entity_data(eid: str, args) -> dict | None:
    node = get_entity(eid)
    if node is None:
        return None
    label = node.get("label")
    year = _year_arg(args) if label in ("Investor", "Region", "Segment") else None
    sections = {}
    for key, qname, param, extra in SECTIONS.get(label, []):
        sec = _section(key, qname, param, eid, extra, year, args)
        if sec is not None:
            sections[key] = sec
    props = {k: v for k, v in node.items() if k not in ("label",)}
    if isinstance(props.get("sources"), list) and len(props["sources"]) > MAX_SOURCES:  # a big import lists thousands
        props["sources_total"] = len(props["sources"])
        props["sources"] = props["sources"][:MAX_SOURCES]
    data = {"id": eid, "label": label, "name": graphview.stored_name(node), "properties": props,
            "year": year, "summary": [], "charts": [], "attributes": [], "graph": None, "sections": sections}
    build = {"Investor": _investor_page, "Company": _company_page, "Region": _area_page, "Segment": _area_page}.get(label)
    if build is not None:
        build(eid, label, data, year)
    elif label in EGO:
        res, _ = safe_run("neighborhood", entity=eid, hops=EGO[label], limit=150) \
            if _accepts("neighborhood", "entity") else (None, None)
        if res is not None:
            data["graph"] = _graph_block(result_dict(mark_synthetic(res)), "neighborhood",
                                         {"entity": eid, "hops": EGO[label], "limit": 150})
    data["synthetic"] = bool(node.get("synthetic")) or any(s.get("synthetic") for s in sections.values()) \
        or any(c.get("synthetic") for c in data["charts"]) or bool((data["graph"] or {}).get("synthetic"))
    for s in sections.values():
        s.pop("_result", None)
    return jsonable(data)


def _accepts(name, param) -> bool:
    try:
        return query_accepts(name, param)
    except KGError:
        return False


def _graph_block(res: dict, query: str, params: dict, total_nodes: int | None = None) -> dict:
    from kg.exports.provenance import mark

    from web.state import get_store

    g = mark(res.get("graph") or {"nodes": [], "edges": []}, get_store())
    meta = res.get("meta") or {}
    shown = len(g.get("nodes") or [])
    omitted = meta.get("omitted") if query == "neighborhood" else None
    total = total_nodes if total_nodes is not None else shown + (omitted if isinstance(omitted, int) else 0)
    return {"query": query, "params": params, "graph": g, "total": total, "shown": shown,
            "truncated": total > shown, "synthetic": bool(meta.get("synthetic") or g.get("synthetic"))}


def _summary_item(key, value, kind="number"):
    return {"key": key, "label": t(key), "value": value, "kind": kind}


def _names(mapping: dict, rename=None) -> list[tuple[str, int]]:
    return [((rename(k) if rename else k), v) for k, v in mapping.items()]


def _mix_chart(key, pairs, synthetic, *, unit, series, kind="bars"):
    pairs = list(pairs)
    if not pairs:
        return None
    if kind == "line":
        spec = chart_specs.line(pairs, title=t(key), series_name=series, unit=unit, synthetic=synthetic)
    else:
        spec = chart_specs.bars(pairs[:TOP_CHART], title=t(key), series_name=series, unit=unit, synthetic=synthetic)
    full = chart_specs.bars(pairs, title=t(key), series_name=series, unit=unit, horizontal=False) \
        if kind != "line" else spec
    return {"key": key, "spec": spec, "table": chart_specs.table(full, t(key)), "synthetic": synthetic,
            "drawn": len(spec["categories"]), "total": len(pairs)}


def _investor_page(eid, label, data, year):
    pf = data["sections"].get("portfolio", {}).get("_result")
    co = data["sections"].get("co_investors", {}).get("_result")
    if pf is None:
        return
    mix = (pf.meta or {}).get("mix") or {}
    syn = bool((pf.meta or {}).get("synthetic"))
    data["mix"] = mix
    data["summary"] = [_summary_item("total_companies", pf.value), _summary_item("total_rounds", mix.get("rounds")),
                       _summary_item("lead_rounds", mix.get("lead_rounds")),
                       _summary_item("total_amount", mix.get("amount_cny"), "money")]
    if co is not None:
        data["summary"].append(_summary_item("co_investors", co.value))
    rounds = t("rounds")
    per = mix.get("years") or {}
    if len([y for y in per if y]) <= 2 and mix.get("months"):  # a year or two: one point a month
        per = mix["months"]
    years = [(y or t("undated"), n) for y, n in per.items()]
    charts = [_mix_chart("rounds_timeline", years, syn, unit=rounds, series=rounds, kind="line"),
              _mix_chart("stage_mix", _names(mix.get("types") or {}, round_type_name), syn, unit=rounds, series=rounds),
              _mix_chart("segment_mix", _names(mix.get("segments") or {}, segment_name), syn,
                         unit=t("companies_unit"), series=t("companies_unit")),
              _mix_chart("region_mix", _names(mix.get("regions") or {}, region_name), syn,
                         unit=t("companies_unit"), series=t("companies_unit"))]
    data["charts"] = [c for c in charts if c]
    data["years"] = [y for y in (mix.get("years") or {}) if y]
    # the graph: the investor, its most-joined companies and their rounds (the table lists the rest)
    d = result_dict(pf)
    keep_rows = d["rows"][:GRAPH_COMPANIES]
    keep = {eid} | {r["company_id"] for r in keep_rows}
    g = d["graph"]
    rounds_of = {e["target"] for e in g["edges"] if e.get("type") == "RAISED" and e.get("source") in keep}
    keep |= rounds_of
    keep |= {n["id"] for n in g["nodes"] if n.get("label") == "Investor"}
    graph = {"nodes": [n for n in g["nodes"] if n["id"] in keep],
             "edges": [e for e in g["edges"] if e["source"] in keep and e["target"] in keep]}
    block = _graph_block({"graph": graph, "meta": d["meta"]}, "portfolio", {"investor": eid},
                         total_nodes=None)
    block.update(total_companies=pf.value, shown_companies=len(keep_rows), truncated=len(keep_rows) < (pf.value or 0),
                 what="companies")
    data["graph"] = block


def _company_page(eid, label, data, year):
    fh = data["sections"].get("funding_history", {}).get("_result")
    inv = data["sections"].get("investors", {}).get("_result")
    # region and segment as attributes (links), not as hub nodes pulling in their members
    res, _ = safe_run("neighborhood", entity=eid, hops=1, limit=60) if _accepts("neighborhood", "entity") else (None, None)
    if res is not None:
        for n in res.graph.get("nodes", []):
            if n.get("label") in ("Region", "Segment"):
                data["attributes"].append({"id": n["id"], "label": n["label"], "label_name": label_name(n["label"]),
                                           "name": segment_name(n.get("name")) if n["label"] == "Segment"
                                           else region_name(n.get("name"))})
    if fh is None:
        return
    syn = bool((fh.meta or {}).get("synthetic"))
    rows = fh.rows
    disclosed = [r["amount_cny"] for r in rows if isinstance(r.get("amount_cny"), (int, float))]
    amount = sum(disclosed) if disclosed else None
    dates = [r["date"] for r in rows if r.get("date")]
    data["summary"] = [_summary_item("rounds", fh.value),
                       _summary_item("investors", inv.value if inv is not None else None),
                       _summary_item("total_amount", amount, "money"),
                       _summary_item("first_date", min(dates) if dates else None, "text"),
                       _summary_item("last_date", max(dates) if dates else None, "text")]
    ids = {r["investor"]: r.get("investor_id") for r in (inv.rows if inv is not None else [])}
    data["timeline"] = [{"date": r.get("date"), "round": r.get("round"), "type": r.get("type"),
                         "type_name": round_type_name(r.get("type")), "amount_cny": r.get("amount_cny"),
                         "investors": [{"name": x, "id": ids.get(x), "lead": x in (r.get("leads") or [])}
                                       for x in r.get("investors") or []],
                         "round_id": r.get("round_id"), "synthetic": r.get("synthetic")} for r in rows]
    pairs = [(" ".join(x for x in (str(r.get("date") or "")[:7], round_type_name(r.get("type"))) if x),
              (r.get("amount_cny") or 0) / 1e8) for r in rows]
    c = _mix_chart("round_amounts", pairs, syn, unit=t("unit_yi"), series=t("amount_cny_yi")) if disclosed else None
    data["charts"] = [c] if c else []
    data["graph"] = _graph_block(result_dict(fh), "funding_history", {"company": eid})


def _area_page(eid, label, data, year):
    """A region's or a segment's summary and charts. Its deals are financing rounds (every round but
    the listings, as the chat counts them), computed as all rounds minus the listings: a filter on
    several round groups costs ~10 ms a query at 100k deals, these two scans ~1 ms each."""
    param = "region" if label == "Region" else "segment"
    f = {param: eid, **({"year": year} if year else {})}
    tl, _ = safe_run_cached("timeline", by="month", **f)
    tl_listed, _ = safe_run_cached("timeline", by="month", round="listed", **f)

    def whole(res) -> int:
        return 0 if res is None else res.value + int(res.meta.get("undated") or 0) + int(res.meta.get("imprecise") or 0)

    listings = whole(tl_listed)
    deals = None if tl is None else whole(tl) - listings
    companies = data["sections"].get("companies_here", {}).get("value")
    amount_all, amount_listed = _count("amount_total", **f), _count("amount_total", round="listed", **f)
    amount = None if amount_all is None else amount_all - (amount_listed or 0)
    data["summary"] = [_summary_item("deals", deals), _summary_item("total_companies", companies),
                       _summary_item("total_amount", amount, "money"), _summary_item("listings", listings)]
    syn = bool(deals) and bool(loaded_info().get("synthetic"))
    charts = []
    if tl is not None:
        listed = {r["period"]: r["deals"] for r in (tl_listed.rows if tl_listed is not None else [])}
        years = sorted({str(r["period"])[:4] for r in tl.rows if r["deals"] - listed.get(r["period"], 0)})
        pairs = [(r["period"], r["deals"] - listed.get(r["period"], 0)) for r in tl.rows]
        pairs = [(k, n) for k, n in pairs if n]
        if len(years) > 2:  # many years: one point a year
            per_year: dict = {}
            for per, n in pairs:
                per_year[per[:4]] = per_year.get(per[:4], 0) + n
            pairs = sorted(per_year.items())
        apart = whole(tl) - (tl.value if tl is not None else 0) - (listings - (tl_listed.value if tl_listed else 0))
        if apart:
            pairs.append((t("undated"), apart))
        charts.append(_mix_chart("deals_timeline", pairs, syn, unit=t("deals"), series=t("deals"), kind="line"))
        if not year:
            data["years"] = years
        else:
            yt, _ = safe_run_cached("timeline", by="year", **{param: eid})
            data["years"] = [str(r["period"])[:4] for r in (yt.rows if yt is not None else [])]
    st, _ = safe_run_cached("segment_stage", **f)
    if st is not None and st.rows:
        groups = [g for g in ("early", "later", "strategic", "other") if any(r.get(g) for r in st.rows)]
        rows = [{**r, "total": (r.get("total") or 0) - (r.get("listed") or 0)} for r in st.rows]
        rows = [r for r in rows if r["total"]]
        spec = chart_specs.stacked([segment_name(r["segment"]) for r in rows],
                                   {column_name(g): [r.get(g) or 0 for r in rows] for g in groups},
                                   title=t("stage_mix"), unit=t("deals"), synthetic=syn)
        charts.append({"key": "stage_mix", "spec": spec, "table": chart_specs.table(spec, t("segment_col")),
                       "synthetic": syn, "drawn": len(rows), "total": len(rows)})
        if label == "Region":
            ranked = sorted(rows, key=lambda r: (-r["total"], r["segment"]))
            charts.append(_mix_chart("segment_mix", [(segment_name(r["segment"]), r["total"]) for r in ranked],
                                     syn, unit=t("deals"), series=t("deals")))
    if label == "Segment":
        rs, _ = safe_run_cached("region_summary", level="province", **f)
        rl, _ = safe_run_cached("region_summary", level="province", round="listed", **f)
        if rs is not None:
            gone = {r["region"]: r["deals"] for r in (rl.rows if rl is not None else [])}
            pairs = sorted(((region_name(r["region"]), r["deals"] - gone.get(r["region"], 0)) for r in rs.rows),
                           key=lambda kv: -kv[1])
            charts.append(_mix_chart("region_mix", [(k, n) for k, n in pairs if n], syn, unit=t("deals"),
                                     series=t("deals")))
    top = data["sections"].get("investors_here", {}).get("_result")
    if top is not None:
        charts.append(_mix_chart("investors_here", [(r["investor"], r.get("deals")) for r in top.rows], syn,
                                 unit=t("deals"), series=t("deals")))
        data["graph"] = None
    data["charts"] = [c for c in charts if c]


def segment_name(name) -> str:
    """A segment's name in the UI language."""
    return term(name) or ""


def region_name(name) -> str:
    """A region's name in the UI language (province and city names, 、-joined lists too)."""
    return terms(name) or ""


@bp.route("/api/entity/<path:eid>")
def api_entity(eid):
    data = entity_data(eid, request.args)
    if data is None:
        abort(404, description=t("not_found_entity"))
    data = dict(data)  # shared with the page (kept per store version): reshape a copy
    only = request.args.get("section")
    if only:
        data["sections"] = {k: v for k, v in data["sections"].items() if k == only}
    if not request.args.get("graph"):
        g = data.get("graph")
        if g:  # the graph's nodes and edges come with ?graph=1 (they are on the page already)
            data["graph"] = {k: v for k, v in g.items() if k != "graph"}
            data["graph"]["href"] = _api_entity_href(eid) + "?graph=1"
    return jsonify(data)


@bp.route("/entity/<path:eid>")
def entity(eid):
    data = entity_data(eid, request.args)
    if data is None:
        abort(404, description=t("not_found_entity"))
    # table cells name segments, regions and rounds in the UI language (web.filters.cell)
    ego_view = None
    if data.get("graph"):
        g = data["graph"]
        ego_view = graphview.view(g["graph"], focus=[eid], omitted=max(0, (g.get("total") or 0) - (g.get("shown") or 0)))
    return render_template("entity.html", data=data, ego_view=ego_view, money=money, prop_items=prop_items(data["properties"]),
                           page_url=lambda **kw: _page_url(eid, kw), json_twin=_api_entity_href(eid),
                           chart_scripts=chart_scripts())


def chart_scripts() -> list[str]:
    """The static script that draws ``.iikg-chart`` divs (charts.js loads ECharts itself, once), when it
    exists; pages without it draw their charts as SVG instead."""
    from pathlib import Path

    from flask import current_app

    return ["charts.js"] if (Path(current_app.static_folder) / "charts.js").exists() else []


def page_link(base: str, changes: dict) -> str:
    """``base`` with the request's arguments, ``changes`` applied (a None value removes the argument)."""
    from urllib.parse import urlencode

    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        args.pop(k, None)
    q = urlencode(args)
    return base + (f"?{q}" if q else "")


def _page_url(eid: str, changes: dict) -> str:
    return page_link(url_for("explore.entity", eid="_")[:-1] + quote(str(eid), safe=""), changes)


def _api_entity_href(eid: str) -> str:
    return url_for("explore.api_entity", eid="_")[:-1] + quote(str(eid), safe="")
