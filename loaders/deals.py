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
from kg.model import Batch
from loaders.parse import FieldError, parse_amount, parse_date, parse_round, split_names
from loaders.tabular import open_table
from ontology import clean_name, load as load_ontology, node_id, norm_key

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


def parse_deals(path: str | Path, mapping: dict[str, str] | None = None, progress=None) -> DealsResult:
    """Parse a deals file into a batch and rejects. Raises :class:`InputError` for a file that
    cannot be used at all (unreadable, empty, no company column)."""
    path = Path(path)

    def score(cells: list[str]) -> int:
        cols = set(_map_header(cells, mapping).values())
        return len(cols) if "company" in cols else 0

    table = open_table(path, score)
    colmap = _map_header(table.header, mapping)
    missing = [c for c in REQUIRED if c not in colmap.values()]
    if missing:
        seen = ", ".join(h for h in table.header if h) or "(none)"
        hint = " (is the delimiter a comma?)" if len(table.header) == 1 and len(table.header[0]) > 20 else ""
        raise InputError(f"{path}: missing required column(s) {', '.join(missing)}; the header has: "
                         f"{seen}{hint}. Use --mapping to name your columns.")
    onto = load_ontology()
    batch = Batch()
    rejects: list[Reject] = []
    rows = loaded = 0
    name = path.name
    for line, values in table.rows:
        rows += 1
        original = {table.header[i] if i < len(table.header) else f"column{i + 1}": _cell(v)
                    for i, v in enumerate(values)}
        rec = {col: values[i] if i < len(values) else None for i, col in colmap.items()}
        if len(values) > len(table.header) and any(_cell(v) for v in values[len(table.header):]):
            rejects.append(Reject(line, f"{len(values)} fields but the header has {len(table.header)}", original))
            continue
        problems = []
        company = clean_name(_cell(rec.get("company")))
        if not company:
            problems.append("company: empty")
        try:
            date = parse_date(rec.get("date"))
        except FieldError as exc:
            problems.append(f"date: {exc}")
            date = None
        try:
            amount = parse_amount(rec.get("amount"), _cell(rec.get("currency")) or None)
        except FieldError as exc:
            problems.append(f"amount: {exc}")
            amount = None
        cur = _cell(rec.get("currency"))
        if cur and onto.currency(cur) is None:
            problems.append(f"currency: unknown currency {cur!r}")
        if problems:
            rejects.append(Reject(line, "; ".join(problems), original))
            continue
        investors = [onto.investor_name(n) for n in split_names(rec.get("investors"))]
        leads = [onto.investor_name(n) for n in split_names(rec.get("lead_investors"))]
        investors = list(dict.fromkeys(investors))
        deal_batch(batch, company=company, source=f"file:{name}#L{line}", date=date,
                   round_label=_cell(rec.get("round")), amount=amount, investors=investors, leads=leads,
                   segment=_cell(rec.get("segment")) or None, province=_cell(rec.get("province")) or None,
                   city=_cell(rec.get("city")) or None)
        loaded += 1
        if progress:
            progress(1)
    if rows == 0:
        raise InputError(f"{path}: the file has a header but no rows")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return DealsResult(batch, rejects, table.header, rows, loaded, table.encoding, table.sheet, sha,
                       {table.header[i]: c for i, c in colmap.items()})
