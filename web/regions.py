"""The regional view: deals, amounts and top investors by province and by macro region, and the
co-investment clusters of one region (``/regions?region=长三角&year=2019``; twin ``/api/regions``)."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from kg.errors import KGError
from kg.result import jsonable
from web import chart_specs, graphview
from web.data import rows_synthetic, run_query
from web.i18n import error_text, get_lang, t
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


def _localised(data: dict) -> dict:
    """The tables' rows with regions, segments and known investors named in the UI language (the
    JSON twin keeps the stored names); communities numbered from 1 as the network page numbers them."""
    from web.explore import region_name, segment_name
    from web.network import _investor_name

    def row(r: dict) -> dict:
        out = dict(r)
        if isinstance(out.get("region"), str):
            out["region"] = region_name(out["region"])
        if isinstance(out.get("top_segments"), list):
            out["top_segments"] = [segment_name(x) for x in out["top_segments"]]
        for k in ("top_investors", "investors"):
            if isinstance(out.get(k), list):
                out[k] = [_investor_name(x) for x in out[k]]
        if isinstance(out.get("community"), int) and not isinstance(out.get("community"), bool):
            out["community"] = out["community"] + 1
        return out

    out = {level: [row(r) for r in data[level]["rows"]] for level in ("province", "macro")}
    out["region"] = region_name(data["region"]) if data.get("region") else None
    if data.get("clusters"):
        out["clusters"] = [row(r) for r in data["clusters"]["rows"]]
    return out


@bp.route("/regions")
def regions():
    error, data = None, None
    try:
        data = regions_data(request.args)
    except KGError as exc:
        error = error_text(exc)
    chart = {}
    view = None
    if data:
        from web.explore import region_name

        zh = get_lang() == "zh"
        scale, unit = (1e8, "亿元") if zh else (1e9, "CNY bn")
        for level in ("province", "macro"):
            rows = data[level]["rows"]
            synthetic = rows_synthetic(rows)
            deals = sorted([(region_name(r["region"]), r.get("deals") or 0) for r in rows], key=lambda x: -x[1])[:20]
            amount = sorted([(region_name(r["region"]), round((r.get("amount_cny") or 0) / scale, 2)) for r in rows],
                            key=lambda x: -x[1])[:20]
            chart[level + "_deals"] = chart_specs.bars(deals, title=t("deals"), series_name=t("deals"),
                                                       synthetic=synthetic, horizontal=True)
            chart[level + "_amount"] = chart_specs.bars(amount, title=t("amount"), series_name=t("amount"), unit=unit,
                                                        synthetic=synthetic, horizontal=True)
        if data.get("clusters") and data["clusters"]["graph"]["nodes"]:
            nodes = data["clusters"]["graph"]["nodes"]
            by_community = any(isinstance(n.get("community"), int) for n in nodes if n.get("label") == "Investor")
            view = graphview.view(data["clusters"]["graph"], color_by="community" if by_community else "label")
    args = {k: v for k, v in request.args.items() if v.strip() and k in ("year", "segment", "region")}
    shown = _localised(data) if data else None
    return render_template("regions.html", data=data, shown=shown, error=error, chart=chart, view=view, args=args,
                           options=facet_options(), json_twin=url_for("regions.api_regions", **args))
