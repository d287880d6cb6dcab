"""GloVe benchmark: embedcli.training.glove's vocabulary, counting and training on all NSMC reviews.

    .venv/bin/python benchmarks/bench_glove.py [--epochs 3] [--workers 2] [--out DIR]

Steps, in one process:
  1. prepare whitespace tokens of every review in the NSMC dump (gzip TSV, column `document`):
     keep Hangul and spaces only (remove [^ㄱ-ㅎㅏ-ㅣ가-힣 ]), split on whitespace, one review
     per line, into a temporary directory; this is how the reference run's input was made;
  2. warm the numba JIT on a tiny corpus (compiling, or loading numba's cache), timed apart:
     the C tools have no such step;
  3. build_vocab (min-count 5), count_cooccurrences (window 10), train_glove (100 dims,
     `--workers` threads, `--epochs` epochs), each timed, with the process's peak RSS after
     each phase (resource.getrusage; it only grows);
  4. print a markdown table of what this run measured and the top-10 neighbours of 최민식 by
     cosine on word_vectors(); with --out, write DIR/glove.json and DIR/glove.md.

Only figures measured in this run go into the table. Stanford GloVe C was not run here: the
figures the project brief gives for it are printed after the table, labelled with that
source, and nothing is computed from them (no speed-ups): a ratio needs both sides measured
on the same machine in the same run (see benchmarks/bench_reference.py for how).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from embedcli.training.glove import adagrad as glove_adagrad  # noqa: E402
from embedcli.training.glove import cooccur as glove_cooccur  # noqa: E402
from embedcli.training.glove import vocab as glove_vocab  # noqa: E402

# All 712K NSMC reviews (gzip TSV with a `document` column); not shipped: pass its path.
CORPUS = os.environ.get("EMBEDCLI_REVIEWS_ALL")
QUERY = "최민식"
NOT_HANGUL = re.compile("[^ㄱ-ㅎㅏ-ㅣ가-힣 ]")

# Not measured here: what the project brief reports for Stanford GloVe C on the same tokens
# (2 threads, "a machine of this kind"). Printed as such, with this source; never divided into.
REPORTED_ELSEWHERE = {
    "source": "the project brief's figures for Stanford GloVe C on the same tokens with 2 "
    "threads (not run by this script)",
    "figures": [
        ("vocabulary size (min-count 5)", "83,258"),
        ("non-zeros (window 10)", "20.8M"),
        ("vocab_count", "2 s"),
        ("cooccur", "10 s, 1.1 GB RSS"),
        ("shuffle (once)", "6 s"),
        ("glove, 15 epochs", "274 s"),
    ],
}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB on Linux


def prepare_tokens(corpus: Path, out: Path) -> dict:
    """Hangul-and-space whitespace tokens of every review, one per line."""
    started = time.perf_counter()
    reviews = tokens = 0
    with (
        gzip.open(corpus, "rt", encoding="utf-8", newline="") as source,
        open(out, "w", encoding="utf-8") as sink,
    ):
        header = source.readline().rstrip("\r\n").split("\t")
        if "document" not in header:
            raise SystemExit(f"{corpus}: no `document` column in header {header}")
        column = header.index("document")
        for line in source:
            fields = line.rstrip("\r\n").split("\t")
            text = fields[column] if column < len(fields) else ""
            words = NOT_HANGUL.sub("", text).split()
            sink.write(" ".join(words) + "\n")
            reviews += 1
            tokens += len(words)
    return {
        "seconds": time.perf_counter() - started,
        "reviews": reviews,
        "tokens": tokens,
        "bytes": out.stat().st_size,
    }


def warm_up(tmp: Path) -> float:
    """Run every numba function once on a toy corpus, as the first real call would."""
    started = time.perf_counter()
    toy = tmp / "warm.txt"
    toy.write_text("가 나 다 가 라\n나 다 가\n" * 20, encoding="utf-8")
    vocab = glove_vocab.build_vocab(toy, min_count=1)
    for workers in (1, 2):
        cooc = glove_cooccur.count_cooccurrences(toy, vocab, window=3, workers=workers)
    glove_adagrad.train_glove(cooc, vector_size=4, epochs=1, workers=2)
    return time.perf_counter() - started


def neighbours(vectors: np.ndarray, words: list[str], query: str, k: int = 10) -> list:
    if query not in words:
        return []
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    q = words.index(query)
    sims = unit @ unit[q]
    sims[q] = -np.inf
    best = np.argsort(-sims)[:k]
    return [(words[i], float(sims[i])) for i in best]


def markdown(result: dict) -> str:
    m = result
    train = m["train"]
    rows = [
        ("vocabulary size (min-count 5)", f"{m['vocab']['size']:,}"),
        ("non-zeros (window 10)", f"{m['cooccur']['nnz'] / 1e6:.2f}M"),
        ("build_vocab", f"{m['vocab']['seconds']:.1f} s"),
        ("count_cooccurrences", f"{m['cooccur']['seconds']:.1f} s"),
        (
            "counting memory",
            f"{m['cooccur']['peak_rss_gb']:.2f} GB peak RSS "
            f"({m['cooccur']['peak_bytes'] / 1e9:.2f} GB in arrays)",
        ),
        (
            f"one epoch, {m['workers']} threads (mean of {m['epochs']}, shuffle included)",
            f"{train['mean_epoch_s']:.1f} s",
        ),
        ("non-zeros per second", f"{train['nnz_per_s'] / 1e6:.2f}M"),
        (f"train_glove, {m['epochs']} epochs", f"{train['seconds']:.0f} s"),
    ]
    lines = [
        f"# GloVe: embedcli on all NSMC reviews ({m['date']})",
        "",
        f"Corpus: {m['prep']['reviews']:,} NSMC reviews, {m['prep']['tokens']:,} whitespace "
        f"tokens (Hangul and spaces only), prepared in {m['prep']['seconds']:.1f} s. "
        f"{m['cpus']} cores; numba JIT warm-up {m['jit_warmup_s']:.1f} s (not in the rows below).",
        "",
        "| phase | embedcli, measured in this run |",
        "| --- | --- |",
        *[f"| {a} | {b} |" for a, b in rows],
        "",
        "Epochs: "
        + ", ".join(
            f"{e['epoch']}: {e['seconds']:.1f} s, cost {e['cost']:.5f}" for e in train["epochs"]
        ),
        "",
        f"Not measured here, for orientation only: {REPORTED_ELSEWHERE['source']}: "
        + "; ".join(f"{what} {value}" for what, value in REPORTED_ELSEWHERE["figures"])
        + ".",
        "",
    ]
    if m["neighbours"]:
        lines += [
            f"Top-10 neighbours of {QUERY} (cosine on W + W_ctx, after {m['epochs']} epochs):",
            "",
            ", ".join(f"{w} {s:.3f}" for w, s in m["neighbours"]),
        ]
    else:
        lines.append(f"{QUERY} is not in the vocabulary.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        required=CORPUS is None,
        help="reviews_all.tsv.gz (or set EMBEDCLI_REVIEWS_ALL)",
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "epochs": args.epochs,
        "workers": args.workers,
        "reported_elsewhere": REPORTED_ELSEWHERE,  # not measured by this run
    }
    with tempfile.TemporaryDirectory(prefix="bench-glove-") as tmp:
        tmp = Path(tmp)
        tokens = tmp / "nsmc_tokens.txt"
        result["prep"] = prepare_tokens(args.corpus, tokens)
        print(f"prepared {result['prep']}", flush=True)
        result["jit_warmup_s"] = warm_up(tmp)
        print(f"JIT warm-up {result['jit_warmup_s']:.1f} s", flush=True)

        started = time.perf_counter()
        vocab = glove_vocab.build_vocab(tokens, min_count=5)
        result["vocab"] = {
            "seconds": time.perf_counter() - started,
            "size": len(vocab),
            "tokens": vocab.total_tokens,
            "peak_rss_gb": peak_rss_gb(),
        }
        print(f"vocab {result['vocab']}", flush=True)

        started = time.perf_counter()
        cooc = glove_cooccur.count_cooccurrences(tokens, vocab, window=10, workers=args.workers)
        result["cooccur"] = {
            "seconds": time.perf_counter() - started,
            "nnz": cooc.nnz,
            "peak_bytes": cooc.peak_bytes,
            "spills": cooc.spills,
            "peak_rss_gb": peak_rss_gb(),
        }
        print(f"cooccur {result['cooccur']}", flush=True)

    epochs = []

    def on_epoch(epoch: int, cost: float, seconds: float) -> None:
        epochs.append({"epoch": epoch, "cost": cost, "seconds": seconds})
        print(
            f"epoch {epoch}: cost {cost:.6f}, {seconds:.1f} s, "
            f"{cooc.nnz / seconds / 1e6:.2f}M non-zeros/s",
            flush=True,
        )

    started = time.perf_counter()
    model = glove_adagrad.train_glove(
        cooc, vector_size=100, epochs=args.epochs, workers=args.workers, on_epoch=on_epoch
    )
    total = time.perf_counter() - started
    mean_epoch = sum(e["seconds"] for e in epochs) / len(epochs)
    result["train"] = {
        "seconds": total,
        "epochs": epochs,
        "mean_epoch_s": mean_epoch,
        "nnz_per_s": cooc.nnz / mean_epoch,
        "peak_rss_gb": peak_rss_gb(),
    }
    result["neighbours"] = neighbours(model.word_vectors(), vocab.words, QUERY)
    text = markdown(result)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "glove.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        (args.out / "glove.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
