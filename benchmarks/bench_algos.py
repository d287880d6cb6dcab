"""Issue 3 benchmark: word2vec, fasttext and glove through the same `embedcli train`.

    .venv/bin/python benchmarks/bench_algos.py [--corpus PATH] [--algos a,b,c] --out DIR

Tokenizes the corpus once (the token cache is shared), then trains each algorithm with its
defaults on the same tokens, one after another, recording wall time, peak RSS of the process
tree, the per-epoch speed from the model card, and `similar 최민식`. Writes DIR/algos.json and
DIR/algos.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spine import BIN, REPO, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--algos", default="word2vec,fasttext,glove")
    parser.add_argument("--query", default="최민식")
    parser.add_argument("--tokenizer", default="okt")
    parser.add_argument("--analogy", default=None, help='e.g. "king man queen"')
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {"corpus": Path(args.corpus).name, "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="embedcli-algos-") as tmp:
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home", EMBEDCLI_CACHE=f"{tmp}/cache")
        print("tokenize (shared token cache) ...", file=sys.stderr)
        tok_args = ["-c", args.corpus, "--tokenizer", args.tokenizer, "-q"]
        tok = run([str(BIN / "embedcli"), "tokenize", *tok_args], env)
        results["tokenize"] = {"wall_seconds": tok["wall_seconds"], "rss": tok["peak_rss_mib"]}
        for algo in args.algos.split(","):
            print(f"train --algo {algo} ...", file=sys.stderr)
            model_dir = f"{tmp}/{algo}"
            cmd = [
                str(BIN / "embedcli"),
                "train",
                "-c",
                args.corpus,
                "--algo",
                algo,
                "--tokenizer",
                args.tokenizer,
            ]
            measured = run([*cmd, "-o", model_dir, "-q"], env)
            card = json.loads(Path(model_dir, "model.json").read_text(encoding="utf-8"))
            similar = run(
                [
                    str(BIN / "embedcli"),
                    "similar",
                    args.query,
                    "--format",
                    "json",
                    "--model",
                    model_dir,
                ],
                env,
                check=False,
            )
            neighbours = json.loads(similar["stdout"])["results"] if similar["stdout"] else []
            answers = []
            if args.analogy:
                solved = run(
                    [
                        str(BIN / "embedcli"),
                        "analogy",
                        *args.analogy.split(),
                        "--format",
                        "json",
                        "--model",
                        model_dir,
                    ],
                    env,
                    check=False,
                )
                if solved["stdout"]:
                    answers = json.loads(solved["stdout"])["results"][:5]
            epochs = card["training"]["epochs"]
            results["runs"][algo] = {
                "wall_seconds": measured["wall_seconds"],
                "peak_rss_mib": measured["peak_rss_mib"],
                "train_seconds": card["timings"]["train_seconds"],
                "vocab_size": card["vocab_size"],
                "epochs": len(epochs),
                "rate_per_second": round(
                    sum(e["words_per_second"] for e in epochs) / max(1, len(epochs))
                ),
                "rate_unit": "non-zeros" if algo == "glove" else "words",
                "last_loss": epochs[-1]["loss"] if epochs else None,
                "extra": {k: v for k, v in card["training"].items() if k == "cooccurrence"},
                "similar": [[n["word"], n["score"]] for n in neighbours],
                "analogy": [[n["word"], n["score"]] for n in answers],
            }
    name = "algos" if args.tokenizer == "okt" else f"algos-{args.tokenizer}"
    (out / f"{name}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    md = render(results, args.query, args.analogy)
    (out / f"{name}.md").write_text(md, encoding="utf-8")
    print(md)


def render(results: dict, query: str, analogy: str | None = None) -> str:
    lines = [
        "| algo | wall | train | speed (mean over epochs) | peak RSS | vocab |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for algo, r in results["runs"].items():
        lines.append(
            f"| {algo} ({r['epochs']} epochs) | {r['wall_seconds']} s | {r['train_seconds']} s "
            f"| {r['rate_per_second']:,} {r['rate_unit']}/s | {r['peak_rss_mib']:,} MiB "
            f"| {r['vocab_size']:,} |"
        )
    lines.append("")
    for algo, r in results["runs"].items():
        cooc = r["extra"].get("cooccurrence")
        if cooc:
            lines.append(
                f"- {algo} co-occurrences: {cooc['nonzeros']:,} non-zeros counted in "
                f"{cooc['counting_seconds']} s (counting structure peak "
                f"{cooc['peak_bytes'] / 2**20:,.0f} MiB)"
            )
        lines.append(
            f"- {algo} `similar {query}`: "
            + (", ".join(f"{w} {s:.3f}" for w, s in r["similar"]) or "(not in vocabulary)")
        )
        if analogy:
            lines.append(
                f"- {algo} `analogy {analogy}`: "
                + (", ".join(f"{w} {s:.3f}" for w, s in r["analogy"]) or "(no answer)")
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
