"""The report's own facts (``loaders/seed_data/``) and the ontology → one :class:`~kg.model.Batch`.

Everything here cites the report's table or section in ``sources``; nothing is synthetic.
Regions (country, 34 provinces, cities, macro regions with PART_OF), the 7 segments, policies
(Table 1 and the national ones named in the text), lighthouse factories (Table 2), listings as
IPO rounds (Table 3 and the others the text names) and the investors of Table 5 with their
reported 2019 counts as properties (not as deals).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from kg.model import Batch
from loaders.deals import add_company, add_investor, round_id
from ontology import HERE as ONTO_DIR, load as load_ontology, node_id

__all__ = ["DATA", "seed_batch", "read_seed"]

DATA = Path(__file__).resolve().parent / "seed_data"
REPORT = "report:工业互联网投融资报告(2020)"
BOARDS = {"star": ("科创板", "STAR Market"), "main": ("主板", "Main Board"), "sme": ("中小板", "SME Board"),
          "chinext": ("创业板", "ChiNext")}


def read_seed(name: str):
    with open(DATA / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _src(rec: dict) -> str:
    return f"{REPORT} {rec.get('source', '').replace('report 2020', '').strip()}".strip()


def regions_batch(batch: Batch) -> None:
    onto = load_ontology()
    src = "ontology:regions.yaml"
    for r in onto.regions:
        batch.node("Region", r.id, src, name=r.name, name_en=r.name_en, full=r.full, level=r.level,
                   aliases=list(r.aliases) or None, kind=r.kind)
    for r in onto.regions:
        for p in r.parents:
            batch.rel("PART_OF", r.id, p, src)


def seed_batch() -> Batch:
    """The whole seed as one batch."""
    onto = load_ontology()
    b = Batch()
    regions_batch(b)
    for s in onto.segments:
        b.node("Segment", s.id, "ontology:segments.yaml", name=s.name, name_en=s.name_en, aliases=list(s.aliases))

    for i, p in enumerate(read_seed("policies.yaml"), start=1):
        src = _src(p)
        issued = str(p["issued_on"]) if p.get("issued_on") is not None else None
        pid = "policy:" + hashlib.sha1(p["title"].encode("utf-8")).hexdigest()[:12]
        b.node("Policy", pid, src, title=p["title"], name=p["title"], issued_on=issued,
               year=int(issued[:4]) if issued else None, level=p.get("level"), issuer=p.get("issuer"))
        region = onto.region(p.get("region"))
        if region is not None:
            b.rel("ISSUED_IN", pid, region.id, src)

    for f in read_seed("lighthouses.yaml"):
        src = _src(f)
        cid = add_company(b, f["company"], src, city=f.get("city"))
        fid = node_id("factory", f"{f['company']}|{f.get('city')}|{f.get('year')}")
        b.node("Factory", fid, src, name=f"{f['company']}（{f.get('city')}）", field=f.get("field"),
               year=f.get("year"), recognition="WEF Global Lighthouse Network")
        b.rel("OPERATES", cid, fid, src)
        city = onto.region(f.get("city"), level="city")
        if city is not None:
            b.rel("LOCATED_IN", fid, city.id, src)

    for rec in read_seed("listings.yaml"):
        src = _src(rec)
        board = rec.get("board")
        board_zh, board_en = BOARDS.get(board, (board, board))
        code = str(rec["code"]) if rec.get("code") is not None else None
        cid = add_company(b, rec["company"], src, full_name=rec.get("full_name"), board=board, code=code,
                          province=rec.get("province"), city=rec.get("city"), segment=rec.get("segment"))
        date = str(rec["date"]) if rec.get("date") else None
        if date is None:
            continue  # a listed company the report names without a listing date: no round
        rid = round_id(rec["company"], "ipo", "IPO", date)
        amount = rec.get("amount_cny")
        b.node("Round", rid, src, type="ipo", label="IPO", date=date, year=int(date[:4]),
               month=date[:7] if len(date) >= 7 else None, board=board, board_name=board_zh,
               board_name_en=board_en, code=code, disclosed=amount is not None,
               amount=float(amount) if amount is not None else None, currency="CNY" if amount is not None else None,
               amount_cny=float(amount) if amount is not None else None)
        b.rel("RAISED", cid, rid, src)

    for inv in read_seed("table5_investors.yaml"):
        src = _src(inv)
        iid = add_investor(b, inv["name"], src)
        b.node("Investor", iid, None, reported_2019_companies=int(inv["reported_2019_companies"]))
    # investors the report's text names besides Table 5
    for known in onto.investors:
        if known.source and "report" in known.source.lower() and "table 5" not in known.source.lower():
            add_investor(b, known.name, f"{REPORT} text")
    return b


def seed_files() -> list[Path]:
    return sorted([*DATA.glob("*.yaml"), *ONTO_DIR.glob("*.yaml")])
