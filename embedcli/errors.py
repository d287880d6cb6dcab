"""Errors a user can act on.

Core modules raise these with a message written for the user at the point the problem is
known: what is wrong and what to do. The CLI prints them as one `Error: ...` line and exits 1;
any other exception is a bug and keeps its traceback.
"""


def cut(text: str, limit: int = 60) -> str:
    """`text`, cut to `limit` characters with its length said when longer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def quoted(text: str, limit: int = 60) -> str:
    """`text` as repr() shows it, cut to about `limit` characters with its length said, so that
    a message about a huge value stays one readable line."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


class EmbedcliError(Exception):
    """A problem with the user's input or environment, explained in the message."""


class CorpusError(EmbedcliError):
    """A corpus is missing, unreadable, empty or in a shape we cannot read."""


class DownloadError(EmbedcliError):
    """A download failed or its checksum did not match."""


class TokenizerError(EmbedcliError):
    """The tokenizer could not start or failed on the input."""


class ModelError(EmbedcliError):
    """A model directory is missing, incomplete or of an unknown format."""


class VocabularyError(EmbedcliError):
    """A query word is not in the model's vocabulary."""


class OutputExistsError(EmbedcliError):
    """An output would overwrite an existing file without --force."""


class OptionsError(EmbedcliError):
    """Options that cannot work together; the CLI reports these as usage errors (exit 2)."""


class EvalSetError(EmbedcliError):
    """An evaluation test set is missing, unreadable, ill-formed or empty."""


class OutputBusyError(EmbedcliError):
    """Another embedcli run is writing the same output right now."""


class DiskFullError(EmbedcliError):
    """The disk (or the file size limit) ran out while writing an output."""


class CorpusOptionsError(CorpusError, OptionsError):
    """A corpus option value that cannot work (--corpus-format xlsx, --text-column 0): exit 2."""


class UnwritablePlaceError(EmbedcliError):
    """An output cannot be written where it should go: a read-only directory, or a file where
    a directory should be."""


class OutOfMemoryError(EmbedcliError):
    """A run needs more memory than the machine has available."""


class UntrustedPickleError(ModelError):
    """A Python pickle embedcli did not write here, and the caller did not say to trust it."""


class ClusterError(EmbedcliError):
    """The Dask cluster given with --cluster cannot be reached, or it lost the work."""
