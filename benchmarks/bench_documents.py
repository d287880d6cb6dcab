"""Issue 16 benchmark: document vectors on NSMC, sentiment beside TF-IDF, similar-docs latency.

    .venv/bin/python benchmarks/bench_documents.py [--limit N] [--algos a,b,c] --out DIR

Trains each algorithm with its defaults on the shipped NSMC reviews (Okt tokens, shared token
cache; `--limit N` keeps the first N reviews, for a quick check), then for each model: the time
to build the mean and SIF document vectors of every review, `evaluate --task sentiment`
(logistic regression on mean and SIF vectors beside the TF-IDF 1-2 gram baseline, the same
seeded, stratified 75/25 split), and the latency of `similar-docs`: in this process the first
text query (starts the Okt JVM) and the second, a query by --id, and a whole
`embedcli similar-docs --id` process. Writes DIR/documents.json (or documents-limit<N>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
QUERY = "배우들 연기가 정말 좋았다"


def timed(call):
    started = time.perf_counter()
    value = call()
    return value, round(time.perf_counter() - started, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--limit", type=int, default=None, help="Use the first N reviews only.")
    parser.add_argument("--algos", default="word2vec,fasttext,glove")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="embedcli-docs-") as tmp:
        os.environ["EMBEDCLI_HOME"] = f"{tmp}/home"
        os.environ["EMBEDCLI_CACHE"] = f"{tmp}/cache"
        import embedcli

        corpus = Path(args.corpus)
        if args.limit:
            with open(corpus, encoding="utf-8") as handle:
                head = [next(handle) for _ in range(args.limit + 1)]
            corpus = Path(tmp) / "nsmc.tsv"
            corpus.write_text("".join(head), encoding="utf-8")
        results = {
            "corpus": Path(args.corpus).name,
            "limit": args.limit,
            "cpus": os.cpu_count(),
            "split": "75/25 stratified, seed 0",
            "runs": {},
        }
        for algo in args.algos.split(","):
            print(f"train --algo {algo} ...", file=sys.stderr)
            model, train_seconds = timed(
                lambda algo=algo: embedcli.train(
                    corpus, algo=algo, output=f"{tmp}/{algo}", workers=args.workers
                )
            )
            run: dict = {"train_seconds": train_seconds}
            for weighting in ("mean", "sif"):
                docs, seconds = timed(lambda w=weighting, m=model: m.doc_vectors(w))
                run[f"build_{weighting}_seconds"] = seconds
                run["documents"] = len(docs)
                run["documents_without_known_words"] = docs.without_known
            print(f"evaluate --task sentiment ({algo}) ...", file=sys.stderr)
            result, seconds = timed(lambda m=model: m.evaluate(task="sentiment"))
            run["sentiment_seconds"] = seconds
            run["train_documents"], run["test_documents"] = result.train, result.test
            for score in result.scores:
                run[f"accuracy_{score.method}"] = round(score.accuracy, 4)
                run[f"f1_{score.method}"] = round(score.f1, 4)
            fresh = embedcli.load(model.path)
            _, run["similar_text_first_seconds"] = timed(lambda m=fresh: m.similar_docs(QUERY))
            _, run["similar_text_second_seconds"] = timed(lambda m=fresh: m.similar_docs(QUERY))
            first_id = fresh.doc_vectors("mean").ids[0]
            _, run["similar_id_seconds"] = timed(lambda m=fresh, i=first_id: m.similar_docs(id=i))
            command = [str(BIN / "embedcli"), "similar-docs", "--id", first_id, "-m"]
            command += [str(model.path), "--format", "tsv", "-q"]
            _, run["similar_id_process_seconds"] = timed(
                lambda command=command: subprocess.run(
                    command,
                    check=True,
                    capture_output=True,
                    env=dict(os.environ),
                )
            )
            results["runs"][algo] = run
            print(json.dumps({algo: run}, indent=2), file=sys.stderr)
    name = f"documents-limit{args.limit}.json" if args.limit else "documents.json"
    (out / name).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(out / name)


if __name__ == "__main__":
    main()
