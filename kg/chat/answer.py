"""One question in, one answer out (the JSON of CONTRACT.md), on any backend.

:func:`answer` parses the question (:mod:`kg.chat.nlu`), picks the named query and its parameters
(:mod:`kg.chat.intents`, with the conversation's last turn for follow-ups), runs it through
:func:`kg.queries.run` — so the Cypher shown is the Result's own — and composes the reply in the
question's language: the text, the ``entities`` that answer it (canonical names, ranked when the
question asks for a ranking), the ``value`` (counts as integers, money in CNY yuan), the rows and
the subgraph. Nothing a user types ends in a traceback: a question we cannot read gets
``intent: "unknown"`` and example questions built from the data at hand.
"""
from __future__ import annotations

import contextvars
import copy
import functools
import re
import threading
import time
import weakref

from kg.chat.intents import PRIVATE_ROUNDS, interpret
from kg.chat.nlu import MAX_CHARS, Parse, detect_language, nlu_for, normalise, recover_names
from kg.errors import BackendError, KGError, QueryError
from kg.result import jsonable as _plain  # the one JSON-safe converter (answers, pages, exports)

__all__ = ["RESET_COMMANDS", "answer", "compose", "money_text", "suggestions", "understand"]

RESET_COMMANDS = {"/reset", "/clear", "/new", "/重置", "/清空"}
LIST_PREVIEW = 12


# ------------------------------------------------------------------------------------------ helpers
def money_text(v: float | None, lang: str) -> str:
    """An amount in CNY yuan as the chat says it: the one rule of :func:`kg.formatting.money_text`
    (the pages, the report and the exports say it the same way)."""
    from kg.formatting import money_text as one_rule

    return one_rule(v, lang)


_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=1)
def _english_table() -> tuple[re.Pattern | None, dict[str, str]]:
    """Canonical Chinese names of the ontology's investors, regions and segments with their English names."""
    from ontology import load as load_ontology

    onto = load_ontology()
    table: dict[str, str] = {}
    for x in (*onto.investors, *onto.regions, *onto.segments):
        name, en = getattr(x, "name", None), getattr(x, "name_en", None)
        if name and en and _CJK_CHAR.search(name) and name != en:
            table.setdefault(name, en)
    if not table:
        return None, {}
    alts = "|".join(re.escape(n) for n in sorted(table, key=len, reverse=True))
    return re.compile(alts), table


def _round_en(row: dict) -> str:
    """A round's English label (Series A, Pre-IPO…) from the ontology; the label as loaded otherwise."""
    from ontology import load as load_ontology

    rt = next((x for x in load_ontology().rounds if x.type == row.get("type")), None)
    return rt.label_en if rt is not None and rt.type != "other" and rt.label_en else str(row.get("round") or "")


def english_names(text: str) -> str:
    """An English answer names the ontology's investors, regions and segments in English first:
    "Sequoia Capital China (红杉资本（中国）)". Only whole names: never inside a longer Chinese word
    (杭州 in a company's name stays as it is)."""
    pattern, table = _english_table()
    if pattern is None or not _CJK_CHAR.search(text):
        return text

    def sub(m: re.Match) -> str:
        s, e = m.span()
        if (s > 0 and _CJK_CHAR.match(text[s - 1])) or (e < len(text) and _CJK_CHAR.match(text[e])):
            return m.group(0)
        if e < len(text) and text[e] in "）)" or s > 0 and text[s - 1] in "（(":
            return m.group(0)  # already inside a bracket
        return f"{table[m.group(0)]} ({m.group(0)})"

    return pattern.sub(sub, text)


def _join(names: list[str], lang: str, limit: int = LIST_PREVIEW) -> str:
    shown = names[:limit]
    if lang == "zh":
        s = "、".join(shown)
        return s + (f"等{len(names)}个" if len(names) > limit else "")
    s = ", ".join(shown)
    return s + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _scope(params: dict, lang: str) -> str:
    """The filters in words: '2019年、浙江、B轮' / 'in 2019, in 浙江, Series B'."""
    from ontology import load as load_ontology

    onto = load_ontology()
    parts = []
    if params.get("year"):
        parts.append(f"{params['year']}年" if lang == "zh" else f"in {params['year']}")
    if params.get("date_from") or params.get("date_to"):
        a, b = params.get("date_from"), params.get("date_to")
        if a and b and a == b:
            parts.append(f"{a}" if lang == "zh" else f"in {a}")
        elif a and b:
            parts.append(f"{a}至{b}" if lang == "zh" else f"from {a} to {b}")
        elif a:
            parts.append(f"{a}以来" if lang == "zh" else f"since {a}")
        else:
            parts.append(f"截至{b}" if lang == "zh" else f"up to {b}")
    if params.get("region"):
        reg = onto.region_by_id(params["region"]) or onto.region(params["region"])
        name = reg.name if reg else params["region"]
        parts.append(name if lang == "zh" else f"in {reg.name_en if reg else name}")
    if params.get("segment"):
        seg = onto.segment(params["segment"])
        parts.append((seg.name if seg else params["segment"]) + "领域" if lang == "zh"
                     else f"in {seg.name_en if seg else params['segment']}")
    if params.get("round") and tuple(params["round"]) != PRIVATE_ROUNDS:
        labels = []
        for r in params["round"]:
            if r in ("early", "later", "strategic", "listed", "other"):
                labels.append({"early": ("A+轮及以前", "A+ and earlier"), "later": ("B轮及以后", "B and later"),
                               "strategic": ("战略投资", "strategic"), "listed": ("上市及定增", "listed"),
                               "other": ("其他", "other")}[r][0 if lang == "zh" else 1])
            else:
                rt = onto.round(r)
                labels.append(rt.label if lang == "zh" else rt.label_en)
        parts.append("/".join(labels))
    if params.get("lead_only"):
        parts.append("领投" if lang == "zh" else "as lead")
    if params.get("min_amount"):
        parts.append(f"单笔不低于{money_text(params['min_amount'], 'zh')}" if lang == "zh"
                     else f"rounds of at least {money_text(params['min_amount'], 'en')}")
    if params.get("board"):
        from loaders.seed import BOARDS

        zh, en = BOARDS.get(params["board"], (params["board"], params["board"]))
        parts.append(zh if lang == "zh" else f"on the {en}")
    if params.get("level") in ("national", "provincial"):
        parts.append({"national": ("国家级", "national"), "provincial": ("省级", "provincial")}[params["level"]][
            0 if lang == "zh" else 1])
    if not parts:
        return ""
    return ("（" + "，".join(parts) + "）") if lang == "zh" else " (" + ", ".join(parts) + ")"


CENTRAL_SHOWN = 10  # investors a centrality answer names when the question gives no number


def _central_answer(res, mode: dict, sc: str, lang: str) -> tuple[list, object, str, list]:
    """The co-investment network's most central investors (PageRank) or those with the most
    co-investment partners (degree; ties by shared rounds): entities, value, text and the table
    (every investor of the network, in that order)."""
    zh = lang == "zh"
    meta = res.meta or {}
    by = "degree" if mode.get("central") == "degree" else "pagerank"
    cent = [{"investor": c["investor"], "degree": c["degree"], "weighted_degree": c["weighted_degree"],
             "pagerank": c["pagerank"], "investor_id": c["investor_id"]} for c in meta.get("centrality") or []]
    if by == "degree":  # the query's order is PageRank's (ties by name, id): re-rank by partners
        cent.sort(key=lambda c: (-c["degree"], -c["weighted_degree"], c["investor"], c["investor_id"]))
    k = mode.get("k")
    picked = _top_ties(cent, by) if mode.get("singular") else cent[:k or CENTRAL_SHOWN]
    entities = [c["investor"] for c in picked]
    value = picked[0][by] if mode.get("singular") and picked else len(entities)
    n_inv = int(meta.get("investors") or len(cent))
    n_pairs = int(res.value) if isinstance(res.value, int) and not isinstance(res.value, bool) else len(res.rows)
    if not picked:
        return entities, 0, ("没有符合条件的合投关系。" if zh else f"No co-investment matches{sc}."), cent
    def item(c: dict) -> str:
        if by == "degree":
            return (f"{c['investor']}（{c['degree']:,}家合投伙伴，合投{c['weighted_degree']:,}次）" if zh else
                    f"{c['investor']} ({c['degree']:,} partners, {c['weighted_degree']:,} co-investments)")
        return (f"{c['investor']}（PageRank {c['pagerank']:.4f}，{c['degree']:,}家合投伙伴）" if zh else
                f"{c['investor']} (PageRank {c['pagerank']:.4f}, {c['degree']:,} partners)")

    shown = _join([item(c) for c in picked], lang, len(picked))
    size = (f"共{n_inv:,}家机构、{n_pairs:,}对合投关系" if zh else f"{n_inv:,} investors, {n_pairs:,} pairs")
    if by == "degree":
        text = (f"合投伙伴最多的投资机构{sc}：{shown}。（合投网络{size}）" if zh else
                f"Investors with the most co-investment partners{sc}: {shown}. (The network: {size}.)")
    else:
        text = (f"合投网络{sc}中处于中心的投资机构（按PageRank；{size}）：{shown}。" if zh else
                f"The most central investors of the co-investment network{sc}, by PageRank ({size}): {shown}.")
    return entities, value, text, cent


COMMUNITIES_SHOWN = 5  # communities an answer describes (the table has every one)


def _communities_answer(res, mode: dict, sc: str, lang: str) -> tuple[list, object, str, list]:
    """The co-investment network's communities (seeded Louvain, largest first, numbered from 1 as
    the network page numbers them): how many and the largest, or the one an investor is in."""
    zh = lang == "zh"
    meta = res.meta or {}
    comms = meta.get("communities") or []
    n_inv = int(meta.get("investors") or 0)
    rows = [{"community": c["community"] + 1, "size": c["size"], "members": list(c["members"])} for c in comms]
    member = mode.get("member")
    if member:
        me = next((c for c in meta.get("centrality") or [] if c.get("investor_id") == member), None)
        if me is None:
            text = ("它在合投网络" + sc + "中没有合投关系，不属于任何社群。" if zh else
                    f"It has no co-investment in the network{sc}, so it is in no community.")
            return [], None, text, rows
        c = rows[me["community"]]
        text = (f"{me['investor']}在合投网络{sc}的第{c['community']}个社群（共{c['size']:,}家机构，按Louvain社群发现）："
                f"{_join(c['members'], lang)}。" if zh else
                f"{me['investor']} is in community #{c['community']} of the co-investment network{sc} ({c['size']:,} "
                f"investors, Louvain): {_join(c['members'], lang)}.")
        return c["members"], c["community"], text, [c]
    if not rows:
        return [], 0, ("合投网络" + sc + "中没有合投关系。" if zh else f"No co-investment in the network{sc}."), rows
    shown = [(f"第{c['community']}个（{c['size']:,}家：{_join(c['members'], lang, 5)}）" if zh else
              f"#{c['community']} ({c['size']:,}: {_join(c['members'], lang, 5)})") for c in rows[:COMMUNITIES_SHOWN]]
    text = (f"合投网络{sc}共{n_inv:,}家机构，分为{len(rows):,}个社群（Louvain社群发现）；最大的：" + "；".join(shown) + "。"
            if zh else f"The co-investment network{sc} ({n_inv:,} investors) has {len(rows):,} communities (Louvain); "
            f"the largest: " + "; ".join(shown) + ".")
    return [m for c in rows[:COMMUNITIES_SHOWN] for m in c["members"]], len(rows), text, rows


def _top_ties(rows: list[dict], key: str) -> list[dict]:
    if not rows:
        return []
    best = rows[0].get(key)
    return [r for r in rows if r.get(key) == best]


def _sort(rows: list[dict], key: str) -> list[dict]:
    return sorted(rows, key=lambda r: (-(r.get(key) or 0)))


def _uniq(xs) -> list:
    out = []
    for x in xs:
        if x is not None and x not in out:
            out.append(x)
    return out


# ------------------------------------------------------------------------------------ composition
def compose(p: Parse, res, store=None) -> dict:
    """entities, value, text (and the rows to show) for a parsed question and its Result."""
    lang, intent, mode, params = p.language, p.intent, p.mode or {}, p.params
    zh = lang == "zh"
    rows = list(res.rows)
    value = res.value
    k, singular = mode.get("k"), mode.get("singular")
    sc = _scope(params, lang)
    entities: list[str] = []
    text = ""

    def cut(rs, metric):
        if singular:
            return _top_ties(rs, metric)
        if k:
            return rs[:k]
        return rs

    if intent == "portfolio" and mode.get("want") in ("city", "province", "segment"):
        col = {"city": "city", "province": "region", "segment": "segment"}[mode["want"]]
        entities = _uniq(r.get(col) for r in rows)
        value = len(entities)
        who = params.get("investor")
        what = {"city": ("城市", "cities"), "province": ("省份", "provinces"), "segment": ("领域", "segments")}[mode["want"]]
        text = (f"{who}{sc}投资的公司分布在{len(entities)}个{what[0]}：{_join(entities, lang)}。" if zh else
                f"The companies {who}{sc} invested in are in {len(entities)} {what[1]}: {_join(entities, lang)}.") \
            if entities else ("没有符合条件的投资。" if zh else "No investment matches.")
    elif intent == "portfolio":
        entities = [r["company"] for r in rows]
        who = params.get("investor")
        verb = "领投" if params.get("lead_only") else "投资"
        text = (f"{who}{sc}{verb}了{len(entities)}家公司：{_join(entities, lang)}。" if entities else
                f"{who}{sc}没有{verb}记录。") if zh else \
            (f"{who}{sc} {'led rounds in' if params.get('lead_only') else 'invested in'} {len(entities)} "
             f"compan{'y' if len(entities) == 1 else 'ies'}: {_join(entities, lang)}." if entities else
             f"No investments by {who}{sc} in the graph.")
        value = len(entities)
    elif intent == "investors_of":
        entities = [r["investor"] for r in rows]
        co = params.get("company")
        if mode.get("check"):
            hit = mode["check"] in entities
            entities = [mode["check"]] if hit else []
            text = (f"是的，{mode['check']}投资过{co}{sc}。" if hit else f"没有，图中没有{mode['check']}投资{co}{sc}的记录。") \
                if zh else (f"Yes, {mode['check']} invested in {co}{sc}." if hit else
                            f"No: the graph has no investment by {mode['check']} in {co}{sc}.")
            value = None
        elif mode.get("also_rows") is not None:
            both = [e for e in entities if all(e in other for other in mode["also_rows"])]
            names = [co, *mode.get("also", [])]
            entities, value = both, len(both)
            text = (f"同时投资了{'和'.join(names)}{sc}的机构有{len(both)}家：{_join(both, lang)}。" if both else
                    f"没有同时投资{'和'.join(names)}{sc}的机构。") if zh else \
                (f"{len(both)} investor{'s' if len(both) != 1 else ''} backed both {' and '.join(names)}{sc}: "
                 f"{_join(both, lang)}." if both else f"No investor backed both {' and '.join(names)}{sc}.")
        else:
            lead = params.get("lead_only")
            text = (f"{co}{sc}的{'领投方' if lead else '投资方'}共{len(entities)}家：{_join(entities, lang)}。" if entities
                    else f"图中没有{co}{sc}的投资方记录。") if zh else \
                (f"{co}{sc} has {len(entities)} {'lead ' if lead else ''}investor{'s' if len(entities) != 1 else ''}: "
                 f"{_join(entities, lang)}." if entities else f"No investors of {co}{sc} in the graph.")
            value = len(entities)
    elif intent == "co_investors":
        who = params.get("investor")
        if mode.get("pair"):
            other = mode.get("other")
            hit = next((r for r in rows if r["investor"] == other), None)
            n = hit["shared_rounds"] if hit else 0
            companies = hit["shared_companies"] if hit else 0
            if isinstance(companies, (list, tuple)):
                companies = len(companies)
            value = companies if mode.get("companies") else n
            entities = [other] if hit else []
            text = (f"{who}与{other}{sc}共同投资了{n}轮，涉及{companies}家公司。" if zh else
                    f"{who} and {other}{sc} co-invested in {n} round{'s' if n != 1 else ''} "
                    f"({companies} compan{'y' if companies == 1 else 'ies'}).")
        else:
            ranked = _sort(rows, "shared_rounds") if rows and "shared_rounds" in rows[0] else rows
            picked = cut(ranked, "shared_rounds")
            entities = [r["investor"] for r in picked]
            detail = _join([f"{r['investor']}（{r['shared_rounds']}轮）" if zh else f"{r['investor']} ({r['shared_rounds']})"
                            for r in picked], lang)
            text = (f"与{who}{sc}合投过的机构{'中次数最多的' if (k or singular) else '共'}{len(entities)}家：{detail}。"
                    if entities else f"{who}{sc}没有合投记录。") if zh else \
                (f"{'Top ' if (k or singular) else ''}{len(entities)} co-investor{'s' if len(entities) != 1 else ''} "
                 f"of {who}{sc} (shared rounds): {detail}." if entities else f"{who}{sc} has no co-investors in the graph.")
            value = len(entities) if (k or singular) else value
    elif intent == "common_portfolio":
        entities = [r["company"] for r in rows]
        a, b = params.get("a"), params.get("b")
        text = (f"{a}和{b}{sc}都投资过的公司有{len(entities)}家：{_join(entities, lang)}。" if entities else
                f"{a}和{b}{sc}没有共同投资的公司。") if zh else \
            (f"{a} and {b}{sc} both invested in {len(entities)} compan{'y' if len(entities) == 1 else 'ies'}: "
             f"{_join(entities, lang)}." if entities else f"{a} and {b}{sc} have no portfolio company in common.")
        value = len(entities)
    elif intent in ("company_count", "deal_count"):
        value = int(value or 0)
        subj = params.get("investor") or params.get("company") or ""
        if intent == "company_count":
            text = (f"{subj}{sc}共投资了{value}家公司。" if subj else f"{sc.strip('（）') or '全部'}获得融资的公司共{value}家。") \
                if zh else (f"{subj}{sc} invested in {value} compan{'y' if value == 1 else 'ies'}." if subj else
                            f"{value} compan{'y' if value == 1 else 'ies'} raised money{sc}.")
        else:
            if params.get("company"):
                text = f"{subj}{sc}共完成{value}轮融资。" if zh else f"{subj}{sc} raised {value} round{'s' if value != 1 else ''}."
            elif subj:
                text = f"{subj}{sc}共参与了{value}轮融资。" if zh else f"{subj}{sc} took part in {value} round{'s' if value != 1 else ''}."
            else:
                text = f"{sc.strip('（）') or '全部'}共有{value}起融资。" if zh else f"{value} deal{'s' if value != 1 else ''}{sc}."
        entities = _uniq(r.get("company") for r in rows) if intent == "company_count" else []
        text += _reported_2019(store, res, params, lang)
    elif intent == "amount_total":
        subj = params.get("company") or params.get("investor") or ""
        value = float(value) if value is not None else 0.0
        n_undisclosed = sum(1 for r in rows if r.get("amount_cny") is None)
        if params.get("company"):
            text = f"{subj}{sc}披露的融资总额为{money_text(value, lang)}" if zh else \
                f"{subj}{sc} raised {money_text(value, lang)} in disclosed rounds"
        elif subj:
            text = f"{subj}{sc}参与的融资轮次披露金额合计{money_text(value, lang)}" if zh else \
                f"The rounds {subj}{sc} joined add up to {money_text(value, lang)} (disclosed amounts)"
        else:
            text = f"{sc.strip('（）') or '全部'}披露的融资总额为{money_text(value, lang)}" if zh else \
                f"Disclosed funding{sc} totals {money_text(value, lang)}"
        if n_undisclosed:
            text += f"（另有{n_undisclosed}轮未披露金额）。" if zh else f" ({n_undisclosed} more round(s) undisclosed)."
        else:
            text += "。" if zh else "."
    elif intent == "top_investors":
        metric = (params.get("by") or "deals")
        ranked = rows
        if mode.get("only"):
            ranked = [r for r in rows if r["investor"] in mode["only"]]
            rows = ranked
        if mode.get("all") and not (k or singular):
            picked = ranked
        else:
            picked = cut(ranked, metric)
        entities = [r["investor"] for r in picked]
        if mode.get("count"):
            value = len(entities)
        detail = _join([f"{r['investor']}（{r[metric]}{'家' if metric == 'companies' else '笔'}）" if zh else
                        f"{r['investor']} ({r[metric]} {metric})" for r in picked], lang)
        text = (f"{sc.strip('（）') or '全部'}投资机构{'排名' if not mode.get('all') else ''}：{detail}。" if zh else
                f"Investors{sc}{', most active first' if not mode.get('all') else ''}: {detail}.") if entities else \
            ("没有符合条件的投资机构。" if zh else "No investor matches.")
        if mode.get("count"):
            text = (f"{sc.strip('（）') or '全部'}共有{value}家投资机构参与。" if zh else f"{value} investors took part{sc}.")
    elif intent == "companies":
        ranking = bool(k or singular or mode.get("rank"))  # "which companies raised the most money": all, ranked
        metric = "amount_cny" if mode.get("metric") == "amount_cny" and ranking else \
            ("rounds" if mode.get("rank") and ranking else None)
        ranked = _sort(rows, metric) if metric else rows
        picked = cut(ranked, metric or "rounds") if (k or singular) else ranked
        entities = [r["company"] for r in picked]
        if mode.get("count"):
            value = len(entities)
        if metric and ranking and picked:
            if singular:
                value = picked[0].get(metric)
            unit = {"rounds": ("轮", "rounds"), "amount_cny": ("", "")}.get(metric, ("", metric))

            def fmt(r):
                v = r.get(metric)
                if metric == "amount_cny":
                    return f"{r['company']}（{money_text(v, 'zh')}）" if zh else f"{r['company']} ({money_text(v, 'en')})"
                return f"{r['company']}（{v}{unit[0]}）" if zh else f"{r['company']} ({v} {unit[1]})"
            what = ("融资金额" if metric == "amount_cny" else "融资轮数") if zh else \
                ("amount raised" if metric == "amount_cny" else "rounds raised")
            text = (f"{sc.strip('（）')}按{what}排名的公司：{_join([fmt(r) for r in picked], lang)}。" if zh else
                    f"Companies{sc} by {what}: {_join([fmt(r) for r in picked], lang)}.")
        else:
            # the query lists at most its cap of companies: the count is every company that matched
            n = value if isinstance(value, int) and not isinstance(value, bool) and value > len(entities) and \
                not (k or singular) else len(entities)
            text = (f"{sc.strip('（）') or '全部'}获得融资的公司有{n}家：{_join(entities, lang)}。" if entities
                else f"没有符合条件（{sc.strip('（）')}）的公司。") if zh else \
                (f"{n} compan{'y' if n == 1 else 'ies'} raised money{sc}: {_join(entities, lang)}."
                 if entities else f"No company matches{sc}.")
    elif intent in ("region_summary", "segment_summary"):
        col = "region" if intent == "region_summary" else "segment"
        metric = mode.get("metric") or "deals"
        if mode.get("only"):
            rows = [r for r in rows if r[col] in mode["only"]]
        ranked = _sort(rows, metric)
        picked = cut(ranked, metric) if (k or singular or mode.get("rank")) else ranked
        if not (k or singular) and mode.get("rank"):
            picked = ranked
        entities = [r[col] for r in picked]
        if singular and picked:
            value = picked[0].get(metric)
        elif mode.get("count"):
            value = len(entities)
        unit = {"deals": ("起", "deals"), "companies": ("家", "companies"), "amount_cny": ("", "")}[metric]

        def fmt(r):
            if metric == "amount_cny":
                return f"{r[col]}（{money_text(r.get(metric), 'zh')}）" if zh else f"{r[col]} ({money_text(r.get(metric), 'en')})"
            return f"{r[col]}（{r.get(metric)}{unit[0]}）" if zh else f"{r[col]} ({r.get(metric)} {unit[1]})"
        detail = _join([fmt(r) for r in picked], lang)
        what = ("地区" if col == "region" else "领域") if zh else ("regions" if col == "region" else "segments")
        text = (f"{sc.strip('（）')}按{'融资金额' if metric == 'amount_cny' else '融资企业数' if metric == 'companies' else '融资笔数'}"
                f"排序的{what}：{detail}。" if zh else
                f"{what.capitalize()}{sc} by {'amount' if metric == 'amount_cny' else metric}: {detail}.") if entities else \
            ("没有符合条件的融资。" if zh else "No deals match.")
        if singular and entities:
            top = picked[0]
            text = (f"{_join(entities, lang)}{'的' if zh else ''}" + (
                f"融资{'金额' if metric == 'amount_cny' else '企业数' if metric == 'companies' else '笔数'}最多"
                f"{sc}：{money_text(top.get(metric), 'zh') if metric == 'amount_cny' else str(top.get(metric)) + unit[0]}。"
                if zh else f" leads{sc} with {money_text(top.get(metric), 'en') if metric == 'amount_cny' else str(top.get(metric)) + ' ' + unit[1]}."))
    elif intent == "segment_stage":
        entities = [r["segment"] for r in rows]
        detail = _join([f"{r['segment']}（早期{r.get('early', 0)}/后期{r.get('later', 0)}/战略{r.get('strategic', 0)}）" if zh
                        else f"{r['segment']} (early {r.get('early', 0)}, later {r.get('later', 0)}, strategic "
                             f"{r.get('strategic', 0)})" for r in rows], lang)
        text = f"各领域{sc}的融资阶段分布：{detail}。" if zh else f"Stages by segment{sc}: {detail}."
    elif intent == "largest_rounds":
        picked = rows[: (1 if singular else (k or len(rows)))]
        entities = _uniq(r["company"] for r in picked)
        if picked and (singular or k == 1):
            value = picked[0].get("amount_cny")
        detail = _join([f"{r['company']} {r.get('round') or ''}（{money_text(r.get('amount_cny'), 'zh')}，{r.get('date')}）"
                        if zh else f"{r['company']} {_round_en(r)} ({money_text(r.get('amount_cny'), 'en')}, "
                                   f"{r.get('date')})" for r in picked], lang)
        text = (f"{sc.strip('（）')}金额最大的融资：{detail}。" if zh else f"Largest rounds{sc}: {detail}.") if picked else \
            ("没有披露金额的融资。" if zh else "No round with a disclosed amount matches.")
    elif intent == "funding_history":
        co = params.get("company")
        entities = [r.get("round") for r in rows if r.get("round")]
        detail = _join([f"{r.get('date')} {r.get('round')}（{money_text(r.get('amount_cny'), 'zh')}）" if zh else
                        f"{r.get('date')} {_round_en(r)} ({money_text(r.get('amount_cny'), 'en')})" for r in rows], lang, 20)
        text = (f"{co}共{len(rows)}轮融资：{detail}。" if rows else f"图中没有{co}的融资记录。") if zh else \
            (f"{co} raised {len(rows)} round{'s' if len(rows) != 1 else ''}: {detail}." if rows else
             f"No rounds of {co} in the graph.")
        value = len(rows)
    elif intent == "timeline":
        entities = []
        detail = _join([f"{r['period']}：{r['deals']}起" if zh else f"{r['period']}: {r['deals']}" for r in rows], lang, 24)
        text = (f"融资{sc}按时间：{detail}。" if zh else f"Deals over time{sc}: {detail}.") if rows else \
            ("没有符合条件的融资。" if zh else "No deals match.")
    elif intent == "policies":
        if mode.get("want") == "regions":
            level = (p.slots.get("region_level") or "province")
            ents = []
            for r in rows:
                lv = _region_level(store, r.get("region"))
                if lv == "country":
                    continue
                if level == "city" and lv not in ("city",):
                    continue
                ents.append(r.get("region"))
            entities = _uniq(ents)
            value = len(entities)
            text = (f"{sc.strip('（）')}发布工业互联网政策的地区：{_join(entities, lang)}（共{len(entities)}个）。" if entities
                    else "没有符合条件的地方政策。") if zh else \
                (f"Regions that issued policies{sc}: {_join(entities, lang)} ({len(entities)})." if entities
                 else "No regional policy matches.")
        else:
            entities = [r.get("title") for r in rows if r.get("title")]
            if mode.get("count"):
                value = len(entities)
            text = (f"{sc.strip('（）')}相关政策{len(entities)}项：{_join(entities, lang, 8)}。" if entities else
                    "没有符合条件的政策。") if zh else \
                (f"{len(entities)} polic{'y' if len(entities) == 1 else 'ies'}{sc}: {_join(entities, lang, 8)}."
                 if entities else "No policy matches.")
    elif intent == "factories":
        companies = mode.get("want") == "companies"
        entities = _uniq(r.get("company") if companies else r.get("factory") for r in rows)
        value = len(entities)
        where = sc.strip("（）")
        text = (f"{where + '的' if where else ''}灯塔工厂共{len(rows)}座" +
                (f"，分属{len(entities)}家企业：{_join(entities, lang)}。" if companies else f"：{_join(entities, lang)}。")
                if rows else "没有符合条件的灯塔工厂。") if zh else \
            ((f"{len(rows)} lighthouse factor{'y' if len(rows) == 1 else 'ies'}{sc}" +
              (f", run by {len(entities)} compan{'y' if len(entities) == 1 else 'ies'}: {_join(entities, lang)}."
               if companies else f": {_join(entities, lang)}."))
             if rows else "No lighthouse factory matches.")
    elif intent == "listings":
        entities = _uniq(r.get("company") for r in rows)
        if mode.get("count"):
            value = len(entities)
        text = (f"{sc.strip('（）')}上市的公司{len(entities)}家：{_join(entities, lang)}。" if entities else
                "没有符合条件的上市公司。") if zh else \
            (f"{len(entities)} compan{'y' if len(entities) == 1 else 'ies'} listed{sc}: {_join(entities, lang)}."
             if entities else "No listing matches.")
    elif intent == "coinvest_network" and mode.get("central"):
        entities, value, text, rows = _central_answer(res, mode, sc, lang)
    elif intent == "coinvest_network" and mode.get("communities"):
        entities, value, text, rows = _communities_answer(res, mode, sc, lang)
    elif intent == "coinvest_network":
        weights: dict[str, int] = {}
        for r in rows:
            for side in ("a", "b"):
                weights[r[side]] = weights.get(r[side], 0) + int(r.get("weight") or 0)
        entities = [n for n, _ in sorted(weights.items(), key=lambda x: (-x[1], x[0]))]
        pairs = _join([f"{r['a']}–{r['b']}（{r['weight']}）" if zh else f"{r['a']}–{r['b']} ({r['weight']})"
                       for r in rows[:8]], lang, 8)
        # the whole network's counts (the rows are its heaviest pairs only: 1,000 of 52,535 at 100k deals)
        n_inv = int((res.meta or {}).get("investors") or len(entities))
        n_pairs = int(value) if isinstance(value, int) and not isinstance(value, bool) else len(rows)
        text = (f"合投网络{sc}：{n_inv:,}家机构、{n_pairs:,}对合投关系；最紧密的：{pairs}。" if zh else
                f"Co-investment network{sc}: {n_inv:,} investors, {n_pairs:,} pairs; strongest: {pairs}.")
    elif intent == "region_clusters":
        entities = _uniq(x for r in rows for x in (r.get("investors") or []))
        detail = _join(["、".join(r.get("investors") or []) if zh else ", ".join(r.get("investors") or [])
                        for r in rows], lang, 5)
        sc = _scope({k: v for k, v in params.items() if k != "region"}, lang)
        text = (f"{params.get('region')}{sc}的投资机构形成{len(rows)}个合投群：{detail}。" if zh else
                f"Investors in {params.get('region')}{sc} form {len(rows)} co-investment cluster(s): {detail}.")
    elif intent == "path":
        paths = [r.get("path") or [] for r in rows]
        ids = [r.get("node_ids") or [] for r in rows]
        entities = _uniq(name for path, nids in zip(paths, ids) for j, name in enumerate(path)
                         if not (j < len(nids) and str(nids[j]).startswith("round:")))
        shown = [" → ".join(path) for path in paths[:3]]
        if paths:
            hops = rows[0].get("hops")
            text = (f"{paths[0][0]}与{paths[0][-1]}相距{hops}步，共{len(paths)}条最短路径：" + "；".join(shown) + "。") if zh else \
                (f"{paths[0][0]} and {paths[0][-1]} are {hops} hops apart ({len(paths)} shortest path"
                 f"{'s' if len(paths) != 1 else ''}): " + "; ".join(shown) + ".")
        else:
            text = "没有找到两者之间的关联路径。" if zh else "No path links them in the graph."
    elif intent == "neighborhood" and mode.get("want"):
        want = mode["want"]
        keep = [r for r in rows if (want == "segment" and r.get("label") == "Segment") or
                (want != "segment" and str(r.get("id", "")).startswith(want + ":"))]
        entities = _uniq(r.get("name") for r in keep)
        subject = _subject_name(p)
        what = {"city": ("所在城市", "city"), "province": ("所在省份", "province"), "segment": ("所属领域", "segment")}[want]
        text = (f"{subject}的{what[0]}：{_join(entities, lang)}。" if entities else f"图中没有{subject}的{what[0]}信息。") \
            if zh else (f"The {what[1]} of {subject}: {_join(entities, lang)}." if entities else
                        f"The graph has no {what[1]} for {subject}.")
    elif intent in ("neighborhood", "search"):
        names = [r.get("name") for r in rows if r.get("name") and r.get("label") != "Round"]
        entities = _uniq(names)
        if intent == "search":
            text = (f"找到：{_join(entities, lang)}。" if entities else "没有找到匹配的名称。") if zh else \
                (f"Found: {_join(entities, lang)}." if entities else "Nothing matches.")
        else:
            entities, text = _overview(res, p, rows, entities, lang)
    else:  # an intent without a composer of its own: say what the query returned
        entities = []
        text = (f"查询{intent}返回{len(rows)}行。" if zh else f"{intent} returned {len(rows)} row(s).")
    if not zh:
        text = english_names(text)
    return {"text": text, "entities": [str(e) for e in entities if e is not None], "value": value, "rows": rows}


def _overview(res, p: Parse, rows: list[dict], names: list[str], lang: str) -> tuple[list[str], str]:
    """What lies around an investor or a company (its rounds, companies, co-investors; its segment,
    places, investors), read from the nodes within its hops, nearest first. When the query kept only
    the nearest nodes, the counts are said as at least, with how many there are."""
    zh = lang == "zh"
    subject = _subject_name(p)
    label = ((res.meta or {}).get("resolved") or {}).get("entity", {}).get("label")
    omitted = int((res.meta or {}).get("omitted") or 0)
    by: dict[str, list[str]] = {}
    for r in rows:
        if r.get("name"):
            by.setdefault(r.get("label"), []).append(r["name"])
    at_least = ("至少" if zh else "at least ") if omitted else ""
    rounds = len(by.get("Round", []))
    cos, invs = _uniq(by.get("Company", [])), _uniq(by.get("Investor", []))
    parts: list[str] = []
    if label == "Investor" and rounds:
        parts.append(f"参与{at_least}{rounds:,}轮融资" if zh else f"{at_least}{rounds:,} rounds")
        if cos:
            parts.append(f"投资{at_least}{len(cos):,}家公司：{_join(cos, lang)}" if zh else
                         f"{at_least}{len(cos):,} companies: {_join(cos, lang)}")
        if invs:
            parts.append(f"与{at_least}{len(invs):,}家机构合投：{_join(invs, lang)}" if zh else
                         f"co-invested with {at_least}{len(invs):,} investors: {_join(invs, lang)}")
        entities = cos + invs
    elif label == "Company" and (rounds or by.get("Segment") or by.get("Region")):
        if rounds:
            parts.append(f"融资{at_least}{rounds:,}轮" if zh else f"{at_least}{rounds:,} rounds")
        for lab, zh_word, en_word in (("Segment", "领域", "segment"), ("Region", "所在地", "located in"),
                                      ("Investor", "投资方", "investors")):
            xs = _uniq(by.get(lab, []))
            if xs:
                parts.append(f"{zh_word}：{_join(xs, lang)}" if zh else f"{en_word}: {_join(xs, lang)}")
        entities = _uniq(by.get("Segment", []) + by.get("Region", []) + invs)
    else:
        entities = names
        if entities:
            parts.append(f"相关的：{_join(entities, lang)}" if zh else f"connected: {_join(entities, lang)}")
        elif rows:
            parts.append(f"相关的{len(rows):,}个节点都是融资轮次" if zh else f"the {len(rows):,} nearest nodes are all rounds")
    if not parts:
        return [], (f"图中没有与{subject}相关的节点。" if zh else f"Nothing connected to {subject} in the graph.")
    text = (f"{subject}：" + "；".join(parts) + "。") if zh else (f"{subject}: " + "; ".join(parts) + ".")
    if omitted:
        hops = int(p.params.get("hops") or 1)
        text += (f"（{hops}步内共{res.value:,}个节点，只读了最近的{len(rows):,}个）" if zh else
                 f" ({res.value:,} nodes within {hops} hops; the nearest {len(rows):,} read.)")
    return entities, text


def _subject_name(p: Parse) -> str:
    ent = p.params.get("entity")
    m = next((m for m in p.mentions if m.id == ent), None) or next(iter(p.mentions), None)
    return m.name if m else str(ent or "").split(":", 1)[-1]


def _region_level(store, name) -> str | None:
    from ontology import load as load_ontology

    reg = load_ontology().region(name) if name else None
    return reg.level if reg else None


def _reported_2019(store, res, params: dict, lang: str) -> str:
    """The report's own count (Table 5, ``reported_2019_companies``) as context for a 2019 question about
    an investor: quoted, never used as the answer."""
    if not params.get("investor") or params.get("year") != 2019 or store is None:
        return ""
    inv = (res.meta.get("resolved") or {}).get("investor") or {}
    iid = inv.get("id")
    if not iid:
        return ""
    try:
        n = (store.entity(iid) or {}).get("reported_2019_companies")
    except Exception:  # noqa: BLE001 - context only: a failed lookup must not cost the answer
        return ""
    if n is None:
        return ""
    return (f"（报告表5统计其2019年投资工业互联网企业{int(n)}家，此处为图中数据。）" if lang == "zh" else
            f" (The report's Table 5 counts {int(n)} companies for 2019; the figure above is what the graph holds.)")


# ------------------------------------------------------------------------------------- suggestions
_SUGG: weakref.WeakKeyDictionary[object, tuple] = weakref.WeakKeyDictionary()
_SUGG_LOCK = threading.Lock()


def suggestions(store, lang: str) -> list[str]:
    """Example questions that work on this data (the busiest investors, companies and cities)."""
    version = store.version if store is not None else None
    with _SUGG_LOCK:
        hit = _SUGG.get(store)
    if hit is None or hit[0] != version or (version is None and time.monotonic() - hit[1] > 30):
        data = {}
        try:
            from kg.queries import run

            top = run(store, "top_investors", k=2).rows
            data["inv"] = [r["investor"] for r in top]
            cos = run(store, "companies").rows
            cos = sorted(cos, key=lambda r: -(r.get("rounds") or 0))
            data["co"] = [r["company"] for r in cos[:1]]
            regs = run(store, "region_summary", level="city").rows
            data["city"] = [r["region"] for r in regs[:1]]
        except Exception:  # noqa: BLE001 - an empty or unreachable graph still gets generic examples
            data = {}
        hit = (version, time.monotonic(), data)
        with _SUGG_LOCK:
            _SUGG[store] = hit
    d = hit[2]
    if not d.get("inv"):  # nothing loaded yet
        return (["先用 kg load seed 和 kg load deals 导入数据", "2019年出手最多的投资机构", "哪个省的融资最多？"] if lang == "zh"
                else ["load data first (kg load seed, kg load deals FILE)", "Top 5 investors in 2019",
                      "Which province has the most deals?"])
    inv = d["inv"]
    b = inv[1] if len(inv) > 1 else inv[0]
    co, city = (d.get("co") or [None])[0], (d.get("city") or [None])[0]
    if lang == "zh":
        out = [f"{inv[0]}投了哪些公司？", f"和{inv[0]}一起投资次数最多的三家机构", f"{inv[0]}和{b}都投资过哪些公司？",
               co and f"{co}的投资方有哪些？", city and f"{city}有多少起融资？", "2019年出手最多的投资机构", "哪个省的融资最多？",
               city and f"{city}融资金额的平均值是多少", f"{inv[0]}在哪个城市出手最多"]
    else:
        city = english_names(city) if city else city
        city = city.split(" (", 1)[0] if city else city  # "Beijing (北京)" → Beijing: the question reads it
        out = [f"Which companies has {inv[0]} backed?", f"Who co-invests most with {inv[0]}?",
               f"What did {inv[0]} and {b} both invest in?", co and f"Who invested in {co}?",
               city and f"How many deals happened in {city}?", "Top 5 investors in 2019", "Which province has the most deals?",
               city and f"What is the median deal size in {city}?", f"In which city did {inv[0]} invest the most?"]
    return [x for x in out if x]


def _unknown_text(store, lang: str, reason: str = "") -> str:
    ex = suggestions(store, lang)
    if lang == "zh":
        head = {"too long": "问题太长了，请用一句话提问。", "empty": "请输入一个问题。"}.get(reason, "抱歉，我没有理解这个问题。")
        return head + "可以这样问：" + "；".join(ex[:5]) + "。"
    head = {"too long": "That is too long for a question: please ask in one sentence.",
            "empty": "Please type a question."}.get(reason, "Sorry, I did not understand that.")
    return head + " Try: " + "; ".join(ex[:5]) + "."


# ----------------------------------------------------------------------------------------- answer
def _base(question, lang) -> dict:
    return {"question": question, "language": lang, "intent": "unknown", "params": {}, "text": "", "entities": [],
            "value": None, "rows": [], "cypher": "", "params_cypher": {}, "graph": {"nodes": [], "edges": []},
            "took_ms": 0.0, "interpretation": "", "partial": False, "ignored": []}


def answer(store, question, session=None) -> dict:
    """The answer to ``question`` as the JSON object of CONTRACT.md.

    ``session`` is a :class:`kg.chat.session.Session`, a session id (looked up in the process-wide
    :data:`kg.chat.session.SESSIONS`) or None for a question on its own.
    """
    from kg.chat.session import SESSIONS, Session

    t0 = time.perf_counter()
    if isinstance(session, str):
        session = SESSIONS.get(session)
    q = question if isinstance(question, str) else ("" if question is None else str(question))
    stripped = normalise(q[: MAX_CHARS * 4]).strip().lower()
    if stripped in RESET_COMMANDS:
        lang = session_lang(session) or ("zh" if stripped in ("/重置", "/清空") else "en")
        if isinstance(session, Session):
            session.reset()
        out = _base(q, lang)
        out.update(intent="reset", text="好的，已清空对话上下文。" if lang == "zh" else "OK, the conversation was reset.")
        out["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return out
    token = _CORRECTIONS.set([])
    try:
        parts = clauses(q)
        if len(parts) > 1:
            out = _compound(store, q, parts, session)
        else:
            out = _answer(store, q, session)
            _say_corrections(out, _CORRECTIONS.get())
    except BackendError as exc:  # the server is down or refused us: say so, in its own words
        lang = detect_language(normalise(q[:MAX_CHARS]))
        out = _base(q, lang)
        out["text"] = (f"图数据库暂时无法访问：{exc}" if lang == "zh" else f"The graph server is unavailable: {exc}")
    except Exception as exc:  # noqa: BLE001 - never a traceback for a question
        lang = detect_language(normalise(q[:MAX_CHARS]))
        out = _base(q, lang)
        out["text"] = (f"处理这个问题时出错了（{type(exc).__name__}）。" if lang == "zh" else
                       f"Something went wrong answering that ({type(exc).__name__}).") + " " + _safe_unknown(store, lang)
    finally:
        _CORRECTIONS.reset(token)
    out["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return out


def clauses(question: str) -> list[str]:
    """The parts of a question asked in two (or more) parts, split where the vocabulary's
    ``clause_break`` says (a second question mark, "，并告诉我", ", and how many"); one part otherwise.
    A part without a word of its own (a lone "呢") stays with the one before it."""
    from kg.chat.frame import vocab

    text = normalise(question[: MAX_CHARS * 4]).strip()
    cuts = [m for m in vocab()["clause_break"].finditer(text) if m.end() > m.start()]
    if not cuts:
        return [question]
    parts, start = [], 0
    for m in cuts:
        parts.append(text[start:m.start()] + ("？" if m.group(0).strip()[:1] in "？?" else ""))
        start = m.end()
    parts.append(text[start:])
    out = [part.strip() for part in parts if part.strip()]
    if len(out) < 2 or any(len(re.sub(r"[\W_\d]+", "", part)) < 3 for part in out):
        return [question]  # a part without words of its own ("0?创投", "why? 2019"): one question
    if not all(vocab()["asks"].search(part) for part in out):
        return [question]  # "2019年北京，一共多少起": the first part asks nothing, it sets the scene
    return out


def _compound(store, q: str, parts: list[str], session) -> dict:
    """Each part answered in turn in one conversation (the later parts as follow-ups of the earlier:
    "how many are there?", "what was its total amount?"), then one answer: every part's text, the
    entities of the first part that lists some, the value of the last part that has one. A part not
    understood makes the whole partial, with that part in ``ignored``."""
    from kg.chat.session import Session

    conv = session if session is not None else Session()
    answers = []
    for n, part in enumerate(parts):
        _CORRECTIONS.set([])
        a = _answer(store, part, conv, continued=n > 0)
        _say_corrections(a, _CORRECTIONS.get())
        answers.append(a)
    known = [a for a in answers if a.get("intent") not in (None, "unknown")]
    if not known:
        out = dict(answers[0])
        out["question"] = q
        out["text"] = "\n".join(a["text"] for a in answers)
        return out
    listing = next((a for a in known if a.get("entities")), known[0])
    valued = next((a for a in reversed(known) if a.get("value") is not None), listing)
    out = dict(listing)
    out.update(question=q, value=valued.get("value"),
               text="\n".join(a["text"] for a in answers),
               cypher=";\n".join(a["cypher"] for a in answers if a.get("cypher")),
               interpretation=" + ".join(a["interpretation"] for a in known if a.get("interpretation")),
               parts=[{k: a.get(k) for k in ("question", "intent", "text", "value", "interpretation", "partial",
                                              "ignored")} | {"entities": (a.get("entities") or [])[:ROW_LIMIT]}
                      for a in answers])
    params: dict = {}
    for a in answers:
        params.update(a.get("params_cypher") or {})
    out["params_cypher"] = params
    ignored = [w for a in answers for w in (a.get("ignored") or [])]
    ignored += [a["question"] for a in answers if a.get("intent") in (None, "unknown")]
    out["ignored"] = list(dict.fromkeys(ignored))
    out["partial"] = bool(out["ignored"]) or any(a.get("partial") for a in answers)
    return out


# near-miss names corrected while answering this question (kg.chat.spelling): said in the answer
_CORRECTIONS: contextvars.ContextVar = contextvars.ContextVar("iikg_chat_corrections", default=None)


def _say_corrections(out: dict, fixes) -> None:
    """A corrected name is never silent: the answer says which name it read the word as."""
    if not fixes or out.get("intent") in (None, "unknown", "reset"):
        return
    zh = out.get("language") == "zh"
    said = "；".join(f"“{a}”按“{b}”理解" for a, b in fixes) if zh else \
        "; ".join(f"read '{a}' as '{b}'" for a, b in fixes)
    out["text"] = (f"（{said}）" if zh else f"({said[:1].upper() + said[1:]}.) ") + out.get("text", "")
    if out.get("interpretation"):
        out["interpretation"] = (f"{said} · " if zh else f"{said} · ") + out["interpretation"]


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text or "")


def session_lang(session) -> str | None:
    last = getattr(session, "last", None)
    return getattr(last, "language", None)


def _safe_unknown(store, lang):
    try:
        return _unknown_text(store, lang)
    except Exception:  # noqa: BLE001 - the apology must not fail
        return ""


def understand(store, question: str, previous: Parse | None = None) -> tuple[Parse, list[str]]:
    """Parse, link names the lexicon lacks (数澜 → 数澜科技), interpret with the last turn: the plan and
    the stretches that read like names but name nothing in the graph."""
    p = nlu_for(store).parse(question)
    unresolved = recover_names(p, store) if not (p.notes and p.notes[0] in ("empty", "too long")) else []
    interpret(p, previous)
    return p, unresolved


# named queries the frame does not express (paths, policies, factories, listings, communities …):
# those questions keep their own intents
NAMED_ONLY = {"path", "policies", "factories", "listings", "region_clusters", "coinvest_network", "search"}
# intents whose cues are weak (a word such as 介绍 / 融资历程 / 最大): a frame that says more wins
WEAK = {"neighborhood", "largest_rounds", "funding_history", "timeline", "segment_stage", "unknown"}


def _frame_specific(f, intent: str) -> bool:
    """Does the frame ask for something the named-query intents cannot express (or read wrongly)?"""
    fl = f.filters
    if f.setop == "minus" or (f.setop == "both" and (not fl.get("investor") or f.group_by == "investor")) \
            or f.seq is not None or f.repeat \
            or f.ask == "interval" or fl.get("currency") or f.yesno or f.order == "asc" or f.top_ties or f.groups_in:
        return True
    if f.measure in ("share", "avg", "median", "min", "max", "per_group"):
        return True
    if f.setop == "union" or (len(f.other.get("regions") or []) > 1 and not f.groups_in):
        return True  # either of two investors, several regions at once: the named intents read one
    if fl.get("not_lead") or fl.get("max_inclusive") or len(f.other.get("investor") or []) > 1 or \
            len(fl.get("round") or []) > 1:  # a stage range (B轮及以后): rounds the named intents do not list
        return True
    if len(fl.get("investor") or []) > 1 and not f.co_investors:
        return True  # the same round
    if f.compare or f.having or f.groups_in or (f.group_by == "round" and f.k):
        return True  # …, the first (or first k) rounds in date order
    if any(k in fl for k in ("max_amount", "disclosed", "min_amount")):  # thresholds are strict, as said
        return True
    if f.group_by in ("type", "year", "month") and (f.k or fl.get("investor") or f.rank_by != "deals"):
        return True
    if f.group_by in ("city", "province", "macro", "segment") and (fl.get("investor") or f.k or f.rank_by != "deals"):
        return True
    if f.group_by in ("company", "investor", "round") and f.rank_by in ("amount", "companies", "investors") \
            and not f.co_investors:
        return True
    if f.measure in ("amount", "deals", "companies", "investors") and not f.group_by and f.seq is None:
        return True  # counts and sums under any filters: one deals query
    grouping = {"province": "region_summary", "city": "region_summary", "macro": "region_summary",
                "segment": "segment_summary", "year": "timeline", "month": "timeline", "type": "segment_stage"}
    if f.group_by in grouping and intent != grouping[f.group_by]:
        return True  # the named intent does not group this way
    if intent in WEAK and _meaningful(f):
        return True
    return False


_PARAM_OF = {"year": ("year", "date_from", "date_to"), "date_from": ("date_from", "year"), "date_to": ("date_to", "year"),
             "region": ("region",), "segment": ("segment",), "round": ("round",), "lead_only": ("lead_only",),
             "min_amount": ("min_amount",), "max_amount": (), "disclosed": (), "company": ("company", "a", "b", "entity"),
             "investor": ("investor", "a", "b", "entity")}


# what a filter the co-investment network cannot take is called when the answer says it left it out
_NOT_APPLIED = {"lead_only": ("只算领投", "lead rounds only"), "not_lead": ("只算跟投", "follow-on only"),
                "max_amount": ("金额上限", "the amount cap"), "disclosed": ("是否披露金额", "disclosed or not"),
                "currency": ("币种", "the currency"), "company": ("公司", "the company"), "investor": ("机构", "the investor")}


def _central_params(store, p, f) -> None:
    """The network query's parameters for a centrality question: the frame's filters the network
    takes (a stage range, 近三年, thresholds as read), the rest named as not applied (``f.ignored``)."""
    from kg.queries.base import REGISTRY

    takes = {prm.name for prm in REGISTRY["coinvest_network"].params} - {"k"}
    params = {k: v for k, v in (p.params or {}).items() if k in takes}  # with what a follow-up keeps
    time = {"year", "date_from", "date_to"}
    if time & set(f.filters):
        params = {k: v for k, v in params.items() if k not in time}  # this turn's own time words
    for key, value in f.filters.items():
        if value is None or value == "" or value == [] or (key == "investor" and p.mode.get("member")):
            continue  # (the investor whose community is asked is not a filter of the network)
        if key in takes:  # a region or segment by its name, as the named queries' own parse gives it
            params[key] = _display_name(store, value) if key in ("region", "segment") and isinstance(value, str) else value
        else:
            word = _NOT_APPLIED.get(key, (key, key))[0 if f.language == "zh" else 1]
            f.ignored = list(dict.fromkeys([*f.ignored, word]))
    p.params = params


def _named_drops(f, p) -> bool:
    """Would the named query leave out a constraint the frame read (去年 → a year, 早期 → rounds)?"""
    if not p.query or p.intent in NAMED_ONLY or p.intent == "unknown":
        return False
    params = p.params or {}
    for key, value in f.filters.items():
        if value in (None, False, [], ""):
            continue
        if not any(params.get(k) not in (None, False, [], "") for k in _PARAM_OF.get(key, ())):
            return True
    return False


def _meaningful(f) -> bool:
    return bool(f.group_by or f.measure != "list" or f.target != "deals" or f.yesno or f.seq is not None or f.setop
                or f.repeat)


def _spell(store, nlu, text: str):
    """The question with near-miss names corrected, and an ambiguous one (or None)."""
    from kg.chat.spelling import corrections

    p = nlu.parse(text)
    if not p.text or (p.notes and p.notes[0] in ("empty", "too long")):
        return p, None
    from kg.chat.frame import vocab_spans

    sk = p.skeleton or p.text
    fixes = corrections(p.text, sk, nlu.lexicon, vocab_spans(sk))
    if not fixes:
        return p, None
    fixes = [c for c in fixes if len({i for _, i in c.choices}) <= 2]  # more than two: no near miss, a name unknown
    if not fixes:
        return p, None
    ambiguous = next((c for c in fixes if not c.clear), None)
    if ambiguous is not None:
        return p, ambiguous
    t = p.text
    for c in sorted(fixes, key=lambda c: -c.start):
        t = t[:c.start] + c.choices[0][0] + t[c.end:]
    p2 = nlu.parse(t)
    p2.question = p.question
    p2.notes.append("corrected: " + "; ".join(f"{c.text} → {c.choices[0][0]}" for c in fixes))
    said = _CORRECTIONS.get()
    if said is not None:
        said.extend((c.text, _display_name(store, c.choices[0][1])) for c in fixes)
    return p2, None


def _answer(store, q: str, session, continued: bool = False) -> dict:
    """One question (``continued``: a later part of a question asked in parts, read as a follow-up of
    the part before it unless it names its own investor or company)."""
    from kg.chat.frame import (asks_which_of, build_frame, is_bare_measure, is_followup, is_fragment, merge_followup,
                               vocab)
    from kg.chat.spelling import to_simplified

    store.refresh()  # another process may have loaded data: the names must be the current ones
    nlu = nlu_for(store)
    text = normalise(q[: MAX_CHARS * 4])
    simple = to_simplified(text)
    if simple != text:  # traditional characters: convert, but keep the names already known as written
        simple = to_simplified(text, [(m.start, m.end) for m in nlu.parse(text).mentions if m.start >= 0])
    p0, ambiguous = _spell(store, nlu, simple)
    lang = p0.language
    if ambiguous is not None:
        out = _base(q, lang)
        names = [_display_name(store, i) for _, i in ambiguous.choices]
        out["text"] = (f"您是指 {' 还是 '.join(names)}？" if lang == "zh" else f"Did you mean {' or '.join(names)}?")
        out.update(partial=True, ignored=[ambiguous.text], interpretation="")
        return out
    if p0.notes and p0.notes[0] in ("empty", "too long"):
        out = _base(q, lang)
        if not _has_letters(p0.text) and session_lang(session):
            out["language"] = lang = session_lang(session)
        out["text"] = _unknown_text(store, lang, p0.notes[0])
        if session is not None:
            session.record(p0, ok=False)
        return out
    recover_names(p0, store)  # 宏途 → 宏途数据: a clear part of a name
    frame = build_frame(p0, store, reference_year=_reference_year(store),
                        company_context=bool(session is not None and session.last_company))
    own_group = frame.group_by  # the question's own grouping, before a follow-up inherits one
    own_frame = frame
    regroup = session is not None and session.frame is not None and not p0.mentions and \
        bool(vocab()["regroup"].search(p0.skeleton or p0.text))  # 按城市分组 after any answer: its deals, regrouped
    prev_frame = session.frame if session is not None and (session.engine == "frame" or continued or regroup) else None
    own_subject = any(m.label in ("Investor", "Company") for m in p0.mentions)
    followup = prev_frame is not None and (is_followup(p0, frame) or is_bare_measure(p0, frame) or regroup or
                                           (continued and not own_subject))
    if not followup and session is not None and session.frame is not None and session.engine == "named" and \
            is_bare_measure(p0, frame) and not frame.unknown:
        prev_frame, followup = session.frame, True  # 一共几家 after a list a named query gave: count that list
    if not followup and session is not None and asks_which_of(p0, session.frame):
        prev_frame, followup = session.frame, True  # 都是哪几家 after 一共几家 (whichever engine counted)
    if followup:
        frame = merge_followup(prev_frame, frame, p0)
        if regroup and own_frame.group_by:  # the last answer's deals, grouped and ranked this turn's way
            for k in ("group_by", "target", "measure", "k", "top_ties", "plural_rank", "rank_by", "order"):
                setattr(frame, k, getattr(own_frame, k))
    sk0 = p0.skeleton or p0.text
    kinds = {kind for kind, rx in vocab()["pronoun"].items() if rx.search(sk0)}  # 它 / there / that segment
    pronoun = "company" in kinds
    place = bool(kinds - {"company"})  # there, 该领域, that investor: always the last turn's
    if kinds and session is not None and session.frame is not None and not followup and (
            place or (not frame.filters.get("company") and not frame.filters.get("investor") and not session.last_company)):
        frame = merge_followup(session.frame, frame, p0)  # 它 = the last subject, an investor here
        followup = True
    single = getattr(session, "last_single", None) if session is not None else None
    # 它/it may stand for any one thing the last answer named; there / that segment only for their kind
    fits = single is not None and (pronoun or any(single[0] in _GROUPS_OF_PRONOUN.get(k, ()) for k in kinds))
    if kinds and followup and fits and own_group != single[0] and \
            (frame.group_by == single[0] or not frame.filters.get(_FILTER_OF_GROUP[single[0]])):
        # "what was its total amount?" after "which segment had the most deals": its = that one segment;
        # "它最常投哪个领域" / "它在2020年投了哪些公司" after "最活跃的机构是谁": that investor, the question's own way
        frame = _about_single(frame, *single, drop_group=frame.group_by == single[0])
        if own_group:
            for k in ("group_by", "k", "top_ties", "plural_rank", "rank_by", "target", "measure", "order"):
                setattr(frame, k, getattr(own_frame, k))
        elif own_frame.measure != "list":
            frame.measure = own_frame.measure
    if session is not None and not frame.filters.get("company") and session.last_company and \
            (pronoun or (frame.seq is not None and not p0.mentions)):
        frame.filters["company"] = frame.subject_company = session.last_company
        frame.ignored = [w for w in frame.ignored if not vocab()["pronoun"]["company"].fullmatch(w)]
    if session is not None and session.last_round and _asks_round_investors(own_frame) and \
            (followup or not own_frame.filters):
        frame = _about_round(frame, own_frame, session.last_round)  # the round just named: its investors
        followup = True
    if frame.co_pending and not frame.co_investors and len(frame.filters.get("investor") or []) == 1:
        # 它的合投伙伴有多少家: the investor the pronoun stands for, and its co-investors
        frame.co_investors, frame.group_by, frame.target = True, "investor", "investors"
    # what the graph does not hold, and names it does not know: say so, never answer a smaller question
    if frame.absent and not frame.unknown and not frame.unsupported:
        out = _base(q, lang)
        names = "、".join(frame.absent) if lang == "zh" else ", ".join(frame.absent)
        out["text"] = (f"图中还没有{names}的投资记录：这个名字在本体里，但已加载的数据里没有它的融资。"
                       if lang == "zh" else
                       f"The graph has no deals of {names} yet: the name is known, but no loaded deal involves it.")
        out["ignored"] = list(frame.absent)
        close = [n for n in _close_names(store, frame.absent[0]) if n not in frame.absent]
        if close:
            out["text"] += ("您是不是指：" + "、".join(close) + "？") if lang == "zh" else " Did you mean " + ", ".join(close) + "?"
        if session is not None:
            session.record(p0, ok=False)
        return out
    if frame.unsupported or frame.unknown:
        out = _base(q, lang)
        if frame.unsupported:
            words = "、".join(frame.unsupported) if lang == "zh" else ", ".join(frame.unsupported)
            out["text"] = (f"图中没有“{words}”这类数据：它只记录融资（轮次、金额、日期、投资方、地区、领域）、政策和灯塔工厂。"
                           if lang == "zh" else
                           f"The graph holds no data on '{words}': it records deals (rounds, amounts, dates, investors, "
                           f"regions, segments), policies and lighthouse factories.")
            out["ignored"] = list(frame.unsupported)
        else:
            name = frame.unknown[0]
            close = _close_names(store, name)
            hint = ("" if not close else ("您是不是指：" + "、".join(close) + "？" if lang == "zh" else
                                          " Did you mean " + ", ".join(close) + "?"))
            out["text"] = (f"图中没有名为“{name}”的投资机构、公司或地区。" if lang == "zh" else
                           f"The graph has no investor, company or region named '{name}'.") + hint
            out["ignored"] = list(frame.unknown)
        out["partial"] = False
        out["text"] += " " + _unknown_text(store, lang).split("。" if lang == "zh" else ". ", 1)[-1]
        if session is not None:
            session.record(p0, ok=False)
        return out
    if (frame.seq is not None or frame.ask == "interval") and not frame.filters.get("company"):
        out = _base(q, lang)
        out["text"] = ("请告诉我是哪家公司的融资。" if lang == "zh" else "Which company's round do you mean?")
        out.update(partial=True, ignored=[])
        return out
    previous = session.last if session is not None and session.engine == "named" else None
    p, unresolved = understand(store, p0.text, previous)
    specific = _frame_specific(frame, p.intent) or _named_drops(frame, p) or frame.investor_place
    within = bool(vocab()["within"].search(p0.skeleton or p0.text))
    if not followup and session is not None and session.frame is not None and (p.followup or within) and \
            (specific or within):
        # a follow-up of a named-query turn that asks for more than that query can say: edit its frame
        if is_fragment(frame) or within or frame.seq is not None and frame.ask == "round":
            frame = merge_followup(session.frame, frame, p0)
        followup = True
    no_context = session is None or (session.frame is None and session.last is None)
    only_back = bool(vocab()["refers_back"].search(p0.skeleton or p0.text)) and not p0.mentions and not frame.filters
    if not followup and no_context and ((is_fragment(frame) and vocab()["followup"].search(p0.skeleton or p0.text)
                                         and not frame.filters) or only_back):
        out = _base(q, lang)
        out["text"] = ("这像是接着上一个问题问的，但现在没有上一个问题。请完整地问一次。" if lang == "zh" else
                       "That reads like a follow-up, but there is no earlier question. Please ask it in full.")
        out["text"] += " " + _unknown_text(store, lang).split("。" if lang == "zh" else ". ", 1)[-1]
        return out
    central = p.intent == "coinvest_network" and bool(p.mode.get("central") or p.mode.get("communities"))
    if central and not followup:
        specific = False  # the network's centralities answer it, under the frame's filters
        _central_params(store, p, frame)
    elif frame.central_words:  # 最核心, most partners: only the network's centralities understand these
        frame.ignored = list(dict.fromkeys([*frame.ignored, *frame.central_words]))
    named_followup = previous is not None and p.followup and not followup and not specific
    together = len(frame.filters.get("investor") or []) > 1 and not frame.setop and frame.measure != "list"
    several = len(frame.other.get("regions") or []) > 1 and not frame.groups_in and not frame.compare
    if followup or (not named_followup and (p.intent not in NAMED_ONLY or together) and
                    (frame.compare or several or not (p.mode.get("each") or p.mode.get("compare") or p.mode.get("only")))
                    and specific):
        return _answer_frame(store, q, frame, session)
    if session is not None:  # a follow-up may need the frame even when a named query answered
        session.frame = merge_followup(session.frame, frame, p0) if session.frame is not None and \
            (p.followup or is_followup(p0, frame)) else frame
    # the frame read every word of the question: a stretch the named intents call a name is not one
    return _answer_named(store, q, p, unresolved if frame.unknown else [], session, frame)


_REFERENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _reference_year(store) -> int | None:
    """The newest deal's year: what 去年 / last year mean here (the data's time, not the clock)."""
    from kg.queries import run

    version = store.version if store is not None else None
    hit = _REFERENCE.get(store)
    if hit is not None and hit[0] == version and (version is not None or time.monotonic() - hit[2] < 10):
        return hit[1]
    try:
        rows = run(store, "deals", group_by="year", order="key").rows
        year = int(rows[-1]["key_id"]) if rows else None
    except KGError:
        year = None
    _REFERENCE[store] = (version, year, time.monotonic())
    return year


def _display_name(store, id_: str) -> str:
    from kg.queries.resolve import catalog

    e = catalog(store).entity(id_)
    return e.name if e is not None else id_


def _beyond_the_data(store, frame, out: dict) -> None:
    """A time the deals do not reach yet (2021 when the newest deal is of 2020): the count is not zero,
    it is unknown; the answer says so and is partial."""
    newest = _reference_year(store)
    fl = frame.filters
    start = fl.get("year") or (str(fl.get("date_from") or "")[:4] or None)
    if newest is None or start is None or not str(start).isdigit() or int(start) <= newest:
        return
    zh = frame.language == "zh"
    out["partial"] = True
    out["ignored"] = list(dict.fromkeys([*out.get("ignored", []), str(start)]))
    out["text"] += (f"（图中最新的融资在{newest}年，{start}年还没有数据：这不是“没有融资”，而是不知道。）" if zh else
                    f" (The newest deal in the graph is from {newest}: there is no data for {start} yet, so this is "
                    f"not a count of zero but unknown.)")


_GROUPS_OF_PRONOUN = {"investor": ("investor",), "region": ("province", "city", "macro"), "segment": ("segment",)}
_FILTER_OF_GROUP = {"segment": "segment", "province": "region", "city": "region", "macro": "region",
                    "investor": "investor", "company": "company"}


_GROUP_OF_LABEL = {"Investor": "investor", "Company": "company", "Segment": "segment"}


def _single_of(store, entities: list) -> tuple | None:
    """(grouping, id) of the one investor, company, region or segment an answer named, for a pronoun next."""
    if len(entities) != 1:
        return None
    from kg.queries.resolve import catalog

    hits = catalog(store).exact(str(entities[0]), ("Investor", "Company", "Region", "Segment"))
    if len(hits) != 1:
        return None
    e = hits[0]
    if e.label == "Region":
        level = e.id.split(":", 1)[0]
        return (level, e.id) if level in ("province", "city", "macro") else None
    return (_GROUP_OF_LABEL[e.label], e.id)


def _about_single(frame, group: str, key_id, drop_group: bool = True):
    """``frame`` asked about the one group a ranking answered (a pronoun's referent): that group as a
    filter (and, when the frame still ranks that grouping, no grouping, no ranking)."""
    f = copy.deepcopy(frame)
    key = _FILTER_OF_GROUP[group]
    f.filters[key] = [key_id] if key == "investor" else key_id
    if key == "company":
        f.subject_company = key_id
    if not drop_group:
        return f
    f.group_by, f.k, f.top_ties, f.plural_rank, f.rank_by = None, None, False, False, None
    f.target = "deals"
    if f.measure == "list":
        f.measure = "deals"
    from kg.chat.frame import vocab

    f.ignored = [w for w in f.ignored if not vocab()["pronoun"]["company"].fullmatch(w)]
    return f


def _answer_frame(store, q: str, frame, session) -> dict:
    from kg.chat.plan import execute, frame_intent

    out = _base(q, frame.language)
    try:
        res = execute(store, frame, money_text)
    except QueryError as exc:
        out["text"] = (f"没有找到：{exc}" if frame.language == "zh" else f"Not found: {exc}")
        out["intent"] = frame_intent(frame)
        return out
    out.update(intent=frame_intent(frame), params=_plain({k: v for k, v in frame.as_dict().items()
                                                if v not in (None, [], {}, False) and k != "language"}),
               text=res["text"], entities=res["entities"], value=_plain(res["value"]), rows=_plain(res["rows"][:ROW_LIMIT]),
               cypher=res["cypher"], params_cypher=_plain(res["params_cypher"]), graph=_plain(res["graph"]),
               interpretation=res["interpretation"], partial=bool(frame.ignored), ignored=list(frame.ignored))
    if res.get("dropped"):  # a part of the question the plan could not combine: said, never hidden
        out["partial"], out["ignored"] = True, list(out["ignored"]) + res["dropped"]
        out["text"] += ("（只回答了第一个地区；" + "、".join(res["dropped"]) + " 未合并计入）" if frame.language == "zh"
                        else f" (Answered for the first region only; {', '.join(res['dropped'])} not combined.)")
    total = res.get("total", len(res["rows"]))
    if total > len(out["rows"]) or res.get("shown") is not None and res.get("shown") < total:
        out["total"], out["shown"] = total, min(len(out["rows"]), res.get("shown") or len(out["rows"]))
    _beyond_the_data(store, frame, out)
    if frame.ignored:
        note = ("（没有理解：" + "、".join(frame.ignored) + "，以下回答未考虑它）") if frame.language == "zh" else \
            (" (Not understood: " + ", ".join(frame.ignored) + "; the answer leaves it out.)")
        out["text"] += note
    if session is not None:
        session.record_frame(frame)
        rows = res.get("rows") or []
        session.last_single = (frame.group_by, rows[0]["key_id"]) if frame.group_by in _FILTER_OF_GROUP and \
            len(rows) == 1 and rows[0].get("key_id") is not None else None
        one = rows[0] if len(rows) == 1 else {}
        session.last_round = {"company": one["company_id"], "date": str(one["date"]), "type": one.get("type")} \
            if str(one.get("key_id") or "").startswith("round:") and one.get("company_id") and one.get("date") else None
    return out


def _asks_round_investors(own) -> bool:
    """Does a turn with no subject of its own ask who invested (投资方有哪些, who led it, 几家机构)?"""
    fl = own.filters
    return (own.target == "investors" or own.ask == "investors" or own.group_by == "investor") and \
        not fl.get("investor") and not fl.get("company") and not own.k and not own.top_ties and \
        own.measure in ("list", "investors") and not own.setop and not own.co_investors


def _about_round(frame, own, rnd: dict):
    """``frame`` turned to the investors of the one round the last answer named (its company, date
    and type): 2019年最大的一笔融资是哪家公司？投资方有哪些？"""
    f = copy.deepcopy(frame)
    f.filters = {"company": rnd["company"], "date_from": rnd["date"], "date_to": rnd["date"]}
    if rnd.get("type"):
        f.filters["round"] = [rnd["type"]]
    if own.filters.get("lead_only"):
        f.filters["lead_only"] = True
    f.subject_company = rnd["company"]
    f.group_by, f.target, f.measure = "investor", "investors", "investors" if own.measure == "investors" else "list"
    f.k, f.top_ties, f.plural_rank, f.rank_by, f.seq, f.ask, f.order = None, False, False, "deals", None, None, "desc"
    return f


from kg.chat.plan import LIST_CAP as ROW_LIMIT  # noqa: E402 - one cap for the plan and the answer


def _answer_named(store, q: str, p, unresolved, session, frame) -> dict:
    from kg.queries import run

    if unresolved and (p.intent == "unknown" or _missing_subject(p) or p.intent in ("top_investors", "companies")):
        out = _base(q, p.language)
        close = _close_names(store, unresolved[0])
        hint = ("" if not close else ("您是不是指：" + "、".join(close) + "？" if p.language == "zh" else
                                      " Did you mean " + ", ".join(close) + "?"))
        out["intent"] = p.intent if p.intent != "unknown" else "unknown"
        out["text"] = (f"图中没有找到名为“{unresolved[0]}”的投资机构或公司。" if p.language == "zh" else
                       f"No investor or company named '{unresolved[0]}' in the graph.") + hint
        if session is not None:
            session.record(p, ok=False)
        return out
    out = _base(q, p.language)
    if p.intent == "unknown" or not p.query:
        if not _has_letters(p.text) and session_lang(session):
            out["language"] = p.language = session_lang(session)  # an empty line or "???" in a Chinese chat
        out["text"] = _unknown_text(store, p.language, p.notes[0] if p.notes else "")
        if session is not None:
            session.record(p, ok=False)
        return out
    out["intent"], out["params"] = p.intent, _plain(p.params)
    missing = _missing_subject(p)
    if missing:
        out["text"] = (f"请告诉我是哪家{missing[0]}。" if p.language == "zh" else f"Which {missing[1]} do you mean?") + \
            " " + _unknown_text(store, p.language).split("：" if p.language == "zh" else ": ", 1)[-1]
        if session is not None:
            session.record(p, ok=False)
        return out
    try:
        res = run(store, p.query, **p.params)
    except QueryError as exc:
        out["text"] = _not_found_text(p, str(exc))
        if p.intent in ("company_count", "deal_count") and _unknown_entity(p):
            out["value"] = 0
        if session is not None:
            session.record(p, ok=True)
        return out
    except KGError as exc:
        out["text"] = (f"查询失败：{exc}" if p.language == "zh" else f"The query failed: {exc}")
        return out
    if p.mode.get("also"):  # investors of several companies: one query per company, intersected
        p.mode["also_rows"] = []
        for other in p.mode["also"]:
            extra = run(store, p.query, **{**p.params, "company": other})
            p.mode["also_rows"].append({r["investor"] for r in extra.rows})
            res.cypher += ";\n" + extra.cypher
    composed = compose(p, res, store)
    out.update(text=composed["text"], entities=composed["entities"], value=_plain(composed["value"]),
               rows=_plain(composed["rows"][:ROW_LIMIT]), cypher=res.cypher, params_cypher=_plain(res.params_cypher),
               graph=_plain(res.graph))
    if p.intent == "neighborhood" and re.search(r"总部|\bheadquarter", q, re.IGNORECASE):
        out["text"] += ("（按公司所在地理解：图中记录公司所在的省市，不单独记录总部。）" if p.language == "zh" else
                        " (Read as where the company is located: the graph records its province and city, not a "
                        "separate headquarters.)")
    from kg.chat.plan import interpretation

    out["interpretation"] = interpretation(store, frame) if frame is not None and p.intent not in NAMED_ONLY else p.intent
    if frame is not None and frame.ignored:
        out["partial"], out["ignored"] = True, list(frame.ignored)
        out["text"] += ("（没有理解：" + "、".join(frame.ignored) + "）") if p.language == "zh" else \
            (" (Not understood: " + ", ".join(frame.ignored) + ".)")
    else:
        out["partial"], out["ignored"] = False, []
    if res.truncated and res.meta.get("omitted"):
        out["total"], out["shown"] = len(res.rows) + res.meta["omitted"], min(len(res.rows), ROW_LIMIT)
    elif len(composed["rows"]) > ROW_LIMIT:  # the answer lists the first ROW_LIMIT rows (the query's page has all)
        out["total"], out["shown"] = len(composed["rows"]), ROW_LIMIT
    if session is not None:
        session.record(p, ok=True)
        session.last_single = _single_of(store, out.get("entities") or [])
    return out


def _close_names(store, text: str) -> list[str]:
    try:
        from kg.queries.resolve import catalog

        return [e.name for _, e in catalog(store).search(text, ("Investor", "Company"), limit=3)]
    except Exception:  # noqa: BLE001 - suggestions are optional
        return []


def _missing_subject(p: Parse):
    need = {"portfolio": ("investor",), "co_investors": ("investor",), "investors_of": ("company",),
            "funding_history": ("company",), "common_portfolio": ("a", "b"), "path": ("a", "b"),
            "neighborhood": ("entity",), "region_clusters": ("region",)}.get(p.intent, ())
    for key in need:
        if key not in p.params:
            return {"investor": ("投资机构", "investor"), "company": ("公司", "company"), "a": ("机构", "investor"),
                    "b": ("机构", "investor"), "entity": ("机构或公司", "investor or company"),
                    "region": ("地区", "region")}[key]
    return None


def _unknown_entity(p: Parse) -> bool:
    return any(not m.in_graph for m in p.mentions if m.label in ("Investor", "Company"))


def _not_found_text(p: Parse, msg: str) -> str:
    names = [m.name for m in p.mentions if m.label in ("Investor", "Company") and not m.in_graph]
    if p.language == "zh":
        if names:
            return f"图中还没有{'、'.join(names)}的投资记录。"
        return f"没有找到：{msg}"
    if names:
        return f"The graph has no deals of {', '.join(names)} yet."
    return f"Not found: {msg}"
