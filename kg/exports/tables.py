"""Tables for spreadsheets: a CSV zip (nodes, edges, rows) and an XLSX workbook.

CSV files are UTF-8 with a BOM, so Excel on Windows opens Chinese correctly. Every name comes
from somebody's file, so no cell may become a formula: CSV text cells starting with ``= + - @``
or a tab get a leading apostrophe (OWASP's advice), and the XLSX writer never turns strings into
formulas, links or numbers.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

from kg.exports.base import SYNTHETIC_NOTE, Payload, about, flat_props, json_dumps, register, scalar, truncation_note
from kg.formatting import display_width, is_money_column

__all__ = ["edge_table", "node_table", "row_table", "write_csv_zip", "write_xlsx"]

_LAST = ("sources", "synthetic")


def _ordered(keys: list[str], first: list[str]) -> list[str]:
    rest = [k for k in keys if k not in first and k not in _LAST]
    return first + rest + [k for k in _LAST if k in keys]


def node_table(p: Payload) -> tuple[list[str], list[dict]]:
    """Columns ``id, label, name, …properties…, sources, synthetic`` and one row per node."""
    rows, keys = [], {}
    for n in p.nodes:
        props = flat_props(n["props"])
        if "label" in props:  # a round's own label, not the schema label
            props[f"{n['label'].lower()}_label"] = props.pop("label")
        props.pop("id", None)
        r = {"id": n["id"], "label": n["label"], "name": props.pop("name", n["caption"]), **props}
        keys.update(dict.fromkeys(r))
        rows.append(r)
    return _ordered(list(keys), ["id", "label", "name"]), rows


def edge_table(p: Payload) -> tuple[list[str], list[dict]]:
    """Columns ``source, source_name, type, target, target_name, …properties…, sources``."""
    names = {n["id"]: n["caption"] for n in p.nodes}
    rows, keys = [], {}
    first = ["source", "source_name", "type", "target", "target_name"]
    for e in p.edges:
        props = {(f"{k}_prop" if k in first else k): v for k, v in flat_props(e["props"]).items()}
        r = {"source": e["source"], "source_name": names.get(e["source"], ""), "type": e["type"],
             "target": e["target"], "target_name": names.get(e["target"], ""), **props}
        keys.update(dict.fromkeys(r))
        rows.append(r)
    return _ordered(list(keys), first), rows


def row_table(p: Payload) -> tuple[list[str], list[dict]]:
    """The answer's table with every value made scalar (lists joined, maps as JSON).

    A result built from synthetic facts has a ``synthetic`` column: the row's own flag where the
    row names a round, company or investor, else true (an aggregate that counts synthetic facts)."""
    cols = list(p.columns)
    if p.synthetic and "synthetic" not in cols:
        cols.append("synthetic")
    out = []
    for r in p.rows:
        row = {c: scalar(r.get(c)) for c in cols}
        if p.synthetic and row.get("synthetic") is None:
            row["synthetic"] = True
        out.append(row)
    return cols, out


# ---------------------------------------------------------------------------- CSV
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def _csv_bytes(columns: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_csv_cell(c) for c in columns])
    for r in rows:
        w.writerow([_csv_cell(r.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8-sig")


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes, date_time) -> None:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


@register("csv", extension="zip", mimetype="application/zip",
          description="zip of nodes.csv, edges.csv (and rows.csv), UTF-8 with BOM for Excel")
def write_csv_zip(p: Payload) -> bytes:
    ts = p.provenance.get("generated_at", "")
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", ts)
    date_time = tuple(int(x) for x in m.groups()) if m else (1980, 1, 1, 0, 0, 0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        if p.rows or p.columns:
            _zip_write(zf, "rows.csv", _csv_bytes(*row_table(p)), date_time)
        _zip_write(zf, "nodes.csv", _csv_bytes(*node_table(p)), date_time)
        _zip_write(zf, "edges.csv", _csv_bytes(*edge_table(p)), date_time)
        lines = [f"{k}: {v}" for k, v in about(p)]
        _zip_write(zf, "about.txt", ("\n".join(lines) + "\n").encode("utf-8-sig"), date_time)
        doc = {"title": p.title, "provenance": p.provenance, "truncated": p.truncated, "omitted": p.omitted,
               "synthetic": p.synthetic, "cypher": p.cypher, "params_cypher": p.params_cypher}
        _zip_write(zf, "provenance.json", json_dumps(doc, indent=1).encode("utf-8"), date_time)
        if p.synthetic:
            _zip_write(zf, "SYNTHETIC.txt", (SYNTHETIC_NOTE + "\n").encode("utf-8-sig"), date_time)
        if p.truncated:
            note = truncation_note(p) + "\n" + "".join(f"omitted {k}: {v}\n" for k, v in p.omitted.items())
            _zip_write(zf, "truncated.txt", note.encode("utf-8-sig"), date_time)
    return buf.getvalue()


# ---------------------------------------------------------------------------- XLSX
_CELL_MAX = 32767


def _sheet(wb, name: str, columns: list[str], rows: list[dict], fmt_head, fmt_money=None) -> None:
    """A sheet of ``rows``; money columns stay exact numbers of yuan (a spreadsheet computes with them),
    shown with thousands separators."""
    ws = wb.add_worksheet(name)
    money = [fmt_money if fmt_money is not None and is_money_column(str(c)) else None for c in columns]
    widths = [min(max(display_width(str(c)), 6), 60) for c in columns]
    for j, c in enumerate(columns):
        ws.write_string(0, j, str(c), fmt_head)
    for i, r in enumerate(rows, start=1):
        for j, c in enumerate(columns):
            v = r.get(c)
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float)) and abs(v) < 2 ** 53:
                ws.write_number(i, j, v, money[j])
            else:
                s = str(v)
                if len(s) > _CELL_MAX:
                    s = s[:_CELL_MAX - 1] + "…"
                ws.write_string(i, j, s)
                widths[j] = min(max(widths[j], display_width(s[:80])), 60)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w + 2)
    if columns:
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


@register("xlsx", extension="xlsx", mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          description="Excel workbook: rows, nodes, edges and an about sheet (provenance)")
def write_xlsx(p: Payload) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": True})
    wb.set_properties({"title": p.title, "comments": "IIKG export", "author": "IIKG"})
    head = wb.add_format({"bold": True, "bg_color": "#e8eef4"})
    yuan = wb.add_format({"num_format": "#,##0"})
    warn = wb.add_format({"bold": True, "font_color": "#9c0006", "bg_color": "#ffc7ce", "text_wrap": True})
    if p.truncated or p.synthetic:  # the first sheet: what a reader must know before using the numbers
        ws = wb.add_worksheet("note")
        ws.set_column(0, 0, 100)
        i = 0
        if p.synthetic:
            ws.write_string(i, 0, SYNTHETIC_NOTE + " — not real deals; do not cite / 非真实交易，请勿引用", warn)
            i += 2
        if p.truncated:
            ws.write_string(i, 0, truncation_note(p), warn)
            for i, (k, v) in enumerate(p.omitted.items(), start=i + 2):
                ws.write_string(i, 0, f"omitted {k}: {v}")
    if p.rows or p.columns:
        _sheet(wb, "rows", *row_table(p), head, yuan)
    _sheet(wb, "nodes", *node_table(p), head, yuan)
    _sheet(wb, "edges", *edge_table(p), head, yuan)
    ws = wb.add_worksheet("about")
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 100)
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for i, (k, v) in enumerate(about(p)):
        ws.write_string(i, 0, k, head)
        ws.write_string(i, 1, v[:_CELL_MAX], warn if k in ("truncated", "synthetic") else wrap)
    wb.close()
    return buf.getvalue()
