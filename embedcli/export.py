"""Export word vectors for the TensorFlow Embedding Projector.

`export_projector` writes a directory that both Projector front ends can open:

* TensorBoard's projector plugin: run ``tensorboard --logdir <out_dir>``. The plugin reads
  ``projector_config.pbtxt`` from the log directory, resolves the paths in it relative to that
  file and reads a ``tensor_path`` TSV itself, so no TensorFlow checkpoint (and no TensorFlow
  install) is needed. It serves at most the first 100,000 rows.
* The standalone Projector (projector.tensorflow.org or a self-hosted copy) reads
  ``projector_config.json``. It fetches the paths in that file relative to the *page*, not to
  the JSON file, so when the files are hosted elsewhere the two paths must be edited into
  absolute URLs. ``tensor.tsv`` and ``metadata.tsv`` can also be loaded by hand with "Load".

How the Projector reads the files (tensorboard/plugins/projector/vz_projector/
data-provider.ts, and projector_plugin.py for TensorBoard), and what that means here:

* Both TSV files are split into lines on ``\\n`` only (``streamParse``); TensorBoard's
  server first decodes the metadata with Python universal newlines, so a lone ``\\r`` ends a
  line there too. Lines that are empty or whitespace-only after JavaScript ``trim()`` are
  dropped, which would shift every later label onto the wrong vector.
* ``parseMetadata`` treats the first kept line as a header exactly when it contains a tab and
  then splits every line into columns on tabs. A single-column file therefore has no header
  and a tab inside a word would turn it into a header or a second column.
* ``parseTensors`` (standalone) splits rows on tabs and takes the first field as a label when
  it is not a number; TensorBoard's ``_read_tensor_tsv_file`` calls ``float`` on every field.
  Vectors are therefore written as plain numbers (``%.6g``, about six significant digits,
  relative error below 5e-6) and NaN or infinite values are refused: JavaScript reads
  neither ``nan`` nor ``inf``.

Label escaping, so that every word keeps exactly one line and one column, in kv order:

* Control characters (Unicode category Cc), U+2028, U+2029, U+FEFF and lone surrogates are
  written as backslash escapes: ``\\t``, ``\\n`` and ``\\r`` for tab, line feed and carriage
  return, ``\\xNN`` or ``\\uNNNN`` for the rest. So "a<TAB>b" is shown as ``a\\tb``.
* A word that is empty or only whitespace after that is shown in double quotes, with every
  character other than a plain space written as ``\\uNNNN``: "" becomes ``""``, " " becomes
  ``" "`` and an ideographic space becomes ``"\\u3000"``.
* Backslashes and quotes already in words are left alone, so escaped labels are for reading,
  not for turning back into the exact word; `ExportResult.escaped_labels` counts them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from embedcli.errors import EmbedcliError, OptionsError, OutputExistsError
from embedcli.util.atomic import atomic_file, check_writable, list_names

TENSOR_FILE = "tensor.tsv"
METADATA_FILE = "metadata.tsv"
CONFIG_PBTXT_FILE = "projector_config.pbtxt"
CONFIG_JSON_FILE = "projector_config.json"
EXPORT_FILES = (TENSOR_FILE, METADATA_FILE, CONFIG_PBTXT_FILE, CONFIG_JSON_FILE)

FLOAT_FORMAT = "%.6g"
"""Text format of one vector component: compact, and within 5e-6 relative of the float32."""

_ROWS_PER_WRITE = 4096

# TensorBoard puts the tensor name unescaped into request URLs (`...&name=<tensor_name>`), so
# these characters would cut or alter it on the way back to the server.
_URL_UNSAFE = re.compile(r"[&#%+?\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ExportResult:
    """What `export_projector` wrote."""

    out_dir: Path
    tensor_path: Path
    metadata_path: Path
    config_pbtxt_path: Path
    config_json_path: Path
    tensor_name: str
    rows: int
    dims: int
    escaped_labels: int

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.tensor_path, self.metadata_path, self.config_pbtxt_path, self.config_json_path)


def _build_escape_table() -> dict[int, str]:
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    table: dict[int, str] = {}
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, *range(0xD800, 0xE000)]:
        char = chr(code)
        if char in named:
            table[code] = named[char]
        elif code < 0x100:
            table[code] = f"\\x{code:02x}"
        else:
            table[code] = f"\\u{code:04x}"
    return table


_ESCAPES = _build_escape_table()


def projector_label(word: object) -> str:
    """The label shown for `word`: one line, no tab, never blank (see the module docstring)."""
    label = str(word).translate(_ESCAPES)
    if label.strip():
        return label
    return '"' + "".join(" " if char == " " else f"\\u{ord(char):04x}" for char in label) + '"'


def check_export_place(target: Path) -> None:
    """Before any work: the export directory and its lock can be written."""
    from embedcli.util.atomic import check_can_create

    how = "Choose another --output-dir, or make that directory writable."
    check_can_create(target, "export directory", how)  # its lock goes next to it
    check_can_create(target, "export directory", how, inside=True)  # its files go in it


def check_top_n(top_n: int | None) -> None:
    if top_n is not None and top_n < 1:
        raise OptionsError(
            f"--top-n {top_n} exports no words: give 1 or more, or leave it out for all."
        )


def export_projector(
    kv: KeyedVectors,
    out_dir: Path,
    *,
    model_name: str,
    top_n: int | None = None,
    with_counts: bool = False,
    force: bool = False,
) -> ExportResult:
    """Write `kv` into `out_dir` for the Embedding Projector and return what was written.

    Files, all written under a temporary name and renamed into place:
    ``tensor.tsv`` (one row of tab-separated numbers per word, no header), ``metadata.tsv``
    (one label per line and no header; with `with_counts`, a ``word<TAB>count`` header and
    two columns), ``projector_config.pbtxt`` (TensorBoard) and ``projector_config.json``
    (standalone Projector), both with paths relative to `out_dir`.

    Rows follow ``kv.index_to_key`` (most frequent first in gensim models); `top_n` keeps only
    the first N. `model_name` becomes the tensor name; characters that would break
    TensorBoard's request URLs (``& # % + ?`` and control characters) are replaced by ``_``.
    Counts come from the model's ``count`` attribute. Models read from the word2vec format
    without a vocabulary file carry made-up counts (gensim fills in descending numbers).

    Raises EmbedcliError for a bad `top_n` or `model_name`, an empty model, fewer than two
    dimensions, NaN/infinite values, or missing counts, and OutputExistsError when an output
    file exists and `force` is false; in all these cases nothing is written.
    """
    if top_n is not None and top_n < 1:
        raise EmbedcliError(
            f"Cannot export the top {top_n} words: give a number of words of at least 1, "
            "or leave it out to export every word."
        )
    tensor_name = _URL_UNSAFE.sub("_", model_name).strip()
    if not tensor_name.strip("_"):
        raise EmbedcliError(
            f"Model name {model_name!r} cannot name the exported tensor: give a name with "
            "letters or digits."
        )

    keys = kv.index_to_key if top_n is None else kv.index_to_key[:top_n]
    rows = len(keys)
    dims = int(kv.vector_size)
    if rows == 0:
        raise EmbedcliError(
            "The model has no words, so there is nothing to export: "
            "check that the right model was loaded."
        )
    if dims < 2:
        raise EmbedcliError(
            f"The model has {dims}-dimensional vectors but the Projector needs at least 2: "
            "export a model trained with a larger vector size."
        )
    vectors = np.asarray(kv.vectors[:rows], dtype=np.float32)
    bad_rows = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if bad_rows.size:
        raise EmbedcliError(
            f"{bad_rows.size} word vectors contain NaN or infinite values (first: "
            f"{keys[bad_rows[0]]!r}), which the Projector cannot read: retrain the model or "
            "export fewer words with --top-n."
        )

    labels = [projector_label(key) for key in keys]
    escaped = sum(label != str(key) for label, key in zip(labels, keys, strict=True))
    if with_counts:
        counts = _counts(kv, keys)
        metadata = "word\tcount\n" + "".join(
            f"{label}\t{count}\n" for label, count in zip(labels, counts, strict=True)
        )
    else:
        metadata = "".join(f"{label}\n" for label in labels)

    out_dir = Path(out_dir)
    targets = [
        out_dir / name for name in (TENSOR_FILE, METADATA_FILE, CONFIG_PBTXT_FILE, CONFIG_JSON_FILE)
    ]
    if out_dir.exists() and not out_dir.is_dir():
        raise EmbedcliError(
            f"Output directory {out_dir} is an existing file: choose a directory path."
        )
    if out_dir.is_dir():
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in EXPORT_FILES)
        if others:
            raise OutputExistsError(
                f"Output directory {out_dir} already holds files that are not an export "
                f"({list_names(others)}); embedcli will not put its files beside them, even "
                f"with --force: choose a new or empty --output-dir (e.g. {out_dir / 'projector'})."
            )
    for target in targets:
        if target.is_dir():
            raise EmbedcliError(
                f"{target} is a directory, so the export cannot be written there: remove it "
                "or choose another output directory."
            )
        check_writable(target, force)
    out_dir.mkdir(parents=True, exist_ok=True)

    tensor_path, metadata_path, pbtxt_path, json_path = targets
    # Data first, configs last: a config never points at files that were not written.
    with atomic_file(tensor_path, force=force) as tmp:
        _write_tensor(tmp, vectors)
    with atomic_file(metadata_path, force=force) as tmp:
        tmp.write_bytes(metadata.encode("utf-8"))
    with atomic_file(pbtxt_path, force=force) as tmp:
        tmp.write_bytes(_config_pbtxt(tensor_name, rows, dims).encode("ascii"))
    with atomic_file(json_path, force=force) as tmp:
        tmp.write_bytes(_config_json(tensor_name, rows, dims).encode("utf-8"))

    return ExportResult(
        out_dir=out_dir,
        tensor_path=tensor_path,
        metadata_path=metadata_path,
        config_pbtxt_path=pbtxt_path,
        config_json_path=json_path,
        tensor_name=tensor_name,
        rows=rows,
        dims=dims,
        escaped_labels=escaped,
    )


def _counts(kv: KeyedVectors, keys: list) -> list[int]:
    try:
        values = [kv.get_vecattr(key, "count") for key in keys]
    except KeyError:
        raise EmbedcliError(
            "Word counts are not stored in this model, so they cannot be exported: "
            "export without counts."
        ) from None
    try:
        return [int(value) for value in values]
    except (TypeError, ValueError):
        raise EmbedcliError(
            "Some word counts in this model are missing or not numbers: export without counts."
        ) from None


def _write_tensor(path: Path, vectors: np.ndarray) -> None:
    with open(path, "wb") as handle:
        for start in range(0, len(vectors), _ROWS_PER_WRITE):
            block = vectors[start : start + _ROWS_PER_WRITE]
            np.savetxt(handle, block, fmt=FLOAT_FORMAT, delimiter="\t", newline="\n")


def _pbtxt_string(text: str) -> str:
    """A protobuf text-format string literal; non-ASCII is written as octal UTF-8 bytes."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _config_pbtxt(tensor_name: str, rows: int, dims: int) -> str:
    # Field names from tensorboard/plugins/projector/projector_config.proto (EmbeddingInfo).
    return (
        "embeddings {\n"
        f"  tensor_name: {_pbtxt_string(tensor_name)}\n"
        f"  tensor_path: {_pbtxt_string(TENSOR_FILE)}\n"
        f"  metadata_path: {_pbtxt_string(METADATA_FILE)}\n"
        f"  tensor_shape: {rows}\n"
        f"  tensor_shape: {dims}\n"
        "}\n"
    )


def _config_json(tensor_name: str, rows: int, dims: int) -> str:
    # Field names from the ProjectorConfig / EmbeddingInfo interfaces in data-provider.ts.
    config = {
        "embeddings": [
            {
                "tensorName": tensor_name,
                "tensorShape": [rows, dims],
                "tensorPath": TENSOR_FILE,
                "metadataPath": METADATA_FILE,
            }
        ]
    }
    return json.dumps(config, ensure_ascii=False, indent=2) + "\n"
