"""The graph model and vocabularies of IIKG, as data (the YAML files beside this module) and a small reader.

The reader turns the files into lookups that every loader, query and the chat share:
segments, round types, regions (country, provinces, cities, macro regions), currencies and
known investors with their aliases. Lookups go through :func:`norm_key`, so "IDG 资本",
"ＩＤＧ资本" and "idg资本" are the same key.

Examples
--------
>>> onto = load()
>>> onto.segment("工业软件").name
'工业软件及APP'
>>> onto.round("Series A+").type
'a_plus'
>>> onto.region("Zhejiang").id
'province:浙江'
>>> onto.investor_name("Sequoia China")
'红杉资本（中国）'
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = [
    "HERE", "Ontology", "Segment", "RoundType", "Region", "KnownInvestor", "load",
    "norm_key", "clean_name", "node_id", "LABELS", "REL_TYPES",
]

HERE = Path(__file__).resolve().parent

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")
_SPACE_NEAR_CJK = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff（）)(])\s+|\s+(?=[\u3400-\u9fff\uf900-\ufaff（）)(])")


@lru_cache(maxsize=1 << 17)
def norm_key(text: str) -> str:
    """Matching key of a name: NFKC, lower case, no white space, ASCII brackets.

    >>> norm_key("红杉资本（中国）") == norm_key("红杉资本 (中国)")
    True
    """
    s = unicodedata.normalize("NFKC", str(text)).lower()
    s = s.replace("【", "[").replace("】", "]")
    return _SPACE.sub("", s)


@lru_cache(maxsize=1 << 17)
def clean_name(text: str) -> str:
    """Display form of a name from a file: NFKC, single spaces, no space next to Chinese,
    full-width brackets around Chinese (the report's spelling).

    >>> clean_name(" IDG 资本 ")
    'IDG资本'
    >>> clean_name("红杉资本(中国)")
    '红杉资本（中国）'
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = _SPACE.sub(" ", s)
    s = _SPACE_NEAR_CJK.sub("", s)
    if _CJK.search(s):
        s = s.replace("(", "（").replace(")", "）")
    return s


def node_id(prefix: str, name: str) -> str:
    """The natural key of a node: ``prefix:normalised name`` ("investor:idg资本")."""
    return f"{prefix}:{norm_key(name)}"


def _read(name: str):
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


_schema = _read("schema.yaml")
LABELS: tuple[str, ...] = tuple(_schema["labels"])
REL_TYPES: tuple[str, ...] = tuple(_schema["relationships"])


@dataclass(frozen=True)
class Segment:
    id: str
    key: str
    name: str
    name_en: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class RoundType:
    type: str
    label: str
    label_en: str
    stage: int
    group: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    name_en: str
    full: str
    level: str  # country | province | city | macro
    aliases: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()  # ids of the regions this one is PART_OF
    kind: str | None = None
    capital: str | None = None
    members: tuple[str, ...] = ()  # for macro regions: province ids


@dataclass(frozen=True)
class KnownInvestor:
    name: str
    name_en: str | None
    kind: str | None
    aliases: tuple[str, ...]
    source: str | None


_ROUND_STRIP = re.compile(r"(融资|轮次|轮|round|funding)$")


def _round_key(text: str) -> str:
    s = norm_key(text).replace("series", "").replace("－", "-").replace("—", "-").replace("–", "-")
    prev = None
    while prev != s:
        prev = s
        s = _ROUND_STRIP.sub("", s)
    return s.strip("-_ ")


@dataclass
class Ontology:
    """All vocabularies, with lookups by any spelling."""

    segments: list[Segment]
    rounds: list[RoundType]
    regions: list[Region]
    investors: list[KnownInvestor]
    currencies: dict[str, dict]
    _seg: dict[str, Segment] = field(default_factory=dict, repr=False)
    _round: dict[str, RoundType] = field(default_factory=dict, repr=False)
    _region: dict[str, list[Region]] = field(default_factory=dict, repr=False)
    _region_by_id: dict[str, Region] = field(default_factory=dict, repr=False)
    _inv: dict[str, KnownInvestor] = field(default_factory=dict, repr=False)
    _cur: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for s in self.segments:
            for a in (s.name, s.name_en, s.key, *s.aliases):
                self._seg.setdefault(norm_key(a), s)
        for r in self.rounds:
            for a in (r.label, r.label_en, r.type, *r.aliases):
                self._round.setdefault(_round_key(a), r)
        for g in self.regions:
            self._region_by_id[g.id] = g
            for a in (g.name, g.full, g.name_en, *g.aliases):
                if a:
                    lst = self._region.setdefault(norm_key(a), [])
                    if g not in lst:
                        lst.append(g)
        for inv in self.investors:
            for a in (inv.name, inv.name_en, *inv.aliases):
                if a:
                    self._inv.setdefault(norm_key(a), inv)
        for code, c in self.currencies.items():
            for a in (code, *c.get("aliases", [])):
                self._cur[norm_key(a)] = code

    # ----- segments
    def segment(self, text: str | None) -> Segment | None:
        """The segment a spelling names, or None."""
        if not text:
            return None
        return self._seg.get(norm_key(text))

    # ----- rounds
    def round(self, label: str | None) -> RoundType:
        """The round type of a label as written; unknown labels give type ``other``."""
        if label:
            hit = self._round.get(_round_key(label))
            if hit:
                return hit
        return self._round["other"]

    def round_known(self, label: str | None) -> bool:
        return bool(label) and _round_key(label) in self._round

    def round_by_type(self, type_: str) -> RoundType:
        return next(r for r in self.rounds if r.type == type_)

    # ----- regions
    def region(self, text: str | None, level: str | None = None, within: str | None = None) -> Region | None:
        """A region by any of its names; ``level`` narrows (province/city/macro/country), ``within``
        prefers a city of that province id. Municipalities resolve to the province unless level='city'."""
        if not text:
            return None
        cands = self._region.get(norm_key(text), [])
        if not cands:
            # "杭州市", "浙江省", "宁夏回族自治区" are covered by `full`; also try stripping a suffix
            key = norm_key(text)
            for suf in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "地区", "省", "市"):
                if key.endswith(suf) and len(key) > len(suf) + 1:
                    cands = self._region.get(key[: -len(suf)], [])
                    break
        if level:
            cands = [c for c in cands if c.level == level]
        if within:
            inside = [c for c in cands if within in c.parents]
            cands = inside or cands
        if not cands:
            return None
        order = {"province": 0, "macro": 1, "city": 2, "country": 3}
        return sorted(cands, key=lambda c: order.get(c.level, 9))[0]

    def region_by_id(self, rid: str) -> Region | None:
        return self._region_by_id.get(rid)

    def provinces_of(self, region: Region) -> list[Region]:
        """Province-level members of a region (itself for a province, its members for a macro region)."""
        if region.level == "province":
            return [region]
        if region.level == "macro":
            return [self._region_by_id[m] for m in region.members]
        if region.level == "country":
            return [r for r in self.regions if r.level == "province"]
        return []

    # ----- investors
    def investor(self, text: str | None) -> KnownInvestor | None:
        if not text:
            return None
        return self._inv.get(norm_key(text))

    def investor_name(self, text: str) -> str:
        """Canonical name of an investor as written: a known alias resolves, anything else is cleaned."""
        known = self.investor(text)
        return known.name if known else clean_name(text)

    # ----- currencies
    def currency(self, text: str | None) -> str | None:
        if not text:
            return None
        return self._cur.get(norm_key(text))

    def to_cny(self, amount: float | None, currency: str | None, year: int | None = None) -> float | None:
        """Convert an amount in ``currency`` to CNY yuan with the year's rate (None if unknown)."""
        if amount is None or not currency or currency not in self.currencies:
            return None
        rates = self.currencies[currency]["to_cny"]
        rate = rates.get(year, rates["default"]) if year else rates["default"]
        return round(amount * rate, 2)

    def fx_rate(self, currency: str, year: int | None = None) -> float:
        rates = self.currencies[currency]["to_cny"]
        return rates.get(year, rates["default"]) if year else rates["default"]


def _regions(data) -> list[Region]:
    out: list[Region] = []
    country = data["country"][0]
    cid = f"country:{country['name']}"
    out.append(Region(cid, country["name"], country["en"], country.get("full", country["name"]), "country",
                      tuple(country.get("aliases", []))))
    macro_of: dict[str, list[str]] = {}
    macro_of_city: dict[str, list[str]] = {}  # a macro region made of cities (珠三角: nine cities of 广东)
    for m in data["macro"]:
        for p in m["members"]:
            macro_of.setdefault(p, []).append(f"macro:{m['name']}")
        for c in m.get("cities", ()):
            macro_of_city.setdefault(c, []).append(f"macro:{m['name']}")
    for p in data["provinces"]:
        out.append(Region(f"province:{p['name']}", p["name"], p["en"], p.get("full", p["name"]), "province",
                          tuple(p.get("aliases", [])), (cid, *macro_of.get(p["name"], [])),
                          kind=p.get("kind"), capital=p.get("capital")))
    for c in data["cities"]:
        out.append(Region(f"city:{c['name']}", c["name"], c["en"], c.get("full", c["name"]), "city",
                          tuple(c.get("aliases", [])), (f"province:{c['province']}", *macro_of_city.get(c["name"], []))))
    for m in data["macro"]:
        out.append(Region(f"macro:{m['name']}", m["name"], m["en"], m.get("full", m["name"]), "macro",
                          tuple(m.get("aliases", [])), (cid,),
                          members=tuple(f"province:{p}" for p in m["members"])))
    return out


@lru_cache(maxsize=1)
def load() -> Ontology:
    """The ontology shipped with IIKG (cached: the files are read once per process)."""
    segs = [Segment(f"segment:{s['name']}", s["id"], s["name"], s["name_en"], tuple(s.get("aliases", [])))
            for s in _read("segments.yaml")]
    rounds = [RoundType(r["type"], r["label"], r["label_en"], r["stage"], r["group"], tuple(r.get("aliases", [])))
              for r in _read("rounds.yaml")]
    regions = _regions(_read("regions.yaml"))
    invs = [KnownInvestor(clean_name(i["name"]), i.get("name_en"), i.get("kind"),
                          tuple(str(a) for a in i.get("aliases", []) or []), i.get("source"))
            for i in _read("investors.yaml") or []]
    return Ontology(segs, rounds, regions, invs, _read("currencies.yaml"))
