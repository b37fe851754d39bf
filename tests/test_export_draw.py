"""PNG and SVG drawings: real images, Chinese glyphs from a CJK font, hostile names as text."""
from __future__ import annotations

import io
import warnings
import xml.etree.ElementTree as ET

import pytest

import matplotlib  # noqa: E402,F401 - a dependency of the package

from kg.exports import export
from kg.exports.drawing import cjk_font
from tests.test_export import NAMES, SCRIPT, dev_subgraph, hostile_graph

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def cjk():
    name = cjk_font()
    if name is None:
        raise AssertionError("no CJK font installed: .ci/run installs Debian's fonts-noto-cjk")
    return name


def _no_missing_glyphs(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing[:3]
    return out


def test_png_is_an_image_with_chinese_glyphs(cjk, dev_store_ro):
    from PIL import Image

    assert "CJK" in cjk or "Hei" in cjk or "Han" in cjk
    g = dev_subgraph(dev_store_ro, radius=1)
    e = _no_missing_glyphs(lambda: export(g, "png", title="深创投 投资网络"))
    assert e.data[:8] == b"\x89PNG\r\n\x1a\n" and e.mimetype == "image/png" and e.filename.endswith(".png")
    img = Image.open(io.BytesIO(e.data))
    img.load()
    assert img.format == "PNG" and img.width >= 800 and img.height >= 600
    # not a blank page: the coloured nodes are there
    colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours and len(colours) > 50


def test_svg_keeps_names_as_text(cjk):
    e = _no_missing_glyphs(lambda: export(hostile_graph(), "svg", title=SCRIPT))
    assert e.mimetype == "image/svg+xml"
    root = ET.fromstring(e.data)  # well-formed XML whatever the names
    assert root.tag == f"{SVG_NS}svg"
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")}
    for name in NAMES:  # node captions: on one line, long ones cut to 23 characters + "…"
        cap = " ".join(name.split())
        assert (cap if len(cap) <= 24 else cap[:23] + "…") in texts, name
    assert SCRIPT in texts and "深创投" in texts  # the title in full; text, not markup
    assert not any(el.tag in (f"{SVG_NS}script", f"{SVG_NS}image", f"{SVG_NS}foreignObject") for el in root.iter())
    assert cjk in e.data.decode("utf-8")  # the CJK font is named for viewers
    assert any("投资机构 Investor" in t for t in texts)  # legend (kg.graph_style.LABEL_NAMES, as the pages say)
    assert any("synthetic demo data" in t for t in texts)


def test_svg_says_when_truncated(cjk):
    root = ET.fromstring(export(hostile_graph(), "svg", max_nodes=6).data)
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))
    assert "truncated: 1 node, 2 edges omitted" in texts


def test_drawing_an_empty_graph_works():
    e = export({"nodes": [], "edges": []}, "png")
    assert e.data[:4] == b"\x89PNG"


def test_missing_cjk_font_falls_back_with_a_warning(monkeypatch):
    from matplotlib import font_manager

    cjk_font.cache_clear()
    try:
        monkeypatch.setattr(font_manager.fontManager, "ttflist",
                            [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name])
        monkeypatch.setattr("kg.exports.drawing.CJK_FONTS", ("No Such Font CJK",))
        with pytest.warns(RuntimeWarning, match="no CJK font"):
            assert cjk_font() is None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = export({"nodes": [{"id": "a", "label": "Company", "name": "abc"}], "edges": []}, "png")
        assert e.data[:4] == b"\x89PNG"
    finally:
        cjk_font.cache_clear()
