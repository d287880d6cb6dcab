"""Issue 14 benchmark: `embedcli plot` time and peak RSS, and the page's load time in Chromium.

    .venv/bin/python benchmarks/bench_plot.py --model MODEL_DIR --out DIR [--smoke]

For each method (pca, tsne, umap) and each size (2,000, 10,000 and the whole vocabulary of
MODEL_DIR, an NSMC model), runs `embedcli plot --top-n N --method M -o x.png` in a child
process, recording wall time and the peak RSS of its process tree. Then PCA of 100,000 words
(random vectors), and the interactive page of 10,000 and 100,000 random words opened in headless
Chromium (Debian's `chromium`, driven by Playwright): seconds from navigation until the map is
drawn and its search works. Writes DIR/plot.json and DIR/plot.md. --smoke: tiny sizes, to
check that the script works.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spine import BIN, REPO, run  # noqa: E402


def random_model(path: Path, n: int, dims: int = 100, seed: int = 0) -> Path:
    """A model directory of n random words (with counts), as `train` lays it out."""
    import numpy as np
    from gensim.models import KeyedVectors

    sys.path.insert(0, str(REPO))
    from embedcli.store import model_dir as models

    rng = np.random.default_rng(seed)
    words = [f"단어{i}" for i in range(n)]
    kv = KeyedVectors(vector_size=dims)
    kv.add_vectors(words, rng.normal(size=(n, dims)).astype(np.float32))
    for rank, word in enumerate(words):
        kv.set_vecattr(word, "count", n - rank)
    path.mkdir(parents=True)
    kv.save(str(path / models.VECTORS_FILE))
    card = {"format": models.MODEL_FORMAT, "algo": "random", "vocab_size": n}
    card["files"] = {"vectors": models.VECTORS_FILE}
    (path / models.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    # As `train` leaves it: the query index, which is all a plot reads (no pickle is opened).
    from embedcli.store.query_index import QueryIndex

    models.write_index(path, QueryIndex.from_keyed_vectors(kv))
    return path


def plot(model: Path, n: int, method: str, output: Path, env: dict) -> dict:
    cmd = [str(BIN / "embedcli"), "plot", "-m", str(model), "--top-n", str(n)]
    measured = run([*cmd, "--method", method, "-o", str(output), "--force", "-q"], env)
    return {"wall_seconds": measured["wall_seconds"], "peak_rss_mib": measured["peak_rss_mib"]}


def page_load_seconds(path: Path, chromium: str) -> float:
    """Seconds from navigation until the map is drawn and answers a search."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=300_000)
        page.wait_for_function("window.embedcliMap && window.embedcliMap.ready", timeout=300_000)
        page.evaluate("window.embedcliMap.find('단어1')")
        seconds = time.perf_counter() - started
        browser.close()
    return round(seconds, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an NSMC model directory")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to test the script")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = [200, 500, None] if args.smoke else [2_000, 10_000, None]
    big, pages = (3_000, [1_000, 3_000]) if args.smoke else (100_000, [10_000, 100_000])
    results: dict = {"cpus": len(os.sched_getaffinity(0)), "model": Path(args.model).name}
    results["plot"] = []
    with tempfile.TemporaryDirectory(prefix="embedcli-plot-") as tmp:
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home", EMBEDCLI_CACHE=f"{tmp}/cache")
        for method in ("pca", "tsne", "umap"):
            for n in sizes:
                size = n or 10**9  # --top-n beyond the vocabulary plots all of it
                print(f"plot {method} {n or 'all'} ...", file=sys.stderr)
                row = plot(Path(args.model), size, method, Path(tmp) / "map.png", env)
                results["plot"].append({"method": method, "words": n or "all", **row})
        print(f"plot pca {big:,} random words ...", file=sys.stderr)
        model = random_model(Path(tmp) / "random", big)
        results["plot"].append(
            {"method": "pca", "words": big, **plot(model, big, "pca", Path(tmp) / "big.png", env)}
        )
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        results["page"] = []
        for n in pages if chromium else []:
            page = Path(tmp) / f"page-{n}.html"
            made = plot(model, n, "pca", page, env)
            print(f"page of {n:,} words in Chromium ...", file=sys.stderr)
            results["page"].append(
                {
                    "words": n,
                    "write_seconds": made["wall_seconds"],
                    "megabytes": round(page.stat().st_size / 1e6, 1),
                    "load_seconds": page_load_seconds(page, chromium),
                }
            )
    (out / "plot.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = ["| method | words | wall s | peak RSS MiB |", "|---|---:|---:|---:|"]
    lines += [
        f"| {r['method']} | {r['words']} | {r['wall_seconds']} | {r['peak_rss_mib']} |"
        for r in results["plot"]
    ]
    lines += ["", "| page words | MB | write s | load s |", "|---:|---:|---:|---:|"]
    lines += [
        f"| {p['words']:,} | {p['megabytes']} | {p['write_seconds']} | {p['load_seconds']} |"
        for p in results["page"]
    ]
    (out / "plot.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
