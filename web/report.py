"""The report page: Table 5 and Figures 5, 10, 11 and 12 of the 2020 report (plus its headline,
cities, round and segment figures) recomputed from whatever is loaded, as charts and tables beside
the numbers the report published (``/report``; twin ``/api/report``; ``?year=`` picks another year).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from kg.errors import KGError
from web import charts
from kg.reporting.files import CHARTS, is_money, is_share
from kg.result import jsonable
from web.filters import money, number
from web.i18n import error_text, get_lang, t, value_word
from web.state import cached, get_store

bp = Blueprint("report", __name__)

ORDER = ["table5", "fig5", "fig10", "fig11", "fig12", "headline", "cities", "rounds", "segments"]


def _year(args) -> int | None:
    try:
        return int(args.get("year")) if args.get("year") else None
    except ValueError:
        return None


def report_data(year: int | None = None) -> dict:
    from kg import report as rep

    y = year or rep.REPORT_YEAR

    def build():
        return jsonable(rep.build_report(get_store(), year=y))

    data = cached(("report", y), build)
    figs = sorted(data["figures"], key=lambda f: ORDER.index(f["id"]) if f["id"] in ORDER else 99)
    return {**data, "figures": figs}


# coded values the figures carry, in the UI language (the code itself never reaches a user)
HIDDEN_COLUMNS = {"rounds": ("key",), "headline": ("metric",)}
METRICS = {"events": "Venture events", "companies": "Companies", "companies_multi_round": "Companies with two or more rounds",
           "disclosed_events": "Events with a disclosed amount", "disclosed_share": "Share of events with a disclosed amount",
           "disclosed_amount_cny": "Disclosed amount (CNY)"}
ROUND_GROUPS = {"seed_angel": "Seed + Angel", "a_plus_and_earlier": "A+ and earlier", "later": "Series B to Pre-IPO",
                "strategic": "Strategic", "other": "Other"}
WORDS = {"未知": "Unknown", "合计": "Total", "平均": "Average", "其他": "Other"}
LEVELS = {"macro": ("区域", "Macro region"), "province": ("省份", "Province"), "summary": ("合计", "Total"),
          "city": ("城市", "City")}


# the notes of the report's figures (kg.reporting and the seed's figures.yaml write them in English),
# in Chinese for the Chinese page; a note not listed here shows as written (and the language test says so)
NOTES_ZH = [
    (r"^(\d+) listed companies have no province in the graph$", "图谱中有 {0} 家上市企业没有省份信息"),
    (r"^early = A\+ and earlier \(seed, angel, Pre-A, A, A\+\)$", "A+轮及以前 = 种子轮、天使轮、Pre-A轮、A轮、A+轮"),
    (r"^§1\.2\.3 text gives 732 events", "§1.2.3 正文给出同样 678 家企业的 732 起事件。这里采用 752（§2.3.1），因为报告的其他数字与之吻合："
     "270/752 = 35.9%（270/732 则为 36.9%），长三角 311/752 = 41%，三大区域 665/752 = 88.4%。"),
    (r"^Derived, not printed: 京津冀 = 236", "推算值，报告未直接给出：京津冀 = 236 是唯一使 230/x 四舍五入为 97.5% 的整数；粤港澳大湾区 = 118 同样由 "
     "115/x = 97.5% 推得，且等于广东 115 + 香港 3；中西部 = 87 是唯一四舍五入为 752 的 11.6% 的整数，且等于 752 - (311 + 236 + 118)。"
     "上海 + 浙江 + 江苏 = 306，故有 5 起长三角事件不在这三个省市（报告未细分）。提到的活跃城市：北京、上海、杭州、南京、深圳；"
     "提到的活跃中西部省份：四川、湖北、陕西、湖南。"),
    (r"^456/752 = 60\.6%", "456/752 = 60.6%，与“超过 60%”一致。种子轮+天使轮、Pre-A轮和 A轮的占比合计 54.6%；A+轮及以前的其余部分报告未细分。"
     "战略投资占比是战略投资占全部事件的比例。"),
]
def display_source(source: str) -> str:
    from web.i18n import source_name

    return source_name(source)


def display_note(note: str) -> str:
    """A figure's note in the UI language, any internal key (``strategic_share``) in words."""
    import re

    from web.i18n import COLUMNS, column_name, terms

    if get_lang() == "zh":
        for pattern, zh in NOTES_ZH:
            m = re.match(pattern, str(note))
            if m:
                return zh.format(*m.groups())
    note = terms(str(note))
    return re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b",
                  lambda m: column_name(m.group(0)) if m.group(0) in COLUMNS else m.group(0).replace("_", " "), str(note))


def figure_columns(fig: dict) -> list[str]:
    return [c for c in fig["columns"] if c not in HIDDEN_COLUMNS.get(fig["id"], ())]


def display_rows(fig: dict) -> list[dict]:
    """The figure's rows with coded values in words (metric names, round groups, levels, and in
    English the segments, regions and rounds)."""
    from web.explore import region_name, round_type_name, segment_name

    en = get_lang() == "en"
    out = []
    for r in fig["rows"]:
        r = dict(r)
        if fig["id"] == "headline" and en and r.get("metric") in METRICS:
            r["name"] = METRICS[r["metric"]]
        if fig["id"] == "rounds" and en and r.get("key"):
            r["round"] = ROUND_GROUPS.get(r["key"]) or round_type_name(r["key"])
        if "level" in r and r["level"] in LEVELS:
            r["level"] = LEVELS[r["level"]][1 if en else 0]
        if en:
            for col in ("segment",):
                if isinstance(r.get(col), str):
                    r[col] = "Average" if r[col] == "平均" else segment_name(r[col])
            for col in ("region", "province", "city"):
                if isinstance(r.get(col), str):
                    r[col] = WORDS.get(r[col]) or region_name(r[col])
        out.append(r)
    return out


def figure_spec(fig: dict, rows: list[dict]) -> dict | None:
    """The figure as a chart spec for charts.js (ours beside the published numbers when there are some)."""
    from web import chart_specs

    spec = CHARTS.get(fig["id"])
    if not spec:
        return None
    lab, val, pub, kind = spec
    rows = [r for r in rows if isinstance(r.get(val), (int, float)) and r.get("level") not in ("合计", "Total")]
    if fig["id"] == "fig12":
        rows = [r for r in rows if r.get("segment") not in ("平均", "Average")]
    if kind != "columns":
        rows = rows[:20]
    if not rows:
        return None
    title = fig.get("title") if get_lang() == "zh" else fig.get("title_en")
    unit = "%" if kind == "share" else ""
    scale = 100 if kind == "share" else 1
    series = [{"name": t("ours"), "data": [round(r[val] * scale, 2) for r in rows]}]
    if pub and any(isinstance(r.get(pub), (int, float)) and not isinstance(r.get(pub), bool) for r in rows):
        series.append({"name": t("published"), "data": [round(r[pub] * scale, 2) if isinstance(r.get(pub), (int, float))
                                                        and not isinstance(r.get(pub), bool) else 0 for r in rows]})
    return chart_specs.spec("line" if kind == "columns" else ("hbar" if len(rows) > 8 else "bar"), title,
                            [str(r.get(lab)) for r in rows], series, unit, bool(fig.get("synthetic")))


def pct(v) -> str:
    return "" if v is None else f"{float(v) * 100:.1f}%"


def fmt_cell(col: str, v, row: dict | None = None) -> Markup:
    """One cell of a figure's table; which cells are money and which are shares is the report's own
    rule (:func:`kg.reporting.files.is_money`, :func:`~kg.reporting.files.is_share`), money reads by
    the one rule (:func:`web.filters.money`)."""
    if isinstance(v, Markup):  # already a cell (:func:`table_cells`)
        return v
    share = is_share(col, row)
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            sym = {"min": "≥", "max": "≤"}.get(k, k + " ")
            parts.append(f"{sym}{pct(x) if share else number(x)}")
        return escape(" ".join(parts))
    if isinstance(v, bool):
        return Markup('<span class="ok">✓</span>') if v else Markup('<span class="bad">✗</span>')
    if share and isinstance(v, (int, float)):
        return escape(pct(v))
    if is_money(col, row) and (v is None or isinstance(v, (int, float))):
        return Markup('<span class="num">{}</span>').format(money(v))
    if isinstance(v, (int, float)):
        return Markup('<span class="num">{}</span>').format(number(v))
    return escape("" if v is None else value_word(v))


def table_cells(columns: list[str], rows: list[dict]) -> list[dict]:
    """The table's rows as cells (each knows its row: a headline's value is money or a share by its metric)."""
    return [{c: fmt_cell(c, r.get(c), r) for c in columns} for r in rows]


def figure_chart(fig: dict) -> Markup:
    spec = CHARTS.get(fig["id"])
    if not spec:
        return Markup("")
    lab, val, pub, kind = spec
    rows = [r for r in fig["rows"] if r.get(val) is not None or (pub and isinstance(r.get(pub), (int, float)))]
    if kind == "columns":
        return charts.columns([(r.get(lab), r.get(val)) for r in rows], title=fig.get("title", ""))
    fmt = pct if kind == "share" else None
    rows = rows[:20]
    if pub and any(isinstance(r.get(pub), (int, float)) and not isinstance(r.get(pub), bool) for r in rows):
        return charts.bars([(r.get(lab), r.get(val), r.get(pub) if isinstance(r.get(pub), (int, float)) else None)
                            for r in rows], published=True, fmt=fmt, legend=(t("ours"), t("published")),
                           label_width=120, title=fig.get("title", ""))
    return charts.bars([(r.get(lab), r.get(val)) for r in rows], fmt=fmt, label_width=120, title=fig.get("title", ""))


@bp.route("/api/report")
def api_report():
    return jsonify(report_data(_year(request.args)))


@bp.route("/report")
def report():
    error, data = None, None
    try:
        data = report_data(_year(request.args))
    except KGError as exc:
        error = error_text(exc)
    from web.explore import chart_scripts

    scripts = chart_scripts()
    figs = []
    for f in (data or {}).get("figures", []):
        rows = display_rows(f)
        cols = figure_columns(f)
        figs.append({"fig": f, "rows": table_cells(cols, rows), "columns": cols, "notes": [display_note(n) for n in f.get("notes") or []],
                     "spec": figure_spec(f, rows) if scripts else None,
                     "chart": None if scripts else figure_chart({**f, "rows": rows})})
    args = {"year": request.args["year"]} if _year(request.args) else {}
    return render_template("report.html", data=data, figs=figs, error=error, fmt_cell=fmt_cell, display_source=display_source,
                           chart_scripts=scripts, json_twin=url_for("report.api_report", **args))
