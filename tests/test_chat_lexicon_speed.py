"""The chat's name finder (kg/chat/names.py) against the spaCy span ruler it replaced.

At 100k deals the span ruler spent 16-21 s tokenising ~100,000 phrase patterns before the first
answer; the dictionary matcher builds in milliseconds. These tests hold it to the span ruler's
results (the same spans in the same order, hence the same mentions), on tricky names and on the
dev graph's names, and check that building the NLU tokenises no pattern at all. Speed itself is
measured by ``kg bench --only chat``, not here.
"""
from __future__ import annotations

import functools
import random

import pytest
import spacy

from kg.chat.names import NameIndex, NameMatcher
from kg.chat.nlu import NLU, Entry, Lexicon

LANGS = ("zh", "en")


def span_ruler_pipeline(lex: Lexicon, lang: str):
    """The pipeline as it was built before: phrase patterns in a span ruler, matched on LOWER."""
    nlp = spacy.blank(lang)
    ruler = nlp.add_pipe("span_ruler", config={"phrase_matcher_attr": "LOWER", "spans_key": "ruler"})
    ruler.add_patterns([{"label": lex.entries[i].label, "pattern": text, "id": i}
                        for text, ids in lex.patterns.items() for i in ids])
    nlp.add_pipe("iikg_mentions").lexicon = lex
    nlp.add_pipe("iikg_slots")
    return nlp


def reference_nlu(lex: Lexicon) -> NLU:
    ref = NLU(lex)
    ref.pipelines = {lang: span_ruler_pipeline(lex, lang) for lang in LANGS}
    return ref


def ruler_spans(nlu: NLU, lang: str, text: str):
    doc = nlu.pipelines[lang](text)
    return [(sp.start, sp.end, sp.start_char, sp.end_char, sp.label_, sp.id_) for sp in doc.spans["ruler"]]


def parsed(nlu: NLU, text: str):
    p = nlu.parse(text)
    return ([(m.label, m.id, m.name, m.text, m.start, m.end, m.level, m.in_graph, m.alts) for m in p.mentions],
            p.skeleton, p.slots, p.language)


def assert_same(nlu: NLU, ref: NLU, texts) -> None:
    for text in texts:
        for lang in LANGS:
            assert ruler_spans(nlu, lang, text) == ruler_spans(ref, lang, text), (lang, text)
        assert parsed(nlu, text) == parsed(ref, text), text


# ------------------------------------------------------------------------------------ tricky names
ENTRIES = [
    ("investor:sequoia", "Investor", "红杉中国", ["红杉中国", "红杉", "Sequoia", "Sequoia Capital China", "Sequoia China"]),
    ("investor:sequoia-cap", "Investor", "Sequoia Capital", ["Sequoia Capital"]),
    ("investor:ofc", "Investor", "东方富海", ["东方富海", "OFC"]),
    ("company:abc", "Company", "ABC", ["ABC"]),
    ("company:ab-c", "Company", "AB C", ["AB C"]),
    ("investor:idg", "Investor", "IDG资本", ["IDG资本", "IDG", "IDG Capital"]),
    ("investor:中金", "Investor", "中金", ["中金"]),
    ("investor:中金资本", "Investor", "中金资本", ["中金资本", "CICC Capital"]),
    ("province:北京", "Region", "北京", ["北京", "京", "Beijing"]),
    ("city:南京", "Region", "南京", ["南京", "Nanjing"]),
    ("company:南京擎天科技", "Company", "南京擎天科技", ["南京擎天科技"]),
    ("segment:网络", "Segment", "网络及标识", ["网络", "Network", "网络及标识"]),
    ("company:usr", "Company", "U.S. Robotics", ["U.S. Robotics", "U.S."]),
    ("company:ab", "Company", "A&B Tech", ["A&B Tech", "A&B"]),
    ("investor:etown", "Investor", "E-Town Capital", ["E-Town Capital", "亦庄国投"]),
    ("company:huawei-sz", "Company", "华为(深圳)", ["华为(深圳)", "华为"]),
    ("investor:5y", "Investor", "5Y Capital", ["5Y Capital", "五源资本"]),
    ("company:greek", "Company", "ΑΣ Capital", ["ΑΣ Capital"]),
    ("company:inci", "Company", "İnci Holding", ["İnci Holding"]),
    ("company:360", "Company", "360安全", ["360安全", "360"]),
    ("company:fullwidth", "Company", "ＡＢＣ智能", ["ＡＢＣ智能"]),
    ("investor:远见创投", "Investor", "远见创投", ["远见创投"]),
    ("company:远见", "Company", "远见科技", ["远见科技"]),
    ("investor:hillhouse", "Investor", "Hillhouse", ["Hillhouse", "高瓴"]),
    ("company:co", "Company", "CO Labs", ["CO", "CO Labs"]),
]

TRICKY = [
    "红杉中国投了哪些公司", "红杉 中国投了哪些公司", "红 杉 中 国的投资", "Which companies did Sequoia China invest in?",
    "Sequoia Capital China and Sequoia Capital co-invested", "SEQUOIA's portfolio", "sequoiacapital deals",
    "Sequoia-backed companies", "(Sequoia)", "红杉资本中国和红杉", "OFC的投资", "OFCX", "XOFC", "show the portfolio of casstar",
    "of c", "ABC and AB C and abc and ab c", "ABC的投资方", "AB C的投资方", "abcd", "IDG资本和IDG", "IDG Capital's deals",
    "IDGCapital", "中金资本投了哪些公司", "中金资本中金", "南京擎天科技的投资方", "南京有哪些公司", "京沪的公司", "北京南京",
    "网络领域的企业", "中金的合投网络", "the co-investment network of CICC Capital", "Network segment deals",
    "U.S. Robotics raised money", "the U.S. market", "U.S.Robotics", "A&B Tech and A&B", "A & B Tech", "E-Town Capital 投资",
    "e-town capital", "E - Town Capital", "华为（深圳）的融资", "华为(深圳)有哪些投资方", "华为 ( 深圳 )", "5Y Capital 2019年领投",
    "５Ｙ Ｃａｐｉｔａｌ", "ΑΣ Capital", "ας capital", "İnci Holding", "i̇nci holding", "360安全的融资", "360", "3600安全",
    "ＡＢＣ智能", "abc智能", "远见投了哪些公司", "远见科技和远见创投", "Hillhouse's portfolio", "hillhouses", "高瓴和红杉",
    "co-invested with Hillhouse", "CO Labs", "CO-investors of CO", "Who backed co", "", " ", "京", "a",
]


@functools.lru_cache(maxsize=1)
def tricky_lexicon() -> Lexicon:
    lex = Lexicon.from_entries([Entry(i, label, name) for i, label, name, _ in ENTRIES],
                               [(s, i) for i, _, _, spellings in ENTRIES for s in spellings])
    lex.add_stems()
    return lex


@functools.lru_cache(maxsize=1)
def tricky_pair() -> tuple[NLU, NLU]:
    lex = tricky_lexicon()
    return NLU(lex), reference_nlu(lex)


@pytest.mark.parametrize("text", TRICKY)
def test_same_spans_as_the_span_ruler(text):
    nlu, ref = tricky_pair()
    assert_same(nlu, ref, [text])


def test_same_spans_on_joined_and_mangled_names():
    nlu, ref = tricky_pair()
    spellings = [s for *_, sp in ENTRIES for s in sp]
    rng = random.Random(11)
    texts = []
    for _ in range(150):
        a, b = rng.choice(spellings), rng.choice(spellings)
        texts += [f"{a}{b}", f"{a} {b}", f"{a}和{b}一起投了什么", f"Did {a} and {b} co-invest?", f"x{a}", f"{a}x",
                  a.upper(), a.lower(), " ".join(a), f"{a}'s", f"{a}-{b}"]
    assert_same(nlu, ref, texts)


def test_known_readings():
    """Not only the same as before: the cases the rules are about."""
    nlu, _ = tricky_pair()

    def names(text):
        return [(m.label, m.id) for m in nlu.parse(text).mentions]

    assert names("Sequoia Capital China和Sequoia Capital") == [("Investor", "investor:sequoia"),
                                                                ("Investor", "investor:sequoia-cap")]
    assert names("红杉 中国投了哪些公司") == [("Investor", "investor:sequoia")]   # spaces between CJK do not count
    assert names("OFCX") == [] and names("XOFC") == []                         # not inside a Latin word
    assert names("show the portfolio of casstar") == []                        # 'of c' is not OFC
    assert names("ABC的投资方") == [("Company", "company:abc")]
    assert names("AB C的投资方") == [("Company", "company:ab-c")]              # the spelling with the space
    assert names("中金资本投了哪些公司") == [("Investor", "investor:中金资本")]  # longest wins
    assert names("南京擎天科技的投资方") == [("Company", "company:南京擎天科技")]
    assert names("京沪的公司") == []                                            # single characters never fire
    assert names("中金的合投网络") == [("Investor", "investor:中金")]           # context block
    assert names("远见投了哪些公司") == [("Investor", "investor:远见创投")]       # weak stem
    assert names("华为（深圳）的融资") == [("Company", "company:huawei-sz")]      # full-width brackets: NFKC
    assert names("Hillhouse's portfolio") == [("Investor", "investor:hillhouse")]


def test_pipeline_has_no_span_ruler_and_tokenises_no_pattern_when_built():
    entries = [Entry(f"company:c{i}", "Company", f"公司{i}号") for i in range(5000)]
    lex = Lexicon.from_entries(entries, [(e.name, e.id) for e in entries] + [(f"Firm {i} Ltd", e.id)
                                                                          for i, e in enumerate(entries)])
    nlu = NLU(lex)
    for lang in LANGS:
        nlp = nlu.pipelines[lang]
        assert nlp.pipe_names == ["iikg_names", "iikg_mentions", "iikg_slots"]
        matcher = nlp.get_pipe("iikg_names")
        assert isinstance(matcher, NameMatcher) and matcher._tokens == {}
    assert [m.id for m in nlu.parse("公司42号和Firm 4200 Ltd").mentions] == ["company:c42", "company:c4200"]
    assert len(nlu.pipelines["zh"].get_pipe("iikg_names")._tokens) <= 4  # only what the question touched


def test_a_pattern_for_a_missing_entry_fails_at_build_as_before():
    lex = Lexicon.from_entries([Entry("investor:a", "Investor", "甲资本")], [("甲资本", "investor:a"), ("乙资本", "investor:b")])
    with pytest.raises(KeyError):
        NLU(lex)


def test_name_index_lookup():
    ix = NameIndex({"ab c": ["x"], "abc": ["y"], "a b c": ["z"], "红杉中国": ["s"]})
    assert sorted(ix.lookup("abc")) == ["a b c", "ab c", "abc"]
    assert ix.lookup("红杉中国") == ["红杉中国"]
    assert ix.lookup("ab") == []
    assert ix.max_len == 5
    assert NameIndex({}).max_len == 0


# ---------------------------------------------------------------------------------- the dev graph
def test_same_as_the_span_ruler_on_the_dev_graph(dev_store_ro):
    lex = Lexicon.from_store(dev_store_ro)
    nlu, ref = NLU(lex), reference_nlu(lex)
    rng = random.Random(5)
    keys = sorted(lex.patterns)
    texts = []
    for _ in range(250):
        a, b = rng.choice(keys), rng.choice(keys)
        texts += [f"{a}投了哪些公司", f"Who invested in {a}?", f"{a}和{b}", f"{a}{b}", f"{a} {b}", f"x{a}y",
                  a.upper(), f"{a}'s deals", f"({a})", " ".join(a)]
    assert_same(nlu, ref, texts)
