"""The original C/C++ tools against embedcli's trainers, same tokens, equal settings.

    .venv/bin/python benchmarks/bench_reference.py fasttext --tokens T --fasttext-bin BIN
    .venv/bin/python benchmarks/bench_reference.py glove --tokens T --glove-dir DIR [--eval en|ko]
    .venv/bin/python benchmarks/bench_reference.py nsmc-tokens --corpus reviews_all.tsv.gz -o T

T is a whitespace-token file, one document per line: an embedcli token cache file (see
`embedcli tokenize -o T`), or `nsmc-tokens` (Hangul-only whitespace tokens of an NSMC dump, how
the GloVe reference run's input was made). The reference tools are not shipped or built by
this project: build Facebook fastText (`fasttext` CLI from the PyPI sdist's src/*.cc, or from
facebookresearch/fastText) and Stanford GloVe (stanfordnlp/GloVe, `make`) yourself and pass
their paths. Runs alternate reference, ours, reference, ours (`--repeat`), each a separate
process whose process tree's peak RSS is sampled. Writes DIR/reference-<tool>.json and .md.

Quality: `similar` top-10 for `--query`, and with `--eval en` gensim's questions-words
accuracy (top-1, 30K most frequent words, as word2vec's compute-accuracy) and WordSim353
Spearman; with `--eval ko` the kor2vec WS353 and semantic analogies from `--ko-eval DIR`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_glove import prepare_tokens  # noqa: E402
from bench_spine import REPO, watch_rss  # noqa: E402


def run_marked(cmd: list[str], marks: dict[str, str], stdin=None, stdout=None, cwd=None) -> dict:
    """Run cmd, sampling tree RSS; record when each marker first/last appears on stderr."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd)
    stop = watch_rss(proc.pid)
    seen: dict[str, list[float]] = {}
    log = b""
    while True:
        chunk = proc.stderr.read1(4096)
        if not chunk:
            break
        now = time.perf_counter() - started
        recent = (log[-64:] + chunk).decode("utf-8", "replace")
        log = (log + chunk)[-(1 << 20) :]
        for name, marker in marks.items():
            if marker in recent:
                seen.setdefault(name, [now, now])[1] = now
    proc.wait()
    peak = stop()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {log[-2000:]!r}")
    return {
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(peak / 1024),
        "marks": seen,
        "stderr": log.decode("utf-8", "replace"),
    }


def run_ours(args: list[str]) -> dict:
    """Run one of this script's child steps; it prints a JSON line last."""
    measured = run_marked([sys.executable, __file__, *args], {})
    lines = [x for x in measured.pop("stderr").splitlines() if x.startswith("{")]
    result = json.loads(lines[-1])
    result.update(wall_seconds=measured["wall_seconds"], peak_rss_mib=measured["peak_rss_mib"])
    return result


# ---------------------------------------------------------------- quality


def load_vectors(path: Path, glove_text: bool = False):
    from gensim.models import KeyedVectors

    if path.suffix == ".bin":
        from gensim.models.fasttext import load_facebook_vectors

        return load_facebook_vectors(str(path))
    if glove_text:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True)
    elif path.suffix == ".kv":
        kv = KeyedVectors.load(str(path))
    else:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=False)
    if "<unk>" in kv.key_to_index or "</s>" in kv.key_to_index:
        keep = [w for w in kv.index_to_key if w not in ("<unk>", "</s>")]
        trimmed = KeyedVectors(kv.vector_size)
        trimmed.add_vectors(keep, kv[keep])
        kv = trimmed
    return kv


def quality(kv, query: str, evaluation: str | None, ko_eval: Path | None, oov=()) -> dict:
    out: dict = {}
    if query in kv.key_to_index:
        out["similar"] = [[w, round(float(s), 3)] for w, s in kv.most_similar(query, topn=10)]
    for word in oov:
        try:
            out.setdefault("oov", {})[word] = [
                [w, round(float(s), 3)] for w, s in kv.most_similar(word, topn=5)
            ]
        except KeyError:
            out.setdefault("oov", {})[word] = []
    if evaluation == "en":
        from gensim.test.utils import datapath

        score, sections = kv.evaluate_word_analogies(
            datapath("questions-words.txt"), restrict_vocab=30000
        )
        total = next(s for s in sections if s["section"] == "Total accuracy")
        answered = len(total["correct"]) + len(total["incorrect"])
        out["analogy_accuracy"] = round(float(score), 4)
        out["analogy_answered"] = answered
        pearson, spearman, oov_ratio = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
        out["ws353_spearman"] = round(float(spearman.statistic), 4)
        out["ws353_oov_percent"] = round(float(oov_ratio), 1)
    elif evaluation == "ko" and ko_eval:
        with tempfile.TemporaryDirectory() as tmp:
            pairs = Path(tmp, "ws.tsv")
            rows = (ko_eval / "kor_ws353.csv").read_text(encoding="utf-8-sig").splitlines()
            pairs.write_text("\n".join(r.replace(",", "\t") for r in rows) + "\n", "utf-8")
            pearson, spearman, oov_ratio = kv.evaluate_word_pairs(str(pairs))
            questions = Path(tmp, "sem.txt")
            text = (ko_eval / "kor_analogy_semantic.txt").read_text(encoding="utf-8")
            questions.write_text(
                "\n".join(
                    ": " + x[1:].strip() if x.startswith("#") else x for x in text.split("\n")
                ),
                "utf-8",
            )
            score, sections = kv.evaluate_word_analogies(str(questions), restrict_vocab=300000)
        total = next(s for s in sections if s["section"] == "Total accuracy")
        out["ko_ws353_spearman"] = round(float(spearman.statistic), 4)
        out["ko_ws353_oov_percent"] = round(float(oov_ratio), 1)
        out["ko_semantic_accuracy"] = round(float(score), 4)
        out["ko_semantic_answered"] = len(total["correct"]) + len(total["incorrect"])
    return out


# ---------------------------------------------------------------- fastText


def fasttext_bench(args) -> dict:
    s = {"dim": 100, "ws": 5, "minCount": 5, "neg": 5, "epoch": 5, "minn": 3, "maxn": 6}
    s.update(bucket=2_000_000, t=1e-3, lr=0.025, thread=2)
    result: dict = {"settings": s, "tokens": Path(args.tokens).name, "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-ref-ft-") as tmp:
        for i in range(args.repeat):
            ref = run_marked(
                [
                    args.fasttext_bin,
                    "cbow",
                    "-input",
                    args.tokens,
                    "-output",
                    f"{tmp}/ref",
                    "-loss",
                    "ns",
                    "-wordNgrams",
                    "1",
                    "-verbose",
                    "2",
                    *[x for k, v in s.items() for x in (f"-{k}", str(v))],
                ],
                {"vocab": "Number of words", "progress": "Progress:", "end": "100.0%"},
            )
            marks = ref["marks"]
            ref["train_seconds"] = round(marks["end"][0] - marks["vocab"][0], 2)
            ref["vocab_seconds"] = round(marks["vocab"][0], 2)
            ref.pop("stderr")
            ours = run_ours(["_gensim-fasttext", args.tokens, f"{tmp}/ours.kv"])
            result["runs"].append({"reference": ref, "gensim": ours})
            print(
                f"run {i + 1}: fastText {ref['wall_seconds']} s, gensim {ours['wall_seconds']} s",
                file=sys.stderr,
                flush=True,
            )
        oov = args.oov.split(",") if args.oov else []
        result["quality"] = {
            "reference": quality(load_vectors(Path(f"{tmp}/ref.bin")), args.query, None, None, oov),
            "gensim": quality(load_vectors(Path(f"{tmp}/ours.kv")), args.query, None, None, oov),
        }
    return result


def child_gensim_fasttext(tokens: str, out: str) -> None:
    from gensim.models import FastText

    started = time.perf_counter()
    model = FastText(
        vector_size=100,
        window=5,
        min_count=5,
        sg=0,
        hs=0,
        negative=5,
        sample=1e-3,
        workers=2,
        epochs=5,
        alpha=0.025,
        min_n=3,
        max_n=6,
        bucket=2_000_000,
    )
    model.build_vocab(corpus_file=tokens)
    vocab_s = time.perf_counter() - started
    started = time.perf_counter()
    model.train(
        corpus_file=tokens,
        total_examples=model.corpus_count,
        total_words=model.corpus_total_words,
        epochs=5,
    )
    train_s = time.perf_counter() - started
    model.wv.save(out)
    print(
        json.dumps(
            {
                "vocab_seconds": round(vocab_s, 2),
                "train_seconds": round(train_s, 2),
                "vocab": len(model.wv),
                "words_per_second": round(5 * model.corpus_total_words / train_s),
            }
        ),
        file=sys.stderr,
    )


# ---------------------------------------------------------------- GloVe


def glove_bench(args) -> dict:
    d = Path(args.glove_dir)
    tools = {name: str(d / name) for name in ("vocab_count", "cooccur", "shuffle", "glove")}
    result: dict = {"tokens": Path(args.tokens).name, "epochs": args.epochs, "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-ref-glove-") as tmp:
        t = Path(tmp)
        for i in range(args.repeat):
            ref: dict = {}
            with open(args.tokens, "rb") as src, open(t / "vocab.txt", "wb") as dst:
                ref["vocab_count"] = run_marked(
                    [tools["vocab_count"], "-min-count", "5", "-verbose", "2"], {}, src, dst
                )
            with open(args.tokens, "rb") as src, open(t / "cooc.bin", "wb") as dst:
                ref["cooccur"] = run_marked(
                    [
                        tools["cooccur"],
                        "-memory",
                        "4.0",
                        "-vocab-file",
                        str(t / "vocab.txt"),
                        "-verbose",
                        "2",
                        "-window-size",
                        "10",
                    ],
                    {},
                    src,
                    dst,
                    cwd=t,
                )
            with open(t / "cooc.bin", "rb") as src, open(t / "shuf.bin", "wb") as dst:
                ref["shuffle"] = run_marked(
                    [tools["shuffle"], "-memory", "4.0", "-verbose", "2", "-seed", str(i + 1)],
                    {},
                    src,
                    dst,
                    cwd=t,
                )
            (t / "cooc.bin").unlink()
            ref["glove"] = run_marked(
                [
                    tools["glove"],
                    "-save-file",
                    str(t / f"ref{i}"),
                    "-threads",
                    "2",
                    "-input-file",
                    str(t / "shuf.bin"),
                    "-x-max",
                    "100",
                    "-iter",
                    str(args.epochs),
                    "-vector-size",
                    "100",
                    "-binary",
                    "0",
                    "-vocab-file",
                    str(t / "vocab.txt"),
                    "-verbose",
                    "2",
                    "-write-header",
                    "0",
                    "-seed",
                    str(i + 1),
                ],
                {"first_iter": "iter: 001", "last_iter": f"iter: {args.epochs:03d}"},
            )
            log = ref["glove"].pop("stderr").replace("\r", "\n").splitlines()
            ref["costs"] = [
                float(x.split("cost:")[1].split()[0].strip(",")) for x in log if "cost:" in x
            ]
            ref["cooccur_log"] = ref["cooccur"].pop("stderr")[-400:]
            for step in ("vocab_count", "shuffle"):
                ref[step].pop("stderr")
            (t / "shuf.bin").unlink()
            ours = run_ours(
                ["_ours-glove", args.tokens, str(t / f"ours{i}.txt"), str(args.epochs), str(i + 1)]
            )
            result["runs"].append({"reference": ref, "embedcli": ours})
            print(
                f"run {i + 1}: C glove {ref['glove']['wall_seconds']} s, ours "
                f"{ours['train_seconds']} s",
                file=sys.stderr,
                flush=True,
            )
            (args.out / "reference-glove.partial.json").write_text(json.dumps(result, indent=1))
        ko = Path(args.ko_eval) if args.ko_eval else None
        result["quality"] = {}
        for i in range(args.repeat):
            for side in ("ref", "ours"):
                try:
                    kv = load_vectors(t / f"{side}{i}.txt", glove_text=True)
                    scores = quality(kv, args.query, args.eval, ko)
                except Exception as error:  # keep the timings even if scoring fails
                    scores = {"error": repr(error)}
                result["quality"][f"{side}{i}"] = scores
    return result


def child_ours_glove(tokens: str, out: str, epochs: str, seed: str) -> None:
    sys.path.insert(0, str(REPO))
    from embedcli.training.glove import adagrad as glove_adagrad
    from embedcli.training.glove import cooccur as glove_cooccur
    from embedcli.training.glove import vocab as glove_vocab

    timings: dict = {}
    started = time.perf_counter()
    vocab = glove_vocab.build_vocab(Path(tokens), min_count=5)
    timings["vocab_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    cooc = glove_cooccur.count_cooccurrences(Path(tokens), vocab, window=10, workers=2)
    timings["cooccur_seconds"] = round(time.perf_counter() - started, 2)
    costs, seconds = [], []
    started = time.perf_counter()
    model = glove_adagrad.train_glove(
        cooc,
        vector_size=100,
        epochs=int(epochs),
        workers=2,
        seed=int(seed),
        on_epoch=lambda e, c, s: (costs.append(round(c, 6)), seconds.append(s)),
    )
    timings["train_seconds"] = round(time.perf_counter() - started, 2)
    vectors = model.word_vectors()
    with open(out, "w", encoding="utf-8") as f:
        for word, row in zip(vocab.words, vectors, strict=True):
            f.write(word + " " + " ".join(f"{x:.6f}" for x in row) + "\n")
    print(
        json.dumps(
            {
                **timings,
                "vocab": len(vocab),
                "nnz": int(cooc.nnz),
                "costs": costs,
                "epoch_seconds": [round(s, 2) for s in seconds],
                "nnz_per_second": round(cooc.nnz * len(seconds) / sum(seconds)),
            }
        ),
        file=sys.stderr,
    )


# ---------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_gensim-fasttext":
        return child_gensim_fasttext(*sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_ours-glove":
        return child_ours_glove(*sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="tool", required=True)
    ft = sub.add_parser("fasttext")
    ft.add_argument("--fasttext-bin", required=True)
    ft.add_argument("--oov", default="최민식이,최민싁,한석균")
    gl = sub.add_parser("glove")
    gl.add_argument("--glove-dir", required=True, help="directory with the built C tools")
    gl.add_argument("--epochs", type=int, default=15)
    gl.add_argument("--eval", choices=["en", "ko"])
    gl.add_argument("--ko-eval", help="directory with kor2vec's kor_ws353.csv etc.")
    for p in (ft, gl):
        p.add_argument("--tokens", required=True)
        p.add_argument("--query", default="최민식")
        p.add_argument("--repeat", type=int, default=2)
        p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
        p.add_argument("--name", help="result file stem (default reference-TOOL)")
    prep = sub.add_parser("nsmc-tokens")
    prep.add_argument("--corpus", type=Path, required=True)
    prep.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    if args.tool == "nsmc-tokens":
        print(prepare_tokens(args.corpus, args.output))
        return None
    result = fasttext_bench(args) if args.tool == "fasttext" else glove_bench(args)
    result["date"] = time.strftime("%Y-%m-%d %H:%M")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.name or f"reference-{args.tool}"
    (args.out / f"{stem}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return None


if __name__ == "__main__":
    main()
