"""The report page: Table 5 and Figures 5, 10, 11 and 12 of the 2020 report (plus its headline,
cities, round and segment figures) recomputed from whatever is loaded, as charts and tables beside
the numbers the report published (``/report``; twin ``/api/report``; ``?year=`` picks another year).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from kg.errors import KGError
from web import charts
from web.data import has_module, jsonable
from web.filters import money, number
from web.i18n import t
from web.state import cached, get_store

bp = Blueprint("report", __name__)

# figure id -> (label column, value column, published column or None, kind)
CHARTS = {
    "table5": ("investor", "companies", "published", "count"),
    "fig5": ("province", "listed", "published", "count"),
    "fig10": ("month", "events", None, "columns"),
    "fig11": ("region", "events", "published_events", "count"),
    "cities": ("city", "events", None, "count"),
    "fig12": ("segment", "early_share", None, "share"),
    "rounds": ("round", "share", "published_share", "share"),
    "segments": ("segment", "share", "published", "share"),
}
ORDER = ["table5", "fig5", "fig10", "fig11", "fig12", "headline", "cities", "rounds", "segments"]


def _year(args) -> int | None:
    try:
        return int(args.get("year")) if args.get("year") else None
    except ValueError:
        return None


def report_data(year: int | None = None) -> dict:
    if not has_module("kg.report"):
        raise KGError(t("report_unavailable"))
    from kg import report as rep

    y = year or rep.REPORT_YEAR

    def build():
        return jsonable(rep.build_report(rep.report_graph(get_store()), year=y))

    data = cached(("report", y), build)
    figs = sorted(data["figures"], key=lambda f: ORDER.index(f["id"]) if f["id"] in ORDER else 99)
    return {**data, "figures": figs}


def pct(v) -> str:
    return "" if v is None else f"{float(v) * 100:.1f}%"


def fmt_cell(col: str, v) -> Markup:
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            sym = {"min": "≥", "max": "≤"}.get(k, k + " ")
            parts.append(f"{sym}{pct(x) if isinstance(x, float) and x <= 1 else number(x)}")
        return escape(" ".join(parts))
    if isinstance(v, bool):
        return Markup('<span class="ok">✓</span>') if v else Markup('<span class="bad">✗</span>')
    if isinstance(v, float) and ("share" in col or (col in ("published", "diff") and abs(v) <= 1 and not v.is_integer())):
        return escape(pct(v))
    if col.endswith("_cny") and isinstance(v, (int, float)):
        return escape(money(v))
    if isinstance(v, (int, float)):
        return Markup('<span class="num">{}</span>').format(number(v))
    return escape("" if v is None else v)


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
        error = str(exc)
    figs = [{"fig": f, "chart": figure_chart(f)} for f in (data or {}).get("figures", [])]
    args = {"year": request.args["year"]} if _year(request.args) else {}
    return render_template("report.html", data=data, figs=figs, error=error, fmt_cell=fmt_cell,
                           json_twin=url_for("report.api_report", **args))
