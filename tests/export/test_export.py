"""Tests for embedcli.export: files the Embedding Projector reads back row for row."""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.errors import EmbedcliError, OutputExistsError
from embedcli.export import (
    CONFIG_JSON_FILE,
    CONFIG_PBTXT_FILE,
    METADATA_FILE,
    TENSOR_FILE,
    export_projector,
    projector_label,
)
from tests.conftest import keyed_vectors

# --- Python mirrors of the Projector's readers -----------------------------------------------
# From tensorflow/tensorboard, tensorboard/plugins/projector/vz_projector/data-provider.ts:
# `streamParse` (split on "\n"), `parseMetadata` and `parseTensors`; and from
# tensorboard/plugins/projector/projector_plugin.py: `_read_tensor_tsv_file` and
# `_serve_metadata`, which read through the GFile stub (text mode, universal newlines).
# `streamParse` decodes the file in 1 MB chunks; the test files are far smaller than one chunk.

# Characters JavaScript's String.prototype.trim() removes (WhiteSpace and LineTerminator).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def js_number(text: str) -> float:
    """JavaScript Number(string) for the forms a TSV can hold."""
    text = js_trim(text)
    if text == "":
        return 0.0
    if text in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if text[0] == "-" else math.inf
    if JS_DECIMAL.fullmatch(text):
        return float(text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", text):
        return float(int(text, 0))
    return math.nan


def stream_lines(text: str) -> list[str]:
    """streamParse: every piece between "\\n"s; the last piece only when it is not empty."""
    parts = text.split("\n")
    return parts[:-1] if parts[-1] == "" else parts


def parse_metadata(text: str) -> tuple[list[str], list[dict[str, str | None]]]:
    """parseMetadata: column names and one dict per data point."""
    points: list[dict[str, str | None]] = []
    line_number = 0
    columns = ["label"]
    for line in stream_lines(text):
        if len(js_trim(line)) == 0:
            continue
        if line_number == 0 and "\t" in line:
            columns = line.split("\t")
            line_number += 1
            continue
        line_number += 1
        values = line.split("\t")
        points.append(
            {
                name: (values[i] or None) if i < len(values) else None
                for i, name in enumerate(columns)
            }
        )
    return columns, points


def parse_tensors(text: str) -> tuple[list[str | None], np.ndarray]:
    """parseTensors: (label taken from the first field or None, vector) per data point."""
    labels: list[str | None] = []
    vectors: list[list[float]] = []
    num_dim = None
    for line in stream_lines(text):
        line = js_trim(line)
        if line == "":
            continue
        row = line.split("\t")
        if math.isnan(js_number(row[0])) or num_dim == len(row) - 1:
            labels.append(row[0])
            vector = [js_number(value) for value in row[1:]]
        else:
            labels.append(None)
            vector = [js_number(value) for value in row]
        vectors.append(vector)
        if num_dim is None:
            num_dim = len(vector)
        assert num_dim == len(vector), "Parsing failed. Vector dimensions do not match"
        assert num_dim > 1, "Parsing failed. Found a vector with only one dimension?"
    return labels, np.array(vectors, dtype=np.float32)


def tensorboard_read_tensor(path: Path) -> np.ndarray:
    """_read_tensor_tsv_file."""
    rows = []
    with open(path, encoding="utf8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line:
                rows.append(list(map(float, line.split("\t"))))
    return np.array(rows, dtype=np.float32)


def tensorboard_served_metadata(path: Path, num_rows: int = 100_000) -> str:
    """_serve_metadata with the front end's num_rows=LIMIT_NUM_POINTS."""
    lines: list[str] = []
    header_rows = 0
    with open(path, encoding="utf8") as handle:
        for line in handle:
            lines.append(line)
            if len(lines) == 1 and "\t" in lines[0]:
                header_rows = 1
            if num_rows and len(lines) >= num_rows + header_rows:
                break
    return "".join(lines)


def read_standalone(out_dir: Path) -> tuple[list[str | None], np.ndarray]:
    """Labels and vectors as the standalone Projector pairs them (single-column metadata)."""
    tensor_labels, vectors = parse_tensors((out_dir / TENSOR_FILE).read_bytes().decode("utf-8"))
    assert tensor_labels == [None] * len(tensor_labels), "a tensor row was read as a label"
    columns, points = parse_metadata((out_dir / METADATA_FILE).read_bytes().decode("utf-8"))
    assert columns == ["label"]
    return [point["label"] for point in points], vectors


def read_tensorboard(out_dir: Path) -> tuple[list[str | None], np.ndarray]:
    columns, points = parse_metadata(tensorboard_served_metadata(out_dir / METADATA_FILE))
    assert columns == ["label"]
    return [point["label"] for point in points], tensorboard_read_tensor(out_dir / TENSOR_FILE)


# --- fixtures ---------------------------------------------------------------------------------

KOREAN = ["최민식", "영화", "배우", "연기", "감동", "송강호"]


def make_kv(words: list[str], dims: int = 4, counts: list[int] | None = None) -> KeyedVectors:
    """Random vectors whose magnitudes span ten orders, so number formatting is exercised."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(len(words), dims)) * 10.0 ** rng.integers(-6, 4, (len(words), 1))
    if counts is not None:
        assert len(counts) == len(words)
    return keyed_vectors(dict(zip(words, vectors.tolist(), strict=True)), counts)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- the parser mirrors behave like the Projector -----------------------------------------------


def test_mirror_drops_blank_lines_and_detects_header():
    assert parse_metadata("a\n\n \nb\n") == (["label"], [{"label": "a"}, {"label": "b"}])
    assert parse_metadata("a\tb\nc\td\n") == (["a", "b"], [{"a": "c", "b": "d"}])
    labels, vectors = parse_tensors("x\t1\t2\n-1\t0.5e1\n")
    assert labels == ["x", None] and vectors.tolist() == [[1, 2], [-1, 5]]


# --- round trips ----------------------------------------------------------------------------


def test_round_trip_keeps_rows_vectors_and_labels_in_order(tmp_path):
    kv = make_kv(KOREAN)
    kv.vectors[0, :3] = [0.0, -0.0, 1e-30]
    result = export_projector(kv, tmp_path / "out", model_name="nsmc")

    assert (result.rows, result.dims, result.escaped_labels) == (len(KOREAN), 4, 0)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [TENSOR_FILE, METADATA_FILE, CONFIG_PBTXT_FILE, CONFIG_JSON_FILE]
    )
    assert all(path.is_file() for path in result.files)
    for read in (read_standalone, read_tensorboard):
        labels, vectors = read(tmp_path / "out")
        assert labels == KOREAN
        assert vectors.shape == (len(KOREAN), 4)
        assert np.allclose(vectors, kv.vectors, rtol=1e-5, atol=0)


def test_nasty_words_keep_alignment_and_show_escapes(tmp_path):
    words = ["최민식", "", "영화", " ", "a\tb", "a\nb", "x\r", "배우", "\u3000", "\ufeff",
             "a\u2028b", "\r\n", "끝"]  # fmt: skip
    expected = ["최민식", '""', "영화", '" "', "a\\tb", "a\\nb", "x\\r", "배우", '"\\u3000"',
                "\\ufeff", "a\\u2028b", "\\r\\n", "끝"]  # fmt: skip
    kv = make_kv(words)
    result = export_projector(kv, tmp_path, model_name="nasty")

    assert result.rows == len(words)
    assert result.escaped_labels == sum(a != b for a, b in zip(words, expected, strict=True))
    assert [projector_label(word) for word in words] == expected
    for read in (read_standalone, read_tensorboard):
        labels, vectors = read(tmp_path)
        assert labels == expected
        assert np.allclose(vectors, np.stack([kv[word] for word in words]), rtol=1e-5, atol=0)


def test_with_counts_writes_header_and_counts(tmp_path):
    words = ["최민식", "a\tb", "", "영화"]
    counts = [120, 30, 7, 5]
    kv = make_kv(words, counts=counts)
    export_projector(kv, tmp_path, model_name="nsmc", with_counts=True)

    text = (tmp_path / METADATA_FILE).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "word\tcount"
    for served in (text, tensorboard_served_metadata(tmp_path / METADATA_FILE)):
        columns, points = parse_metadata(served)
        assert columns == ["word", "count"]
        assert [p["word"] for p in points] == ["최민식", "a\\tb", '""', "영화"]
        assert [p["count"] for p in points] == ["120", "30", "7", "5"]
    assert len(tensorboard_read_tensor(tmp_path / TENSOR_FILE)) == len(words)


def test_with_counts_needs_counts_in_the_model(tmp_path):
    with pytest.raises(EmbedcliError, match="counts are not stored"):
        export_projector(make_kv(KOREAN), tmp_path / "out", model_name="m", with_counts=True)
    assert not (tmp_path / "out").exists()


def test_top_n_keeps_the_first_words(tmp_path):
    kv = make_kv(KOREAN, counts=[60, 50, 40, 30, 20, 10])
    result = export_projector(kv, tmp_path / "a", model_name="m", top_n=2, with_counts=True)
    assert result.rows == 2
    _, points = parse_metadata((tmp_path / "a" / METADATA_FILE).read_text("utf-8"))
    assert [(p["word"], p["count"]) for p in points] == [("최민식", "60"), ("영화", "50")]
    _, vectors = parse_tensors((tmp_path / "a" / TENSOR_FILE).read_text("utf-8"))
    assert np.allclose(vectors, kv.vectors[:2], rtol=1e-5, atol=0)

    assert export_projector(kv, tmp_path / "b", model_name="m", top_n=100).rows == len(KOREAN)


@pytest.mark.parametrize("top_n", [0, -3])
def test_top_n_below_one_is_an_error(tmp_path, top_n):
    with pytest.raises(EmbedcliError, match="at least 1"):
        export_projector(make_kv(KOREAN), tmp_path / "out", model_name="m", top_n=top_n)
    assert not (tmp_path / "out").exists()


# --- overwriting ----------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [METADATA_FILE, CONFIG_JSON_FILE])
def test_refuses_to_overwrite_without_force_and_writes_nothing(tmp_path, existing):
    (tmp_path / existing).write_text("keep me\n", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(OutputExistsError, match="already exists"):
        export_projector(make_kv(KOREAN), tmp_path, model_name="m")
    assert snapshot(tmp_path) == before


def test_second_export_without_force_leaves_first_untouched(tmp_path):
    export_projector(make_kv(KOREAN), tmp_path, model_name="m")
    before = snapshot(tmp_path)
    with pytest.raises(OutputExistsError):
        export_projector(make_kv(KOREAN[:2]), tmp_path, model_name="other")
    assert snapshot(tmp_path) == before


def test_force_replaces_every_file(tmp_path):
    export_projector(make_kv(KOREAN), tmp_path, model_name="m")
    result = export_projector(make_kv(KOREAN), tmp_path, model_name="m2", top_n=3, force=True)
    labels, vectors = read_standalone(tmp_path)
    assert labels == KOREAN[:3] and vectors.shape == (3, 4)
    assert json.loads((tmp_path / CONFIG_JSON_FILE).read_text("utf-8"))["embeddings"][0][
        "tensorShape"
    ] == [3, 4]
    assert "m2" in (tmp_path / CONFIG_PBTXT_FILE).read_text("ascii")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in result.files)


# --- configs --------------------------------------------------------------------------------


def test_configs_use_relative_paths_and_the_right_shape(tmp_path):
    result = export_projector(make_kv(KOREAN, dims=5), tmp_path / "out", model_name="nsmc")

    config = json.loads(result.config_json_path.read_text(encoding="utf-8"))
    assert config == {
        "embeddings": [
            {
                "tensorName": "nsmc",
                "tensorShape": [len(KOREAN), 5],
                "tensorPath": TENSOR_FILE,
                "metadataPath": METADATA_FILE,
            }
        ]
    }
    pbtxt = result.config_pbtxt_path.read_text(encoding="ascii")
    assert pbtxt == (
        "embeddings {\n"
        '  tensor_name: "nsmc"\n'
        '  tensor_path: "tensor.tsv"\n'
        '  metadata_path: "metadata.tsv"\n'
        f"  tensor_shape: {len(KOREAN)}\n"
        "  tensor_shape: 5\n"
        "}\n"
    )
    assert str(tmp_path) not in pbtxt and str(tmp_path) not in json.dumps(config)


def test_model_name_is_escaped_in_pbtxt_and_made_url_safe(tmp_path):
    name = 'w2v "네이버" \\ a+b&c'
    result = export_projector(make_kv(KOREAN), tmp_path, model_name=name)
    assert result.tensor_name == 'w2v "네이버" \\ a_b_c'

    pbtxt = result.config_pbtxt_path.read_text(encoding="ascii")
    literal = re.search(r'tensor_name: "((?:[^"\\]|\\.)*)"\n', pbtxt).group(1)
    assert codecs.escape_decode(literal.encode("ascii"))[0].decode("utf-8") == result.tensor_name
    config = json.loads(result.config_json_path.read_text(encoding="utf-8"))
    assert config["embeddings"][0]["tensorName"] == result.tensor_name


# --- refused inputs -------------------------------------------------------------------------


def test_refused_inputs_write_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(EmbedcliError, match="cannot name"):
        export_projector(make_kv(KOREAN), out, model_name="  ")
    with pytest.raises(EmbedcliError, match="at least 2"):
        export_projector(make_kv(KOREAN, dims=1), out, model_name="m")
    with pytest.raises(EmbedcliError, match="no words"):
        export_projector(KeyedVectors(vector_size=4), out, model_name="m")
    kv = make_kv(KOREAN)
    kv.vectors[2, 1] = np.nan
    with pytest.raises(EmbedcliError, match="NaN or infinite.*'배우'"):
        export_projector(kv, out, model_name="m")
    assert not out.exists()
    assert export_projector(kv, out, model_name="m", top_n=2).rows == 2


def test_output_dir_that_is_a_file_is_an_error(tmp_path):
    (tmp_path / "out").write_text("x", encoding="utf-8")
    with pytest.raises(EmbedcliError, match="is an existing file"):
        export_projector(make_kv(KOREAN), tmp_path / "out", model_name="m")
