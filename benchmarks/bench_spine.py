"""Issue 2 benchmark: embedcli vs the textbook on the NSMC ratings, measured in one run.

    .venv/bin/python benchmarks/bench_spine.py [--corpus PATH] [--limit N] --out DIR

Runs, one after another on the same machine:
  1. the textbook script (single-process Okt loop + Word2Vec), timing tokenization and training;
  2. `embedcli train` on an empty token cache (tokenize in parallel + train);
  3. `embedcli train` again, reusing the token cache;
and records wall time and peak RSS of each (summed over the whole process tree, so Okt's
worker JVMs count), the vocabulary size and `similar 최민식`. Writes DIR/spine.json and
DIR/spine.md. Ratios are computed within the run, because these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def watch_rss(pid: int):
    """Sample a process tree's RSS every 0.2 s in a thread; call the result to stop: peak KiB."""
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def stop() -> int:
        done.set()
        sampler.join()
        return peak

    return stop


def run(cmd: list[str], env: dict | None = None, check: bool = True) -> dict:
    """Run a command, sampling the process tree's RSS every 0.2 s."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stop = watch_rss(proc.pid)
    stdout, stderr = proc.communicate()
    peak = stop()
    wall = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    return {
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(peak / 1024),
        "stdout": stdout,
        "stderr": stderr,
    }


def compare_lines(a: str, b: str) -> dict:
    """How many documents got exactly the same tokens in two tokenized files."""
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        left, right = fa.read().splitlines(), fb.read().splitlines()
    equal = sum(x == y for x, y in zip(left, right, strict=False))
    return {"documents": max(len(left), len(right)), "identical": equal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpora" / "nsmc" / "ratings.txt"))
    parser.add_argument("--limit", type=int, default=None, help="first N reviews only (smoke)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    corpus = Path(args.corpus)
    with tempfile.TemporaryDirectory(prefix="embedcli-bench-") as tmp:
        if args.limit:
            lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
            corpus = Path(tmp) / "ratings.txt"
            corpus.write_text("".join(lines[: args.limit + 1]), encoding="utf-8")
        env = dict(os.environ, EMBEDCLI_HOME=f"{tmp}/home", EMBEDCLI_CACHE=f"{tmp}/cache")
        print("textbook script ...", file=sys.stderr)
        textbook_tokens = f"{tmp}/textbook-tokens.txt"
        textbook = run(
            [sys.executable, str(REPO / "benchmarks" / "textbook.py"), str(corpus), textbook_tokens]
        )
        textbook["result"] = json.loads(textbook.pop("stdout").strip().splitlines()[-1])
        model_dir = f"{tmp}/model"
        train_cmd = [str(BIN / "embedcli"), "train", "-c", str(corpus), "-o", model_dir, "-q"]
        print("embedcli train (empty cache) ...", file=sys.stderr)
        first = run(train_cmd, env)
        first["card"] = json.loads(Path(model_dir, "model.json").read_text(encoding="utf-8"))
        print("embedcli train (token cache) ...", file=sys.stderr)
        second = run([*train_cmd, "--force"], env)
        second["card"] = json.loads(Path(model_dir, "model.json").read_text(encoding="utf-8"))
        similar = run(
            [str(BIN / "embedcli"), "similar", "최민식", "--format", "json", "--model", model_dir],
            env,
            check=False,
        )
        neighbours = json.loads(similar["stdout"])["results"] if similar["stdout"] else []
        print("embedcli tokenize --max-repeat 0 (token check) ...", file=sys.stderr)
        exact_tokens = f"{tmp}/exact-tokens.txt"
        run(
            [
                str(BIN / "embedcli"),
                "tokenize",
                "-c",
                str(corpus),
                "-o",
                exact_tokens,
                "--max-repeat",
                "0",
                "-q",
            ],
            env,
        )
        same = compare_lines(textbook_tokens, exact_tokens)

    counts = first["card"]["tokenizer"]["counts"]
    ours_tok = first["card"]["timings"]["tokenize_seconds"]
    ours_dps = counts["documents"] / ours_tok
    tb = textbook["result"]
    results = {
        "corpus": Path(args.corpus).name,
        "limit": args.limit,
        "cpus": os.cpu_count(),
        "textbook": {k: v for k, v in textbook.items() if k != "stderr"},
        "embedcli_first": {
            "wall_seconds": first["wall_seconds"],
            "peak_rss_mib": first["peak_rss_mib"],
            "timings": first["card"]["timings"],
            "docs_per_second": round(ours_dps, 1),
            "vocab_size": first["card"]["vocab_size"],
            "workers": first["card"]["parameters"]["workers"],
        },
        "embedcli_cached": {
            "wall_seconds": second["wall_seconds"],
            "peak_rss_mib": second["peak_rss_mib"],
            "timings": second["card"]["timings"],
        },
        "similar_최민식": [[n["word"], n["score"]] for n in neighbours],
        "tokens_identical_to_textbook": same,
        "ratios": {
            "tokenize_docs_per_s_vs_textbook": round(ours_dps / tb["docs_per_second"], 2),
            "end_to_end_wall_vs_textbook": round(
                first["wall_seconds"] / textbook["wall_seconds"], 2
            ),
            "cached_wall_vs_textbook": round(second["wall_seconds"] / textbook["wall_seconds"], 2),
        },
    }
    (out / "spine.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    md = render(results)
    (out / "spine.md").write_text(md, encoding="utf-8")
    print(md)


def render(r: dict) -> str:
    tb, first, cached = r["textbook"], r["embedcli_first"], r["embedcli_cached"]
    tbr = tb["result"]
    rows = [
        "| run | tokenize | docs/s | train | wall | peak RSS |",
        "|---|---:|---:|---:|---:|---:|",
        f"| textbook script (1 process Okt loop, Word2Vec workers=4) | {tbr['tokenize_seconds']} s"
        f" | {tbr['docs_per_second']:,.0f} | {tbr['train_seconds']} s | {tb['wall_seconds']} s"
        f" | {tb['peak_rss_mib']:,} MiB |",
        f"| `embedcli train`, empty token cache ({first['workers']} workers) | "
        f"{first['timings']['tokenize_seconds']} s | {first['docs_per_second']:,.0f} | "
        f"{first['timings']['train_seconds']} s | {first['wall_seconds']} s | "
        f"{first['peak_rss_mib']:,} MiB |",
        f"| `embedcli train` again, token cache reused | "
        f"{cached['timings']['tokenize_seconds']} s (reused: "
        f"{cached['timings']['tokenize_reused_cache']}) | - | "
        f"{cached['timings']['train_seconds']} s | {cached['wall_seconds']} s | "
        f"{cached['peak_rss_mib']:,} MiB |",
    ]
    ratios = r["ratios"]
    lines = rows + [
        "",
        "- tokenization speed, embedcli / textbook: "
        f"**{ratios['tokenize_docs_per_s_vs_textbook']}x** (target >= 1.8x)",
        f"- end-to-end wall time, embedcli / textbook: **{ratios['end_to_end_wall_vs_textbook']}x**"
        " (target <= 0.55x)",
        f"- second run with the token cache, wall / textbook: {ratios['cached_wall_vs_textbook']}x",
        f"- tokens identical to the textbook loop's (`--max-repeat 0`): "
        f"{r['tokens_identical_to_textbook']['identical']:,} of "
        f"{r['tokens_identical_to_textbook']['documents']:,} documents",
        f"- vocabulary: embedcli {first['vocab_size']:,} words, textbook script "
        f"{tbr['vocab_size']:,} words",
        "- `similar 최민식` (embedcli): "
        + ", ".join(f"{w} {s:.3f}" for w, s in r["similar_최민식"]),
        '- `most_similar("최민식")` (textbook script): '
        + ", ".join(f"{w} {s:.3f}" for w, s in tbr["similar"]),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
