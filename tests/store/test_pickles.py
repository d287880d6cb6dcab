"""No command opens a pickle embedcli did not write here: a pickle that would create a file
when unpickled is handed to every command, in every place a model can be given, and the file
is never created."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil

from embedcli.cli.app import app
from embedcli.store import model_dir as models
from tests.conftest import assert_nearest, write_model_dir


class Evil:
    """Unpickling this runs a shell command that creates `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def evil_bytes(marker) -> bytes:
    return pickle.dumps(Evil(marker), protocol=4)


def places(tmp_path, marker):
    """Every way a pickle can reach a command: a file of each name, gzipped, and model
    directories whose vectors.kv was replaced (with and without a query index)."""
    found = {}
    for name in ("evil.kv", "evil.model", "evil.gensim", "evil.pkl", "model.bin"):
        path = tmp_path / name
        path.write_bytes(evil_bytes(marker))
        found[name] = path
    gz = tmp_path / "evil.kv.gz"
    gz.write_bytes(gzip.compress(evil_bytes(marker)))
    found["gz"] = gz
    for indexed in (True, False):
        model_dir = write_model_dir(tmp_path / f"replaced-{indexed}", indexed=indexed)
        (model_dir / models.VECTORS_FILE).write_bytes(evil_bytes(marker))
        found[f"dir-indexed={indexed}"] = model_dir
    return found


def commands(model, tmp_path):
    m = str(model)
    out = str(tmp_path / "out")
    return {
        "similar": (["similar", "king", "--model", m], None),
        "similar oov": (["similar", "kingdom", "--model", m], None),
        "analogy": (["analogy", "man", "king", "woman", "--model", m], None),
        "analogy mul": (["analogy", "man", "king", "woman", "--method", "mul", "--model", m], None),
        "vector": (["vector", "king", "--model", m], None),
        "export-tsv": (["export-tsv", "-o", out + "-tsv", "--model", m], None),
        "evaluate": (["evaluate", m], None),
        "evaluate --save": (["evaluate", m, "--save"], None),
        "explore": (["explore", "--model", m], "king\nman king woman\n:vector king\n"),
        "import": (["import", m, "-o", out + "-import"], None),
        "import in place": (["import", m], None),
    }


def test_no_command_runs_a_foreign_pickle(runner, tmp_path):
    marker = tmp_path / "PWNED"
    for where, path in places(tmp_path, marker).items():
        for name, (argv, stdin) in commands(path, tmp_path).items():
            result = runner.invoke(app, argv, input=stdin)
            assert not marker.exists(), f"{name} on {where} ran the pickle's code"
            assert "Traceback" not in result.output, (name, where, result.output)
            if where.startswith("dir-indexed=True") and name not in ("similar oov",):
                continue  # answered from the index; the pickle is never needed
            if result.exit_code != 0:
                errors = [x for x in result.stderr.splitlines() if x.startswith("Error: ")]
                assert errors, (name, where, result.output)
                assert "pickle" in errors[0] or "is not" in errors[0], errors[0]
            else:
                assert name in ("evaluate", "export-tsv"), (name, where, result.output)


def test_a_foreign_pickle_is_refused_with_one_line_saying_how_to_convert(runner, tmp_path):
    marker = tmp_path / "PWNED"
    path = tmp_path / "course.kv"
    path.write_bytes(evil_bytes(marker))
    result = runner.invoke(app, ["similar", "영화", "--model", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "runs any code" in lines[0] and f"embedcli import --trust {path}" in lines[0]
    assert not marker.exists()


def test_trust_opens_the_pickle_and_the_import_then_needs_no_trust(runner, tmp_path):
    """--trust is the one way in: the pickle's code runs then (that is the risk it names),
    and the model it becomes opens without it."""
    from gensim.models import KeyedVectors

    source = write_model_dir(tmp_path / "src", indexed=False)
    kv_file = tmp_path / "shared.kv"
    shutil.copy(source / models.VECTORS_FILE, kv_file)
    refused = runner.invoke(app, ["import", str(kv_file), "-o", str(tmp_path / "m")])
    assert refused.exit_code == 1 and "--trust" in refused.stderr
    done = runner.invoke(app, ["import", "--trust", str(kv_file), "-o", str(tmp_path / "m")])
    assert done.exit_code == 0, done.output
    kv = KeyedVectors.load(str(kv_file))
    answer = runner.invoke(app, ["similar", "king", "--model", str(tmp_path / "m"), "-n", "3"])
    assert answer.exit_code == 0, answer.output
    assert kv.most_similar("king", topn=3)[0][0] in answer.stdout

    evil = tmp_path / "evil.kv"
    marker = tmp_path / "PWNED"
    evil.write_bytes(evil_bytes(marker))
    runner.invoke(app, ["import", "--trust", str(evil), "-o", str(tmp_path / "e")])
    assert marker.exists()  # what --trust warns of: the test's proof that the pickle is live


def test_an_old_model_directory_says_how_to_add_the_index(runner, tmp_path):
    model_dir = write_model_dir(tmp_path / "old", indexed=False)
    result = runner.invoke(app, ["similar", "king", "--model", str(model_dir)])
    assert result.exit_code == 1
    assert f"embedcli import --trust {model_dir}" in result.stderr
    added = runner.invoke(app, ["import", "--trust", str(model_dir)])
    assert added.exit_code == 0, added.output
    assert (model_dir / "index" / "vectors.npy").is_file()
    again = runner.invoke(app, ["similar", "king", "--model", str(model_dir), "--format", "tsv"])
    assert_nearest(again, model_dir, ["king"], 7)
