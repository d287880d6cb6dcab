"""The spine's headline ratios in alternated rounds: textbook, embedcli, textbook, embedcli, ...

    .venv/bin/python benchmarks/bench_spine_rounds.py [--rounds 3] [--limit N] --out DIR

Each round runs the textbook script (single-process Okt loop + Word2Vec) and then `embedcli
train` on an empty token cache, on the same corpus (default: the shipped 200K NSMC reviews).
Per round: tokenization docs/s and end-to-end wall time of both, peak RSS of each process
tree. The headline ratios are the medians of the per-round ratios, so a slow spell of the
machine hits both sides of a pair. Run it with nothing else on the machine. Writes
DIR/spine-rounds.json and DIR/spine-rounds.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_spine import BIN, REPO, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="first N reviews only (smoke)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="embedcli-bench-") as tmp:
        corpus = Path(args.corpus)
        if args.limit:
            lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
            corpus = Path(tmp) / "ratings.txt"
            corpus.write_text("".join(lines[: args.limit + 1]), encoding="utf-8")
        for number in range(1, args.rounds + 1):
            print(f"round {number}: textbook script ...", file=sys.stderr)
            textbook = run(
                [sys.executable, str(REPO / "benchmarks" / "textbook.py"), str(corpus),
                 f"{tmp}/textbook-tokens.txt"]
            )  # fmt: skip
            result = json.loads(textbook.pop("stdout").strip().splitlines()[-1])
            print(f"round {number}: embedcli train, empty token cache ...", file=sys.stderr)
            home = Path(tmp) / f"round-{number}"  # a fresh cache: tokenization is measured
            env = dict(os.environ, EMBEDCLI_HOME=f"{home}/home", EMBEDCLI_CACHE=f"{home}/cache")
            model = home / "model"
            ours = run([str(BIN / "embedcli"), "train", "-c", str(corpus), "-o", str(model), "-q"],
                       env)  # fmt: skip
            card = json.loads((model / "model.json").read_text(encoding="utf-8"))
            documents = card["tokenizer"]["counts"]["documents"]
            ours_tokenize = card["timings"]["tokenize_seconds"]
            row = {
                "round": number,
                "textbook": {
                    "tokenize_seconds": result["tokenize_seconds"],
                    "docs_per_second": result["docs_per_second"],
                    "wall_seconds": textbook["wall_seconds"],
                    "peak_rss_mib": textbook["peak_rss_mib"],
                },
                "embedcli": {
                    "tokenize_seconds": ours_tokenize,
                    "docs_per_second": round(documents / ours_tokenize, 1),
                    "wall_seconds": ours["wall_seconds"],
                    "peak_rss_mib": ours["peak_rss_mib"],
                    "workers": card["parameters"]["workers"],
                },
            }
            row["tokenize_ratio"] = round(
                row["embedcli"]["docs_per_second"] / row["textbook"]["docs_per_second"], 3
            )
            row["wall_ratio"] = round(
                row["embedcli"]["wall_seconds"] / row["textbook"]["wall_seconds"], 3
            )
            rounds.append(row)
            print(json.dumps(row), file=sys.stderr)
    results = {
        "corpus": Path(args.corpus).name,
        "limit": args.limit,
        "cpus": os.cpu_count(),
        "rounds": rounds,
        "median_tokenize_ratio": statistics.median(r["tokenize_ratio"] for r in rounds),
        "median_wall_ratio": statistics.median(r["wall_ratio"] for r in rounds),
    }
    (out / "spine-rounds.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    md = render(results)
    (out / "spine-rounds.md").write_text(md, encoding="utf-8")
    print(md)


def render(r: dict) -> str:
    lines = [
        f"# Spine in alternated rounds ({r['corpus']}, {r['cpus']} CPUs"
        + (f", first {r['limit']} reviews" if r["limit"] else "")
        + ")",
        "",
        "| round | textbook tokenize | textbook docs/s | textbook wall | textbook RSS "
        "| embedcli tokenize | embedcli docs/s | embedcli wall | embedcli RSS "
        "| tokenize ratio | wall ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["rounds"]:
        t, e = row["textbook"], row["embedcli"]
        lines.append(
            f"| {row['round']} | {t['tokenize_seconds']:.1f} s | {t['docs_per_second']:,.0f} "
            f"| {t['wall_seconds']:.1f} s | {t['peak_rss_mib']:,} MiB "
            f"| {e['tokenize_seconds']:.1f} s | {e['docs_per_second']:,.0f} "
            f"| {e['wall_seconds']:.1f} s | {e['peak_rss_mib']:,} MiB "
            f"| {row['tokenize_ratio']:.2f}x | {row['wall_ratio']:.2f}x |"
        )
    lines += [
        "",
        f"Median tokenization speed, embedcli / textbook: **{r['median_tokenize_ratio']:.2f}x**",
        f"Median end-to-end wall time, embedcli / textbook: **{r['median_wall_ratio']:.2f}x**",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
