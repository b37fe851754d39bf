"""Jinja helpers: money and number formats in the UI language, entity links, table cells.

Everything here returns plain text (autoescaped by Jinja) or builds markup with
:func:`markupsafe.escape` around every piece of data.
"""
from __future__ import annotations

import math
from urllib.parse import quote

from flask import Flask, url_for
from markupsafe import Markup, escape

from kg.formatting import MONEY_COLUMNS, is_money_column, money_text
from web.i18n import VALUE_WORDS, get_lang, label_name, list_sep, rel_name, source_name, value_word

__all__ = ["money", "number", "entity_url", "cell", "table_columns", "init_app", "MONEY_COLUMNS"]



def money(v, lang: str | None = None) -> str:
    """CNY yuan for people in the UI language, by the one rule (:func:`kg.formatting.money_text`):
    ``8.00亿元`` / ``CNY 800.0m``; ``未披露`` / ``undisclosed`` when unknown."""
    if isinstance(v, str) and v.strip():
        try:
            v = float(v)
        except ValueError:
            return v
    return money_text(None if v == "" else v, lang or get_lang())


def number(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "✓" if v else ""
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return str(v)


def entity_url(eid: str) -> str:
    """``/entity/<id>`` with the id percent-encoded (ids hold Chinese, ``|``, ``/`` and worse)."""
    # every character encoded, "/" too: an id like "company:../x" must stay one path segment
    return url_for("explore.entity", eid="_") [:-1] + quote(str(eid), safe="")


def _join(v) -> str:
    if isinstance(v, (list, tuple, set)):
        return list_sep().join(_plain(x) for x in v)
    return _plain(v)


def _plain(v) -> str:
    """A value as text; the ontology's labels in it (segments, regions, round labels) in the UI language."""
    from web.i18n import terms

    if isinstance(v, dict):
        return terms(str(v.get("name") or v.get("title") or v.get("id") or v))
    if isinstance(v, float):
        return number(v)
    return "" if v is None else terms(str(v))


def table_columns(columns, rows) -> list[str]:
    """The columns to show: declared ones (or the first row's keys) without ``*_id`` helpers
    that only serve as link targets."""
    cols = list(columns or (rows[0].keys() if rows else []))
    if rows:
        for k in rows[0].keys():
            if k not in cols:
                cols.append(k)
    shown = []
    for c in cols:
        if c == "id" and ("name" in cols or "title" in cols):
            continue
        if c.endswith("_id") and (c[:-3] in cols or rows and _is_entity_id(rows[0].get(c))):
            continue  # a link target (company_id beside company; a policy's policy_id links its title)
        if c.endswith("_ids") and c[:-4] in cols:
            continue
        if c.endswith(("_name", "_name_en")) and c.split("_name")[0] in cols:
            continue  # board_name beside board: the cell shows board in the UI language
        shown.append(c)
    return shown


VALUE_COLUMNS = ("board", "kind", "level")


def _is_entity_id(v) -> bool:
    return isinstance(v, str) and ":" in v and not v.startswith(("http:", "https:"))


def cell(row: dict, col: str) -> Markup:
    """One table cell: linked when the row carries the entity's id, money formatted, lists joined."""
    v = row.get(col)
    if col in VALUE_COLUMNS and isinstance(v, str):  # a coded value (board: star) by its name
        from web.explore import value_name

        return escape(value_name(col, v))
    if col in ("type", "key") and isinstance(v, str):  # a round type code (a_plus) by its name
        from web.i18n import is_round_type, round_type_name

        if col == "type" or is_round_type(v):
            return escape(round_type_name(v))
    if col == "source" and isinstance(v, str):  # provenance (report:…, synthetic:demo…) in words
        return escape(source_name(v))
    if col == "types" and isinstance(v, (list, tuple)):  # a path's relationship types in words
        return escape(list_sep().join(rel_name(str(x)) for x in v))
    if col == "key" and isinstance(v, str) and v in VALUE_WORDS:
        return escape(value_word(v))
    link_id = row.get(col + "_id")
    if link_id is None and col in ("name", "title"):  # the row's own entity: id, or policy_id beside a title
        link_id = next((row[k] for k in ("id", *(k for k in row if k.endswith("_id") and k[:-3] not in row))
                        if _is_entity_id(row.get(k))), None)
    if isinstance(link_id, str) and ":" in link_id:  # entity ids are label:key (a group's key_id may not be)
        return Markup('<a href="{}">{}</a>').format(entity_url(link_id), _join(v))
    ids = row.get(col + "_ids")
    if isinstance(ids, (list, tuple)) and isinstance(v, (list, tuple)) and len(ids) == len(v):
        parts = [Markup('<a href="{}">{}</a>').format(entity_url(i), _plain(n)) for i, n in zip(ids, v)]
        return Markup(list_sep()).join(parts)
    if is_money_column(col):
        return Markup('<span class="num" title="{}">{}</span>').format(number(v), money(v))
    if isinstance(v, bool):
        return Markup("✓") if v else Markup("")
    if col in ("date", "period", "issued_on") or col.endswith("_date"):
        return Markup('<span class="nowrap">{}</span>').format(_join(v))
    if col == "year" and isinstance(v, int):  # a year is a name of a year, not a quantity: 2019, not 2,019
        return Markup('<span class="num">{}</span>').format(v)
    if isinstance(v, (int, float)):
        return Markup('<span class="num">{}</span>').format(number(v))
    if col == "label" and isinstance(v, str):
        return escape(label_name(v))
    return escape(_join(v))


def column_title(col: str) -> str:
    from web.i18n import column_name

    return column_name(col)


def init_app(app: Flask) -> None:
    from web.graphview import wire

    app.jinja_env.filters.update(money=money, number=number, graph_wire=wire,
                                 reject_keys=lambda d, *keys: {k: v for k, v in d.items() if k not in keys})
    app.jinja_env.globals.update(entity_url=entity_url, cell=cell, table_columns=table_columns, list_sep=list_sep,
                                 column_title=column_title, quote=quote)
