"""Deals files (CSV/XLSX, English or Chinese headers) → a :class:`~kg.model.Batch` and rejects.

``parse_deals(path)`` is pure apart from reading the file: it yields nothing to a store. Each
good row becomes a Company, a Round (keyed by company, round type and month, so the same deal
from two sources is one Round with both sources), Investors (resolved through the ontology's
aliases), and links to its Segment and Regions. Bad rows become :class:`Reject` with the line,
the field and the reason.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kg.errors import InputError
from kg.model import LIST_PROPS, Batch, merge_props
from loaders.parse import FieldError, parse_amount, parse_date, parse_round, split_names
from loaders.tabular import RowProblem, open_tables
from ontology import clean_name, node_id, norm_key
from ontology import load as load_ontology

__all__ = ["COLUMNS", "HEADER_ALIASES", "Reject", "DealsResult", "parse_deals", "round_id", "deal_batch",
           "add_company", "add_investor"]

COLUMNS = ["date", "company", "round", "amount", "currency", "investors", "lead_investors", "segment",
           "province", "city"]
REQUIRED = ["company"]

HEADER_ALIASES: dict[str, list[str]] = {
    "date": ["date", "披露日期", "日期", "融资日期", "时间", "披露时间", "融资时间", "announced", "announcement date", "deal date"],
    "company": ["company", "公司名称", "公司", "企业", "企业名称", "项目", "项目名称", "融资方", "company name", "startup"],
    "round": ["round", "轮次", "融资轮次", "round type", "series", "stage"],
    "amount": ["amount", "金额", "融资金额", "投资金额", "融资额", "amount raised", "deal size"],
    "currency": ["currency", "币种", "货币"],
    "investors": ["investors", "投资方", "投资机构", "投资人", "参投方", "参投机构", "investor"],
    "lead_investors": ["lead_investors", "领投方", "领投机构", "领投", "lead investors", "lead investor", "lead", "leads"],
    "segment": ["segment", "细分领域", "领域", "行业", "所属领域", "sector", "industry"],
    "province": ["province", "省份", "地区", "省", "所在地区", "region"],
    "city": ["city", "城市", "所在城市"],
}
_HEADER_INDEX = {norm_key(a): col for col, al in HEADER_ALIASES.items() for a in al}


@dataclass
class Reject:
    line: int
    reason: str
    values: dict
    sheet: str | None = None  # the sheet of an Excel row


@dataclass
class DealsResult:
    batch: Batch
    rejects: list[Reject]
    header: list[str]
    rows: int
    loaded: int
    encoding: str | None
    sheet: str | None
    sha256: str
    mapping: dict[str, str] = field(default_factory=dict)  # file header -> our column


def _map_header(header: list[str], mapping: dict[str, str] | None) -> dict[int, str]:
    """Column index -> our column name."""
    user = {norm_key(k): v for k, v in (mapping or {}).items()}
    out: dict[int, str] = {}
    for i, h in enumerate(header):
        key = norm_key(h)
        col = user.get(key) or _HEADER_INDEX.get(key)
        if col in COLUMNS and col not in out.values():
            out[i] = col
    return out


def read_mapping(path: str | Path | None) -> dict[str, str] | None:
    """A ``--mapping`` YAML: ``{their header: our column}``; our columns are :data:`COLUMNS`."""
    if not path:
        return None
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the mapping ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: the mapping must be a YAML map of 'their header: our column'")
    bad = [v for v in data.values() if v not in COLUMNS]
    if bad:
        raise InputError(f"{path}: unknown target column(s) {bad}; use {', '.join(COLUMNS)}")
    return {str(k): str(v) for k, v in data.items()}


def round_id(company: str, round_type: str, label: str, date: str | None) -> str:
    """Natural key of a round: company, round type (the label for unknown types) and month."""
    kind = round_type if round_type != "other" else f"other:{norm_key(label) or '?'}"
    return f"round:{norm_key(company)}|{kind}|{(date or 'undated')[:7]}"


def add_company(batch: Batch, name: str, source: str, *, segment: str | None = None,
                province: str | None = None, city: str | None = None, synthetic: bool | None = None,
                **props) -> str:
    """Company with its segment and region links (regions created when the ontology lacks them)."""
    onto = load_ontology()
    cid = node_id("company", name)
    seg = onto.segment(segment) if segment else None
    batch.node("Company", cid, source, name=name, segment_label=None if seg or not segment else clean_name(segment),
               synthetic=synthetic, **props)
    if seg:
        batch.node("Segment", seg.id, None, name=seg.name, name_en=seg.name_en)
        batch.rel("IN_SEGMENT", cid, seg.id, source, synthetic=synthetic)
    prov = onto.region(province, level="province") if province else None
    if province and prov is None:
        prov = onto.region(province)  # a macro region or city written in the province column
    cty = None
    if city:
        cty = onto.region(city, level="city", within=prov.id if prov and prov.level == "province" else None)
        if cty is None:
            name_c = clean_name(city)
            rid = f"city:{name_c}"
            parents = [prov.id] if prov is not None and prov.level == "province" else []
            batch.node("Region", rid, source, name=name_c, level="city")
            for p in parents:
                batch.rel("PART_OF", rid, p, source)
        else:
            rid = cty.id
            batch.node("Region", rid, None, name=cty.name, name_en=cty.name_en, level="city")
            if prov is None:
                prov = onto.region_by_id(cty.parents[0]) if cty.parents else None
        batch.rel("LOCATED_IN", cid, rid, source, synthetic=synthetic)
    if prov is not None:
        batch.node("Region", prov.id, None, name=prov.name, name_en=prov.name_en, level=prov.level)
        batch.rel("LOCATED_IN", cid, prov.id, source, synthetic=synthetic)
    elif province:
        rid = f"province:{clean_name(province)}"
        batch.node("Region", rid, source, name=clean_name(province), level="province")
        batch.rel("LOCATED_IN", cid, rid, source, synthetic=synthetic)
    return cid


def add_investor(batch: Batch, name: str, source: str | None, synthetic: bool | None = None) -> str:
    onto = load_ontology()
    known = onto.investor(name)
    canon = known.name if known else clean_name(name)
    iid = node_id("investor", canon)
    if known:
        batch.node("Investor", iid, source, name=canon, name_en=known.name_en, kind=known.kind,
                   aliases=list(known.aliases), synthetic=synthetic)
    else:
        aliases = [clean_name(name)] if clean_name(name) != canon else None
        batch.node("Investor", iid, source, name=canon, aliases=aliases, synthetic=synthetic)
    return iid


def deal_batch(batch: Batch, *, company: str, source: str, date: str | None, round_label: str | None,
               amount=None, investors=(), leads=(), segment=None, province=None, city=None,
               synthetic: bool | None = None, round_props: dict | None = None) -> str:
    """Add one deal (already parsed: ``amount`` is an :class:`~loaders.parse.Amount` or None)."""
    onto = load_ontology()
    rtype, label = parse_round(round_label)
    cid = add_company(batch, company, source, segment=segment, province=province, city=city, synthetic=synthetic)
    rid = round_id(company, rtype.type, label, date)
    year = int(date[:4]) if date else None
    props = dict(type=rtype.type, label=label or rtype.label, date=date, year=year,
                 month=date[:7] if date and len(date) >= 7 else None, disclosed=amount is not None,
                 synthetic=synthetic)
    if amount is not None:
        props.update(amount=amount.value, currency=amount.currency,
                     amount_cny=onto.to_cny(amount.value, amount.currency, year))
        if amount.currency != "CNY":
            props["fx_rate"] = onto.fx_rate(amount.currency, year)
    props.update(round_props or {})
    batch.node("Round", rid, source, **props)
    batch.rel("RAISED", cid, rid, source, synthetic=synthetic)
    lead_ids = set()
    for name in leads:
        lead_ids.add(add_investor(batch, name, source, synthetic))
    for name in [*investors, *[x for x in leads if x not in investors]]:
        iid = add_investor(batch, name, source, synthetic)
        batch.rel("INVESTED_IN", iid, rid, source, lead=iid in lead_ids, synthetic=synthetic)
    return rid


def _cell(v) -> str:
    return "" if v is None else str(v).strip()


class _Recorder:
    """Records the ``node``/``rel`` calls of :func:`add_company` / :func:`add_investor` run on
    stand-in values, so the same calls can be replayed for every row with the same inputs."""

    def __init__(self):
        self.calls: list[tuple] = []

    def node(self, label, id, source=None, /, **props):
        self.calls.append(("node", label, id, source, props))
        return id

    def rel(self, type, start, end, source=None, /, **props):
        self.calls.append(("rel", type, start, end, source, props))


_SRC = "\x00source\x00"       # stand-ins replaced on replay
_CO = "\x00company\x00"


class _FileBatch(Batch):
    """The :class:`Batch` of one deals file, with the same results as ``Batch.node``/``rel`` and
    their merge rules, only faster: a source (``file:NAME#Lline``) is unique to its row and rows
    come in line order, so a source is already in a list exactly when it is the list's last entry
    (``Batch`` scans the whole list, which is quadratic for an investor in thousands of rows)."""

    def _merge(self, cur: dict, props: dict, source) -> None:
        for k, v in props.items():
            if v is None:
                continue
            if k == "aliases":
                v = list(dict.fromkeys(v))
                old = cur.get(k)
                if old is None:
                    cur[k] = v
                else:
                    add = [x for x in v if x not in old]
                    if add:
                        cur[k] = list(old) + add
                continue
            if k in LIST_PROPS:
                merge_props(cur, {k: v})
                continue
            if cur.get(k) != v:
                cur[k] = v
        if source:
            srcs = cur.get("sources")
            if srcs is None:
                cur["sources"] = [source]
            elif not srcs or srcs[-1] != source:
                srcs.append(source)  # every list here was made by this batch: appending in place is safe

    def node(self, label, id, source=None, /, **props):
        bucket = self.nodes.get(label)
        if bucket is None:
            bucket = self.nodes[label] = {}
        cur = bucket.get(id)
        if cur is None:
            return Batch.node(self, label, id, source, **props)
        if props.get("id", id) != id:  # pragma: no cover - callers never pass an id prop
            return Batch.node(self, label, id, source, **props)
        self._merge(cur, props, source)
        return id

    def rel(self, type, start, end, source=None, /, **props):
        bucket = self.rels.get(type)
        if bucket is None:
            bucket = self.rels[type] = {}
        cur = bucket.get((start, end))
        if cur is None:
            return Batch.rel(self, type, start, end, source, **props)
        self._merge(cur, props, source)


class _Memo:
    """Per-file caches of everything that depends on a cell's text only (dates, amounts, round
    labels, investor names, the segment and region links of a company), replayed on each row."""

    def __init__(self, onto):
        self.onto = onto
        self.dates: dict = {}
        self.amounts: dict = {}
        self.currencies: dict = {}
        self.rounds: dict = {}
        self.names: dict = {}
        self.investors: dict = {}
        self.companies: dict = {}

    def date(self, key):
        hit = self.dates.get(key, self)
        if hit is self:
            raw = key[1]
            try:
                hit = (parse_date(raw), None)
            except FieldError as exc:
                hit = (None, f"date: {exc}")
            self.dates[key] = hit
        return hit

    def amount(self, key, cur):
        key = (*key, cur)
        hit = self.amounts.get(key, self)
        if hit is self:
            raw = key[1]
            try:
                hit = (parse_amount(raw, cur or None), None)
            except FieldError as exc:
                hit = (None, f"amount: {exc}")
            self.amounts[key] = hit
        return hit

    def currency_ok(self, cur: str) -> bool:
        hit = self.currencies.get(cur)
        if hit is None:
            hit = self.currencies[cur] = self.onto.currency(cur) is not None
        return hit

    def investor_names(self, key) -> list[str]:
        hit = self.names.get(key)
        if hit is None:
            hit = self.names[key] = [self.onto.investor_name(n) for n in split_names(key[1])]
        return hit

    def round(self, label):
        hit = self.rounds.get(label)
        if hit is None:
            hit = self.rounds[label] = parse_round(label)
        return hit

    def investor(self, name: str) -> list[tuple]:
        hit = self.investors.get(name)
        if hit is None:
            rec = _Recorder()
            add_investor(rec, name, _SRC, None)
            plan = _compile(rec.calls)
            if len(plan) != 1 or plan[0][0] != "n":  # pragma: no cover - add_investor writes one node
                raise AssertionError("add_investor changed: update _Writer.investor")
            hit = self.investors[name] = plan[0]
        return hit

    def company(self, segment, province, city) -> list[tuple]:
        key = (segment, province, city)
        hit = self.companies.get(key)
        if hit is None:
            rec = _Recorder()
            add_company(rec, _CO, _SRC, segment=segment, province=province, city=city, synthetic=None)
            hit = self.companies[key] = _compile(rec.calls)
        return hit


def _compile(calls) -> tuple:
    """Recorded calls as ops: ``("n", label, id, takes the row's source, props without None, key)``
    (id None and key None: the row's company) and ``("r", type, start, end, takes the source, props)``."""
    stand_in = node_id("company", _CO)
    out = []
    for call in calls:
        if call[0] == "node":
            _, label, nid, src, props = call
            if src not in (None, _SRC):  # pragma: no cover - add_company/add_investor take the row's source only
                raise AssertionError("unexpected source in a recorded call")
            props = {k: v for k, v in props.items() if v is not None}
            if nid == stand_in:
                out.append(("n", label, None, src == _SRC, props, None))
            else:
                out.append(("n", label, nid, src == _SRC, props, (label, nid)))
        else:
            _, type_, s_, e_, src, props = call
            props = {k: v for k, v in props.items() if v is not None}
            out.append(("r", type_, None if s_ == stand_in else s_, None if e_ == stand_in else e_, src == _SRC, props))
    return tuple(out)


def _new_node(nid: str, props: dict, source) -> dict:
    """What ``Batch.node`` stores for a new node (props without None, ``id``, ``sources``, aliases deduplicated)."""
    p = dict(props)
    p["id"] = nid
    if source:
        p["sources"] = [source]
    if "aliases" in p:
        p["aliases"] = list(dict.fromkeys(p["aliases"]))
    return p


class _Writer:
    """Replays compiled calls into a :class:`_FileBatch` with ``Batch``'s results.

    ``last[(label, id)]`` is the op applied last to that node: applying the same op again (same
    props) can only add the row's source, so the props comparison is skipped, and an op without a
    source is skipped whole (the regions and segment of nearly every row)."""

    def __init__(self, batch: _FileBatch):
        self.batch = batch
        self.nodes = batch.nodes
        self.rels = batch.rels
        self.last: dict = {}

    def bucket(self, kind: str, name: str) -> dict:
        d = self.nodes if kind == "n" else self.rels
        b = d.get(name)
        if b is None:
            b = d[name] = {}
        return b

    def company(self, plan: tuple, source: str, cid: str, company: str) -> None:
        nodes, rels, last, merge = self.nodes, self.rels, self.last, self.batch._merge
        for op in plan:
            if op[0] == "n":
                _, label, nid, with_src, props, key = op
                if key is None:  # the row's company: its name comes from the row
                    bucket = nodes.get(label)
                    if bucket is None:
                        bucket = nodes[label] = {}
                    cur = bucket.get(cid)
                    if cur is None:
                        p = dict(props)
                        p["name"] = company
                        bucket[cid] = _new_node(cid, p, source if with_src else None)
                    else:
                        merge(cur, {**props, "name": company}, source if with_src else None)
                    continue
                if last.get(key) is op:
                    if with_src:
                        cur = nodes[label][nid]
                        srcs = cur.get("sources")
                        if srcs is None:
                            cur["sources"] = [source]
                        elif srcs[-1] != source:
                            srcs.append(source)
                    continue
                bucket = nodes.get(label)
                if bucket is None:
                    bucket = nodes[label] = {}
                cur = bucket.get(nid)
                if cur is None:
                    bucket[nid] = _new_node(nid, props, source if with_src else None)
                else:
                    merge(cur, props, source if with_src else None)
                last[key] = op
            else:
                _, type_, s_, e_, with_src, props = op
                k = (cid if s_ is None else s_, cid if e_ is None else e_)
                bucket = rels.get(type_)
                if bucket is None:
                    bucket = rels[type_] = {}
                cur = bucket.get(k)
                if cur is None:
                    p = dict(props)
                    if with_src:
                        p["sources"] = [source]
                    bucket[k] = p
                else:
                    merge(cur, props, source if with_src else None)

    def investor(self, op: tuple, source: str) -> str:
        _, label, nid, with_src, props, key = op
        src = source if with_src else None
        if self.last.get(key) is op:
            if src:
                cur = self.nodes[label][nid]
                srcs = cur.get("sources")
                if srcs is None:
                    cur["sources"] = [src]
                elif srcs[-1] != src:
                    srcs.append(src)
            return nid
        bucket = self.nodes.get(label)
        if bucket is None:
            bucket = self.nodes[label] = {}
        cur = bucket.get(nid)
        if cur is None:
            bucket[nid] = _new_node(nid, props, src)
        else:
            self.batch._merge(cur, props, src)
        self.last[key] = op
        return nid


def _file_deal(w: _Writer, memo: _Memo, *, company: str, source: str, date: str | None, round_label: str,
               amount, investors, leads, segment, province, city) -> str:
    """:func:`deal_batch` for one file row (same calls, same order), with the cached pieces replayed."""
    onto = memo.onto
    batch = w.batch
    rtype, label = memo.round(round_label)
    cid = node_id("company", company)
    w.company(memo.company(segment, province, city), source, cid, company)
    rid = round_id(company, rtype.type, label, date)
    year = int(date[:4]) if date else None
    props = {"type": rtype.type, "label": label or rtype.label}
    if date is not None:
        props["date"] = date
        props["year"] = year
        if len(date) >= 7:
            props["month"] = date[:7]
    props["disclosed"] = amount is not None
    if amount is not None:
        props["amount"] = amount.value
        props["currency"] = amount.currency
        cny = onto.to_cny(amount.value, amount.currency, year)
        if cny is not None:
            props["amount_cny"] = cny
        if amount.currency != "CNY":
            fx = onto.fx_rate(amount.currency, year)
            if fx is not None:
                props["fx_rate"] = fx
    rounds = w.nodes.get("Round")
    if rounds is None:
        rounds = w.bucket("n", "Round")
    cur = rounds.get(rid)
    if cur is None:
        props["id"] = rid
        props["sources"] = [source]
        rounds[rid] = props
    else:
        batch._merge(cur, props, source)
    raised = w.rels.get("RAISED")
    if raised is None:
        raised = w.bucket("r", "RAISED")
    cur = raised.get((cid, rid))
    if cur is None:
        raised[(cid, rid)] = {"sources": [source]}
    else:
        batch._merge(cur, {}, source)
    if not investors and not leads:
        return rid
    lead_ids = set()
    for name in leads:
        lead_ids.add(w.investor(memo.investor(name), source))
    inv = w.rels.get("INVESTED_IN")
    if inv is None:
        inv = w.bucket("r", "INVESTED_IN")
    for name in [*investors, *[x for x in leads if x not in investors]] if leads else investors:
        iid = w.investor(memo.investor(name), source)
        lead = iid in lead_ids
        cur = inv.get((iid, rid))
        if cur is None:
            inv[(iid, rid)] = {"lead": lead, "sources": [source]}
        else:
            batch._merge(cur, {"lead": lead}, source)
    return rid


def _delimiter_hint(header: list[str], mapping: dict[str, str] | None) -> str:
    """A hint when the header is one cell that looks like several columns joined by a delimiter
    the reader does not split on (``日期:公司名称:轮次``, ``date^company``, ``a b c``)."""
    cells = [h for h in header if h]
    if len(cells) != 1:
        return ""
    cell = cells[0]
    seps = dict.fromkeys(ch for ch in cell if not ch.isalnum() and ch not in "_'\"()（）[]【】")
    for sep in seps if not _map_header([cell], mapping) else ():
        parts = cell.split() if sep.isspace() else cell.split(sep)
        if len(_map_header([p.strip() for p in parts], mapping)) >= 2:  # two known columns or more
            shown = "spaces" if sep.isspace() else repr(sep)
            return (f" (is the delimiter a comma? the one column found looks like several joined by {shown}: "
                    f"use a comma, semicolon, tab or | between columns)")
    if len(cell) > 20 or any(ch not in " -." for ch in seps):
        return " (is the delimiter a comma? only one column was found)"
    return ""


def parse_deals(path: str | Path, mapping: dict[str, str] | None = None, progress=None) -> DealsResult:
    """Parse a deals file into a batch and rejects. Raises :class:`InputError` for a file that
    cannot be used at all (unreadable, empty, no company column).

    A workbook with deals on several sheets loads them all: a row's source then names its sheet
    (``file:NAME#SHEET!L3``) and so does the reason of a rejected row (``sheet 2020: date: …``)."""
    path = Path(path)

    def score(cells: list[str]) -> int:
        cols = set(_map_header(cells, mapping).values())
        return len(cols) if "company" in cols else 0

    tables = open_tables(path, score)
    multi = len(tables) > 1
    onto = load_ontology()
    batch = _FileBatch()
    writer = _Writer(batch)
    memo = _Memo(onto)
    rejects: list[Reject] = []
    rows = loaded = 0
    name = path.name
    mapped: dict[str, str] = {}
    for table in tables:
        colmap = _map_header(table.header, mapping)
        missing = [c for c in REQUIRED if c not in colmap.values()]
        if missing:
            seen = ", ".join(h for h in table.header if h) or "(none)"
            hint = _delimiter_hint(table.header, mapping)
            where = f"{path}, sheet {table.sheet}" if multi else str(path)
            raise InputError(f"{where}: missing required column(s) {', '.join(missing)}; the header has: "
                             f"{seen}{hint}. Use --mapping to name your columns.")
        for i, c in colmap.items():
            mapped.setdefault(table.header[i], c)
        header = table.header
        width = len(header)
        tag = f"sheet {table.sheet}: " if multi else ""
        src = f"file:{name}#{table.sheet}!L" if multi else f"file:{name}#L"
        cols = {c: i for i, c in colmap.items()}
        i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads, i_segment, i_province, i_city = (
            cols.get(c, -1) for c in ("company", "date", "amount", "currency", "round", "investors",
                                      "lead_investors", "segment", "province", "city"))

        def original(values, header=header, width=width) -> dict:
            return {header[i] if i < width else f"column{i + 1}": _cell(v) for i, v in enumerate(values)}

        # a column the file lacks reads as None: index ``width`` of the padded row
        i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads, i_segment, i_province, i_city = (
            width if i < 0 else i for i in (i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads,
                                            i_segment, i_province, i_city))
        pad = [None] * (width + 1)
        for line, values in table.rows:
            if values.__class__ is RowProblem:  # what the reader could not read as it is
                if values.reason is not None:
                    rows += 1
                    rejects.append(Reject(line, tag + values.reason, original(values), table.sheet))
                    continue
                bad = [f"{colmap[i]}: {what}" for i, what in values.cells.items() if i in colmap]
                if bad:
                    rows += 1
                    rejects.append(Reject(line, tag + "; ".join(bad), original(values), table.sheet))
                    continue
                if not any(_cell(v) for i, v in enumerate(values) if i not in values.cells):
                    continue  # only formulas in columns not loaded: a blank row
            rows += 1
            n = len(values)
            if n > width and any(_cell(v) for v in values[width:]):
                rejects.append(Reject(line, f"{tag}{n} fields but the header has {width}", original(values),
                                      table.sheet))
                continue
            get = (values[:width] + pad[min(n, width):]).__getitem__ if n != width else (values + [None]).__getitem__
            problems = []
            company = clean_name(_cell(get(i_company)))
            if not company:
                problems.append("company: empty")
            raw = get(i_date)
            date, problem = memo.date((type(raw), raw))
            if problem:
                problems.append(problem)
            cur = _cell(get(i_currency))
            raw = get(i_amount)
            amount, problem = memo.amount((type(raw), raw), cur)
            if problem:
                problems.append(problem)
            if cur and not memo.currency_ok(cur):
                problems.append(f"currency: unknown currency {cur!r}")
            if problems:
                rejects.append(Reject(line, tag + "; ".join(problems), original(values), table.sheet))
                continue
            raw = get(i_investors)
            investors = list(dict.fromkeys(memo.investor_names((type(raw), raw))))
            raw = get(i_leads)
            leads = memo.investor_names((type(raw), raw))
            _file_deal(writer, memo, company=company, source=f"{src}{line}", date=date,
                       round_label=_cell(get(i_round)), amount=amount, investors=investors, leads=leads,
                       segment=_cell(get(i_segment)) or None, province=_cell(get(i_province)) or None,
                       city=_cell(get(i_city)) or None)
            loaded += 1
            if progress:
                progress(1)
    if rows == 0:
        raise InputError(f"{path}: the file has a header but no rows")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    first = tables[0]
    sheet = ", ".join(t.sheet for t in tables) if multi else first.sheet
    return DealsResult(batch, rejects, first.header, rows, loaded, first.encoding, sheet, sha, mapped)
