"""Named queries over HTTP: ``/query`` lists them, ``/query/<name>`` is a form generated from the
query's declared parameters with the result below; ``/api/query/<name>?…`` is its JSON twin.

Parameters starting with ``_`` belong to the web layer: ``_view=1`` adds the vis-network payload
(what the graph views draw) to the JSON.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from kg.errors import KGError
from kg.result import jsonable
from web import graphview
from web.data import marked_query, queries, request_params
from web.i18n import error_text, pick

bp = Blueprint("query", __name__)


# what each query answers, in both UI languages (the name stays the API's identifier, shown as code)
TITLES = {
    "amount_total": ("融资金额合计", "Total disclosed amount", "符合条件的融资轮次已披露金额之和（人民币元）。",
                     "Sum of the disclosed amounts (CNY) of the matching rounds."),
    "co_investors": ("合投机构", "Co-investors", "与某机构共同参与过融资轮次的机构，按共同轮次排序。",
                     "Investors that shared rounds with an investor, most shared rounds first."),
    "coinvest_network": ("合投网络", "Co-investment network", "机构两两之间的共同轮次构成的网络。",
                         "Investor pairs weighted by the rounds they shared."),
    "common_portfolio": ("共同投资的企业", "Companies in common", "两家机构都投资过的企业。",
                         "Companies both investors invested in."),
    "companies": ("企业列表", "Companies", "有符合条件的融资轮次的企业。", "Companies with at least one matching round."),
    "company_count": ("企业数", "Number of companies", "有符合条件的融资轮次的企业数。",
                      "Distinct companies with a matching round."),
    "deal_count": ("融资事件数", "Number of deals", "符合条件的融资轮次数。", "Funding rounds (deals) matching the filters."),
    "deals": ("融资事件（分组统计）", "Deals, grouped", "任意筛选条件下的融资事件，可分组、可选度量。",
              "Deals under any filters, grouped and measured."),
    "factories": ("灯塔工厂", "Lighthouse factories", "世界经济论坛认定的中国灯塔工厂（报告表2）。",
                  "The WEF lighthouse factories in China (the report's Table 2)."),
    "funding_history": ("融资历史", "Funding history", "企业的各轮融资（按时间），含金额与投资方（领投在前）。",
                        "A company's rounds in date order, with amounts and investors (leads first)."),
    "investors_of": ("企业的投资方", "Investors of a company", "投资过某企业的机构。", "Investors of a company."),
    "largest_rounds": ("最大额融资", "Largest rounds", "按金额排序的最大融资轮次。", "The largest disclosed rounds by amount."),
    "listings": ("上市", "Listings", "上市（IPO）事件：企业、代码、板块。", "Stock-market listings: company, code, board."),
    "neighborhood": ("关系邻域", "Neighbourhood", "与某实体相距若干步的所有实体。",
                     "What lies within a few steps of an entity."),
    "path": ("关系路径", "Paths", "两个实体之间的最短路径。", "The shortest paths between two entities."),
    "policies": ("政策", "Policies", "工业互联网相关政策（报告表1）。", "Industrial-internet policies (the report's Table 1)."),
    "portfolio": ("投资组合", "Portfolio", "某机构投资的企业。", "Companies an investor invested in."),
    "region_clusters": ("区域产业集群", "Regional clusters", "在某地区活跃的合投社区。",
                        "Co-investment communities active in a region."),
    "region_summary": ("地区汇总", "By region", "各地区的融资事件、企业与金额。", "Deals, companies and amounts per region."),
    "search": ("搜索", "Search", "按名称或别名查找实体。", "Entities whose name or alias matches the text."),
    "segment_stage": ("领域 × 阶段", "Segment × stage", "各细分领域不同阶段的融资事件（报告图12）。",
                      "Deals per segment and round stage (the report's Fig. 12)."),
    "segment_summary": ("领域汇总", "By segment", "各细分领域的融资事件、企业与金额。",
                        "Deals, companies and amounts per segment."),
    "timeline": ("时间线", "Timeline", "按月、季度或年份统计的融资事件与金额（报告图10）。",
                 "Deals and amounts per month, quarter or year (the report's Fig. 10)."),
    "top_investors": ("活跃机构排名", "Most active investors", "按参与轮次、投资企业数或领投数排名的机构。",
                      "Investors ranked by rounds joined, companies or rounds led."),
}
PARAMS = {
    "investor": ("投资机构", "Investor"), "company": ("企业", "Company"), "a": ("机构 A", "Investor A"),
    "b": ("机构 B", "Investor B"), "entity": ("实体", "Entity"), "region": ("地区", "Region"), "segment": ("细分领域", "Segment"),
    "year": ("年份", "Year"), "date_from": ("起始日期", "From date"), "date_to": ("截止日期", "To date"),
    "round": ("轮次", "Round"), "lead_only": ("仅领投", "Leads only"), "min_amount": ("最低金额（元）", "Minimum amount (CNY)"),
    "max_amount": ("最高金额（元）", "Maximum amount (CNY)"), "k": ("数量", "How many"), "by": ("分组", "Group by"),
    "level": ("级别", "Level"), "min_shared": ("最少共同轮次", "Minimum shared rounds"), "hops": ("步数", "Steps"),
    "limit": ("最多条数", "At most"), "text": ("文本", "Text"), "label": ("类别", "Kind"), "board": ("板块", "Board"),
    "max_hops": ("最多步数", "Maximum steps"), "disclosed": ("已披露金额", "Disclosed"), "group_by": ("分组", "Group by"),
    "measure": ("度量", "Measure"), "order": ("排序", "Order"), "round_id": ("轮次 ID", "Round id"),
    "min_inclusive": ("含下限", "Minimum included"), "max_inclusive": ("含上限", "Maximum included"),
    "currency": ("币种", "Currency"), "ties": ("含并列", "Ties included"),
    "not_lead": ("非领投", "Not as lead"),
}

# what each parameter asks for, in both UI languages (the queries' own help is English and names
# parameters by their identifiers)
HELP = {
    "investor": ("参与轮次的投资机构（名称、别名或 ID）", "an investor that joined the round (name, alias or id)"),
    "company": ("只看这家企业的轮次", "only this company's rounds"),
    "year": ("只看这一年的轮次", "only rounds of this year"),
    "date_from": ("此日期及以后（2019、2019-09、2019-09-18）", "on or after this date (2019, 2019-09, 2019-09-18)"),
    "date_to": ("此日期及以前（2019-09 含整月）", "on or before this date (2019-09: the whole month)"),
    "segment": ("细分领域（名称、别名或 ID）", "industry segment (name, alias or id)"),
    "region": ("省份、城市或宏观区域（含其下属地区）", "province, city or macro region (with the places inside it)"),
    "round": ("轮次（如 A轮、B轮、战略投资；可多个）", "round labels (Series A, Series B, Strategic…; several allowed)"),
    "lead_only": ("只看该机构领投的轮次", "only rounds the investor led"),
    "min_amount": ("金额下限（人民币元，或写 1亿元）", "lowest amount in CNY yuan (or 1亿元)"),
    "max_amount": ("金额上限（人民币元）", "highest amount in CNY yuan"),
    "min_inclusive": ("金额下限本身也算在内（及以上）", "the lowest amount itself counts (at least)"),
    "max_inclusive": ("金额上限本身也算在内（及以下；区间的上端）", "the highest amount itself counts (at most; a range's upper end)"),
    "not_lead": ("只看第一个投资机构参与但未领投的轮次", "only rounds the (first) investor joined without leading"),
    "k": ("显示前几项", "how many to show"),
    "ties": ("与第 k 项并列的分组也列出", "also every group tied with the k-th"),
    "by": ("排名依据", "what to rank by"),
    "measure": ("统计什么", "what is measured and ranked"),
    "group_by": ("按什么分组", "what to group by"),
    "order": ("排列顺序", "the order of the groups"),
    "round_id": ("只看这一轮（其 ID）", "only this round (its id)"),
    "currency": ("只看以此币种公布的轮次（USD、CNY…）", "only rounds announced in this currency (USD, CNY…)"),
    "disclosed": ("只看金额已披露（是）或未披露（否）的轮次", "only rounds whose amount was (yes) or was not (no) disclosed"),
    "min_shared": ("两家机构至少共同参与的轮次数", "the fewest rounds a pair must share"),
    "a": ("第一个实体（名称、别名或 ID）", "first entity (name, alias or id)"),
    "b": ("第二个实体", "second entity"),
    "max_hops": ("路径最长步数（1–6）", "the longest path accepted (1–6)"),
    "entity": ("任意实体（名称、别名或 ID）", "any entity (name, alias or id)"),
    "hops": ("向外走几步（1–3）", "how far to go (1–3)"),
    "limit": ("最多返回的节点数", "the most nodes returned"),
    "level": ("级别", "level"),
    "board": ("上市板块", "stock-market board"),
    "text": ("要查找的文字", "what to look for"),
    "label": ("只看这一类实体", "only this kind of entity"),
}
# the values of the queries' declared choices, in both UI languages
CHOICES = {
    "deals": ("交易数", "deals"), "companies": ("企业数", "companies"), "leads": ("领投数", "leads"),
    "investors": ("投资机构数", "investors"), "amount": ("金额", "amount"), "avg": ("平均金额", "average amount"),
    "median": ("金额中位数", "median amount"), "max": ("最大金额", "largest amount"), "min": ("最小金额", "smallest amount"),
    "disclosed": ("已披露金额", "disclosed amount"), "none": ("不分组", "no grouping"), "investor": ("投资机构", "investor"),
    "company": ("企业", "company"), "segment": ("细分领域", "segment"), "province": ("省份", "province"),
    "city": ("城市", "city"), "macro": ("宏观区域", "macro region"), "year": ("年份", "year"), "month": ("月份", "month"),
    "type": ("轮次类型", "round type"), "round": ("轮次", "round"), "desc": ("从大到小", "largest first"),
    "asc": ("从小到大", "smallest first"), "date": ("按时间", "by date"), "key": ("按名称", "by name"),
    "quarter": ("季度", "quarter"),
}


def param_help(name: str) -> str:
    return pick(HELP, name, "")


def choice_label(value) -> str:
    return pick(CHOICES, str(value))


def query_title(name: str, doc: str = "") -> tuple[str, str]:
    """(title, one-line description) of a query in the UI language."""
    from web.i18n import get_lang

    x = TITLES.get(name)
    if x is None:
        return name.replace("_", " "), (doc or "").split("\n")[0]
    return (x[0], x[2]) if get_lang() == "zh" else (x[1], x[3])


def param_label(name: str) -> str:
    return pick(PARAMS, name, name.replace("_", " "))


def registry_data() -> dict:
    out = []
    for q in sorted(queries().REGISTRY.values(), key=lambda q: q.name):
        d = q.describe()
        d["title"], d["summary"] = query_title(q.name, d.get("doc", ""))
        d["param_labels"] = {p.name: param_label(p.name) for p in q.params}
        out.append(d)
    return {"queries": out}


PAGE_ARGS = ("limit", "offset", "sort")
# a query page draws its busiest nodes up to this many (the graph says how many more there are): a
# readable picture, and a first view under 200 KB of JSON (2,000 nodes of companies and investors were
# 264 KB at 100k deals); the export and the JSON twin keep the whole graph
PAGE_GRAPH_NODES = 1000


def query_data(name: str, args, page_key: str | None = None) -> dict:
    """The result of query ``name`` with ``total`` / ``shown`` (and ``cut``: what the query itself left
    out) and, when asked, one page of its rows: ``limit``, ``offset``, ``sort`` (``col`` or ``-col``;
    ``_limit`` etc. for a query that has a parameter of that name), or ``<page_key>_limit`` etc."""
    from web.explore import paging, result_dict, table_page

    params = request_params(args, name)
    res = marked_query(name, **params)
    d = result_dict(res)
    own = {p.name for p in queries().REGISTRY[name].params}
    alias = {k: (f"_{k}" if k in own else k) for k in PAGE_ARGS}
    args_ = {k: args.get(alias[k]) for k in PAGE_ARGS if args.get(alias[k])}
    key = page_key or "rows"
    if page_key:
        args_.update({f"{key}_{k}": args.get(f"{key}_{k}") for k in PAGE_ARGS if args.get(f"{key}_{k}")})
    if args_:
        pg = paging(args_, key, default=len(d["rows"]) or 1)
        pg["limit"] = pg["limit"] if args_.get("limit") or args_.get(f"{key}_limit") or page_key else len(d["rows"])
        page = table_page(d, {**pg, "limit": max(pg["limit"], 1)})
    else:
        page = table_page(d, {"limit": max(len(d["rows"]), 1), "offset": 0, "sort": None})
        page["limit"] = None
    graph_cut = (d["meta"] or {}).get("graph_omitted")
    if isinstance(graph_cut, int) and graph_cut:  # the subgraph draws the first rows only
        page["cut"] = {**(page.get("cut") or {}), "graph_rows": graph_cut}
    page["truncated"] = bool(page["truncated"] or d["truncated"])
    d = {**d, **page}
    return jsonable(d)


def _choices(p) -> list:
    """Options for a form field: declared choices, or the ontology's vocabularies for known names."""
    if p.choices:
        return list(p.choices)
    return []


@bp.route("/api/query")
def api_index():
    return jsonify(registry_data())


@bp.route("/query")
def index():
    return render_template("query_index.html", data=registry_data(), json_twin=url_for("query.api_index"))


@bp.route("/api/query/<name>")
def api_query(name):
    if name not in queries().REGISTRY:
        abort(404, description=f"unknown query {name!r}")
    data = query_data(name, request.args)
    if request.args.get("_view"):
        focus = [v for k, v in request.args.items() if k in ("entity", "investor", "company")]
        data["view"] = graphview.view(data.get("graph"), focus=focus, layout=False,
                                      color_by="community" if name == "coinvest_network" else "label")
    return jsonify(data)


@bp.route("/query/<name>")
def page(name):
    q = queries().REGISTRY.get(name)
    if q is None:
        abort(404, description=error_text(f"unknown query {name!r}"))
    given = {k: v for k, v in request.args.items() if not k.startswith("_") and v.strip()
             and not k.startswith("rows_")}
    should_run = bool(given) or request.args.get("_run") or not any(p.required for p in q.params)
    data, error, view = None, None, None
    if should_run:
        try:
            args = request.args.copy()
            args.setdefault("rows_limit", "50")
            data = query_data(name, args, page_key="rows")
        except KGError as exc:
            error = error_text(exc)
    if data and (data.get("graph") or {}).get("nodes"):
        view = graphview.view(data["graph"], color_by="community" if name == "coinvest_network" else "label",
                              omitted=int((data.get("meta") or {}).get("omitted") or 0), max_nodes=PAGE_GRAPH_NODES)
    twin_args = dict(given)  # a page's own paging (limit=) given by hand stays what it asked for
    twin_args.setdefault("_limit" if "limit" in {p.name for p in q.params} else "limit", 50)
    twin = url_for("query.api_query", name=name, **twin_args)
    title, summary = query_title(name, q.doc)
    return render_template("query.html", q=q.describe(), params=q.params, given=given, data=data, error=error,
                           view=view, choices=_choices, json_twin=twin, page_url=lambda **kw: _page_url(name, kw),
                           title=title, summary=summary, param_label=param_label, param_help=param_help,
                           choice_label=choice_label)


def _page_url(name: str, changes: dict) -> str:
    from web.explore import page_link

    return page_link(url_for("query.page", name=name), changes)
