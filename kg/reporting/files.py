"""A report as text (``kg report``), CSV per figure, one XLSX workbook and PNG charts."""
from __future__ import annotations

from kg.formatting import display_width, is_money_column, money_text
from kg.reporting.events import REPORT_YEAR, TOLERANCE

__all__ = ["CHARTS", "SYNTHETIC_CAPTION", "cjk_font", "format_cell", "format_figure", "is_money", "is_share", "format_report", "write_charts",
           "write_csv", "write_report", "write_xlsx"]

# ------------------------------------------------------------------------------------------ writing
_width = display_width  # the one rule (kg.formatting), under the name the tables use


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * max(0, w - _width(s))
    return gap + s if right else s + gap


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_money(col: str, row: dict | None = None) -> bool:
    """Whether a figure's cell holds CNY yuan: an amount column, or the value, published number or
    difference of the headline's disclosed amount (one rule for the text, the files and the page)."""
    metric = (row or {}).get("metric", "")
    return not is_share(col, row) and (is_money_column(col) or "amount" in col
                                       or metric == "disclosed_amount_cny" and col in ("value", "published", "diff"))


def is_share(col: str, row: dict | None = None) -> bool:
    """Whether a figure's cell holds a share (0..1, shown in %)."""
    metric = (row or {}).get("metric", "")
    return "share" in col or metric == "disclosed_share" and col in ("value", "published", "diff")


def format_cell(fig: dict, col: str, v, row: dict | None = None, lang: str = "zh") -> str:
    """One value as the tables show it: shares in %, money by the one rule (:func:`kg.formatting.money_text`),
    bounds as ≥/≤, labels as is."""
    money, share = is_money(col, row), is_share(col, row)
    if v is None:
        return money_text(None, lang) if money and col not in ("published", "diff") else "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, str) and v[:1] in "≥≤" and share:
        try:
            return f"{v[0]}{float(v[1:]) * 100:.1f}%"
        except ValueError:
            return v
    if _is_num(v):
        if share:
            if col.startswith("diff"):
                return "0.0pp" if abs(v) < 0.0005 else f"{v * 100:+.1f}pp"
            return f"{v * 100:.1f}%"
        if money:
            return money_text(v, lang)
        if isinstance(v, float) and not v.is_integer():
            return f"{v:,.2f}"
        return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
    return str(v)


def format_figure(fig: dict) -> str:
    """A figure as a plain-text table, its published numbers and differences beside the values."""
    cols = [c for c in fig["columns"] if c != "key"]
    cells = [[format_cell(fig, c, r.get(c), r) for c in cols] for r in fig["rows"]]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(cols)]
    right = [any(_is_num(r.get(c)) for r in fig["rows"]) for c in cols]
    lines = [f"{fig['title']} · {fig['title_en']}"]
    if fig.get("source"):
        lines.append(f"source: {fig['source']}")
    lines.append("  ".join(_pad(c, w, r) for c, w, r in zip(cols, widths, right)))
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(_pad(x, w, r) for x, w, r in zip(row, widths, right)))
    if fig["checks"]:
        ok = sum(1 for c in fig["checks"] if c["ok"])
        lines.append(f"agrees with the report: {ok} of {len(fig['checks'])} "
                     f"(numbers within {TOLERANCE:.0%}, bounds kept, rankings as stated)")
    for note in fig.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def format_report(report: dict) -> str:
    parts = [format_figure(f) for f in report["figures"]]
    a = report["agreement"]
    tail = f"{a['ok']} of {a['checks']} published numbers reproduced (within {a['tolerance']:.0%})"
    if report.get("scale", 1.0) != 1.0:
        tail += f"; published counts scaled ×{report['scale']:.4g} to the data's size"
    elif report["year"] == REPORT_YEAR and report.get("events") and abs(report["events"] / 752 - 1) > 0.5:
        tail += (f"; the data has {report['events']:,} events against the report's 752: "
                 "compare the shares, or the counts scaled")
    return "\n\n".join(parts + [tail])


def _sheet_name(s: str, used: set) -> str:
    base = "".join(ch for ch in s if ch not in "[]:*?/\\")[:31] or "sheet"
    name, k = base, 2
    while name.lower() in used:
        name = f"{base[:28]}-{k}"
        k += 1
    used.add(name.lower())
    return name


def write_csv(fig: dict, path) -> None:
    """A figure as CSV; names from users' files never become spreadsheet formulas."""
    from kg.exports.tables import _csv_cell

    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        syn = bool(fig.get("synthetic"))
        w.writerow(fig["columns"] + (["synthetic"] if syn else []))
        for r in fig["rows"]:
            w.writerow([_csv_cell(r.get(c)) for c in fig["columns"]] + (["true"] if syn else []))


SYNTHETIC_CAPTION = "含合成演示数据（kg demo），非真实交易 / contains synthetic demo data (kg demo), not real deals"


def write_xlsx(report: dict, path) -> None:
    """One sheet per figure (title, source, header, rows), then every check on a sheet of its own."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 13})
    pct = wb.add_format({"num_format": "0.0%"})
    yuan = wb.add_format({"num_format": "#,##0"})  # money stays exact yuan, as in the exports' sheets
    used: set = set()
    for fig in report["figures"]:
        ws = wb.add_worksheet(_sheet_name(fig["id"], used))
        ws.write(0, 0, fig["title"], title)
        ws.write(1, 0, fig["title_en"])
        if fig.get("source"):
            ws.write(2, 0, f"source: {fig['source']}")
        if fig.get("synthetic"):
            ws.write(3, 0, SYNTHETIC_CAPTION, wb.add_format({"bold": True, "font_color": "#9c0006"}))
        for j, c in enumerate(fig["columns"]):
            ws.write(4, j, c, bold)
            ws.set_column(j, j, max(10, min(40, _width(c) + 2)))
        for i, r in enumerate(fig["rows"], start=5):
            for j, c in enumerate(fig["columns"]):
                v = r.get(c)
                if v is None:
                    continue
                if _is_num(v) and is_share(c, r):
                    ws.write_number(i, j, v, pct)
                elif _is_num(v) and is_money(c, r):
                    ws.write_number(i, j, v, yuan)
                elif isinstance(v, (bool, int, float, str)):
                    ws.write(i, j, v)
                else:
                    ws.write(i, j, str(v))
        ws.freeze_panes(5, 0)
    ws = wb.add_worksheet(_sheet_name("checks", used))
    cols = ["figure", "row", "metric", "value", "published", "diff", "rel", "ok"]
    for j, c in enumerate(cols):
        ws.write(0, j, c, bold)
    i = 1
    for fig in report["figures"]:
        for c in fig["checks"]:
            vals = [fig["id"], str(c["row"]), c["metric"], c["value"], c["published"], c["diff"], c["rel"], c["ok"]]
            for j, v in enumerate(vals):
                if v is None:
                    continue
                ws.write(i, j, v if isinstance(v, (bool, int, float, str)) else str(v))
            i += 1
    wb.close()


# figure id -> (label column, value column, published column or None)
# the one table of the figures' charts (the PNGs here, the report page's charts): figure id ->
# (label column, value column, published column or None, kind: count | share | columns)
CHARTS = {
    "table5": ("investor", "companies", "published", "count"),
    "fig5": ("province", "listed", "published", "count"),
    "fig10": ("month", "events", None, "columns"),
    "fig11": ("region", "events", "published_events", "count"),
    "cities": ("city", "events", None, "count"),
    "fig12": ("segment", "early_share", None, "share"),
    "rounds": ("round", "share", "published_share", "share"),
    "segments": ("segment", "share", "published_share", "share"),
}


def cjk_font() -> str | None:
    """A font family that has Chinese glyphs (Noto CJK from fonts-noto-cjk first), or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for want in ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC"):
        if want in names:
            return want
    return next((n for n in sorted(names) if "CJK" in n), None)


def write_charts(report: dict, out_dir) -> tuple[list[str], str | None]:
    """A bar chart per figure (computed beside published) as PNG; returns (paths, why skipped)."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font is None:
        return [], "no font with Chinese glyphs found: no charts (install fonts-noto-cjk)"
    paths = []
    with plt.rc_context({"font.family": [font], "axes.unicode_minus": False}):
        for fig in report["figures"]:
            spec = CHARTS.get(fig["id"])
            if not spec:
                continue
            label, value, pub, _kind = spec
            rows = [r for r in fig["rows"] if _is_num(r.get(value)) and r.get("level", "province") != "summary"]
            if fig["id"] == "fig11":
                rows = [r for r in rows if r.get("level") == "province"][:20]
            if fig["id"] == "fig12":
                rows = [r for r in rows if r["segment"] != "平均"]
            if not rows:
                continue
            xs = [str(r.get(label)) for r in rows]
            ys = [r[value] for r in rows]
            ps = [r.get(pub) if pub and _is_num(r.get(pub)) else None for r in rows]
            f, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(xs) + 2), 4.2), dpi=110)
            idx = list(range(len(xs)))
            has_pub = any(p is not None for p in ps)
            wbar = 0.4 if has_pub else 0.7
            ax.bar([i - (wbar / 2 if has_pub else 0) for i in idx], ys, width=wbar, label="本图数据 (graph)")
            if has_pub:
                ax.bar([i + wbar / 2 for i in idx], [p if p is not None else 0 for p in ps], width=wbar,
                       label="报告公布 (published)", color="#d62728")
                ax.legend()
            ax.set_xticks(idx)
            ax.set_xticklabels(xs, rotation=45 if len(xs) > 8 else 0, ha="right" if len(xs) > 8 else "center")
            ax.set_title(f"{fig['title']}\n{fig['title_en']}", fontsize=10)
            ax.set_ylabel(value)
            if fig.get("synthetic"):
                f.text(0.99, 0.01, SYNTHETIC_CAPTION, ha="right", va="bottom", fontsize=8, color="#9c0006",
                       fontweight="bold", parse_math=False)
            f.tight_layout(rect=(0, 0.04, 1, 1) if fig.get("synthetic") else None)
            path = Path(out_dir) / f"{fig['id']}.png"
            f.savefig(path)
            plt.close(f)
            paths.append(str(path))
    return paths, None


def write_report(report: dict, out_dir) -> dict:
    """CSV per figure, one XLSX with a sheet per figure, and PNG charts when matplotlib is there."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": [], "xlsx": None, "png": [], "notes": []}
    for fig in report["figures"]:
        p = out / f"{fig['id']}.csv"
        write_csv(fig, p)
        written["csv"].append(str(p))
    x = out / f"report-{report['year']}.xlsx"
    write_xlsx(report, x)
    written["xlsx"] = str(x)
    written["png"], why = write_charts(report, out)
    if why:
        written["notes"].append(why)
    return written

