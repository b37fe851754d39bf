"""Deals files (CSV/XLSX, English or Chinese headers) → a :class:`~kg.model.TableBatch` and rejects.

``parse_deals(path)`` is pure apart from reading the file: it yields nothing to a store. Each
good row becomes a Company, a Round (keyed by company, round type and month, so the same deal
from two sources is one Round with both sources), Investors (resolved through the ontology's
aliases), and links to its Segment and Regions, exactly as :func:`deal_batch` adds them. Bad rows
become :class:`Reject` with the line, the field and the reason.

Columnar: each distinct cell value of a field is parsed once (``_Field``; a plain CSV is read as
Arrow columns and coded per distinct value, any other file row by row), and the node and
relationship tables are derived from the rows' codes in ``loaders.deals_tables``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kg.errors import InputError
from kg.model import Batch
from loaders.parse import FieldError, parse_amount, parse_date, parse_round, split_names
from loaders.deals_tables import FlatNames, Rows, build_tables, factorize, plain_names
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


def round_kind(round_type: str, label: str) -> str:
    """The round-type part of a round's key: the type, or for unknown types the label."""
    return round_type if round_type != "other" else f"other:{norm_key(label) or '?'}"


def round_id(company: str, round_type: str, label: str, date: str | None) -> str:
    """Natural key of a round: company, round type (the label for unknown types) and month."""
    return f"round:{norm_key(company)}|{round_kind(round_type, label)}|{(date or 'undated')[:7]}"


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


class _Field:
    """The distinct values of one field of a file, numbered in the order met, each parsed once:
    ``values[code]`` the parsed value, ``problems[code]`` the reason it cannot be loaded (or None)."""

    __slots__ = ("codes", "values", "problems", "parse", "what")

    def __init__(self, parse, what: str = ""):
        self.codes: dict = {}
        self.values: list = []
        self.problems: list = []
        self.parse, self.what = parse, what

    def __call__(self, key) -> int:
        c = self.codes.get(key)
        if c is None:
            try:
                v, p = self.parse(key), None
            except FieldError as exc:
                v, p = None, f"{self.what}: {exc}"
            c = self.codes[key] = len(self.values)
            self.values.append(v)
            self.problems.append(p)
        return c


def _raw(key):
    """A cell from its key (``_key``): the value itself for text, ``(type, value)`` otherwise."""
    return key if key.__class__ is str else key[1]


def _key(v):
    """A dict key for a cell that keeps 1, 1.0 and True apart (spreadsheet cells have types)."""
    return v if v.__class__ is str else (type(v), v)


class _Memo:
    """Per-file fields: every distinct cell parsed once (dates, amounts with their currency cell,
    round labels, investor cells, and the segment/region calls of a company's place)."""

    def __init__(self, onto):
        self.onto = onto
        self.date = _Field(lambda k: parse_date(_raw(k)), "date")
        self.amount = _Field(lambda k: parse_amount(_raw(k[0]), k[1] or None), "amount")
        self.currencies: dict[str, bool] = {}
        self.round = _Field(parse_round)
        canonical: dict[str, str] = {}  # onto.investor_name of each name met (a few thousand names, ~1M uses)

        def investor_name(name: str) -> str:
            hit = canonical.get(name)
            if hit is None:
                hit = canonical[name] = onto.investor_name(name)
            return hit

        self.investor_name = investor_name
        self.names = _Field(lambda k: [investor_name(n) for n in split_names(_raw(k))])
        self.names_flat: FlatNames | None = None  # the names of a file read as columns (names_column)
        self.place = _Field(self._place)
        self.investors: dict = {}

    def currency_ok(self, cur: str) -> bool:
        hit = self.currencies.get(cur)
        if hit is None:
            hit = self.currencies[cur] = self.onto.currency(cur) is not None
        return hit

    def investor(self, name: str) -> tuple:
        hit = self.investors.get(name)
        if hit is None:
            rec = _Recorder()
            add_investor(rec, name, _SRC, None)
            plan = _compile(rec.calls)
            if len(plan) != 1 or plan[0][0] != "n":  # pragma: no cover - add_investor writes one node
                raise AssertionError("add_investor changed: update loaders.deals_tables")
            hit = self.investors[name] = plan[0]
        return hit

    @staticmethod
    def _place(key) -> tuple:
        segment, province, city = key
        rec = _Recorder()
        add_company(rec, _CO, _SRC, segment=segment, province=province, city=city, synthetic=None)
        return _compile(rec.calls)


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


def _column_rows(columns, memo: _Memo, good: Rows, rejects: list, prefix: int, tag: str, original, width: int,
                 idx: tuple) -> tuple[int, int]:
    """The row loop of :func:`parse_deals` for a plain CSV read as columns: each distinct value of
    a column parsed once (the same fields, codes and reasons as row by row), then the rows'
    codes by lookup. Returns (rows, loaded)."""
    import numpy as np
    import pyarrow as pa

    n = len(columns.lines)
    if n == 0:
        return 0, 0

    def coded(i: int, fn) -> np.ndarray:
        """fn(cell) for each distinct cell of column i (None for a column the file lacks), per row."""
        if i >= width:
            return np.full(n, fn(None), np.int64)
        col = columns.column(i).dictionary_encode()
        lut = np.array([fn(v) for v in col.dictionary.to_pylist()], np.int64)
        return lut[col.indices.to_numpy(zero_copy_only=False)]

    def cells(i: int) -> tuple[list, np.ndarray]:
        """(distinct cells, code per row) of column i."""
        if i >= width:
            return [None], np.zeros(n, np.int64)
        col = columns.column(i).dictionary_encode()
        return col.dictionary.to_pylist(), col.indices.to_numpy(zero_copy_only=False).astype(np.int64)

    def pairs(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        combined = np.zeros(n, np.int64)
        for c in codes:
            combined = combined * (int(c.max()) + 1) + c
        inv, first = factorize(combined)
        return first, inv

    i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads, i_segment, i_province, i_city = idx
    if i_company < width:
        col = columns.column(i_company).dictionary_encode()
        names, ncode = col.dictionary.to_pylist(), col.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        plain = plain_names(col.dictionary)  # a plain name (CJK ideographs, ASCII letters, digits) is its clean name
        del col
    else:
        (names, ncode), plain = cells(i_company), [False]
    clean = [v if p else clean_name(_cell(v)) for v, p in zip(names, plain)]
    company_ok = np.array([bool(c) for c in clean], bool)[ncode]
    dc = coded(i_date, lambda v: memo.date(_key(v)))
    d_bad = np.array([p is not None for p in memo.date.problems], bool)[dc]
    a_cells, a_code = cells(i_amount)
    c_cells, c_code = cells(i_currency)
    c_text = [_cell(v) for v in c_cells]
    first, inv = pairs(a_code, c_code)
    ac = np.array([memo.amount((_key(a_cells[a_code[f]]), c_text[c_code[f]])) for f in first.tolist()],
                  np.int64)[inv]
    a_bad = np.array([p is not None for p in memo.amount.problems], bool)[ac]
    cur_bad = np.array([bool(t) and not memo.currency_ok(t) for t in c_text], bool)[c_code]
    bad = ~company_ok | d_bad | a_bad | cur_bad
    for k in np.flatnonzero(bad).tolist():
        problems = []
        if not company_ok[k]:
            problems.append("company: empty")
        if d_bad[k]:
            problems.append(memo.date.problems[dc[k]])
        if a_bad[k]:
            problems.append(memo.amount.problems[ac[k]])
        if cur_bad[k]:
            problems.append(f"currency: unknown currency {c_text[c_code[k]]!r}")
        rejects.append(Reject(int(columns.lines[k]), tag + "; ".join(problems), original(columns.row(k)),
                              None))
    ok = np.flatnonzero(~bad)
    rc = coded(i_round, lambda v: memo.round(_cell(v)))
    if i_investors < width and i_leads < width and not memo.names.values and memo.names_flat is None:
        ic, lc = _names_column(columns.column(i_investors), columns.column(i_leads), memo)
    else:
        ic = coded(i_investors, lambda v: memo.names(_key(v)))
        lc = coded(i_leads, lambda v: memo.names(_key(v)))
    s_cells, s_code = cells(i_segment)
    p_cells, p_code = cells(i_province)
    y_cells, y_code = cells(i_city)
    first, inv = pairs(s_code, p_code, y_code)
    pl = np.array([memo.place((_cell(s_cells[s_code[f]]) or None, _cell(p_cells[p_code[f]]) or None,
                               _cell(y_cells[y_code[f]]) or None)) for f in first.tolist()], np.int64)[inv]
    good.add_block(prefix=prefix, line=columns.lines[ok],
                   company=pa.array(clean, pa.string()).take(pa.array(ncode[ok])),
                   date=dc[ok], amount=ac[ok], round=rc[ok], investors=ic[ok], leads=lc[ok], place=pl[ok])
    return n, len(ok)


def _names_column(investors, leads, memo: _Memo):
    """The codes per row of the investor and lead cells (numbered as ``memo.names`` numbers them:
    the investors' distinct cells in the order met, then the leads' new ones), with every cell's
    names vectorised into ``memo.names_flat`` instead of a list per distinct cell."""
    import numpy as np
    import pyarrow as pa

    from loaders.parse import split_names_column

    ei, el = investors.dictionary_encode(), leads.dictionary_encode()
    both = pa.concat_arrays([ei.dictionary, el.dictionary]).dictionary_encode()
    at = both.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    ic = at[:len(ei.dictionary)][ei.indices.to_numpy(zero_copy_only=False)]
    lc = at[len(ei.dictionary):][el.indices.to_numpy(zero_copy_only=False)]
    cells = both.dictionary
    cell, code, names = split_names_column(cells)
    # each cell's names as investor_name gives them (two spellings of one investor: one name twice)
    canon_of: dict[str, int] = {}
    canon = np.array([canon_of.setdefault(memo.investor_name(n), len(canon_of)) for n in names] or [0],
                     np.int64)[code]
    # the investors cell's list has each investor once (dict.fromkeys of the names, in order)
    if len(canon):
        _, first = np.unique(cell * (len(canon_of) + 1) + canon, return_index=True)
        first.sort()
    else:
        first = np.zeros(0, np.int64)
    ncells = len(cells)

    def offsets(c: np.ndarray) -> np.ndarray:
        out = np.zeros(ncells + 1, np.int64)
        np.cumsum(np.bincount(c, minlength=ncells), out=out[1:])
        return out

    memo.names_flat = FlatNames(canon[first], offsets(cell[first]), canon, offsets(cell), list(canon_of))
    return ic, lc


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
    memo = _Memo(onto)
    good = Rows()
    rejects: list[Reject] = []
    rows = loaded = 0
    name = path.name
    mapped: dict[str, str] = {}
    f_date, f_amount, f_round, f_names, f_place = memo.date, memo.amount, memo.round, memo.names, memo.place
    d_problems, a_problems = f_date.problems, f_amount.problems
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
        good.prefixes.append(f"file:{name}#{table.sheet}!L" if multi else f"file:{name}#L")
        prefix = len(good.prefixes) - 1
        cols = {c: i for i, c in colmap.items()}

        def original(values, header=header, width=width) -> dict:
            return {header[i] if i < width else f"column{i + 1}": _cell(v) for i, v in enumerate(values)}

        # a column the file lacks reads as None: index ``width`` of the padded row
        i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads, i_segment, i_province, i_city = (
            width if cols.get(c, -1) < 0 else cols[c]
            for c in ("company", "date", "amount", "currency", "round", "investors", "lead_investors", "segment",
                      "province", "city"))
        if table.columns is not None:
            r, ld = _column_rows(table.columns, memo, good, rejects, prefix, tag, original, width,
                                 (i_company, i_date, i_amount, i_currency, i_round, i_investors, i_leads,
                                  i_segment, i_province, i_city))
            table.columns = None  # the file's text as columns: not needed while the tables are built
            rows += r
            loaded += ld
            if progress:
                progress(ld)
            continue
        pad = [None] * (width + 1)
        a_prefix, a_line, a_company, a_date, a_amount, a_round, a_inv, a_lead, a_place = (
            good.prefix.append, good.line.append, good.company.append, good.date.append, good.amount.append,
            good.round.append, good.investors.append, good.leads.append, good.place.append)
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
            row = values + [None] if n == width else values[:width] + pad[min(n, width):]
            raw = row[i_company]
            company = clean_name(raw.strip() if raw.__class__ is str else _cell(raw))
            dc = f_date(_key(row[i_date]))
            cur = _cell(row[i_currency])
            ac = f_amount((_key(row[i_amount]), cur))
            if not company or d_problems[dc] or a_problems[ac] or (cur and not memo.currency_ok(cur)):
                problems = []
                if not company:
                    problems.append("company: empty")
                if d_problems[dc]:
                    problems.append(d_problems[dc])
                if a_problems[ac]:
                    problems.append(a_problems[ac])
                if cur and not memo.currency_ok(cur):
                    problems.append(f"currency: unknown currency {cur!r}")
                rejects.append(Reject(line, tag + "; ".join(problems), original(values), table.sheet))
                continue
            a_prefix(prefix)
            a_line(line)
            a_company(company)
            a_date(dc)
            a_amount(ac)
            a_round(f_round(_cell(row[i_round])))
            a_inv(f_names(_key(row[i_investors])))
            a_lead(f_names(_key(row[i_leads])))
            a_place(f_place((_cell(row[i_segment]) or None, _cell(row[i_province]) or None,
                             _cell(row[i_city]) or None)))
            loaded += 1
            if progress and not loaded % 1024:
                progress(1024)
    if progress and loaded % 1024:
        progress(loaded % 1024)
    if memo.names_flat is not None:
        names = memo.names_flat  # (no row was read one by one: memo.names is empty)
    else:
        names = ([list(dict.fromkeys(v)) for v in f_names.values], f_names.values)
    batch = build_tables(good, dates=f_date.values, amounts=f_amount.values, rounds=f_round.values,
                         investor_names=names, places=f_place.values,
                         investor_op=memo.investor, onto=onto, round_kind=round_kind, norm_key=norm_key,
                         node_id=node_id)
    del good
    if rows == 0:
        raise InputError(f"{path}: the file has a header but no rows")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:  # in pieces: not another copy of a large file at once
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    first = tables[0]
    sheet = ", ".join(t.sheet for t in tables) if multi else first.sheet
    return DealsResult(batch, rejects, first.header, rows, loaded, first.encoding, sheet, sha, mapped)
