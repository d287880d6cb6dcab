"""Document vectors and similar documents: one vector per document of a corpus, from a model's
word vectors.

Two weightings:

* ``mean``: the average of the vectors of the document's known tokens (the textbook's).
* ``sif``: smooth inverse frequency (Arora, Liang & Ma 2017). Each token weighs
  ``a / (a + p(w))`` with ``p(w) = count(w) / total`` from the model's word counts (the total
  over its vocabulary) and ``a = 1e-3``; the weighted vectors are averaged, then the first
  principal component of all the document vectors (uncentred, as in the paper's code) is
  removed from every one of them, and from any query built later.

Documents are tokenized exactly as the model's corpus was (the tokenizer options of its card),
so the token cache of that corpus is reused. A document with no known token has no vector: it
is counted, flagged in the table (``known`` = 0) and never ranked. A FastText model builds
tokens it never saw from their character n-grams instead of skipping them; those are counted.

The vectors of the model's own corpus are stored in ``<model dir>/docs/``: ``<weighting>.npy``
(float32, memory-mappable), ``<weighting>.unit.npy`` (the rows scaled to unit length: the
index `similar_docs` searches), ``documents.tsv`` (row, id, label, known tokens, text) and
``docs.json`` (what they were built from; stale files are rebuilt). Each file is written under
a temporary name and renamed into place, ``docs.json`` last.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from embedcli.errors import CorpusError, ModelError, OptionsError, VocabularyError, cut, quoted

WEIGHTINGS = ("mean", "sif")
SIF_A = 1e-3
DOCS_DIR = "docs"
DOCS_FORMAT = 1
TABLE_FILE = "documents.tsv"
META_FILE = "docs.json"
TABLE_COLUMNS = ("row", "id", "label", "known", "text")
DEFAULT_LABEL_COLUMN = "label"
NGRAM_NOTE = "FastText: tokens it never saw were built from their character n-grams"

Status = Callable[[str], None]
Progress = Callable[[str, int, "int | None"], None]


def check_weighting(weighting: str) -> str:
    if weighting not in WEIGHTINGS:
        raise OptionsError(
            f"Unknown weighting {quoted(weighting)}: choose one of {', '.join(WEIGHTINGS)}."
        )
    return weighting


# --- documents of a corpus, tokenized as the model's corpus was ------------------------------


@dataclass
class Documents:
    """The documents of a corpus, in corpus order, with their tokens."""

    source: object  # CorpusSource
    options: object  # TokenizeOptions
    ids: list[str]
    texts: list[str]
    labels: list[str] | None  # None: the corpus has no label column
    label_column: str | None
    tokens: list[list[str]]
    tokens_path: Path
    source_sha256: str


def model_options(stored, tokenizer: str | None = None):
    """The tokenizer options the model's corpus was tokenized with (its card), or the defaults
    of `tokenizer` for vectors without a card."""
    from embedcli.tokens.options import TokenizeOptions, default_options

    found = (stored.card.get("tokenizer") or {}).get("options")
    if isinstance(found, dict) and tokenizer is None:
        values = dict(found)
        values["stopwords"] = tuple(values.get("stopwords", ()))
        try:
            return TokenizeOptions(**values)
        except TypeError:
            raise ModelError(
                f"The tokenizer options in the card of {stored.path} are not ones this embedcli "
                "knows: train the model again."
            ) from None
    return default_options(tokenizer or "okt")


def model_corpus(stored):
    """The corpus the model was trained on, as a readable source; it must be unchanged."""
    from embedcli.corpora.registry import REGISTRY, resolve_corpus
    from embedcli.corpora.source import CorpusSource
    from embedcli.util.atomic import sha256_file

    found = stored.card.get("corpus")
    if not isinstance(found, dict) or not found.get("path"):
        raise ModelError(
            f"{stored.path} does not say which corpus it was trained on: pass --corpus with "
            "the documents to embed."
        )
    path = Path(found["path"])
    if not path.is_file() and found.get("name") in REGISTRY:
        path = resolve_corpus(found["name"]).path
    if not path.is_file():
        raise CorpusError(
            f"The corpus {stored.path.name} was trained on ({path}) is gone: pass --corpus "
            "with the documents to embed."
        )
    source = CorpusSource(
        name=found.get("name") or path.name,
        path=path,
        format=found.get("format", "tsv"),
        text_column=found.get("text_column"),
        lang=found.get("lang"),
        encoding=found.get("encoding", "utf-8"),
    )
    if found.get("sha256") and sha256_file(path) != found["sha256"]:
        raise CorpusError(
            f"The corpus {stored.path.name} was trained on ({path}) has changed since: pass "
            "--corpus with the documents to embed, or train the model again."
        )
    return source


def read_documents(
    source,
    options,
    *,
    label_column: str | None = None,
    require_labels: bool = False,
    workers: int | None = None,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
) -> Documents:
    """The documents of `source` with ids (its `id` column, else the document number), labels
    (`label_column`, default `label` when there is one) and tokens (the token cache, made if
    needed)."""
    from embedcli.corpora.readers import iter_records
    from embedcli.tokens.cache import tokenize_corpus

    ids: list[str] = []
    texts: list[str] = []
    labels: list[str] = []
    columns: set[str] = set()
    wanted = label_column or DEFAULT_LABEL_COLUMN
    for number, (text, fields) in enumerate(iter_records(source), start=1):
        if number == 1:
            columns = set(fields)
        ids.append(fields.get("id") or str(number))
        texts.append(text)
        labels.append(fields.get(wanted, "").strip())
    has_labels = wanted in columns
    if (label_column or require_labels) and not has_labels:
        shown = ", ".join(sorted(columns)) if columns else "none (not a TSV with a header line)"
        raise CorpusError(
            f"Corpus {source.path} has no label column {quoted(wanted)} (its columns: "
            f"{shown}): name the column holding the labels with --label-column."
        )
    stage = f"tokenize ({options.tokenizer})"
    state = {"done": 0, "total": None}

    def started(total: int) -> None:
        state["total"] = total
        if on_progress is not None:
            on_progress(stage, 0, total)

    def advanced(n: int) -> None:
        state["done"] += n
        if on_progress is not None:
            on_progress(stage, state["done"], state["total"])

    tokenized = tokenize_corpus(
        source,
        options,
        workers=workers,
        on_start=started,
        on_progress=advanced,
        on_status=on_status,
    )
    if on_status is not None and tokenized.reused:
        on_status(f"Reusing the tokens of {source.name}: {tokenized.path}")
    with open(tokenized.path, encoding="utf-8") as handle:
        tokens = [line.split() for line in handle]
    if len(tokens) != len(texts):
        raise CorpusError(
            f"The tokens file {tokenized.path} has {len(tokens):,} documents but {source.path} "
            f"has {len(texts):,}: delete the tokens file and run again."
        )
    return Documents(
        source=source,
        options=options,
        ids=ids,
        texts=texts,
        labels=labels if has_labels else None,
        label_column=wanted if has_labels else None,
        tokens=tokens,
        tokens_path=tokenized.path,
        source_sha256=tokenized.meta["source"]["sha256"],
    )


# --- the arithmetic --------------------------------------------------------------------------


@dataclass
class Embedded:
    """Document vectors with what went into them."""

    vectors: np.ndarray  # (documents, dims) float32; zero rows where `known` is 0
    known: np.ndarray  # tokens with a vector, per document
    ngram_tokens: int  # tokens built from character n-grams (FastText), all documents
    component: np.ndarray | None  # SIF: the removed principal component (unit length)


def sif_weights(kv, a: float = SIF_A) -> np.ndarray:
    """a / (a + p(w)) for each vocabulary word, p(w) = count / total of the model's counts."""
    counts = _counts(kv)
    total = counts.sum()
    if total <= 0:
        raise ModelError(
            "The model's word counts are all zero, and SIF weights come from them: use "
            "--weighting mean."
        )
    return (a / (a + counts / total)).astype(np.float64)


def _counts(kv) -> np.ndarray:
    counts = getattr(kv, "expandos", {}).get("count")
    if counts is None or len(counts) != len(kv.index_to_key):
        raise ModelError(
            "The model stores no word counts, and SIF weights come from them: use --weighting mean."
        )
    return np.asarray(counts, dtype=np.float64)


def _builds_ngrams(kv) -> bool:
    return getattr(kv, "bucket", 0) > 0 and hasattr(kv, "vectors_ngrams")


def embed(
    kv,
    documents: Sequence[Sequence[str]],
    weighting: str = "mean",
    *,
    a: float = SIF_A,
    component: np.ndarray | None = None,
) -> Embedded:
    """The vectors of tokenized `documents` (see the module docstring for the weightings).

    With `component` (SIF), that component is removed instead of one computed from these
    documents: a query is embedded with the component of the stored document vectors.
    """
    from scipy import sparse

    check_weighting(weighting)
    index = kv.key_to_index
    vocab = len(kv.index_to_key)
    ngrams = _builds_ngrams(kv)
    weights = sif_weights(kv, a) if weighting == "sif" else np.ones(vocab)
    unseen: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    ngram_tokens = 0
    for row, doc in enumerate(documents):
        for token in doc:
            col = index.get(token)
            if col is None:
                if not ngrams:
                    continue
                col = unseen.setdefault(token, vocab + len(unseen))
                ngram_tokens += 1
            rows.append(row)
            cols.append(col)
    rows_arr = np.asarray(rows, dtype=np.int64)
    cols_arr = np.asarray(cols, dtype=np.int64)
    known = np.bincount(rows_arr, minlength=len(documents)).astype(np.int64)
    # Unseen tokens count zero times in the model: the largest SIF weight, a / (a + 0) = 1.
    all_weights = np.concatenate([weights, np.ones(len(unseen))])
    data = all_weights[cols_arr] / np.maximum(known[rows_arr], 1)
    matrix = sparse.csr_matrix(
        (data, (rows_arr, cols_arr)), shape=(len(documents), vocab + len(unseen))
    )
    table = np.asarray(kv.vectors, dtype=np.float32)
    if unseen:
        built = np.asarray([kv.get_vector(token) for token in unseen], dtype=np.float32)
        table = np.vstack([table, built])
    vectors = np.asarray(matrix @ table.astype(np.float64))
    if weighting == "sif":
        if component is None:
            component = first_component(vectors[known > 0])
        if component is not None:
            vectors -= np.outer(vectors @ component, component)
            vectors[known == 0] = 0.0
    return Embedded(
        vectors=vectors.astype(np.float32),
        known=known,
        ngram_tokens=ngram_tokens,
        component=None if component is None else np.asarray(component, dtype=np.float64),
    )


def first_component(vectors: np.ndarray) -> np.ndarray | None:
    """The first principal component (uncentred: the top right singular vector), unit length."""
    if len(vectors) == 0:
        return None
    gram = vectors.T.astype(np.float64) @ vectors.astype(np.float64)
    values, axes = np.linalg.eigh(gram)
    return axes[:, -1]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


# --- stored document vectors -----------------------------------------------------------------


@dataclass
class DocVectors:
    """One vector per document of a corpus (the model's own by default)."""

    weighting: str
    vectors: np.ndarray  # float32, memory-mapped when stored
    unit: np.ndarray  # the rows at unit length (zero where no token is known)
    known: np.ndarray
    ids: list[str]
    texts: list[str]
    labels: list[str] | None
    component: np.ndarray | None
    ngram_tokens: int
    corpus: str
    path: Path | None  # the docs directory, None when not stored
    reused: bool
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def without_known(self) -> int:
        return int((self.known == 0).sum())

    def __len__(self) -> int:
        return len(self.ids)


def docs_dir(stored) -> Path:
    return stored.path / DOCS_DIR


def _corpus_sha(stored) -> str | None:
    """The checksum of the model's corpus: its card's, else the file's."""
    from embedcli.util.atomic import sha256_file

    corpus = stored.card.get("corpus") or {}
    if corpus.get("sha256"):
        return corpus["sha256"]
    try:
        return sha256_file(Path(corpus["path"]))
    except (KeyError, TypeError, OSError):
        return None


def _model_identity(stored) -> dict:
    return {
        "created_at": stored.card.get("created_at"),
        "vocab_size": stored.vocab_size,
        "vector_size": int(stored.kv.vector_size),
    }


def doc_vectors(
    stored,
    weighting: str = "mean",
    *,
    corpus=None,
    label_column: str | None = None,
    tokenizer: str | None = None,
    force: bool = False,
    workers: int | None = None,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
) -> DocVectors:
    """The document vectors of the model's corpus (stored in its docs/ directory and reused
    while current), or of `corpus` (a CorpusSource; computed, not stored)."""
    import time

    check_weighting(weighting)
    started = time.perf_counter()
    options = model_options(stored, tokenizer)
    storable = corpus is None and not stored.read_only
    source = corpus if corpus is not None else model_corpus(stored)
    if storable:
        from embedcli.util.atomic import check_can_create

        check_can_create(
            docs_dir(stored),
            "document vectors directory",
            "Make the model directory writable.",
        )
        if not force:
            found = _load_stored(stored, weighting, options, label_column)
            if found is not None:
                return found
    documents = read_documents(
        source,
        options,
        label_column=label_column,
        workers=workers,
        on_status=on_status,
        on_progress=on_progress,
    )
    embedded = embed(stored.kv, documents.tokens, weighting)
    unit = unit_rows(embedded.vectors)
    seconds = time.perf_counter() - started
    path = None
    if storable:
        path = _store(stored, weighting, options, documents, embedded, unit, seconds)
        found = _load_stored(stored, weighting, options, label_column)
        if found is not None:
            found.reused = False
            found.seconds = seconds
            return found
    return DocVectors(
        weighting=weighting,
        vectors=embedded.vectors,
        unit=unit,
        known=embedded.known,
        ids=documents.ids,
        texts=documents.texts,
        labels=documents.labels,
        component=embedded.component,
        ngram_tokens=embedded.ngram_tokens,
        corpus=source.name,
        path=path,
        reused=False,
        seconds=seconds,
        notes=_notes(stored, embedded.ngram_tokens),
    )


def _notes(stored, ngram_tokens: int) -> list[str]:
    notes = []
    if ngram_tokens:
        notes.append(f"{NGRAM_NOTE} ({ngram_tokens:,} tokens).")
    if stored.read_only:
        notes.append(
            "The word counts of a vectors file without a card are made up from the order of "
            "its words; SIF weights from them are approximate."
        )
    return notes


def _read_meta(directory: Path) -> dict | None:
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == DOCS_FORMAT else None


def _load_stored(stored, weighting: str, options, label_column: str | None) -> DocVectors | None:
    """The stored vectors if they were built from this model, corpus and tokenizer options."""
    directory = docs_dir(stored)
    meta = _read_meta(directory)
    if meta is None:
        return None
    entry = meta.get("weightings", {}).get(weighting)
    current = (
        entry is not None
        and meta.get("model") == _model_identity(stored)
        and meta.get("corpus_sha256") == _corpus_sha(stored)
        and meta.get("options_fingerprint") == options.fingerprint()
        and (label_column is None or meta.get("label_column") == label_column)
    )
    if not current:
        return None
    try:
        vectors = np.load(directory / entry["file"], mmap_mode="r")
        unit = np.load(directory / entry["index"], mmap_mode="r")
        ids, texts, labels, known = read_table(directory / TABLE_FILE)
    except (OSError, ValueError, KeyError):
        return None  # damaged or half-replaced: build again
    if not (len(vectors) == len(unit) == len(ids) == meta.get("documents")):
        return None
    component = entry.get("component")
    return DocVectors(
        weighting=weighting,
        vectors=vectors,
        unit=unit,
        known=known,
        ids=ids,
        texts=texts,
        labels=labels if meta.get("label_column") else None,
        component=None if component is None else np.asarray(component, dtype=np.float64),
        ngram_tokens=int(entry.get("ngram_tokens", 0)),
        corpus=meta.get("corpus_name", ""),
        path=directory,
        reused=True,
        seconds=0.0,
        notes=_notes(stored, int(entry.get("ngram_tokens", 0))),
    )


def _cell(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def read_table(path: Path) -> tuple[list[str], list[str], list[str], np.ndarray]:
    ids: list[str] = []
    texts: list[str] = []
    labels: list[str] = []
    known: list[int] = []
    with open(path, encoding="utf-8") as handle:
        header = next(handle).rstrip("\n").split("\t")
        if tuple(header) != TABLE_COLUMNS:
            raise ValueError("not a documents table")
        for line in handle:
            _, doc_id, label, count, text = line.rstrip("\n").split("\t", 4)
            ids.append(doc_id)
            labels.append(label)
            known.append(int(count))
            texts.append(text)
    return ids, texts, labels, np.asarray(known, dtype=np.int64)


def _store(stored, weighting, options, documents, embedded, unit, seconds) -> Path:
    from embedcli.util.atomic import atomic_file, output_lock

    directory = docs_dir(stored)
    with output_lock(directory, "document vectors directory", "--model"):
        directory.mkdir(exist_ok=True)
        meta = _read_meta(directory) or {}
        same = (
            meta.get("model") == _model_identity(stored)
            and meta.get("corpus_sha256") == documents.source_sha256
            and meta.get("options_fingerprint") == options.fingerprint()
            and meta.get("label_column") == documents.label_column
        )
        entries = meta.get("weightings", {}) if same else {}
        files = {"file": f"{weighting}.npy", "index": f"{weighting}.unit.npy"}
        for name, matrix in ((files["file"], embedded.vectors), (files["index"], unit)):
            with atomic_file(directory / name, force=True) as tmp, open(tmp, "wb") as handle:
                np.save(handle, np.asarray(matrix, dtype=np.float32))
        with atomic_file(directory / TABLE_FILE, force=True) as tmp:
            labels = documents.labels or [""] * len(documents.ids)
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write("\t".join(TABLE_COLUMNS) + "\n")
                for row, (doc_id, label, count, text) in enumerate(
                    zip(documents.ids, labels, embedded.known, documents.texts, strict=True)
                ):
                    handle.write(
                        f"{row}\t{_cell(doc_id)}\t{_cell(label)}\t{count}\t{_cell(text)}\n"
                    )
        entries[weighting] = dict(
            files,
            a=SIF_A if weighting == "sif" else None,
            component=None if embedded.component is None else embedded.component.tolist(),
            without_known=int((embedded.known == 0).sum()),
            ngram_tokens=embedded.ngram_tokens,
            seconds=round(seconds, 3),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        meta = {
            "format": DOCS_FORMAT,
            "model": _model_identity(stored),
            "corpus_name": documents.source.name,
            "corpus_sha256": documents.source_sha256,
            "options_fingerprint": options.fingerprint(),
            "tokens_file": str(documents.tokens_path),
            "label_column": documents.label_column,
            "documents": len(documents.ids),
            "weightings": entries,
        }
        with atomic_file(directory / META_FILE, force=True) as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return directory


# --- similar documents -----------------------------------------------------------------------


@dataclass(frozen=True)
class DocMatch:
    rank: int
    row: int
    id: str
    score: float
    text: str
    label: str | None


@dataclass
class SimilarDocs:
    question: str
    tokens: list[str]  # the query's tokens (text queries)
    matches: list[DocMatch]
    unranked: int  # documents without a known token, left out of the ranking
    notes: list[str]


def query_vector(stored, docs: DocVectors, text: str, tokenizer: str | None = None):
    """The unit vector of `text`, tokenized and weighted as the documents were."""
    from embedcli.tokens.runner import DocumentTokenizer

    tokens = DocumentTokenizer(model_options(stored, tokenizer))(text)
    embedded = embed(stored.kv, [tokens], docs.weighting, component=docs.component)
    if embedded.known[0] == 0:
        shown = " ".join(tokens) if tokens else "(no tokens)"
        raise VocabularyError(
            f"None of the tokens of {quoted(text)} ({cut(shown)}) is in the vocabulary of "
            f"{stored.name}: give a text with more common words."
        )
    return unit_rows(embedded.vectors)[0], tokens, embedded.ngram_tokens


def similar_docs(
    stored,
    docs: DocVectors,
    *,
    text: str | None = None,
    doc_id: str | None = None,
    topn: int = 10,
    tokenizer: str | None = None,
) -> SimilarDocs:
    """The `topn` documents nearest by cosine to `text` or to the document `doc_id`."""
    if (text is None) == (doc_id is None):
        raise OptionsError("Give either a TEXT or --id N, not both and not neither.")
    if topn < 1:
        raise OptionsError(f"--topn {topn} shows nothing: give 1 or more.")
    notes = list(docs.notes)
    tokens: list[str] = []
    exclude = -1
    if doc_id is not None:
        try:
            exclude = docs.ids.index(str(doc_id))
        except ValueError:
            raise VocabularyError(
                f"No document has the id {quoted(str(doc_id))} in {docs.corpus} "
                f"({len(docs):,} documents; ids such as {', '.join(docs.ids[:3])})."
            ) from None
        if docs.known[exclude] == 0:
            raise VocabularyError(
                f"Document {doc_id} has no token in the vocabulary, so it has no vector: "
                "choose another document."
            )
        target = np.asarray(docs.unit[exclude], dtype=np.float32)
        question = f"document {doc_id}: {cut(docs.texts[exclude])}"
    else:
        target, tokens, built = query_vector(stored, docs, text, tokenizer)
        target = target.astype(np.float32)
        question = cut(text)
        if built:
            notes.append(f"{NGRAM_NOTE} ({built} in the query).")
    scores = np.asarray(docs.unit @ target, dtype=np.float64)
    unranked = docs.known == 0
    scores[unranked] = -np.inf
    if exclude >= 0:
        scores[exclude] = -np.inf
    rankable = len(scores) - int(unranked.sum()) - (exclude >= 0)
    k = min(topn, rankable)
    if k <= 0:
        best = np.array([], dtype=np.int64)
    else:
        top = np.argpartition(-scores, k - 1)[:k]
        best = top[np.lexsort((top, -scores[top]))]
    matches = [
        DocMatch(
            rank=rank,
            row=int(row),
            id=docs.ids[row],
            score=float(scores[row]),
            text=docs.texts[row],
            label=None if docs.labels is None else docs.labels[row],
        )
        for rank, row in enumerate(best, start=1)
    ]
    if unranked.any():
        notes.append(f"{int(unranked.sum()):,} documents without a known token are not ranked.")
    return SimilarDocs(question, tokens, matches, int(unranked.sum()), notes)


# --- the Projector ---------------------------------------------------------------------------

TEXT_LIMIT = 100  # characters of a document shown as its label in the Projector


def export_docs(docs: DocVectors, out_dir: Path, *, model_name: str, force: bool = False):
    """tensor.tsv (document vectors), metadata.tsv (`text<TAB>label` with a header) and the
    Projector configs; documents without a known token are left out."""
    from embedcli.errors import OutputExistsError
    from embedcli.export import (
        CONFIG_JSON_FILE,
        CONFIG_PBTXT_FILE,
        EXPORT_FILES,
        METADATA_FILE,
        TENSOR_FILE,
        ExportResult,
        _config_json,
        _config_pbtxt,
        _write_tensor,
        projector_label,
    )
    from embedcli.util.atomic import atomic_file, check_writable, list_names

    rows = np.flatnonzero(docs.known > 0)
    if len(rows) == 0:
        raise CorpusError("No document has a known token, so there is nothing to export.")
    out_dir = Path(out_dir)
    if out_dir.is_dir():
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in EXPORT_FILES)
        if others:
            raise OutputExistsError(
                f"Output directory {out_dir} already holds files that are not an export "
                f"({list_names(others)}): choose a new or empty --output-dir."
            )
    names = (TENSOR_FILE, METADATA_FILE, CONFIG_PBTXT_FILE, CONFIG_JSON_FILE)
    targets = [out_dir / name for name in names]
    for target in targets:
        check_writable(target, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    tensor_name = f"{model_name}-docs-{docs.weighting}"
    labels = docs.labels or [""] * len(docs)
    metadata = "text\tlabel\n" + "".join(
        f"{projector_label(_short(docs.texts[r]))}\t{projector_label(labels[r] or '-')}\n"
        for r in rows
    )
    dims = int(docs.vectors.shape[1])
    with atomic_file(targets[0], force=force) as tmp:
        _write_tensor(tmp, np.asarray(docs.vectors[rows], dtype=np.float32))
    with atomic_file(targets[1], force=force) as tmp:
        tmp.write_bytes(metadata.encode("utf-8"))
    with atomic_file(targets[2], force=force) as tmp:
        tmp.write_bytes(_config_pbtxt(tensor_name, len(rows), dims).encode("ascii"))
    with atomic_file(targets[3], force=force) as tmp:
        tmp.write_bytes(_config_json(tensor_name, len(rows), dims).encode("utf-8"))
    return ExportResult(
        out_dir=out_dir,
        tensor_path=targets[0],
        metadata_path=targets[1],
        config_pbtxt_path=targets[2],
        config_json_path=targets[3],
        tensor_name=tensor_name,
        rows=len(rows),
        dims=dims,
        escaped_labels=0,
    )


def _short(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
