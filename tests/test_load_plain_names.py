"""The columnar loader's shortcut for plain names (loaders.deals_tables.plain_names): a name it
calls plain is its own ``clean_name`` and its ``norm_key`` is its ASCII lower case, so the
vectorised ids are the ids ``node_id`` gives. Checked character by character over the whole
plain range, on mixed names, and on names that must take the slow path."""
from __future__ import annotations

import pyarrow as pa

from loaders.deals_tables import _keys, plain_names
from ontology import clean_name, norm_key

PLAIN_CHARS = ([chr(c) for c in range(0x4E00, 0xA000)] + [chr(c) for c in range(ord("0"), ord("9") + 1)]
               + [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(ord("a"), ord("z") + 1)])
NOT_PLAIN = ["", " 景维", "景 维", "Acme Robotics", "红杉资本(中国)", "红杉资本（中国）", "ＡＢＣ", "\uf900景",
             "景\u3400", "é", "A-B", "景维\n", "ǅ", "Ⅻ公司", "İstanbul"]


def test_every_plain_character_is_its_own_clean_name_and_lower_case_key():
    arr = pa.array(PLAIN_CHARS, pa.string())
    assert plain_names(arr).all()
    keys = _keys(arr, norm_key).to_pylist()
    for ch, key in zip(PLAIN_CHARS, keys):
        assert clean_name(ch) == ch
        assert norm_key(ch) == key


def test_plain_and_not_plain_names_give_the_keys_of_norm_key():
    names = ["景维峰智能", "AcmeAI景", "ACMEai景", "3D打印", "x"] + NOT_PLAIN
    plain = plain_names(pa.array(names, pa.string())).tolist()
    assert plain == [True] * 5 + [False] * len(NOT_PLAIN)
    assert _keys(pa.array(names, pa.string()), norm_key).to_pylist() == [norm_key(x) for x in names]
    for x in names[:5]:
        assert clean_name(x) == x
