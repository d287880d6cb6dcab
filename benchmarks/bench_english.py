"""Issue 4 benchmark: Word2Vec on English, scored with `embedcli evaluate`.

    .venv/bin/python benchmarks/bench_english.py --corpus english.txt.gz [--runs ...] --out DIR

Makes a slice of the first documents holding `--slice-words` whitespace words (the file is
shuffled by document, so the head is a fair sample), tokenizes the slice and the whole file
once each with `--tokenizer english` (shared token cache), then for each run trains
`embedcli train --algo word2vec` with 100 dims and the run's flags and scores it with
`embedcli evaluate --format json` (questions-words top-1 within the 30K most frequent words,
WordSim353 and SimLex-999 Spearman). A run is `NAME=DATA:FLAGS` with DATA `slice` or `full`.
Writes DIR/english.json and DIR/english.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spine import BIN, REPO, run  # noqa: E402

DEFAULT_RUNS = (
    "cbow-slice=slice:--cbow --epochs 5",
    "sg-slice=slice:--sg --epochs 5",
    "cbow-full=full:--cbow --epochs 5",
    "sg-full=full:--sg --epochs 5",
)


def make_slice(corpus: Path, words: int, out: Path) -> dict:
    lines = total = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            dst.write(line)
            lines += 1
            total += len(line.split())
            if total >= words:
                break
    return {"lines": lines, "words": total}


def summarise(report: dict) -> dict:
    total = report["analogies"]["summary"]["all"]
    sem = report["analogies"]["summary"]["semantic"]
    syn = report["analogies"]["summary"]["syntactic"]
    sims = {s["name"]: s for s in report["similarity"]}
    return {
        "analogy_accuracy": total["accuracy"],
        "semantic_accuracy": sem["accuracy"],
        "syntactic_accuracy": syn["accuracy"],
        "analogy_scored": total["scored"],
        "analogy_questions": total["questions"],
        "coverage": round(total["scored"] / total["questions"], 4),
        "ws353_spearman": sims["wordsim353.tsv"]["spearman"],
        "ws353_oov": sims["wordsim353.tsv"]["oov_ratio"],
        "simlex_spearman": sims["simlex999.txt"]["spearman"],
        "simlex_oov": sims["simlex999.txt"]["oov_ratio"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="english.txt.gz")
    parser.add_argument("--slice-words", type=int, default=15_000_000)
    parser.add_argument("--runs", nargs="+", default=list(DEFAULT_RUNS))
    parser.add_argument("--name", default="english")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    results: dict = {"corpus": args.corpus.name, "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="embedcli-english-") as tmp:
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home", EMBEDCLI_CACHE=f"{tmp}/cache")
        data = {"slice": Path(tmp, "slice.txt"), "full": args.corpus}
        results["slice"] = make_slice(args.corpus, args.slice_words, data["slice"])
        needed = {spec.split("=", 1)[1].split(":", 1)[0] for spec in args.runs}
        for key in sorted(needed):
            tok = run(
                [str(BIN / "embedcli"), "tokenize", "-c", str(data[key]), "--lang", "en", "-q"], env
            )
            results[f"tokenize_{key}"] = {
                "wall_seconds": tok["wall_seconds"],
                "peak_rss_mib": tok["peak_rss_mib"],
            }
            print(f"tokenized {key}: {tok['wall_seconds']} s", file=sys.stderr, flush=True)
        for spec in args.runs:
            name, rest = spec.split("=", 1)
            key, flags = rest.split(":", 1)
            model_dir = f"{tmp}/{name}"
            cmd = [
                str(BIN / "embedcli"),
                "train",
                "-c",
                str(data[key]),
                "--lang",
                "en",
                *flags.split(),
                "-o",
                model_dir,
                "-q",
            ]
            measured = run(cmd, env)
            card = json.loads(Path(model_dir, "model.json").read_text(encoding="utf-8"))
            scored = run(
                [str(BIN / "embedcli"), "evaluate", model_dir, "--format", "json", "-q"], env
            )
            row = {
                "data": key,
                "flags": flags,
                "wall_seconds": measured["wall_seconds"],
                "train_seconds": card["timings"]["train_seconds"],
                "peak_rss_mib": measured["peak_rss_mib"],
                "vocab_size": card["vocab_size"],
                "corpus_words": card["training"]["corpus_words"],
                **summarise(json.loads(scored["stdout"])),
            }
            results["runs"][name] = row
            print(f"{name}: {row}", file=sys.stderr, flush=True)
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{args.name}.json").write_text(
                json.dumps(results, indent=1) + "\n", encoding="utf-8"
            )
    md = render(results)
    (args.out / f"{args.name}.md").write_text(md, encoding="utf-8")
    print(md)


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render(results: dict) -> str:
    lines = [
        "| run | data | flags | analogy top-1 (sem / syn) | coverage | WS353 | SimLex-999 "
        "| train | vocab |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["runs"].items():
        lines.append(
            f"| {name} | {r['data']} ({r['corpus_words'] / 1e6:.1f}M tokens) | `{r['flags']}` "
            f"| {pct(r['analogy_accuracy'])} ({pct(r['semantic_accuracy'])} / "
            f"{pct(r['syntactic_accuracy'])}) | {pct(r['coverage'])} "
            f"| {r['ws353_spearman']:.3f} | {r['simlex_spearman']:.3f} "
            f"| {r['train_seconds']:.0f} s | {r['vocab_size']:,} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
