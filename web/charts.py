"""Small bar charts rendered on the server as inline SVG (no chart library, no script).

Every label is escaped; the SVG scales with its container (``viewBox``, ``width=100%``).

>>> from markupsafe import Markup
>>> svg = bars([("深创投", 12), ("<b>", 3)], fmt=str)
>>> "&lt;b&gt;" in svg and "<b>" not in svg
True
"""
from __future__ import annotations

from markupsafe import Markup

__all__ = ["bars", "columns", "OURS", "PUBLISHED"]

OURS = "#2563eb"
PUBLISHED = "#cbd5e1"
FONT = "font-family=\"Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif\""


def _num(v) -> float:
    try:
        return float(v) if v is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def bars(items, *, fmt=None, published: bool = False, legend: tuple[str, str] | None = None,
         label_width: int = 150, width: int = 560, title: str = "") -> Markup:
    """Horizontal bars. ``items``: ``(label, value)`` or, with ``published``, ``(label, value, published)``."""
    items = list(items)
    fmt = fmt or (lambda v: f"{_num(v):,.0f}")
    if not items:
        return Markup("")
    row_h = 30 if published else 22
    top = 24 if legend else 4
    h = top + row_h * len(items) + 6
    vmax = max(max(_num(i[1]) for i in items), max((_num(i[2]) for i in items), default=0) if published else 0) or 1
    plot = width - label_width - 70
    out = [Markup('<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}" '
                  'xmlns="http://www.w3.org/2000/svg" {f} font-size="12">').format(w=width, h=h, t=title, f=Markup(FONT))]
    if legend:
        out.append(Markup('<rect x="{x}" y="6" width="10" height="10" fill="{c}"/><text x="{x2}" y="15">{t}</text>')
                   .format(x=label_width, c=OURS, x2=label_width + 14, t=legend[0]))
        out.append(Markup('<rect x="{x}" y="6" width="10" height="10" fill="{c}"/><text x="{x2}" y="15">{t}</text>')
                   .format(x=label_width + 130, c=PUBLISHED, x2=label_width + 144, t=legend[1]))
    for i, it in enumerate(items):
        y = top + i * row_h
        label = str(it[0])
        room = max(4, (label_width - 8) // 12)  # about 12 px per Chinese character
        if len(label) > room:
            label = label[: room - 1] + "…"
        out.append(Markup('<text x="{x}" y="{y}" text-anchor="end" fill="#334155"><title>{full}</title>{l}</text>')
                   .format(x=label_width - 6, y=y + 14, l=label, full=str(it[0])))
        v = _num(it[1])
        bh = 11 if published else 16
        out.append(Markup('<rect x="{x}" y="{y}" width="{w:.1f}" height="{h}" fill="{c}" rx="2"><title>{t}</title></rect>')
                   .format(x=label_width, y=y + 3, w=max(plot * v / vmax, 1 if v else 0), h=bh, c=OURS, t=fmt(it[1])))
        out.append(Markup('<text x="{x:.1f}" y="{y}" fill="#0f172a">{t}</text>')
                   .format(x=label_width + plot * v / vmax + 4, y=y + 3 + bh - 2, t=fmt(it[1])))
        if published:
            p = it[2]
            if p is not None:
                pv = _num(p)
                out.append(Markup('<rect x="{x}" y="{y}" width="{w:.1f}" height="{h}" fill="{c}" rx="2"><title>{t}</title></rect>')
                           .format(x=label_width, y=y + 15, w=max(plot * pv / vmax, 1 if pv else 0), h=bh,
                                   c=PUBLISHED, t=fmt(p)))
                out.append(Markup('<text x="{x:.1f}" y="{y}" fill="#64748b">{t}</text>')
                           .format(x=label_width + plot * pv / vmax + 4, y=y + 15 + bh - 2, t=fmt(p)))
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def columns(items, *, fmt=None, width: int = 560, height: int = 180, title: str = "") -> Markup:
    """Vertical columns (a timeline): ``items`` are ``(label, value)`` in order."""
    items = list(items)
    if not items:
        return Markup("")
    fmt = fmt or (lambda v: f"{_num(v):,.0f}")
    vmax = max(_num(i[1]) for i in items) or 1
    n = len(items)
    left, bottom, top = 8, 22, 16
    slot = (width - left * 2) / n
    bw = max(min(slot * 0.7, 48), 2)
    plot_h = height - bottom - top
    out = [Markup('<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}" '
                  'xmlns="http://www.w3.org/2000/svg" {f} font-size="11">').format(w=width, h=height, t=title, f=Markup(FONT))]
    step = max(1, round(n / 14))
    for i, (label, v) in enumerate(items):
        x = left + i * slot + (slot - bw) / 2
        bh = plot_h * _num(v) / vmax
        y = top + plot_h - bh
        out.append(Markup('<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}" rx="2">'
                          '<title>{l}: {t}</title></rect>').format(x=x, y=y, w=bw, h=bh, c=OURS, l=str(label), t=fmt(v)))
        if n <= 24 and _num(v):
            out.append(Markup('<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="#0f172a">{t}</text>')
                       .format(x=x + bw / 2, y=y - 3, t=fmt(v)))
        if i % step == 0:
            out.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle" fill="#475569">{l}</text>')
                       .format(x=x + bw / 2, y=height - 6, l=str(label)))
    out.append(Markup('<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#cbd5e1"/>')
               .format(l=left, r=width - left, y=top + plot_h))
    out.append(Markup("</svg>"))
    return Markup("").join(out)
