"""The README's pictures of `embedcli plot`: pages of an NSMC model, shot in headless Chromium.

    .venv/bin/python benchmarks/plot_screenshots.py --model MODEL_DIR --out docs

Writes DIR/plot-nsmc-map.png (the whole vocabulary, t-SNE, 최민식 searched) and
DIR/plot-choi-min-sik.png (최민식 and its 30 nearest neighbours, clicked).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench_plot import BIN


def shoot(page: Path, png: Path, search: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.goto(page.as_uri(), timeout=300_000)
        tab.wait_for_function("window.embedcliMap && window.embedcliMap.ready", timeout=300_000)
        tab.fill("#search", search)
        tab.press("#search", "Enter")
        tab.wait_for_timeout(500)
        tab.screenshot(path=str(png))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", default="docs")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory(prefix="embedcli-shots-") as tmp:
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home")
        embedcli = [str(BIN / "embedcli"), "plot", "-m", args.model, "-q"]
        vocabulary = Path(tmp) / "map.html"
        subprocess.run(
            [*embedcli, "--top-n", "1000000", "--method", "tsne", "-o", str(vocabulary)],
            check=True,
            env=env,
        )
        shoot(vocabulary, Path(args.out) / "plot-nsmc-map.png", "최민식", chromium)
        neighbourhood = Path(tmp) / "choi.html"
        subprocess.run(
            [*embedcli, "--neighbors", "최민식", "--topn", "30", "-o", str(neighbourhood)],
            check=True,
            env=env,
        )
        shoot(neighbourhood, Path(args.out) / "plot-choi-min-sik.png", "최민식", chromium)


if __name__ == "__main__":
    main()
