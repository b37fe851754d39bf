"""From a :class:`~kg.chat.frame.Frame` to an answer: a plan of ``deals`` queries (one, or two for a
set operation or a share), run on any backend through :func:`kg.queries.run`, and the answer's text
composed per measure and target, with the one-line interpretation of what was answered.
"""
from __future__ import annotations

import functools

from kg.chat.frame import Frame
from kg.queries import run

__all__ = ["execute", "frame_intent", "interpretation"]


def frame_intent(f: Frame) -> str:
    """The intent a frame answers, named after the named query it generalises where there is one."""
    fl = f.filters
    if f.ask == "interval":
        return "round_interval"
    if f.seq is not None:
        return "company_round"
    if f.setop == "union":
        return "portfolio_union" if f.target == "companies" else "investors_union"
    if f.setop and f.group_by == "round":
        return "deals_difference" if f.setop == "minus" else "common_deals"
    if f.setop == "minus":
        return "portfolio_difference" if f.target == "companies" else "investor_difference"
    if f.setop == "both":
        return "common_portfolio" if f.target == "companies" else "common_investors"
    if f.co_investors:
        return "co_investors"
    if f.yesno:
        return "yes_no"
    if f.repeat:
        return "repeat_companies"
    if f.measure == "share":
        return "share"
    if f.measure == "per_group":
        return "per_group_average"
    if f.measure in ("avg", "median", "max", "min"):
        return f"amount_{f.measure}"
    g = f.group_by
    if g == "round":
        return "rounds"
    if g == "company":
        return "portfolio" if fl.get("investor") else "companies"
    if g == "investor":
        return "investors_of" if fl.get("company") else "top_investors"
    if g in ("province", "city", "macro"):
        return "region_summary"
    if g == "segment":
        return "segment_summary"
    if g in ("year", "month"):
        return "timeline"
    if g == "type":
        return "stage_summary"
    return {"companies": "company_count", "investors": "investor_count", "amount": "amount_total"}.get(f.measure,
                                                                                                    "deal_count")

_MEASURE_OF = {"deals": "deals", "companies": "companies", "investors": "investors", "amount": "amount",
               "avg": "avg", "median": "median", "max": "max", "min": "min"}


@functools.lru_cache(maxsize=1)
def _round_labels() -> dict:
    from ontology import load

    return {r.type: (r.label, r.label_en) for r in load().rounds}


_GROUP_WORDS = {"early": ("早期", "early-stage"), "later": ("后期", "later-stage"), "strategic": ("战略投资", "strategic"),
                "listed": ("上市", "listing"), "other": ("其他", "other")}


def _params(f: Frame, **extra) -> dict:
    fl = dict(f.filters)
    out = {}
    for k in ("year", "date_from", "date_to", "segment", "region", "company", "lead_only", "min_amount", "max_amount",
              "disclosed", "min_inclusive", "max_inclusive", "not_lead", "currency"):
        if fl.get(k) is not None:
            out[k] = fl[k]
    if fl.get("round"):
        out["round"] = list(fl["round"])
    if fl.get("investor"):
        out["investor"] = ",".join(fl["investor"])
    out.update({k: v for k, v in extra.items() if v is not None})
    if out.get("lead_only") and not out.get("investor") and out.get("group_by") != "investor" \
            and out.get("measure") != "investors":
        out.pop("lead_only")
    return out


LIST_CAP = 1000  # rows an answer carries at most (kg.chat.answer.ROW_LIMIT): a ranking's total counts the rest
EVERY = 10_000_000  # the deals query's k that keeps every group: set operations and filters over the groups
#                     (A but not B, at least n rounds, more than n deals, these two side by side) need whole sets


class _Run:
    """Runs the plan's queries and keeps their Cypher."""

    def __init__(self, store):
        self.store = store
        self.cypher: list[str] = []
        self.params: dict = {}
        self.graph = {"nodes": [], "edges": []}

    def __call__(self, **params):
        res = run(self.store, "deals", **params)
        self.cypher.append(res.cypher)
        for k, v in res.params_cypher.items():
            key = k if k not in self.params or self.params[k] == v else f"{k}_{len(self.cypher)}"
            self.params[key] = v
        if res.graph.get("nodes"):
            self.graph = res.graph
        return res


def _name(store, id_: str) -> str:
    if store is None:
        _, _, name = str(id_).partition(":")
        return name or str(id_)
    from kg.queries.resolve import catalog

    e = catalog(store).entity(id_) if isinstance(id_, str) else None
    return e.name if e is not None else str(id_)


def _key_text(key: str, group: str | None, lang: str) -> str:
    if group == "type":
        lab = _round_labels().get(key) or _GROUP_WORDS.get(key)
        return (lab[0] if lang == "zh" else lab[1]) if lab else str(key)
    return str(key)


def execute(store, f: Frame, answer_money) -> dict:
    """Run ``f``'s plan; the answer's fields (text, entities, value, rows, cypher, …)."""
    q = _Run(store)
    out: dict = {"entities": [], "value": None, "rows": []}
    regions = list(dict.fromkeys(f.other.get("regions") or []))
    if len(regions) > 1 and not f.groups_in and (f.group_by not in (None, "company", "round") or
                                                  f.measure in ("share", "per_group")):
        # several regions' deals grouped another way: answered for the first region, the others said
        f = copy_frame(f)
        f.other.pop("regions", None)
        out["dropped"] = [_display(store, r, f.language) for r in regions[1:]]
    if f.other.get("alternatives"):
        _alternatives(store, f, q, out)
    elif f.ask == "interval":
        _interval(store, f, q, out)
    elif f.seq is not None:
        _history(store, f, q, out, answer_money)
    elif f.setop:
        _setop(store, f, q, out)
    elif f.measure == "share":
        _share(store, f, q, out)
    elif f.measure == "per_group":
        _per_group(store, f, q, out)
    elif f.repeat:
        by = "investor" if f.target == "investors" else "company"  # investors that joined more than one of its rounds
        res = q(**_params(f, group_by=by, measure="deals", k=EVERY))
        rows = [r for r in res.rows if r["deals"] >= f.repeat]
        out.update(entities=[r["key"] for r in rows], value=len(rows), rows=rows)
    elif f.yesno and not f.group_by or (f.yesno and f.filters.get("company") and f.filters.get("investor")):
        res = q(**_params(f, group_by="round", order="date"))
        out.update(value=1 if res.rows else 0, rows=res.rows, evidence=len(res.rows))
    elif len(f.other.get("regions") or []) > 1 and not f.groups_in and f.measure not in ("share", "per_group"):
        _regions_union(store, f, q, out)
    elif f.group_by:
        _grouped(store, f, q, out)
        if f.yesno and not f.compare:  # 一起投过项目吗: yes or no, the groups as the evidence
            out.update(value=1 if out["rows"] else 0, evidence=len(out["rows"]))
    else:
        measure = _MEASURE_OF.get(f.measure, "deals")
        res = q(**_params(f, measure=measure))
        row = res.rows[0] if res.rows else {}
        out.update(value=res.value, rows=res.rows, stats=row)
        if measure in ("max", "min") and row.get("disclosed"):
            best = q(**_params(f, group_by="round", measure="amount", order="desc" if measure == "max" else "asc",
                               k=1, ties=True, disclosed=True))
            if best.rows:  # every company whose round is the largest (smallest), when several tie
                out["entities"] = list(dict.fromkeys(r["company"] for r in best.rows if r.get("company")))
                out["rows"] = best.rows
    if f.yesno and f.setop and not f.compare:  # 都投过同一家公司吗: yes or no, the companies as the evidence
        out.update(value=1 if out["rows"] else 0, evidence=len(out["rows"]))
    out.update(cypher=";\n".join(q.cypher), params_cypher=q.params, graph=q.graph)
    out["text"] = compose(store, f, out, answer_money)
    out["interpretation"] = interpretation(store, f)
    return out


def _grouped(store, f: Frame, q: _Run, out: dict) -> None:
    by = f.rank_by or ("deals" if f.measure in ("list", "deals") else f.measure)
    if f.measure in ("avg", "median", "max", "min", "amount", "companies", "investors") and f.group_by:
        by = f.measure if f.measure != "list" else by
    if f.groups_in or f.co_investors or f.having:
        k = EVERY  # filtered after the query: over every group, never over a capped list
    else:
        k = None if f.top_ties else f.k
    ties = None
    if f.top_ties and not (f.groups_in or f.co_investors or f.having):
        k, ties = 1, True  # the leaders, every one tied at the top
    elif k is not None and f.group_by not in ("round", "year", "month"):
        ties = True  # 融资次数最多的三家公司 with seven tied at the third place: all seven, and said
    if f.having and f.having[0] in ("companies", "investors") and by == "deals":
        by = f.having[0]
    order = f.order if f.order in ("asc", "desc") or (f.order == "date" and f.group_by == "round") else "desc"
    if f.group_by in ("year", "month") and not (f.k or f.top_ties) and f.order != "asc":
        order = "key"  # a time series reads in time order
    if f.group_by == "round" and not (f.k or f.top_ties) and f.rank_by in (None, "deals"):
        order = "date"  # rounds listed in the order they happened (ranked when a measure ranks them)
    measure = by if by in _MEASURE_OF else "deals"
    if k == 1 and ties and f.top_ties and f.plural_rank:
        # a plural question about the leaders: one query for the ranking (the answer lists at most
        # LIST_CAP rows, its total says how many there are); the leaders are its head when tied
        res = q(**_params(f, group_by=f.group_by, measure=measure, order=order, k=LIST_CAP))
        head = [r.get(by) for r in res.rows]
        if len(head) == LIST_CAP and head[0] == head[-1]:  # more tied at the top than a ranking holds
            res = q(**_params(f, group_by=f.group_by, measure=measure, order=order, k=1, ties=True))
    else:
        res = q(**_params(f, group_by=f.group_by, measure=measure, order=order, k=k, ties=ties))
    rows = list(res.rows)
    if f.co_investors:
        mine = set(f.filters.get("investor") or [])
        rows = [r for r in rows if r["key_id"] not in mine]
    if f.groups_in:
        rows = [r for r in rows if r["key_id"] in f.groups_in]
        if f.compare:  # side by side in the order named, each present even when it has nothing
            have = {r["key_id"]: r for r in rows}
            rows = [have.get(g) or {"key_id": g, "key": _name(store, g) if isinstance(g, str) else str(g), "deals": 0,
                                    "companies": 0, "investors": 0, "amount": None, "disclosed": 0, "avg": None,
                                    "median": None, "max": None, "min": None} for g in f.groups_in]
    if f.having:
        what, op, n = f.having
        test = {">": lambda v: v > n, ">=": lambda v: v >= n, "<": lambda v: v < n, "==": lambda v: v == n}[op]
        rows = [r for r in rows if r.get(what) is not None and test(r[what])]
    if by in ("amount", "avg", "median", "max", "min") and (f.k or f.top_ties):
        rows = [r for r in rows if r.get(by) is not None] or rows  # a ranking by amount: the disclosed ones
    total = res.meta.get("total", len(rows))
    if f.top_ties and rows:
        top = rows[0].get(by)
        leaders = [r for r in rows if r.get(by) == top]
        if len(leaders) > 1 or not f.plural_rank:
            rows = leaders
    elif (f.co_investors or f.groups_in) and f.k:
        rows = rows[: f.k]
    if f.group_by == "round" and f.filters.get("company"):  # one company's rounds: the rounds themselves
        out["entities"] = list(dict.fromkeys(_key_text(r["type"], "type", "zh") if r.get("type") else str(r["key"])
                                             for r in rows))
    elif f.group_by == "round":  # a list of rounds answers with the companies that raised them
        out["entities"] = list(dict.fromkeys(r["company"] for r in rows if r.get("company")))
    else:
        out["entities"] = [_key_text(r["key"], f.group_by, "zh") for r in rows]
    if f.compare and (f.ask in ("which", "difference") or f.yesno) and f.groups_in:  # 哪个多 / 差多少 / 是否比…多
        _side_by_side(f, rows, by, out)
        return
    if f.k and not f.top_ties and ties and len(rows) > f.k:
        out["tied"] = len(rows)
    out["rows"] = rows
    out["by"] = by
    out["total"] = total if not (f.co_investors or f.groups_in or f.having) else len(rows)
    out["shown"] = len(rows)
    # a list cut at LIST_CAP rows counts every row that matched (its total), not the ones it carries
    listed = max(out["total"], len(rows)) if not (f.k or f.top_ties) else len(rows)
    if f.measure in ("deals", "companies", "investors") and not f.k and not f.top_ties and f.group_by in ("company", "investor"):
        out["value"] = listed
    elif len(rows) == 1 and by in rows[0]:
        out["value"] = rows[0][by]
    else:
        out["value"] = listed


def _alternatives(store, f: Frame, q: _Run, out: dict) -> None:
    """早期还是后期, seed or angel rounds, 天使轮和A轮哪个平均金额更高: each alternative's own query,
    side by side in the order named, as a comparison of groups is."""
    by = f.rank_by if f.rank_by in _MEASURE_OF else "deals"
    rows = []
    for alt in f.other["alternatives"]:
        g = copy_frame(f)
        g.other = {}
        g.filters.update(alt["filters"])
        res = q(**_params(g, measure=by))
        row = dict(res.rows[0]) if res.rows else {}
        row.update(key=alt["key"], key_id=alt["key"])
        rows.append(row)
    _side_by_side(f, rows, by, out)


def _side_by_side(f: Frame, rows: list, by: str, out: dict) -> None:
    """The answer's fields for groups compared (rows in the order named): each one's value; the one
    ahead named when the question asks which; the gap as the value when it asks the difference."""
    out["entities"] = [_key_text(r["key"], f.group_by, "zh") for r in rows]
    vals = [r.get(by) for r in rows]
    if f.ask == "which" and len(rows) >= 2 and any(v is not None for v in vals):
        best = (min if f.order == "asc" else max)(v for v in vals if v is not None)
        out["entities"] = [_key_text(r["key"], f.group_by, "zh") for r in rows if r.get(by) == best]
    out.update(rows=rows, by=by, total=len(rows), shown=len(rows), value=len(rows))
    if f.ask == "difference" and len(rows) == 2 and None not in vals:
        out["value"] = abs(vals[0] - vals[1])
    if f.yesno and len(rows) == 2:  # 2020年是否比2019年投得更多: the first named against the second
        a, b = (v if v is not None else 0 for v in vals)
        out["value"] = int(a < b) if f.order == "asc" else int(a > b)
        out["evidence"] = 1


def _regions_union(store, f: Frame, q: _Run, out: dict) -> None:
    """Several regions named (北京和上海一共, Beijing or Shanghai): the deals of any of them, each round once;
    a region inside another named one adds nothing."""
    import statistics

    from kg.queries.filters import region_closure

    regions = list(dict.fromkeys(f.other["regions"]))
    inside = {r for r in regions for o in regions if o != r and r in region_closure(store, o)}
    rounds: dict = {}
    for reg in [r for r in regions if r not in inside]:
        g = copy_frame(f)
        g.filters["region"] = reg
        for row in q(**_params(g, group_by="round", order="date")).rows:
            rounds.setdefault(row["key_id"], row)
    rows = sorted(rounds.values(), key=lambda r: (str(r.get("date") or "9999"), str(r["key_id"])))
    amounts = [r["amount"] for r in rows if r.get("amount") is not None]
    if f.group_by in ("company", None) and f.measure in ("list", "deals", "companies", "amount", "avg", "median",
                                                         "max", "min"):
        by_co: dict = {}
        for r in rows:
            c = by_co.setdefault(r["company_id"], {"key_id": r["company_id"], "key": r["company"], "deals": 0,
                                                   "amount": None, "disclosed": 0})
            c["deals"] += 1
            if r.get("amount") is not None:
                c["amount"] = (c["amount"] or 0.0) + r["amount"]
                c["disclosed"] += 1
        if f.group_by == "company":
            cos = sorted(by_co.values(), key=lambda c: (-c["deals"], str(c["key"])))
            out.update(rows=cos, entities=[c["key"] for c in cos], value=len(cos), by="deals", total=len(cos),
                       shown=len(cos))
            return
        stats = {"deals": len(rows), "companies": len(by_co), "disclosed": len(amounts),
                 "amount": sum(amounts) if amounts else None,
                 "avg": sum(amounts) / len(amounts) if amounts else None,
                 "median": statistics.median(amounts) if amounts else None,
                 "max": max(amounts) if amounts else None, "min": min(amounts) if amounts else None}
        measure = _MEASURE_OF.get(f.measure, "deals")
        out.update(value=stats.get(measure), rows=[stats], stats=stats)
        if measure in ("max", "min") and amounts:
            best = (max if measure == "max" else min)(rows, key=lambda r: r["amount"] if r.get("amount") is not None
                                                      else (float("-inf") if measure == "max" else float("inf")))
            out["entities"] = [best["company"]]
        return
    if f.group_by == "round":
        out.update(rows=rows, entities=list(dict.fromkeys(r["company"] for r in rows)), value=len(rows))
        return
    _grouped(store, f, q, out)  # not reached: execute() answers a grouping of several regions for the first


def _per_group(store, f: Frame, q: _Run, out: dict) -> None:
    """A count averaged over groups: per month or year over every period the question spans (empty
    ones count), per company, investor or place over the ones that have any."""
    unit = f.rank_by if f.rank_by in ("deals", "companies", "investors") else "deals"
    res = q(**_params(f, group_by=f.group_by, measure=unit, order="key", k=EVERY))  # every group counts
    rows = list(res.rows)
    total = sum(int(r.get(unit) or 0) for r in rows)
    n = len(rows)
    fl = f.filters
    if f.group_by in ("month", "year") and rows:
        def code(k):  # a period as a number of months or years
            k = str(k)
            return int(k[:4]) * 12 + int(k[5:7]) - 1 if f.group_by == "month" else int(k[:4])
        keys = [code(r["key_id"]) for r in rows if str(r["key_id"])[:4].isdigit()]
        lo, hi = min(keys), max(keys)
        if f.group_by == "month":
            y0 = fl.get("year") or (str(fl.get("date_from") or "")[:4] or None)
            y1 = fl.get("year") or (str(fl.get("date_to") or "")[:4] or None)
            ref = _newest_month(store)
            if y0:
                lo = min(lo, int(y0) * 12)
            if y1:
                end = int(y1) * 12 + 11
                hi = max(hi, min(end, ref) if ref is not None else end)
        else:
            if fl.get("year"):
                lo = hi = int(fl["year"])
            if fl.get("date_from"):
                lo = min(lo, int(str(fl["date_from"])[:4]))
            if fl.get("date_to"):
                hi = max(hi, int(str(fl["date_to"])[:4]))
        n = hi - lo + 1
    out.update(rows=rows, by=unit, value=round(total / n, 2) if n else None, part=total, whole=n)


def _newest_month(store) -> int | None:
    """The newest dated deal's month (as year * 12 + month - 1): a period after it has not happened yet."""
    try:
        rows = run(store, "deals", group_by="month", order="key").rows
    except Exception:  # noqa: BLE001 - a bound only
        return None
    keys = [str(r["key_id"]) for r in rows if str(r["key_id"])[:4].isdigit() and len(str(r["key_id"])) >= 7]
    if not keys:
        return None
    k = max(keys)
    return int(k[:4]) * 12 + int(k[5:7]) - 1


def _setop(store, f: Frame, q: _Run, out: dict) -> None:
    """A but not B (nor C), A and B (and C): each operand its own query, keyed by the group."""
    g = f.group_by or ("company" if f.target == "companies" else "investor")
    a = q(**_params(f, group_by=g, measure="deals", k=EVERY))
    others = []
    if "investor" in f.other:
        for inv in f.other["investor"]:  # each investor its own set (a list in one query means the same round)
            o = copy_frame(f)
            o.filters["investor"] = [inv]
            o.filters.pop("lead_only", None)
            if f.other.get("lead_only"):
                o.filters["lead_only"] = True
            others.append(o)
    if "region" in f.other:
        o = copy_frame(f)
        o.filters["region"] = f.other["region"]
        others.append(o)
    for key in ("company", "year", "round", "segment"):  # investors of A but never B; in 2019 but not 2020; angel and A
        if key in f.other:
            o = copy_frame(f)
            o.filters[key] = f.other[key]
            others.append(o)
    keysets = [] if f.setop == "union" else \
        [{r["key_id"] for r in q(**_params(o, group_by=g, measure="deals", k=EVERY)).rows} for o in others]
    if f.setop == "union":
        seen = {r["key_id"]: r for r in a.rows}
        for o in others:
            for r in q(**_params(o, group_by=g, measure="deals", k=EVERY)).rows:
                seen.setdefault(r["key_id"], r)
        rows = list(seen.values())
    elif f.setop == "minus":
        drop = set().union(*keysets) if keysets else set()
        rows = [r for r in a.rows if r["key_id"] not in drop]
    else:
        rows = [r for r in a.rows if all(r["key_id"] in ks for ks in keysets)]
    if g == "investor" and f.setop == "both" and (f.filters.get("investor") or f.other.get("investor")):
        named = set(f.filters.get("investor") or []) | set(f.other.get("investor") or [])
        rows = [r for r in rows if r["key_id"] not in named]  # co-investors of both: not the two themselves
    if g == "round":
        rows.sort(key=lambda r: (str(r.get("date") or ""), str(r["key_id"])))
        out.update(entities=list(dict.fromkeys(r["company"] for r in rows if r.get("company"))), value=len(rows),
                   rows=rows)
        return
    rows.sort(key=lambda r: (-r["deals"], str(r["key"])))
    out.update(entities=[r["key"] for r in rows], value=len(rows), rows=rows)


def copy_frame(f: Frame) -> Frame:
    import copy

    return copy.deepcopy(f)


def _share(store, f: Frame, q: _Run, out: dict) -> None:
    whole = q(**_params(f, measure="deals"))
    part_frame = copy_frame(f)
    part_frame.filters.update(f.share_part)
    part = q(**_params(part_frame, measure="deals"))
    den, num = whole.value or 0, part.value or 0
    out.update(value=round(100.0 * num / den, 4) if den else None, rows=[{"part": num, "whole": den}],
               part=num, whole=den)


def _day(date: str | None):
    """An ISO date (2019, 2019-07, 2019-07-22) as a date, the first of its month or year when less precise."""
    import datetime as dt

    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    y, m, d = int(date[:4]), int(date[5:7]) if len(date) >= 7 else 1, int(date[8:10]) if len(date) >= 10 else 1
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _interval(store, f: Frame, q: _Run, out: dict) -> None:
    """Days between two of a company's rounds (first and second, …), or the average gap between its rounds."""
    hist = copy_frame(f)
    for k in ("lead_only", "investor"):
        hist.filters.pop(k, None)
    rows = [r for r in q(**_params(hist, group_by="round", order="date")).rows if _day(r.get("date"))]
    out["rows"] = rows
    if len(rows) < 2:
        out["gaps"] = []
        return
    if f.interval:
        a, b = (rows[i - 1] if i > 0 else rows[i] for i in f.interval)
        if f.interval[-1] == -1:
            b = rows[-1]
        gaps = [(_day(b["date"]) - _day(a["date"])).days]
        out["pair"] = (a, b)
    else:
        days = [_day(r["date"]) for r in rows]
        gaps = [(y - x).days for x, y in zip(days, days[1:])]
    out["gaps"] = gaps
    out["value"] = round(sum(gaps) / len(gaps), 1) if not f.interval else gaps[0]
    out["entities"] = [r["key"] for r in rows]


def _history(store, f: Frame, q: _Run, out: dict, money) -> None:
    hist = copy_frame(f)
    for k in ("lead_only", "investor"):
        hist.filters.pop(k, None)
    rounds = q(**_params(hist, group_by="round", order="date"))
    rows = rounds.rows
    n = f.seq
    pick = rows[n - 1] if n and n > 0 and len(rows) >= n else (rows[-1] if n == -1 and rows else None)
    out["rows"] = rows
    if pick is None:
        out["text_note"] = "none"
        return
    out["round"] = pick
    if f.ask == "investors":
        inv = q(**_params(hist, round_id=pick["key_id"], group_by="investor", measure="deals",
                          lead_only=bool(f.filters.get("lead_only")) or None))
        out.update(entities=[r["key"] for r in inv.rows], value=len(inv.rows), rows=inv.rows)
    elif f.ask == "amount":
        out.update(value=pick.get("amount"), entities=[pick["key"]])
    elif f.ask == "year":
        year = int(str(pick["date"])[:4]) if pick.get("date") else None
        out.update(value=year, entities=[str(year)] if year else [])  # 哪一年: the year is the answer
    else:
        out.update(entities=[pick["key"]], value=pick.get("amount"))


# ------------------------------------------------------------------------------------------ text
def interpretation(store, f: Frame) -> str:
    """One line: the filters, the measure and the grouping that were answered."""
    zh = f.language == "zh"
    fl = f.filters
    parts = []
    if fl.get("year"):
        parts.append(f"{fl['year']}年" if zh else str(fl["year"]))
    if f.relative:  # 今年 / last year: the data's time, not the clock, and said so
        parts.append(f"（“{f.relative}”按数据中最新的年份理解）" if zh else f"('{f.relative}' read against the newest deal in the data)")
    if fl.get("date_from") or fl.get("date_to"):
        a, b = fl.get("date_from") or "…", fl.get("date_to") or "…"
        parts.append(f"{a} 至 {b}" if zh else f"{a} to {b}")
    for key in ("region", "segment", "company"):
        if key == "region" and len(f.other.get("regions") or []) > 1 and not f.groups_in:
            names = [_display(store, r, f.language) for r in dict.fromkeys(f.other["regions"])]
            parts.append(("或".join(names) if zh else " or ".join(names)))
            continue
        if fl.get(key):
            parts.append(_display(store, fl[key], f.language))
    if fl.get("investor"):
        names = [_display(store, i, f.language) for i in fl["investor"]]
        lead = ("领投" if zh else "led by ") if fl.get("lead_only") else ""
        if fl.get("not_lead"):
            parts.append(("、".join(names) + "（跟投，非领投）") if zh else "with " + ", ".join(names) + " (not as lead)")
        else:
            parts.append((("、".join(names) + (lead and "（领投）")) if zh else (lead or "with ") + ", ".join(names)))
    elif fl.get("lead_only"):
        parts.append("领投" if zh else "leads only")
    if fl.get("round"):
        labs = []
        for r in fl["round"]:
            if r in _GROUP_WORDS:
                labs.append(_GROUP_WORDS[r][0 if zh else 1])
            else:
                lab = _round_labels().get(r)
                labs.append((lab[0] if zh else lab[1]) if lab else r)
        parts.append("/".join(labs))
    parts += _amount_words(fl, f.language)
    if fl.get("currency"):
        parts.append(f"以{ {'USD': '美元', 'CNY': '人民币'}.get(fl['currency'], fl['currency'])}计价" if zh else
                     f"in {fl['currency']}")
    if fl.get("disclosed") is True:
        parts.append("已披露金额" if zh else "disclosed amounts")
    elif fl.get("disclosed") is False:
        parts.append("未披露金额" if zh else "undisclosed amounts")
    what = _what(f, store)
    if f.measure == "share" and f.share_part and _amount_words(f.share_part, f.language):
        what = (f"{'、'.join(_amount_words(f.share_part, 'zh'))}的占比（%）" if zh else
                f"share of {', '.join(_amount_words(f.share_part, 'en'))} (%)")
    elif f.measure == "share" and f.share_part:
        key, val = next(iter(f.share_part.items()))
        part = {"round": lambda v: "/".join(_GROUP_WORDS.get(x, (_round_labels().get(x, (x, x))))[0 if zh else 1]
                                            for x in v),
                "disclosed": lambda v: ("已披露金额" if v else "未披露金额") if zh else ("disclosed" if v else "undisclosed"),
                "lead_only": lambda v: "领投" if zh else "led",
                "region": lambda v: _display(store, v, f.language),
                "segment": lambda v: _display(store, v, f.language),
                "investor": lambda v: ("、" if zh else ", ").join(_display(store, i, f.language) for i in v)}[key](val)
        what = (f"{part}的占比（%）" if zh else f"share of {part} (%)")
    return " · ".join(parts + [what]) if parts else what


def _amount_words(fl: dict, lang: str) -> list[str]:
    """An amount threshold in words: 超过1.00亿元 / > CNY 100.0m, both ends of a range."""
    zh, out = lang == "zh", []
    if fl.get("min_amount"):
        incl = fl.get("min_inclusive")
        out.append(((">=" if incl else ">") if not zh else ("不低于" if incl else "超过")) + _money(fl["min_amount"], lang))
    if fl.get("max_amount"):
        incl = fl.get("max_inclusive")
        out.append(((("<=" if incl else "<") if not zh else ("不高于" if incl else "低于")) + _money(fl["max_amount"], lang)))
    return out


def _what(f: Frame, store=None) -> str:
    zh = f.language == "zh"
    m = {"deals": ("融资数（轮）", "number of deals (rounds)"), "companies": ("公司数", "number of companies"),
         "investors": ("投资机构数", "number of investors"), "amount": ("已披露金额之和", "sum of disclosed amounts"),
         "avg": ("已披露金额的平均值", "average of disclosed amounts"), "median": ("已披露金额的中位数", "median of disclosed amounts"),
         "max": ("单笔最大金额", "largest disclosed amount"), "min": ("单笔最小金额", "smallest disclosed amount"),
         "share": ("占比（%）", "share (%)"), "per_group": ("平均每组的数量", "average count per group")}
    g = {"investor": ("投资机构", "investor"), "company": ("公司", "company"), "segment": ("细分领域", "segment"),
         "province": ("省份", "province"), "city": ("城市", "city"), "macro": ("大区", "macro region"),
         "year": ("年份", "year"), "month": ("月份", "month"), "type": ("轮次", "round type"), "round": ("轮", "round")}
    i = 0 if zh else 1
    if f.ask == "interval":
        return "融资间隔（天）" if zh else "time between rounds (days)"
    if f.seq is not None:
        nth = {1: ("第一轮", "first round"), 2: ("第二轮", "second round"), 3: ("第三轮", "third round"),
               4: ("第四轮", "fourth round"), -1: ("最近一轮", "latest round")}.get(f.seq, (f"第{f.seq}轮", f"round {f.seq}"))
        return nth[i]
    if f.setop:
        other = f.other.get("investor") or [f.other[k] for k in ("region", "company", "segment") if f.other.get(k)]
        names = "、".join(_display(store, o, f.language) for o in other) if zh else \
            ", ".join(_display(store, o, f.language) for o in other)
        if f.other.get("year"):
            names = f"{f.other['year']}年" if zh else str(f.other["year"])
        elif f.other.get("round"):
            names = "、".join(_key_text(x, "type", f.language) for x in f.other["round"])
        if f.other.get("lead_only") and f.other.get("investor"):
            names += "（领投）" if zh else " (as lead)"
        if f.setop == "minus":
            return f"减去 {names} 的" if zh else f"minus those of {names}"
        if f.setop == "union":
            return f"或 {names}（任一方）" if zh else f"or {names} (either)"
        return f"且 {names} 也有" if zh else f"and also {names}"
    if f.co_investors:
        return "合投机构（按共同轮次）" if zh else "co-investors (by shared rounds)"
    if f.repeat:
        return f"至少融资{f.repeat}轮的公司" if zh else f"companies with at least {f.repeat} rounds"
    if f.yesno:
        return "是否存在" if zh else "yes/no"
    if f.compare:
        return ("对比：" if zh else "side by side: ") + {"deals": ("融资数", "deals"), "companies": ("公司数", "companies"),
                                                           "investors": ("机构数", "investors"),
                                                           "amount": ("已披露金额", "disclosed amount"),
                                                           "avg": ("平均金额", "average amount"),
                                                           "median": ("金额中位数", "median amount")}.get(
            f.rank_by or "deals", ("融资数", "deals"))[i]
    if f.having:
        what, op, n = f.having
        return (f"{g[f.group_by][0] if f.group_by else ''}（{ {'>': '超过', '>=': '至少', '<': '少于', '==': '恰好'}[op]}{n}"
                f"{ {'companies': '家公司', 'investors': '家投资方'}.get(what, '起')}）" if zh else
                f"{g[f.group_by][1] if f.group_by else ''} with "
                f"{({'>': 'more than', '>=': 'at least', '<': 'fewer than', '==': 'exactly'})[op]} {n} {what}")
    if f.group_by == "round":
        return "逐轮列出" if zh else "each round"
    if f.group_by:
        by = f.rank_by or "deals"
        rank = {"deals": ("按融资数", "by deals"), "companies": ("按公司数", "by companies"),
                "amount": ("按已披露金额", "by disclosed amount")}.get(by, ("", ""))[i]
        order = ("升序" if zh else "ascending") if f.order == "asc" else ""
        k = (f"前{f.k}" if zh else f"top {f.k}") if f.k else (
            (("最少者（并列则全列）" if f.order == "asc" else "最多者（并列则全列）") if zh else
             ("the bottom one (all, if tied)" if f.order == "asc" else "the top one (all, if tied)")) if f.top_ties else "")
        return " ".join(x for x in (("按" + g[f.group_by][0] + "分组") if zh else f"by {g[f.group_by][1]}", rank, order, k) if x)
    return m.get(f.measure, ("融资", "deals"))[i]


def _display(store, id_: str, lang: str) -> str:
    name = _name(store, id_)
    if lang == "en":
        from kg.chat.answer import english_names

        return english_names(name)
    return name


def _money(v, lang):
    from kg.chat.answer import money_text

    return money_text(v, lang)


def compose(store, f: Frame, out: dict, money) -> str:
    zh = f.language == "zh"
    line = interpretation(store, f)
    v = out.get("value")
    ents = out.get("entities") or []

    def names(xs, limit=20):
        xs = [str(x) for x in xs]
        if not zh:
            from kg.chat.answer import english_names

            xs = [english_names(x) for x in xs]
        more = len(xs) - limit
        body = ("、" if zh else ", ").join(xs[:limit])
        if more > 0:
            body += f"等 {len(xs)} 个" if zh else f" and {more} more"
        return body

    if f.ask == "interval":
        gaps = out.get("gaps") or []
        if not gaps:
            return (f"{line}：少于两轮有日期的融资，无法计算间隔。" if zh else
                    f"{line}: fewer than two dated rounds, so no time between them.")
        v = out["value"]
        months = round(v / 30.44, 1)
        if out.get("pair"):
            a, b = out["pair"]
            return (f"{line}：{a['key']}（{a['date']}）到 {b['key']}（{b['date']}）相隔 {v} 天（约 {months} 个月）。" if zh else
                    f"{line}: {v} days (about {months} months) from {a['key']} ({a['date']}) to {b['key']} ({b['date']}).")
        return (f"{line}：{len(gaps) + 1} 轮融资，平均间隔 {v} 天（约 {months} 个月）；各次间隔 " +
                "、".join(f"{g} 天" for g in gaps) + "。" if zh else
                f"{line}: {len(gaps) + 1} rounds, on average {v} days (about {months} months) apart; gaps: " +
                ", ".join(f"{g} days" for g in gaps) + ".")
    if f.seq is not None:
        r = out.get("round")
        if r is None:
            return (f"{line}：没有找到这一轮融资（共 {len(out.get('rows') or [])} 轮）。" if zh else
                    f"{line}: no such round ({len(out.get('rows') or [])} rounds in all).")
        desc = f"{_key_text(r.get('type') or '', 'type', f.language) if r.get('type') else r['key']}，{r.get('date') or '日期未知'}" \
            if zh else f"{_key_text(r.get('type') or '', 'type', 'en')}, {r.get('date') or 'undated'}"
        if f.ask == "investors":
            who = names(ents) if ents else ("未披露投资方" if zh else "no investors recorded")
            return f"{line}（{desc}）：{who}。" if zh else f"{line} ({desc}): {who}."
        if f.ask == "year":
            return f"{line}（{desc}）：{v}年。" if zh else f"{line} ({desc}): {v}."
        return f"{line}（{desc}）：{money(r.get('amount'), f.language)}。" if zh else \
            f"{line} ({desc}): {money(r.get('amount'), f.language)}."
    if f.yesno:
        n = out.get("evidence", 0) if f.setop is None else len(ents)
        unit = {"company": ("家公司", "compan(y/ies)"), "investor": ("家机构", "investor(s)")}.get(
            f.group_by or "", ("轮融资", "round(s)"))
        shown = f"：{names(ents, 10)}" if v and ents and f.group_by in ("company", "investor") else ""
        if zh:
            return f"{'是' if v else '否'}。{line}：{'共 ' + str(n) + ' ' + unit[0] + '符合' + shown + '。' if v else '没有符合的融资。'}"
        return f"{'Yes' if v else 'No'}. {line}: {str(n) + ' matching ' + unit[1] + shown.replace('：', ': ') + '.' if v else 'no matching round.'}"
    if f.measure == "per_group":
        unit = {"deals": ("起", "deals"), "companies": ("家公司", "companies"), "investors": ("家机构", "investors")}[
            out.get("by") or "deals"]
        per = {"month": ("月", "month"), "year": ("年", "year"), "company": ("家公司", "company"),
               "investor": ("家机构", "investor"), "city": ("个城市", "city"), "province": ("个省份", "province"),
               "segment": ("个领域", "segment"), "macro": ("个大区", "macro region"),
               "round": ("轮融资", "round")}.get(f.group_by, ("组", "group"))
        if v is None:
            return f"{line}：没有符合条件的融资。" if zh else f"{line}: no matching deals."
        if zh:
            return (f"{line}：平均每{per[0]} {v:g} {unit[0]}（共 {out['part']} {unit[0]}，"
                    f"{out['whole']} {'个月' if f.group_by == 'month' else '年' if f.group_by == 'year' else per[0]}）。")
        plural = per[1][:-1] + "ies" if per[1].endswith("y") else per[1] + "s"  # company -> companies
        return f"{line}: {v:g} {unit[1]} per {per[1]} on average ({out['part']} over {out['whole']} {plural})."
    if f.measure == "share":
        if v is None:
            return f"{line}：没有可计算的融资。" if zh else f"{line}: no deals to compute a share from."
        return (f"{line}：{v:.1f}%（{out['part']} / {out['whole']} 起）。" if zh else
                f"{line}: {v:.1f}% ({out['part']} of {out['whole']} deals).")
    if f.compare and len(out.get("rows") or []) >= 2:
        by = out.get("by") or "deals"
        rows = out["rows"]

        def fmt(v):
            if by in ("amount", "avg", "median", "max", "min"):
                return money(v, f.language)
            return f"{v or 0}{'起' if by == 'deals' else '家'}" if zh else f"{v or 0}"
        items = [f"{_key_text(r['key'], f.group_by, f.language)}：{fmt(r.get(by))}" if zh else
                 f"{names([_key_text(r['key'], f.group_by, 'en')])}: {fmt(r.get(by))}" for r in rows]
        a, b = rows[0].get(by), rows[1].get(by)
        diff = ""
        if len(rows) == 2 and a is not None and b is not None:
            d = a - b
            diff = (f"；相差 {fmt(abs(d))}" if zh else f"; a difference of {fmt(abs(d))}")
            if d:  # which one is ahead, in words
                win = rows[0] if d > 0 else rows[1]
                wname = _key_text(win["key"], f.group_by, f.language)
                diff += (f"，{wname}{'更多' if by in ('deals', 'companies', 'investors') else '更高'}" if zh else
                         f"; {names([wname])} is ahead")
            else:
                diff = "；两者相同" if zh else "; the same"
        return f"{line}：" + "；".join(items) + diff + "。" if zh else f"{line}: " + "; ".join(items) + diff + "."
    if f.group_by == "round":
        rows = out.get("rows") or []
        if not rows:
            return f"{line}：没有符合条件的融资。" if zh else f"{line}: no matching round."
        items = [(f"{r.get('company')} {_key_text(r.get('type') or '', 'type', 'zh') if r.get('type') else r['key']}"
                  f"（{r.get('date') or '日期未知'}，{money(r.get('amount'), 'zh')}）") if zh else
                 (f"{r.get('company')} {_key_text(r.get('type') or '', 'type', 'en') if r.get('type') else r['key']}"
                  f" ({r.get('date') or 'undated'}, {money(r.get('amount'), 'en')})") for r in rows[:20]]
        more = len(rows) - 20
        body = ("；" if zh else "; ").join(items) + ((f" 等 {len(rows)} 轮" if zh else f" and {more} more") if more > 0 else "")
        n_all = max(int(out.get("total") or 0), len(rows)) if not f.top_ties else len(rows)
        first = f.k and f.order == "date"  # the earliest k (第一笔融资): said as the first of all
        cut = ((f"（列出{'最早的' if first else ''} {len(rows)} 起）" if zh else
                f" ({'the first ' if first else ''}{len(rows)} listed)") if n_all > len(rows) else "")
        return f"{line}：共 {n_all} 起{cut}：{body}。" if zh else f"{line}: {n_all} in all{cut}: {body}."
    if f.group_by or f.setop or f.repeat:
        if not ents:
            return f"{line}：没有找到符合条件的结果。" if zh else f"{line}: nothing matches."
        by = out.get("by")
        rows = out.get("rows") or []
        if by and f.group_by not in ("company", "investor") or (by and (f.k or f.top_ties)):
            unit = {"deals": ("起", " deals"), "companies": ("家公司", " companies"), "investors": ("家机构", " investors")}
            items = []
            for r in rows[:20]:
                val = r.get(by)
                vt = money(val, f.language) if by in ("amount", "avg", "median", "max", "min") else \
                    f"{val}{unit.get(by, ('', ''))[0 if zh else 1]}"
                items.append(f"{_key_text(r['key'], f.group_by, f.language) if zh else names([_key_text(r['key'], f.group_by, 'en')])}"
                             f"（{vt}）" if zh else
                             f"{names([_key_text(r['key'], f.group_by, 'en')])} ({vt})")
            body = ("、" if zh else "; ").join(items)
            extra = len(rows) - 20
            if extra > 0:
                body += f" 等 {len(rows)} 项" if zh else f" and {extra} more"
            if out.get("tied"):
                body += (f"（第{f.k}名有并列，共列出 {out['tied']} 个）" if zh else
                         f" (tied at place {f.k}: all {out['tied']} listed)")
            return f"{line}：{body}。" if zh else f"{line}: {body}."
        count = out.get("total") or len(ents)
        return (f"{line}：共 {count} 个：{names(ents)}。" if zh else f"{line}: {count} in all: {names(ents)}.")
    stats = out.get("stats") or {}
    if f.measure in ("amount", "avg", "median", "max", "min"):
        disc = stats.get("disclosed", 0)
        deals = stats.get("deals", 0)
        who = f"（{names(ents)}）" if ents and zh else (f" ({names(ents)})" if ents else "")
        # an investor's "amount" is the size of the rounds it joined: the graph has no investor's own share
        share = ("这是它参与的融资轮次的金额，图中没有各机构各自的出资额；" if zh else
                 "; these are the sizes of the rounds it joined: the graph does not record each investor's own share") \
            if f.filters.get("investor") and f.measure == "amount" else ""
        if zh:
            return f"{line}：{money(v, 'zh')}{who}（{share}{deals} 起中 {disc} 起披露金额）。"
        return f"{line}: {money(v, 'en')}{who} ({disc} of {deals} deals disclosed an amount{share})."
    unit = {"deals": ("起融资", "deals"), "companies": ("家公司", "companies"), "investors": ("家投资机构", "investors")}
    u = unit.get(f.measure, unit["deals"])
    return f"{line}：{v} {u[0]}。" if zh else f"{line}: {v} {u[1]}."
