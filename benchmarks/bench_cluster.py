"""Issue 18: tokenizing on a Dask LocalCluster against the local pool, memory flat in corpus
size, and the MediaWiki reader's throughput.

    python benchmarks/bench_cluster.py --reviews path/to/reviews_all.tsv.gz --out benchmarks/results

1. `embedcli tokenize --cluster local:2` vs `--workers 2` on the reviews, alternated rounds
   (A B A B ...): wall time of each, their ratio (median of the pairs), peak RSS of the client
   and of every other process of the run (the Dask workers, or the pool's workers).
2. Peak RSS of `embedcli train` (tokenizing included) on the reviews and on the same reviews
   repeated 4 times; the ratio is the figure (target: within 1.2x).
3. The MediaWiki reader on a generated dump: MB of bz2 per second, documents per second.

`--limit N` takes the first N reviews only: a quick check that the script works.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
EMBEDCLI = [sys.executable, "-m", "embedcli"]


def run_measured(args: list[str], env: dict) -> dict:
    """Run a command; its wall time and the peak RSS of it and of each of its descendants."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, tuple[str, int]] = {}
    done = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(process.pid)
        except psutil.Error:
            return
        while not done.is_set():
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        rss = proc.memory_info().rss
                        name = " ".join(proc.cmdline()[:3])[-60:]
                    except psutil.Error:
                        continue
                    if rss > peaks.get(proc.pid, ("", 0))[1]:
                        peaks[proc.pid] = (name, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr.decode()[-2000:]}")
    client = peaks.pop(process.pid, ("", 0))[1]
    others = sorted((rss for _, rss in peaks.values()), reverse=True)
    return {
        "seconds": round(seconds, 2),
        "client_peak_rss_mb": round(client / 2**20, 1),
        "other_processes_peak_rss_mb": [round(r / 2**20, 1) for r in others],
    }


def write_reviews(source: Path, target: Path, limit: int | None, repeat: int = 1) -> int:
    """The reviews' TSV (header once), cut to `limit` rows, repeated `repeat` times."""
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        header = next(handle)
        rows = [line for _, line in zip(range(limit or sys.maxsize), handle, strict=False)]
    with open(target, "w", encoding="utf-8") as out:
        out.write(header)
        for _ in range(repeat):
            out.writelines(rows)
    return len(rows) * repeat


def bench_cluster(corpus: Path, rounds: int, tokenizer: str, env: dict) -> dict:
    out = corpus.with_suffix(".tokens.txt")
    base = [*EMBEDCLI, "tokenize", "--corpus", str(corpus), "--tokenizer", tokenizer,
            "-o", str(out), "--force", "--quiet"]  # fmt: skip
    pairs = []
    for _ in range(rounds):
        local = run_measured([*base, "--workers", "2"], env)
        cluster = run_measured([*base, "--cluster", "local:2"], env)
        pairs.append({"local_pool": local, "cluster_local2": cluster})
    ratios = [p["cluster_local2"]["seconds"] / p["local_pool"]["seconds"] for p in pairs]
    return {"rounds": pairs, "cluster_over_local_wall_time": round(statistics.median(ratios), 3)}


def bench_train_memory(one: Path, four: Path, tokenizer: str, env: dict) -> dict:
    """Peak RSS of `train` on the reviews and on the reviews repeated 4 times.

    Repeating a corpus multiplies every count by 4, so at the same --min-count the x4 run keeps
    more words (those seen 2-4 times become 8-16): its vocabulary, and so its arrays, are
    larger. The like-for-like run is x4 at 4 times the min count (the same vocabulary, word
    for word); x4 at the default is kept for what a user would see."""
    runs = {}
    plan = (("x1", one, 5), ("x4_min_count_20", four, 20), ("x4_min_count_5", four, 5))
    for label, corpus, min_count in plan:
        out = corpus.with_name(f"{corpus.stem}-{label}.model")
        runs[label] = run_measured(
            [*EMBEDCLI, "train", "--corpus", str(corpus), "--tokenizer", tokenizer,
             "--epochs", "1", "--min-count", str(min_count), "-o", str(out), "--force",
             "--quiet"],
            env,
        )  # fmt: skip
        card = json.loads((out / "model.json").read_text(encoding="utf-8"))
        runs[label]["vocab_size"] = card["vocab_size"]
    peak = {k: v["client_peak_rss_mb"] for k, v in runs.items()}
    return {
        "runs": runs,
        "peak_ratio_x4_over_x1_same_vocabulary": round(peak["x4_min_count_20"] / peak["x1"], 3),
        "peak_ratio_x4_over_x1_same_min_count": round(peak["x4_min_count_5"] / peak["x1"], 3),
    }


def bench_wiki_reader(folder: Path, reviews: Path, pages: int) -> dict:
    """The MediaWiki reader on a generated dump of `pages` articles: the test dump's markup
    (infobox, references, links, a table, categories) around paragraphs of real review text,
    each page different, so the bz2 compresses about as Korean Wikipedia's text does (the
    test pages repeated would compress 100-fold and say nothing about MB/s)."""
    import bz2

    sys.path.insert(0, str(REPO))
    from embedcli.corpora.readers import iter_documents
    from embedcli.corpora.registry import resolve_corpus
    from tests.corpora.wikidump import HEADER, PAGES, page_xml

    markup = [text for _, ns, redirect, text in PAGES if ns == 0 and not redirect]
    dump = folder / "generated-pages-articles.xml.bz2"
    xml_bytes = 0
    with gzip.open(reviews, "rt", encoding="utf-8") as source, bz2.open(dump, "wt") as out:
        next(source)
        texts = (line.rstrip("\n").split("\t")[1] for line in source)
        out.write(HEADER)
        for number in range(1, pages + 1):
            paragraphs = ["\n".join(next(texts) for _ in range(4)) for _ in range(5)]
            text = markup[number % len(markup)] + "\n\n" + "\n\n".join(paragraphs)
            page = page_xml(number, f"문서 {number}", 0, None, text)
            xml_bytes += len(page.encode())
            out.write(page)
        out.write("</mediawiki>\n")
    source = resolve_corpus(str(dump))
    imported = time.perf_counter()
    import gensim.corpora.wikicorpus  # noqa: F401 - its import (scipy...) once per run, not per MB

    import_seconds = time.perf_counter() - imported
    started = time.perf_counter()
    documents = sum(1 for _ in iter_documents(source))
    seconds = time.perf_counter() - started
    size = dump.stat().st_size
    return {
        "pages": pages,
        "bz2_bytes": size,
        "xml_bytes": xml_bytes,
        "documents": documents,
        "seconds": round(seconds, 3),
        "gensim_import_seconds_not_included": round(import_seconds, 3),
        "bz2_mb_per_second": round(size / 2**20 / seconds, 3),
        "xml_mb_per_second": round(xml_bytes / 2**20 / seconds, 3),
        "documents_per_second": round(documents / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=Path, required=True, help="reviews_all.tsv.gz")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--limit", type=int, default=None, help="first N reviews only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokenizer", default="okt")
    parser.add_argument("--train-tokenizer", default="mecab")
    parser.add_argument("--wiki-pages", type=int, default=20_000, help="generated articles")
    parser.add_argument("--skip", default="", help="comma-separated: cluster,train,wiki")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ, EMBEDCLI_HOME=str(folder / "home"),
                   EMBEDCLI_CACHE=str(folder / "cache"))  # fmt: skip
        one, four = folder / "reviews.tsv", folder / "reviews-x4.tsv"
        documents = write_reviews(args.reviews, one, args.limit)
        write_reviews(args.reviews, four, args.limit, repeat=4)
        skip = set(filter(None, args.skip.split(",")))
        results = {"documents": documents, "load_average_at_start": os.getloadavg()}
        if "cluster" not in skip:
            results["cluster_vs_pool"] = bench_cluster(one, args.rounds, args.tokenizer, env)
            results["cluster_vs_pool"]["tokenizer"] = args.tokenizer
        if "train" not in skip:
            results["train_peak_rss"] = bench_train_memory(one, four, args.train_tokenizer, env)
        if "wiki" not in skip:
            results["wiki_reader"] = bench_wiki_reader(folder, args.reviews, args.wiki_pages)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "cluster" if args.limit is None else f"cluster-limit{args.limit}"
    name += "".join(f"-no-{part}" for part in sorted(skip))
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
