"""Regenerate docs/screenshots/*.png: the explorer's main pages in Chinese and English at 1366×768.

    python docs/screenshots/make.py [--out docs/screenshots] [--workspace DIR]

Builds a workspace with the report's facts and the demo data (``kg load seed`` + ``kg demo``; a
temporary one unless ``--workspace`` names one that has them), serves the app on a free loopback
port and photographs each page in Debian's Chromium (/usr/bin/chromium, driven by Playwright; never
``playwright install``) once its graphs have settled and its charts are drawn.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}

# (file stem, path in Chinese, path in English)
PAGES = [
    ("home", "/", "/"),
    ("chat", "/chat?q=" + quote("深创投投资了哪些公司？"), "/chat?q=" + quote("Which companies did Shenzhen Capital invest in?")),
    ("network", "/network", "/network"),
    ("network-filtered", "/network?segment=" + quote("平台") + "&min_shared=2",
     "/network?segment=" + quote("平台") + "&min_shared=2"),
    ("investor", "/entity/" + quote("investor:深创投", safe=""), "/entity/" + quote("investor:深创投", safe="")),
    ("regions", "/regions", "/regions"),
    ("report", "/report", "/report"),
    ("path", "/path?a=" + quote("深创投") + "&b=" + quote("红杉资本（中国）"),
     "/path?a=" + quote("深创投") + "&b=" + quote("红杉资本（中国）")),
]

READY = """() => {
  const graphs = [...document.querySelectorAll('.graph[data-graph]')];
  const charts = document.documentElement.dataset.charts === 'ready' || !document.querySelector('.iikg-chart');
  return charts && graphs.every(g => g.dataset.stable === '1');
}"""


def workspace(path: str | None) -> Path:
    from kg.demo import run_demo
    from kg.loading import load_seed, prepare_reads
    from kg.store.embedded import EmbeddedStore

    ws = Path(path) if path else Path(tempfile.mkdtemp(prefix="iikg-shots-"))
    store = EmbeddedStore(ws)
    if not store.stats()["nodes"].get("Round"):
        load_seed(store)
        run_demo(store)
        prepare_reads(store)
    return ws


def serve(ws: Path):
    from waitress import create_server

    from web import create_app

    server = create_server(create_app({"workspace": str(ws)}), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def shoot(base: str, out: Path, pages=PAGES) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for lang in ("zh", "en"):
            ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if lang == "zh" else "en-US",
                                      device_scale_factor=1)
            page = ctx.new_page()
            page.goto(f"{base}/lang/{lang}?next=/")
            for stem, zh_path, en_path in pages:
                page.goto(base + (zh_path if lang == "zh" else en_path))
                page.wait_for_function(READY, timeout=60000)
                page.wait_for_timeout(300)
                f = out / f"{stem}-{lang}.png"
                page.screenshot(path=str(f))
                written.append(f)
                print(f"{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}")
            ctx.close()
        browser.close()
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--workspace", default=None)
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    t0 = time.time()
    server, base = serve(workspace(a.workspace))
    try:
        shoot(base, Path(a.out))
    finally:
        server.close()
    print(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
