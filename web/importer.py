"""Import: upload a deals file (CSV/XLSX) into the workspace, the only write the web makes.

``POST /import`` (form, CSRF-protected, at most ``Config.max_upload_mb``) and ``POST /api/import``
(same, JSON answer) run :func:`kg.loading.load_deals` and report loaded and rejected counts, the
rejected rows (line, reason) and a link to the rejects CSV (``/import/rejects/<file>``, served
only from the workspace's ``rejects/`` folder).

On the embedded backend the import never writes into the graph the other requests are reading:
it loads through a store of its own (exactly as ``kg load`` in a terminal would), which writes the
new snapshot atomically, and the served store then swaps the new graph in. A reader in the middle
of a page keeps the graph it started with (networkx graphs are not safe to read while written:
"dictionary changed size during iteration").
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template, request, send_from_directory, url_for

from kg.errors import InputError, KGError
from web.i18n import error_text, get_lang, message, messages, t
from web.state import get_state, get_store

bp = Blueprint("importer", __name__)

ALLOWED = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
COLUMNS = "date, company, round, amount, currency, investors, lead_investors, segment, province, city"


def _workspace() -> Path:
    return Path(get_state().config.workspace)


def upload_name(name: str, default: str = "upload.csv") -> str:
    """The name an uploaded file is known by (in its load's record, its rejects file and the
    answer): the user's own name, kept as close as is safe (spaces and brackets stay), with no path,
    no control or header-breaking characters, at most 100 characters. Files this product writes for
    download are named by the other rule, :func:`kg.exports.safe_filename`.

    >>> upload_name('../../etc/passwd\\r\\n"x".csv')
    'etc_passwd_x_.csv'
    >>> upload_name('深创投 投资组合.xlsx')
    '深创投 投资组合.xlsx'
    """
    s = unicodedata.normalize("NFC", str(name or ""))
    s = "".join(ch if unicodedata.category(ch)[0] != "C" else "_" for ch in s)
    s = re.sub(r'[\\/:*?"<>|;%]+', "_", s)
    s = re.sub(r"_+", "_", s).strip(" ._")
    if not s:
        return default
    if len(s) > 100:
        stem, dot, ext = s.rpartition(".")
        s = (stem[: 100 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else s[:100]
    return s


def import_upload() -> dict:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise InputError(t("no_file"))
    name = upload_name(os.path.basename(f.filename.replace("\\", "/")))
    stem, ext = os.path.splitext(name)
    if len(stem.encode("utf-8")) > 120:  # the rejects file is named after it: stay far below 255 bytes
        stem = stem.encode("utf-8")[:120].decode("utf-8", "ignore")
        name = stem + ext
    if not name.lower().endswith(ALLOWED):
        raise InputError(t("bad_file_type"))
    from kg.loading import load_deals

    up = _workspace() / "uploads"
    up.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=Path(name).suffix.lower(), dir=up)
    try:
        with os.fdopen(fd, "wb") as fh:
            f.save(fh)
        with _writer() as store:
            try:
                rep = load_deals(store, tmp, _workspace(), display_name=name)
            except KGError as exc:
                # the message names the upload's temporary file: name the user's file instead
                raise type(exc)(str(exc).replace(tmp, name)) from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    get_state().cache.clear()
    out = rep.as_dict()
    out["file"] = name
    out["rejects"] = [{"line": r.line, "reason": r.reason, "values": dict(r.values)} for r in rep.rejects[:500]]
    if rep.rejects_path:
        out["rejects_file"] = os.path.basename(rep.rejects_path)
        out["rejects_url"] = url_for("importer.rejects", filename=out["rejects_file"])
    out.pop("rejects_path", None)
    return out


@contextlib.contextmanager
def _writer():
    """The store an import writes through: the served one for a Cypher server; for the embedded
    backend a private one on the same workspace, after which the served store reloads."""
    live = get_store()
    if get_state().config.backend != "embedded":
        yield live
        return
    from kg.store import open_store

    own = open_store(get_state().config)
    try:
        yield own
    finally:
        own.close()  # the store's public close: what it holds is freed with it
        state = get_state()
        with getattr(state, "_store_lock", None) or contextlib.nullcontext():
            live.refresh()


# why a row was rejected (the loaders write "column: problem; …" in English), in the UI language
REASONS = messages([
    (r"^empty$", "为空", "empty"),
    (r"^not an amount: (?P<v>.+)$", "不是有效的金额 {v}", "not an amount: {v}"),
    (r"^negative amount (?P<v>.+)$", "金额为负：{v}", "negative amount {v}"),
    (r"^impossible date (?P<v>'[^']*'|\S+).*$", "不存在的日期 {v}", "impossible date {v}"),
    (r"^not a date: (?P<v>.+)$", "不是有效的日期 {v}", "not a date: {v}"),
    (r"^unknown currency (?P<v>.+)$", "未知币种 {v}", "unknown currency {v}"),
    (r"^(?P<n>\d+) fields but the header has (?P<w>\d+)$", "该行有 {n} 个字段，表头只有 {w} 个", "{n} fields but the header has {w}"),
    (r"^a quote opened on line (?P<n>\d+) is not closed on that line.*$", "第 {n} 行的引号没有在该行闭合：此行单独列出，其后各行照常读取",
     "a quote opened on line {n} is not closed on that line: this row is set aside, the lines after it are read"),
    (r"^a quoted field opened on line (?P<n>\d+) runs to line (?P<m>\d+).*$",
     "第 {n} 行开始的带引号字段一直延续到第 {m} 行：引号可能没有闭合，第 {n}–{m} 行单独列出",
     "a quoted field opened on line {n} runs to line {m}: a quote is probably not closed; lines {n}-{m} are set aside"),
])


def reason_text(reason: str) -> str:
    """A rejected row's reason in the UI language: each "column: problem" by the column's name and the
    problem in words (a problem not listed stays as written)."""
    from web.i18n import COLUMNS, column_name, get_lang

    zh = get_lang() == "zh"
    m = re.match(r"^(\[[^\]]*\]\s*)", reason)  # a sheet's tag
    tag, rest = (m.group(1), reason[m.end():]) if m else ("", reason)
    out = []
    for piece in rest.split("; "):
        col, what = "", piece
        cm = re.match(r"^([a-z_]+): (.+)$", piece)
        if cm and (cm.group(1) in COLUMNS or cm.group(1) == "quote"):
            col, what = cm.group(1), cm.group(2)
        found = message(REASONS, what)
        if found:
            what = found[1].format(**found[0])
        name = column_name(col) if col in COLUMNS else ""
        out.append(f"{name}{'：' if zh else ': '}{what}" if name else what)
    return tag + ("；" if zh else "; ").join(out)


@bp.route("/import", methods=["GET", "POST"])
def upload():
    result, error = None, None
    if request.method == "POST":
        try:
            result = import_upload()
        except KGError as exc:
            error = error_text(exc)
    return render_template("import.html", result=result, error=error, columns=COLUMNS, reason_text=reason_text,
                           max_mb=get_state().config.max_upload_mb)


@bp.route("/api/import", methods=["GET", "POST"])
def api_import():
    if request.method == "GET":
        return jsonify({"imports": list(reversed(get_store().imports())), "max_upload_mb": get_state().config.max_upload_mb,
                        "columns": [c.strip() for c in COLUMNS.split(",")]})
    try:
        return jsonify(import_upload())
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400


# ============================================================== news: review, then load (issue 20)
NEWS_FIELDS = ("company", "round", "amount", "date", "investors", "lead_investors")
_FIELD_WORD = {"company": "company", "round": "round", "amount": "amount", "date": "date", "investors": "investors",
               "lead_investors": "lead"}
_DOUBTS = [("company uncertain", "news_doubt_company"), ("round not stated", "news_doubt_round"),
           ("not completed", "news_doubt_not_done"), ("no deal found", "news_no_deal_reason"),
           ("unknown currency", "news_doubt_currency")]


def doubt_text(reason: str) -> str:
    """A doubt of the news reader (English, "company uncertain: …; round not stated") in the UI language."""
    out = []
    for piece in reason.split("; "):
        key = next((k for prefix, k in _DOUBTS if prefix in piece), None)
        out.append(t(key) if key else piece)
    return ("；" if get_lang() == "zh" else "; ").join(out)


def highlighted(text: str, marks: list[dict]) -> list[dict]:
    """``text`` cut into pieces, each either plain or one field's evidence (``field``, ``title``);
    overlapping marks keep the earlier (then longer) one."""
    pieces, pos = [], 0
    for m in sorted(marks, key=lambda m: (m["start"], -m["end"])):
        s, e = max(m["start"], 0), min(m["end"], len(text))
        if s < pos or e <= s:
            continue
        if s > pos:
            pieces.append({"text": text[pos:s]})
        pieces.append({"text": text[s:e], "field": m["field"], "title": m["title"]})
        pos = e
    if pos < len(text):
        pieces.append({"text": text[pos:]})
    return pieces


def review_deal(text: str, deal) -> dict:
    """One extracted deal for the review page: its fields (value, span, confidence) and the passage
    with each field's evidence highlighted."""
    d = deal.as_json()
    ev, conf = d.get("evidence") or {}, d.get("field_confidence") or {}
    rows, marks = [], []
    for fld in NEWS_FIELDS:
        value = d.get(fld)
        if fld == "amount" and value is not None:
            value = f"{value:,} {d.get('currency') or ''}".strip()
        elif fld == "amount" and d.get("currency"):
            value = None
        if isinstance(value, list):
            value = (", " if get_lang() == "en" else "、").join(value) if value else None
        span = ev.get(fld)
        spans = span if span and isinstance(span[0], list) else [span] if span else []
        c = conf.get({"lead_investors": "investors"}.get(fld, fld))
        word = t(_FIELD_WORD[fld])
        rows.append({"field": fld, "name": word, "value": value, "spans": spans, "confidence": c})
        for sp in spans:
            title = word + (f" · {t('news_confidence')} {c:.2f}" if c is not None else "")
            marks.append({"start": sp[0], "end": sp[1], "field": fld, "title": title})
    # a lead is also an investor: its mark says lead
    leads = {tuple(sp) for sp in (ev.get("lead_investors") or [])}
    marks = [m for m in marks if not (m["field"] == "investors" and (m["start"], m["end"]) in leads)]
    return {"rows": rows, "pieces": highlighted(text, marks), "confidence": d.get("confidence"),
            "doubts": doubt_text("; ".join(d.get("doubts") or [])) if d.get("doubts") else None, "json": d}


def _news_lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace("\r\n", "\n").split("\n") if line.strip()]


def news_review(raw: str) -> dict:
    from loaders.news import extract, lexicon_from_store

    lines = _news_lines(raw)
    if not lines:
        raise InputError(t("news_empty"))
    try:
        lexicon = lexicon_from_store(get_store())
    except KGError:
        lexicon = None
    items = []
    for i, text in enumerate(lines, 1):
        items.append({"line": i, "text": text, "deals": [review_deal(text, d) for d in extract(text, lexicon)]})
    return {"items": items, "n": len(items), "deals": sum(len(x["deals"]) for x in items)}


def news_load(raw: str) -> dict:
    from kg.news_cli import load_news

    lines = _news_lines(raw)
    if not lines:
        raise InputError(t("news_empty"))
    up = _workspace() / "uploads"
    up.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="news-", suffix=".txt", dir=up)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        with _writer() as store:
            rep = load_news(store, tmp, _workspace())
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    get_state().cache.clear()
    out = rep.as_dict()
    out["file"] = t("news_import")
    out["rejects"] = [{"line": r.line, "reason": doubt_text(r.reason.split(": ", 1)[-1] if r.reason != "no deal found"
                                                            else r.reason), "company": r.reason.split(": ", 1)[0]
                       if ": " in r.reason else ""} for r in rep.rejects[:200]]
    out.pop("rejects_path", None)
    return out


@bp.route("/import/news", methods=["GET", "POST"])
def news():
    review, loaded, error = None, None, None
    raw = request.form.get("text", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            if request.form.get("action") == "load":
                loaded = news_load(raw)
            else:
                review = news_review(raw)
        except KGError as exc:
            error = error_text(exc)
    return render_template("import.html", result=None, error=error, columns=COLUMNS, reason_text=reason_text,
                           max_mb=get_state().config.max_upload_mb, news_text=raw, review=review, loaded=loaded,
                           news_fields=NEWS_FIELDS)


@bp.route("/api/import/news", methods=["POST"])
def api_news():
    """``{"text": "…"}`` (one announcement a line) → each line's deals with ``evidence`` and
    ``field_confidence``, as ``kg extract --json`` gives them; ``"load": true`` loads them too."""
    body = request.get_json(silent=True) or {}
    raw = body.get("text") if isinstance(body.get("text"), str) else request.form.get("text", "")
    try:
        if body.get("load"):
            return jsonify(news_load(raw))
        rev = news_review(raw)
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"items": [{"line": x["line"], "text": x["text"], "deals": [d["json"] for d in x["deals"]]}
                              for x in rev["items"]]})


@bp.route("/import/rejects/<path:filename>")
def rejects(filename):
    if "/" in filename or "\\" in filename or not filename.endswith(".csv") or "rejects" not in filename:
        abort(404)
    folder = _workspace() / "rejects"
    return send_from_directory(folder, filename, as_attachment=True, mimetype="text/csv")
