"""Issue 17 benchmark: what per-epoch checkpoints cost, and what interrupt + resume changes.

    .venv/bin/python benchmarks/bench_checkpoint.py --nsmc PATH --english english.txt.gz \
        [--slice-words 15000000] [--algos word2vec,fasttext,glove] [--rounds 3] --out DIR

1. Cost: for each corpus and algorithm, the same training run with checkpoints (the default)
   and without, in alternated rounds (A B A B ...) on the same cached tokens. Reports the
   median per-epoch checkpoint seconds, the median epoch seconds, their ratio (target: under
   5 %), and the median ratio of whole training times with / without.
2. Quality (English slice): an uninterrupted run, and a run stopped after epoch `--stop-after`
   and resumed by the same call; questions-words and WS353 for both, with --workers as given
   (several threads: not bit-identical, so the difference shows the run-to-run noise too).

Writes DIR/checkpoint.json (checkpoint-cost.json with --no-quality, checkpoint-quality.json
with --no-cost). Prints only what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent


def train_once(tokens, config, directory: Path | None) -> dict:
    from embedcli.training.checkpoint import Run
    from embedcli.training.trainer import train

    run = Run(directory=directory, key={"bench": 1})
    started = time.perf_counter()
    result = train(tokens, config, run=run)
    seconds = time.perf_counter() - started
    if directory is not None:
        from embedcli.training import checkpoint

        checkpoint.remove(directory)
    return {
        "total_seconds": seconds,
        "train_seconds": result.train_seconds,
        "epoch_seconds": [e.seconds for e in result.epochs],
        "checkpoint_seconds": list(run.seconds),
        "commit_seconds": list(run.commit_seconds),  # in a thread, while the next epoch ran
    }


def cost(tokens, algo: str, epochs: int | None, workers: int | None, rounds: int, tmp) -> dict:
    from embedcli.training.config import TrainConfig

    config = TrainConfig(algo=algo, epochs=epochs, workers=workers)
    with_ck, without = [], []
    for r in range(rounds):
        for checkpoints in (True, False) if r % 2 == 0 else (False, True):
            directory = Path(tmp, f".{algo}.checkpoint") if checkpoints else None
            (with_ck if checkpoints else without).append(train_once(tokens, config, directory))
            print(f"  {algo} round {r + 1} checkpoints={checkpoints}", file=sys.stderr)
    ck = [s for run in with_ck for s in run["checkpoint_seconds"]]
    ep = [s for run in with_ck for s in run["epoch_seconds"][:-1]]  # epochs followed by one
    commits = [s for run in with_ck for s in run["commit_seconds"]]
    pairs = [a["train_seconds"] / b["train_seconds"] for a, b in zip(with_ck, without, strict=True)]
    return {
        "epochs": config.epochs,
        "workers": workers,
        "median_checkpoint_seconds": round(statistics.median(ck), 4) if ck else None,
        "median_epoch_seconds": round(statistics.median(ep), 4) if ep else None,
        "checkpoint_share_of_epoch": round(statistics.median(ck) / statistics.median(ep), 4)
        if ck and ep
        else None,
        "train_time_ratio_with_over_without": round(statistics.median(pairs), 4),
        "median_commit_seconds": round(statistics.median(commits), 4) if commits else None,
        "rounds": rounds,
        "runs_with_checkpoints": with_ck,
        "runs_without": without,
    }


def quality(corpus: Path, algo: str, stop_after: int, workers: int | None, tmp) -> dict:
    from bench_english import summarise

    from embedcli import api

    options = dict(algo=algo, lang="en", workers=workers, sg=algo != "glove")

    class Stop(KeyboardInterrupt):
        pass

    def stop(report) -> None:
        if report.epoch == stop_after:
            raise Stop()

    whole = api.train(corpus, output=Path(tmp, f"{algo}-whole"), **options)
    with contextlib.suppress(Stop):
        api.train(corpus, output=Path(tmp, f"{algo}-resumed"), on_epoch=stop, **options)
    said: list[str] = []
    resumed = api.train(
        corpus, output=Path(tmp, f"{algo}-resumed"), on_status=said.append, **options
    )
    scores = {}
    for name, model in (("uninterrupted", whole), ("interrupted_and_resumed", resumed)):
        report = model.evaluate().to_dict()
        try:
            scores[name] = summarise(report)
        except (KeyError, TypeError):
            scores[name] = report
    scores["resumed_message"] = next((s for s in said if s.startswith("Resuming")), None)
    scores["stopped_after_epoch"] = stop_after
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nsmc", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--nsmc-tokenizer", default="okt")
    parser.add_argument("--english", default=None, help="english.txt.gz (skipped if absent)")
    parser.add_argument("--slice-words", type=int, default=15_000_000)
    parser.add_argument("--algos", default="word2vec,fasttext,glove")
    parser.add_argument("--epochs", type=int, default=None, help="default: each algorithm's")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stop-after", type=int, default=2)
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--no-cost", action="store_true", help="the quality runs only")
    parser.add_argument("--no-nsmc", action="store_true", help="the English slice only")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    algos = args.algos.split(",")
    results: dict = {"cpus": os.cpu_count(), "cost": {}, "quality": {}}
    with tempfile.TemporaryDirectory(prefix="embedcli-checkpoint-") as tmp:
        os.environ["EMBEDCLI_HOME"] = f"{tmp}/home"
        os.environ["EMBEDCLI_CACHE"] = f"{tmp}/cache"
        from embedcli import api

        corpora = {}
        if not args.no_nsmc:
            corpora["nsmc"] = (Path(args.nsmc), dict(tokenizer=args.nsmc_tokenizer))
        if args.english:
            from bench_english import make_slice

            english = Path(tmp, "english-slice.txt")
            results["english_slice"] = make_slice(Path(args.english), args.slice_words, english)
            corpora["english"] = (english, dict(lang="en"))
        for name, (path, tok) in corpora.items():
            if args.no_cost:
                break
            print(f"tokenize {name} ...", file=sys.stderr)
            tokens = api.tokenize(path, workers=args.workers, **tok)
            results["cost"][name] = {
                algo: cost(tokens, algo, args.epochs, args.workers, args.rounds, tmp)
                for algo in algos
            }
        if args.english and not args.no_quality:
            for algo in algos:
                print(f"quality {algo} ...", file=sys.stderr)
                results["quality"][algo] = quality(
                    corpora["english"][0], algo, args.stop_after, args.workers, tmp
                )
    name = "checkpoint" + "".join(
        f"-{part}" for part, skip in (("quality", args.no_cost), ("cost", args.no_quality)) if skip
    )
    (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name, per_algo in results["cost"].items():
        for algo, c in per_algo.items():
            print(
                f"{name} {algo}: checkpoint {c['median_checkpoint_seconds']} s per epoch of "
                f"{c['median_epoch_seconds']} s ({c['checkpoint_share_of_epoch']}); training "
                f"time with/without {c['train_time_ratio_with_over_without']}"
            )
    for algo, q in results["quality"].items():
        print(f"english {algo}: {json.dumps({k: q[k] for k in q if 'interrupt' in k})}")


if __name__ == "__main__":
    main()
