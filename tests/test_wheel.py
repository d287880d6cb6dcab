"""The built wheel, installed as a user would: a fresh venv away from the clone, offline.

The wheel is built from a copy of the working tree (a build in the tree itself would leave
build/ behind, whose stale modules can slip into later wheels), installed with its dependencies
from the package index into a new venv, and run from a directory outside the repository with no
EMBEDCLI_CORPORA and no way to reach the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parent.parent

# What corpora/ ships, written out here rather than read from setup.py.
SHIPPED = [
    "README.md",
    "en/english-7m.txt.gz",
    "eval/ko/README.md",
    "eval/ko/kor_analogy_semantic.txt",
    "eval/ko/kor_analogy_syntactic.txt",
    "eval/ko/kor_ws353.csv",
    "nsmc/ratings.txt",
]
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "bench-out",
)
# Any attempt to download goes to a port where nothing listens.
NO_NETWORK = "http://127.0.0.1:9"


def run(args: list, cwd: Path, env: dict | None = None, timeout: float = 300):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", source], tmp)
    (built,) = (tmp / "dist").glob("embedcli-*.whl")
    return built


def test_the_wheel_holds_the_code_and_the_shipped_corpora(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {n.removeprefix("embedcli/_shipped/") for n in names if "/_shipped/" in n}
        assert sorted(shipped) == SHIPPED
        for name in SHIPPED:
            packed = archive.read(f"embedcli/_shipped/{name}")
            assert sha256(packed) == sha256((REPO / "corpora" / name).read_bytes()), name
    # Every module of every subpackage, found without being listed anywhere.
    sources = {p.relative_to(REPO).as_posix() for p in (REPO / "embedcli").rglob("*.py")}
    assert sources <= names
    code = {n for n in names if n.startswith("embedcli/") and "/_shipped/" not in n}
    assert code == sources
    assert {n.split("/")[0] for n in names} == {
        "embedcli",
        wheel.name.split("-py3")[0] + ".dist-info",
    }


def test_the_installed_wheel_trains_offline_on_the_shipped_corpus(wheel, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("user")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], tmp)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], tmp)

    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBEDCLI_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env |= {"EMBEDCLI_HOME": str(tmp / "home"), "EMBEDCLI_CACHE": str(tmp / "cache")}
    env |= {k: NO_NETWORK for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    embedcli = venv / "bin" / "embedcli"
    site = venv.resolve()

    code = run(
        [venv / "bin" / "python", "-c", "import embedcli; print(embedcli.__file__)"], elsewhere, env
    )
    assert Path(code.stdout.strip()).resolve().is_relative_to(site)

    listed = json.loads(run([embedcli, "corpora", "--format", "json"], elsewhere, env).stdout)
    status = {row["name"]: row["where"] for row in listed["results"]}
    assert status["nsmc"] == "shipped" and status["en"] == "shipped"

    # The english tokenizer reads the 200K reviews in seconds; MeCab or Okt would take a minute.
    train = [embedcli, "train", "--corpus", "nsmc", "--tokenizer", "english", "--epochs", "1"]
    run([*train, "--min-count", "20", "--workers", "2", "--quiet"], elsewhere, env)
    card = json.loads((tmp / "home" / "models" / "nsmc-word2vec" / "model.json").read_text())
    assert Path(card["corpus"]["path"]).resolve().is_relative_to(site)
    ratings = (REPO / "corpora" / "nsmc" / "ratings.txt").read_bytes()
    assert card["corpus"]["sha256"] == sha256(ratings)
    assert card["tokenizer"]["counts"]["rows"] == ratings.count(b"\n") - 1  # less the header

    scored = run([embedcli, "evaluate", "--lang", "ko", "--format", "json", "-q"], elsewhere, env)
    report = json.loads(scored.stdout)
    sets = report["analogies"]["sets"] + report["similarity"]
    assert sorted(s["name"] for s in sets) == [
        "kor_analogy_semantic.txt",
        "kor_analogy_syntactic.txt",
        "kor_ws353.csv",
    ]
    assert all(Path(s["path"]).resolve().is_relative_to(site) for s in sets)
