"""Queries in a blink: `embedcli similar` against a bare `import gensim`, and explore per query.

    .venv/bin/python benchmarks/bench_query.py --nsmc-model DIR [--rounds 5] --out DIR

1. NSMC: alternated rounds (A B A B ...) of `embedcli similar 최민식 --model DIR` wall time
   and `python -c "import gensim"`; the headline is the median of the per-round ratios
   (target: at most 0.3).
2. The same on a 100,000-word English model (random vectors in word2vec text, imported with
   `embedcli import`, so the path is the one a user's import takes).
3. A 2,000,000 x 300 model of random vectors: wall time and peak RSS of one `similar`. Its query
   index (2.4 GB of float32) is written directly, in chunks; vectors.kv there is a placeholder
   that no query opens.
4. `embedcli explore` on the NSMC model: 1,000 queries written one at a time to its stdin, each
   timed until its answer is complete; the median (target: under 20 ms).

Sizes can be lowered for a smoke run (--english-words, --big-words, --queries). Run it on a
machine doing nothing else. Writes DIR/query.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EMBEDCLI = str(Path(sys.executable).parent / "embedcli")


def timed(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one run of `command`, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or os.environ
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read().decode()}")
    child.stderr.close()
    return seconds, usage.ru_maxrss // 1024


def rounds(a: list[str], b: list[str], n: int) -> dict:
    """Alternated rounds of `a` and `b`: their wall times and the median ratio a / b."""
    pairs = []
    for _ in range(n):
        pairs.append((timed(a)[0], timed(b)[0]))
    return {
        "a_seconds": [round(x, 4) for x, _ in pairs],
        "b_seconds": [round(y, 4) for _, y in pairs],
        "median_ratio": round(statistics.median(x / y for x, y in pairs), 3),
    }


def english_model(tmp: Path, words: int, env: dict) -> tuple[Path, str]:
    """A `words`-word x 100 model of random vectors, imported from word2vec text."""
    rng = np.random.default_rng(0)
    path = tmp / "english.vec"
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{words} 100\n")
        for start in range(0, words, 10_000):
            block = rng.standard_normal((min(10_000, words - start), 100)).astype(np.float32)
            for offset, row in enumerate(block):
                out.write(f"word{start + offset} " + " ".join(f"{x:.5f}" for x in row) + "\n")
    model = tmp / "english"
    subprocess.run([EMBEDCLI, "import", str(path), "-o", str(model), "-q", "--lang", "en"],
                   check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    return model, "word17"


def big_model(tmp: Path, words: int, dims: int = 300) -> tuple[Path, str]:
    """A model directory whose query index holds `words` x `dims` random vectors."""
    from numpy.lib.format import open_memmap

    from embedcli.store.query_index import INDEX_DIR, NORMS, VECTORS, VOCAB

    model = tmp / "big"
    index = model / INDEX_DIR
    index.mkdir(parents=True)
    rng = np.random.default_rng(1)
    vectors = open_memmap(index / VECTORS, mode="w+", dtype=np.float32, shape=(words, dims))
    norms = np.empty(words, dtype=np.float32)
    for start in range(0, words, 100_000):
        stop = min(words, start + 100_000)
        block = rng.standard_normal((stop - start, dims)).astype(np.float32)
        vectors[start:stop] = block
        norms[start:stop] = np.linalg.norm(block, axis=1)
    vectors.flush()
    del vectors
    np.save(index / NORMS, norms)
    with open(index / VOCAB, "w", encoding="utf-8") as out:
        out.writelines(f"{words - i}\tw{i}\n" for i in range(words))
    (model / "vectors.kv").write_bytes(b"placeholder: queries read the index only")
    card = {
        "format": 1,
        "algo": None,
        "vector_size": dims,
        "files": {"vectors": "vectors.kv"},
        "index": {"format": 1, "words": words, "dims": dims, "ngrams": None, "sha256": {}},
    }
    (model / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return model, f"w{words // 2}"


def explore_per_query(model: Path, queries: list[str], env: dict) -> dict:
    """Each query written to explore's stdin and timed until its TSV block (ended by a blank
    line) is back."""
    child = subprocess.Popen(
        [EMBEDCLI, "explore", "--model", str(model), "--format", "tsv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    times = []
    for query in queries:
        started = time.perf_counter()
        child.stdin.write(query.encode("utf-8") + b"\n")
        child.stdin.flush()
        while child.stdout.readline() not in (b"\n", b""):
            pass
        times.append(time.perf_counter() - started)
    child.stdin.close()
    child.wait()
    return {
        "queries": len(times),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p90_ms": round(sorted(times)[int(len(times) * 0.9)] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nsmc-model", help="a model trained on NSMC (required)")
    parser.add_argument("--word", default="최민식")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--english-words", type=int, default=100_000)
    parser.add_argument("--big-words", type=int, default=2_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    parser.add_argument("--make-big", type=int, help=argparse.SUPPRESS)
    if "--make-big" in sys.argv:
        args, _ = parser.parse_known_args()
        big_model(Path(args.out), args.make_big)
        return
    args = parser.parse_args()
    if not args.nsmc_model:
        parser.error("--nsmc-model DIR is required (e.g. embedcli train -o DIR)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gensim = [sys.executable, "-c", "import gensim"]
    results: dict = {"rounds": args.rounds}
    with tempfile.TemporaryDirectory(prefix="embedcli-bench-query-") as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home", EMBEDCLI_CACHE=f"{tmp}/cache")
        nsmc = Path(args.nsmc_model)
        similar = [EMBEDCLI, "similar", args.word, "--model", str(nsmc), "--format", "tsv"]
        print("similar on NSMC vs import gensim ...", file=sys.stderr)
        results["nsmc"] = rounds(similar, gensim, args.rounds)
        print(f"English model of {args.english_words:,} words ...", file=sys.stderr)
        english, word = english_model(tmp_path, args.english_words, env)
        similar = [EMBEDCLI, "similar", word, "--model", str(english), "--format", "tsv"]
        results["english"] = dict(rounds(similar, gensim, args.rounds), words=args.english_words)
        print(f"model of {args.big_words:,} x 300 random vectors ...", file=sys.stderr)
        # Made in a child: a run forked from a process holding the matrix would report that
        # process's memory as its own peak RSS (Linux keeps the high-water mark across exec).
        subprocess.run(
            [sys.executable, __file__, "--make-big", str(args.big_words), "--out", tmp], check=True
        )
        big, word = tmp_path / "big", f"w{args.big_words // 2}"
        seconds, rss = timed([EMBEDCLI, "similar", word, "--model", str(big), "--format", "tsv"])
        matrix_mb = args.big_words * 300 * 4 // (1 << 20)
        results["big"] = {"words": args.big_words, "matrix_mb": matrix_mb,
                          "seconds": round(seconds, 3), "peak_rss_mb": rss}  # fmt: skip
        print(f"explore, {args.queries:,} queries through stdin ...", file=sys.stderr)
        vocab = (nsmc / "index" / "vocab.tsv").read_text(encoding="utf-8").splitlines()
        words = [line.split("\t", 1)[1] for line in vocab[:5000]]
        rng = random.Random(0)
        results["explore"] = explore_per_query(
            nsmc, [rng.choice(words) for _ in range(args.queries)], env
        )
    (out / "query.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
