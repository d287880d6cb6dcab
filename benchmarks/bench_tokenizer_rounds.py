"""Issue 6, the ratios again: the textbook Okt loop and each backend, alternated in rounds.

    .venv/bin/python benchmarks/bench_tokenizer_rounds.py [--limit 40000] [--rounds 3] [--out DIR]

The full benchmark (bench_tokenizers.py) runs the textbook loop once, then each backend: on a
shared machine whose speed drifts by tens of percent over minutes, one slow or fast stretch
moves every ratio to the textbook. Here each round runs the textbook loop and
`embedcli tokenize --tokenizer T --workers W` (T in okt, kiwi, mecab; W in 1, 2; each on an
empty token cache) one after another on the first --limit reviews, and the ratios are taken
within a round; the report gives every round's ratios and their median.
Writes DIR/tokenizer-rounds.json and DIR/tokenizer-rounds.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spine import run  # noqa: E402
from bench_tokenizers import BACKENDS, REPO, fresh_env, tokenize_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--limit", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="embedcli-bench-rounds-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "ratings.txt"
        with open(args.corpus, encoding="utf-8") as handle:
            corpus.write_text(
                "".join(line for _, line in zip(range(args.limit + 1), handle, strict=False)),
                encoding="utf-8",
            )
        for number in range(args.rounds):
            print(f"round {number + 1}: textbook Okt loop ...", file=sys.stderr)
            textbook = run([sys.executable, str(REPO / "benchmarks" / "textbook.py"), str(corpus)])
            line = json.loads(textbook["stdout"].strip().splitlines()[-1])
            entry = {"textbook_docs_per_second": line["docs_per_second"], "runs": {}}
            for backend in BACKENDS:
                for workers in (1, 2):
                    print(f"round {number + 1}: {backend} -w {workers} ...", file=sys.stderr)
                    env = fresh_env(tmp, f"r{number}-{backend}-{workers}")
                    measured = tokenize_run(corpus, backend, workers, env)
                    entry["runs"][f"{backend}-{workers}"] = {
                        "docs_per_second": measured["docs_per_second"],
                        "wall_seconds": measured["wall_seconds"],
                        "ratio_to_textbook": round(
                            measured["docs_per_second"] / line["docs_per_second"], 2
                        ),
                    }
            rounds.append(entry)
    result = {"limit": args.limit, "rounds": rounds}
    (out / "tokenizer-rounds.json").write_text(json.dumps(result, indent=2) + "\n")
    names = list(rounds[0]["runs"])
    lines = [
        f"First {args.limit:,} NSMC reviews, {args.rounds} rounds; docs/s while tokenizing and,"
        " in brackets, the ratio to the same round's textbook Okt loop.",
        "",
        "| run | " + " | ".join(f"round {i + 1}" for i in range(len(rounds))) + " | median ratio |",
        "|---|" + "---:|" * (len(rounds) + 1),
        "| textbook Okt loop | "
        + " | ".join(f"{r['textbook_docs_per_second']:,.0f}" for r in rounds)
        + " | 1x |",
    ]
    for name in names:
        cells = [
            f"{r['runs'][name]['docs_per_second']:,.0f} ({r['runs'][name]['ratio_to_textbook']}x)"
            for r in rounds
        ]
        median = statistics.median(r["runs"][name]["ratio_to_textbook"] for r in rounds)
        backend, workers = name.rsplit("-", 1)
        lines.append(f"| {backend}, --workers {workers} | " + " | ".join(cells) + f" | {median}x |")
    md = "\n".join(lines) + "\n"
    (out / "tokenizer-rounds.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
