"""The announcement reader's vocabulary, read from ``ontology/news_vocab.yaml`` (see that file).

>>> "喜报" in vocab()["decorations"]["zh"]
True
>>> bool(re.fullmatch(alternation(["领投", "领投方"]), "领投方"))
True
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["VOCAB_PATH", "alternation", "vocab", "words"]

VOCAB_PATH = Path(__file__).resolve().parent.parent / "ontology" / "news_vocab.yaml"


@lru_cache(maxsize=1)
def vocab() -> dict:
    """The whole vocabulary (lists of strings, by kind and language)."""
    with open(VOCAB_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return data


def words(kind: str, lang: str | None = None) -> list[str]:
    """The words of ``kind`` (and ``lang`` when the kind is per language; both when None)."""
    entry = vocab().get(kind) or []
    if isinstance(entry, dict):
        if lang is not None:
            return [str(w) for w in entry.get(lang) or []]
        return [str(w) for v in entry.values() for w in (v or [])]
    return [str(w) for w in entry]


def alternation(items, english: bool = False) -> str:
    """A regex alternation of literal ``items``, longest first; English words get word bounds."""
    alts = "|".join(re.escape(w) for w in sorted(set(items), key=len, reverse=True))
    if english:  # words apart by any white space ("had  raised")
        alts = alts.replace("\\ ", r"\s+")
        return rf"(?<![A-Za-z])(?:{alts})(?![A-Za-z])"
    return f"(?:{alts})"
