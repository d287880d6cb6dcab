"""Issue 6 benchmark: Okt, Kiwi and MeCab on the NSMC reviews: speed, memory, agreement, quality.

    .venv/bin/python benchmarks/bench_tokenizers.py [--corpus PATH] [--limit N]
        [--reviews-all PATH] [--out DIR]

Runs, one after another on the same machine:
  1. the textbook's single-process Okt loop (benchmarks/textbook.py; its docs/s);
  2. `embedcli tokenize --tokenizer T --workers W` for T in okt, kiwi, mecab and W in 1, 2,
     each on an empty token cache (EMBEDCLI_CACHE/EMBEDCLI_HOME in a fresh temp dir), with
     wall time and peak RSS of the whole process tree (bench_spine.run);
  3. Kiwi's own threads instead of processes: one process, Kiwi(num_workers=N) over batches of
     distinct chunks, N = 0 (one thread) and the number of cores;
  4. agreement of each backend's tokens with Okt's, document by document;
  5. with --reviews-all (NSMC TSV .gz with a `document` column, e.g. the 712K reviews): the
     fastest backend's `embedcli train` on it from an empty cache, wall time and peak RSS;
  6. quality: `embedcli train` (Word2Vec defaults, seed 1) on each backend's token cache from
     step 2, then `similar 최민식` and `evaluate --format json` (kor2vec analogies).
Writes DIR/tokenizers.json and DIR/tokenizers.md (DIR/tokenizers-limitN.* with --limit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spine import run  # noqa: E402 - the same wall/RSS sampling as issue 2

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BACKENDS = ("okt", "kiwi", "mecab")
KIWI_BATCH = 4096  # documents per batch handed to Kiwi's thread pool


def embedcli(*args: str) -> list[str]:
    return [str(BIN / "embedcli"), *args]


def fresh_env(base: Path, name: str) -> dict:
    """An environment whose embedcli data home and token cache are new, empty directories."""
    home = base / name
    (home / "cache").mkdir(parents=True)
    return dict(os.environ, EMBEDCLI_HOME=str(home / "home"), EMBEDCLI_CACHE=str(home / "cache"))


def tokenize_run(corpus: Path, backend: str, workers: int, env: dict) -> dict:
    cmd = embedcli("tokenize", "-c", str(corpus), "--tokenizer", backend, "-w", str(workers))
    measured = run([*cmd, "-q"], env)
    stdout = measured.pop("stdout").strip().splitlines()
    tokens = Path(stdout[-1])  # the path; a worker's dying JVM may have written above it
    meta = json.loads(tokens.with_name(tokens.name + ".json").read_text(encoding="utf-8"))
    measured.pop("stderr")
    return {
        "backend": backend,
        "workers": workers,
        "documents": meta["counts"]["documents"],
        "tokens": meta["counts"]["tokens"],
        "distinct_tokens": meta["counts"]["distinct_tokens"],
        "tokenize_seconds": meta["seconds"],
        "docs_per_second": meta["documents_per_second"],
        "wall_docs_per_second": round(meta["counts"]["documents"] / measured["wall_seconds"], 1),
        "tokenizer_version": meta["tokenizer_version"],
        "tokens_path": str(tokens),
        "other_stdout_lines": len(stdout) - 1,
        **measured,
    }


def kiwi_threads_main(corpus: str, threads: int) -> None:
    """Step 3, in its own process: the embedcli pipeline with Kiwi's threads doing the work."""
    import warnings

    from kiwipiepy import Kiwi

    from embedcli.corpora.readers import iter_documents
    from embedcli.corpora.registry import resolve_corpus
    from embedcli.tokens.cleaning import TEXTBOOK_STOPWORDS, clean_text, squash_repeats
    from embedcli.tokens.kiwi import kiwi_morphemes
    from embedcli.tokens.korean_rules import okt_like

    docs = list(iter_documents(resolve_corpus(corpus)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        kiwi = Kiwi(num_workers=threads)
    kiwi.tokenize("")
    stop = frozenset(TEXTBOOK_STOPWORDS)
    memo: dict[str, list[str]] = {}
    started = time.perf_counter()
    count = 0
    for first in range(0, len(docs), KIWI_BATCH):
        chunked = [squash_repeats(clean_text(d)).split() for d in docs[first : first + KIWI_BATCH]]
        new = list(dict.fromkeys(c for chunks in chunked for c in chunks if c not in memo))
        # One thread: no pool to hand a list to, so one call per chunk, as a worker does.
        analysed = kiwi.tokenize(new) if threads else map(kiwi.tokenize, new)
        for chunk, found in zip(new, analysed, strict=True):
            memo[chunk] = [t for t in okt_like(kiwi_morphemes(found), chunk) if t not in stop]
        count += sum(sum(len(memo[c]) for c in chunks) for chunks in chunked)
    seconds = time.perf_counter() - started
    print(json.dumps({"threads": threads, "documents": len(docs), "tokens": count,
                      "seconds": round(seconds, 2),
                      "docs_per_second": round(len(docs) / seconds, 1)}))  # fmt: skip


def agreement(path: str, okt_path: str) -> dict:
    """Token-multiset Jaccard with Okt's tokens, over all documents and per document."""
    shared = union = identical = documents = 0
    per_doc = 0.0
    with open(path, encoding="utf-8") as ours, open(okt_path, encoding="utf-8") as okt:
        for mine, theirs in zip(ours, okt, strict=True):
            a, b = Counter(mine.split()), Counter(theirs.split())
            both, either = sum((a & b).values()), sum((a | b).values())
            shared += both
            union += either
            per_doc += both / either if either else 1.0
            identical += a == b
            documents += 1
    return {
        "jaccard": round(shared / union, 4),
        "mean_document_jaccard": round(per_doc / documents, 4),
        "identical_documents": identical,
        "documents": documents,
    }


def quality(corpus: Path, backend: str, env: dict, model: Path) -> dict:
    trained = run(
        embedcli("train", "-c", str(corpus), "--tokenizer", backend, "-o", str(model), "-q"), env
    )
    card = json.loads((model / "model.json").read_text(encoding="utf-8"))
    similar = run(
        embedcli("similar", "최민식", "--format", "json", "--model", str(model)), env, check=False
    )
    neighbours = json.loads(similar["stdout"])["results"] if similar["stdout"].strip() else []
    evaluated = run(embedcli("evaluate", str(model), "--format", "json"), env)
    result = json.loads(evaluated["stdout"])
    summary = result["analogies"]["summary"]
    return {
        "train_wall_seconds": trained["wall_seconds"],
        "tokens_reused": card["timings"].get("tokenize_reused_cache"),
        "vocab_size": card["vocab_size"],
        "similar_최민식": [[n["word"], n["score"]] for n in neighbours],
        "analogies": {
            kind: {k: summary[kind][k] for k in ("questions", "scored", "correct", "accuracy")}
            for kind in ("semantic", "syntactic", "all")
            if kind in summary
        },
        "similarity": [
            {k: s.get(k) for k in ("name", "pairs", "scored", "spearman")}
            for s in result.get("similarity", [])
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--limit", type=int, default=None, help="first N reviews only (smoke)")
    parser.add_argument("--reviews-all", default=None, help="NSMC TSV .gz for the big run")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    parser.add_argument("--kiwi-threads", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kiwi_threads is not None:
        kiwi_threads_main(args.corpus, args.kiwi_threads)
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"tokenizers-limit{args.limit}" if args.limit else "tokenizers"
    corpus = Path(args.corpus).resolve()
    reviews_all = str(Path(args.reviews_all).resolve()) if args.reviews_all else None
    cpus = len(os.sched_getaffinity(0))
    results: dict = {"corpus": corpus.name, "limit": args.limit, "cpus": cpus}
    with tempfile.TemporaryDirectory(prefix="embedcli-bench-tok-") as tmp_name:
        tmp = Path(tmp_name)
        os.chdir(tmp)  # anything a crashing JVM leaves (hs_err_pid*.log) goes away with it
        if args.limit:
            with open(corpus, encoding="utf-8") as handle:
                head = [line for _, line in zip(range(args.limit + 1), handle, strict=False)]
            corpus = tmp / "ratings.txt"
            corpus.write_text("".join(head), encoding="utf-8")

        print("textbook Okt loop ...", file=sys.stderr)
        textbook = run([sys.executable, str(REPO / "benchmarks" / "textbook.py"), str(corpus)])
        line = json.loads(textbook["stdout"].strip().splitlines()[-1])
        results["textbook"] = {
            "documents": line["documents"],
            "tokenize_seconds": line["tokenize_seconds"],
            "docs_per_second": line["docs_per_second"],
            "peak_rss_mib": textbook["peak_rss_mib"],
        }

        runs = []
        envs = {}
        for backend in BACKENDS:
            for workers in (1, 2):
                print(f"embedcli tokenize --tokenizer {backend} -w {workers} ...", file=sys.stderr)
                env = fresh_env(tmp, f"{backend}-{workers}")
                runs.append(tokenize_run(corpus, backend, workers, env))
                envs[backend] = env  # the workers=2 cache is the one trained on below
        results["tokenize"] = runs

        results["kiwi_threads"] = []
        for threads in sorted({0, cpus}):
            print(f"Kiwi(num_workers={threads}) in one process ...", file=sys.stderr)
            cmd = [
                sys.executable,
                __file__,
                "--corpus",
                str(corpus),
                "--kiwi-threads",
                str(threads),
            ]
            measured = run(cmd)
            entry = json.loads(measured["stdout"].strip().splitlines()[-1])
            entry.update(
                wall_seconds=measured["wall_seconds"], peak_rss_mib=measured["peak_rss_mib"]
            )
            results["kiwi_threads"].append(entry)

        print("agreement with Okt ...", file=sys.stderr)
        last = {r["backend"]: r["tokens_path"] for r in runs if r["workers"] == 2}
        results["agreement_with_okt"] = {
            b: agreement(last[b], last["okt"]) for b in BACKENDS if b != "okt"
        }
        results["agreement_kiwi_mecab"] = agreement(last["kiwi"], last["mecab"])

        if reviews_all:
            fastest = max(
                (r for r in runs if r["workers"] == 2), key=lambda r: r["docs_per_second"]
            )["backend"]
            print(f"embedcli train on {reviews_all} with {fastest} ...", file=sys.stderr)
            env = fresh_env(tmp, "all")
            model = tmp / "model-all"
            cmd = embedcli("train", "-c", reviews_all, "--tokenizer", fastest, "-o", str(model))
            big = run([*cmd, "-q"], env)
            card = json.loads((model / "model.json").read_text(encoding="utf-8"))
            results["reviews_all"] = {
                "path": reviews_all,
                "backend": fastest,
                "documents": card["tokenizer"]["counts"]["documents"],
                "tokens": card["tokenizer"]["counts"]["tokens"],
                "wall_seconds": big["wall_seconds"],
                "peak_rss_mib": big["peak_rss_mib"],
                "timings": card["timings"],
                "vocab_size": card["vocab_size"],
            }

        results["quality"] = {}
        for backend in BACKENDS:
            print(f"embedcli train + evaluate ({backend} tokens) ...", file=sys.stderr)
            model = tmp / f"model-{backend}"
            results["quality"][backend] = quality(corpus, backend, envs[backend], model)

    os.chdir(REPO)
    for entry in results["tokenize"]:
        entry.pop("tokens_path")
    (out / f"{name}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    md = render(results)
    (out / f"{name}.md").write_text(md, encoding="utf-8")
    print(md)


def render(r: dict) -> str:
    tb = r["textbook"]
    lines = [
        f"Corpus: {r['corpus']}"
        + (f", first {r['limit']:,} reviews (smoke)" if r["limit"] else "")
        + f"; {r['cpus']} cores.",
        "",
        "| run | workers | docs/s (tokenizing) | docs/s (wall) | wall | peak RSS | tokens |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| textbook Okt loop | 1 | {tb['docs_per_second']:,.0f} | - | {tb['tokenize_seconds']} s"
        f" (tokenizing) | {tb['peak_rss_mib']:,} MiB | - |",
    ]
    for t in r["tokenize"]:
        lines.append(
            f"| `embedcli tokenize --tokenizer {t['backend']}` | {t['workers']} | "
            f"{t['docs_per_second']:,.0f} | {t['wall_docs_per_second']:,.0f} | "
            f"{t['wall_seconds']} s | {t['peak_rss_mib']:,} MiB | {t['tokens']:,} |"
        )
    for k in r["kiwi_threads"]:
        lines.append(
            f"| Kiwi(num_workers={k['threads']}), one process | - | {k['docs_per_second']:,.0f} | "
            f"{k['documents'] / k['wall_seconds']:,.0f} | {k['wall_seconds']} s | "
            f"{k['peak_rss_mib']:,} MiB | {k['tokens']:,} |"
        )
    lines += [
        "",
        "Agreement with Okt (token multisets, micro Jaccard; mean per document; identical):",
    ]
    for b, a in [*r["agreement_with_okt"].items(), ("kiwi vs mecab", r["agreement_kiwi_mecab"])]:
        lines.append(
            f"- {b}: {a['jaccard']:.3f}; {a['mean_document_jaccard']:.3f}; "
            f"{a['identical_documents']:,} of {a['documents']:,} documents"
        )
    if "reviews_all" in r:
        a = r["reviews_all"]
        lines += [
            "",
            f"All reviews ({a['documents']:,} documents, {a['tokens']:,} tokens) with "
            f"{a['backend']}: `embedcli train` {a['wall_seconds']} s wall (tokenize "
            f"{a['timings']['tokenize_seconds']} s, train {a['timings']['train_seconds']} s), "
            f"peak RSS {a['peak_rss_mib']:,} MiB, vocabulary {a['vocab_size']:,}.",
        ]
    lines += [
        "",
        "| tokens | vocabulary | analogies semantic | syntactic | all | `similar 최민식` |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for b, q in r["quality"].items():
        cells = []
        for kind in ("semantic", "syntactic", "all"):
            s = q["analogies"].get(kind)
            acc = s and s["accuracy"]
            cells.append(f"{acc:.1%} ({s['correct']}/{s['scored']})" if acc is not None else "n/a")
        near = ", ".join(w for w, _ in q["similar_최민식"]) or "(not in vocabulary)"
        lines.append(f"| {b} | {q['vocab_size']:,} | {' | '.join(cells)} | {near} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
