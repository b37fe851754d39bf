"""The regional view: deals, amounts and top investors by province and by macro region, and the
co-investment clusters of one region (``/regions?region=长三角&year=2019``; twin ``/api/regions``)."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from kg.errors import KGError
from web import charts, graphview
from web.data import jsonable, run_query
from web.filters import money
from web.network import facet_options

bp = Blueprint("regions", __name__)


def regions_data(args) -> dict:
    year = args.get("year", "").strip() or None
    segment = args.get("segment", "").strip() or None
    region = args.get("region", "").strip() or None
    out = {"year": year, "segment": segment, "region": region}
    for level in ("province", "macro"):
        res = run_query("region_summary", level=level, year=year, segment=segment)
        out[level] = {"columns": res.columns, "rows": res.rows, "cypher": res.cypher,
                      "params_cypher": res.params_cypher}
    if region:
        res = run_query("region_clusters", region=region, year=year, segment=segment)
        out["clusters"] = res.as_dict()
    return jsonable(out)


@bp.route("/api/regions")
def api_regions():
    return jsonify(regions_data(request.args))


@bp.route("/regions")
def regions():
    error, data = None, None
    try:
        data = regions_data(request.args)
    except KGError as exc:
        error = str(exc)
    chart = {}
    view = None
    if data:
        for level in ("province", "macro"):
            rows = data[level]["rows"]
            chart[level + "_deals"] = charts.bars([(r["region"], r.get("deals")) for r in rows[:20]], label_width=90)
            chart[level + "_amount"] = charts.bars(
                sorted([(r["region"], r.get("amount_cny") or 0) for r in rows], key=lambda x: -x[1])[:20],
                fmt=money, label_width=90)
        if data.get("clusters") and data["clusters"]["graph"]["nodes"]:
            nodes = data["clusters"]["graph"]["nodes"]
            by_community = any(isinstance(n.get("community"), int) for n in nodes if n.get("label") == "Investor")
            view = graphview.view(data["clusters"]["graph"], color_by="community" if by_community else "label")
    args = {k: v for k, v in request.args.items() if v.strip() and k in ("year", "segment", "region")}
    return render_template("regions.html", data=data, error=error, chart=chart, view=view, args=args,
                           options=facet_options(), json_twin=url_for("regions.api_regions", **args))
