"""Opening corpus files: plain, gzip or alone in a zip; sniffing their format and encoding,
refusing binary files and bad bytes with the offset and line of the problem."""

from __future__ import annotations

import bz2
import codecs
import difflib
import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from embedcli.errors import CorpusError, OptionsError, quoted

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
SNIFF_CHARS = 65_536  # how much of a file's start decides its format
SNIFF_BYTES = 65_536  # how much of a file's start decides its encoding


# Compressed formats: what their files start with, their usual suffixes, and whether
# embedcli reads them.
_COMPRESSED = (
    (GZIP_MAGIC, "gzip", (".gz", ".tgz"), True),
    (ZIP_MAGIC, "zip", (".zip",), True),
    (b"BZh", "bzip2", (".bz2",), True),
    (b"\xfd7zXZ\x00", "xz", (".xz",), False),
    (b"\x28\xb5\x2f\xfd", "zstd", (".zst",), False),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip", (".7z",), False),
)


def _mislabelled(path: Path, head: bytes) -> str | None:
    """Why a file that is not text is not read, when its name or its first bytes say it is
    compressed: named .gz but not gzip, or compressed in a format embedcli does not read."""
    with open(path, "rb") as probe:
        magic = probe.read(8)
    name = path.name.lower()
    for start, label, _suffixes, readable in _COMPRESSED:
        if magic.startswith(start) and not readable:
            return (
                f"Corpus file {path} is {label}-compressed, which embedcli does not read: "
                "decompress it, or compress it with gzip instead."
            )
    for start, label, suffixes, readable in _COMPRESSED:
        if readable and name.endswith(suffixes) and not magic.startswith(start):
            return (
                f"Corpus file {path} is named {suffixes[0]} but is not a {label} file (it "
                f"does not start with {label}'s bytes {start[:2].hex(' ')}): it may be damaged, "
                f"or not compressed at all. If it was downloaded, download it again; if it is "
                f"text, rename it without {suffixes[0]}."
            )
    return None


# --- opening files ---------------------------------------------------------------------------


def open_binary(path: Path) -> BinaryIO:
    """Open a file for reading bytes: plain, gzip, bzip2, or the single file inside a zip.

    Compression is detected by the magic bytes, not by the file name.
    """
    try:
        with open(path, "rb") as probe:
            magic = probe.read(4)
        if magic[:2] == GZIP_MAGIC:
            return gzip.open(path, "rb")  # type: ignore[return-value]
        if magic == ZIP_MAGIC:
            return _open_zip_member(path)
        if magic[:3] == b"BZh":  # Wikipedia's dumps
            return bz2.open(path, "rb")  # type: ignore[return-value]
        if magic == EMPTY_ZIP_MAGIC:  # only the end record: an archive of nothing
            raise CorpusError(f"Corpus file {path} is a zip archive with no files in it.")
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise CorpusError(f"Corpus file {path} does not exist.") from None
    except IsADirectoryError:
        raise CorpusError(f"Corpus {path} is a directory: give the path of a file.") from None
    except PermissionError:
        raise CorpusError(f"Corpus file {path} is not readable: check its permissions.") from None


def open_text(path: Path, encoding: str = "utf-8") -> io.TextIOBase:
    """Open a file (plain, gzip or one-file zip) as text with universal newlines.

    UTF-8 is read with or without a byte-order mark.
    """
    codec = _codec(encoding)
    if codec == "utf-8-sig" and _only_a_bom_start(path):
        # Python's utf-8-sig decoder swallows a file that is only the start of a byte-order
        # mark (b"\xef") without an error; plain UTF-8 reports the cut character.
        codec = "utf-8"
    return io.TextIOWrapper(open_binary(path), encoding=codec, newline=None)


def _only_a_bom_start(path: Path) -> bool:
    try:
        if path.stat().st_size >= len(codecs.BOM_UTF8):
            return False
        data = path.read_bytes()
    except OSError:
        return False  # opening it reports the problem
    return bool(data) and codecs.BOM_UTF8.startswith(data)


def _codec(encoding: str) -> str:
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _zip_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files in a zip, without folders and the metadata macOS adds (__MACOSX/, ._*)."""
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not PurePosixPath(info.filename).name.startswith("._")
    ]


def _zip_member(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = _zip_members(archive)
    if len(members) == 1:
        return members[0]
    if not members:
        raise CorpusError(f"Corpus file {path} is a zip archive with no files in it.")
    if any(m.filename == "[Content_Types].xml" for m in members):
        raise CorpusError(
            f"Corpus file {path} is an Office document (.xlsx, .docx), not text. In Excel, "
            'use Save As "Unicode Text" (tab-separated) and pass that file.'
        )
    names = ", ".join(m.filename for m in members[:5]) + (", ..." if len(members) > 5 else "")
    raise CorpusError(
        f"Corpus file {path} is a zip archive of {len(members)} files ({names}); embedcli "
        "reads a zip that holds exactly one file. Unzip it and pass the file you want with "
        "--corpus PATH."
    )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorpusError(
            f"Corpus file {path} looks like a zip archive but cannot be opened as one ({exc}): "
            "it may be damaged or incomplete. If it was downloaded, download it again."
        ) from None


def _open_zip_member(path: Path) -> BinaryIO:
    archive = _open_zip(path)
    try:
        info = _zip_member(path, archive)
        return archive.open(info)  # type: ignore[return-value]
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, unknown compression
        raise CorpusError(
            f"Cannot read the file inside the zip archive {path} ({exc}). Unzip it yourself "
            "and pass the file with --corpus PATH."
        ) from None
    finally:
        archive.close()  # an open member keeps the underlying file open until it is closed


def _inner_name(path: Path) -> str:
    """The file name that tells the format: a zip's single member's, else the file's own."""
    with open(path, "rb") as probe:
        is_zip = probe.read(4) == ZIP_MAGIC
    if not is_zip:
        return path.name
    with _open_zip(path) as archive:
        return PurePosixPath(_zip_member(path, archive).filename).name


def _read_head(path: Path, encoding: str = "utf-8") -> str:
    """The first SNIFF_CHARS characters of a corpus file, decompressed."""
    with open_text(path, encoding) as handle:
        try:
            return handle.read(SNIFF_CHARS)
        except UnicodeError as exc:  # UTF-16 and UTF-32 without a BOM raise the base class
            raise _decode_error(path, encoding, exc) from None
        except (EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise _damaged(path, 0, exc) from None


def _head_bytes(path: Path) -> bytes:
    """The first SNIFF_BYTES bytes of a corpus file, decompressed."""
    with open_binary(path) as handle:
        try:
            head = handle.read(SNIFF_BYTES)
        except (EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise _damaged(path, 0, exc) from None
    if not head:
        raise CorpusError(f"Corpus file {path} is empty once decompressed: it holds no text.")
    return head


# Column names that say a comma-separated first line is a header, not a sentence.
_TEXT_COLUMNS = frozenset({"document", "text", "review", "sentence", "content", "comment"})


def comma_separated(path: Path, encoding: str = "utf-8") -> str | None:
    """What to tell the user when a file read as plain text looks comma-separated (named .csv,
    or a first line such as `id,document,label`): its ids and labels become part of every
    document. None otherwise."""
    name = _inner_name(path).lower()
    first_line = _read_head(path, encoding).lstrip("\ufeff").split("\n", 1)[0].strip()
    fields = [f.strip().strip('"').lower() for f in first_line.split(",")]
    header = len(fields) > 1 and any(f in _TEXT_COLUMNS for f in fields)
    if not (header or name.endswith((".csv", ".csv.gz"))):
        return None
    shown = first_line if len(first_line) <= 40 else first_line[:40] + "..."
    return (
        f"{path.name} looks comma-separated (first line: '{shown}'), but is read as plain "
        "text, one document per line, every column included. To read only its text, save "
        "it tab-separated (TSV): embedcli then reads the 'document' column (or the one "
        "--text-column names)."
    )


def sniff_format(path: Path, encoding: str = "utf-8") -> str:
    """A MediaWiki dump by its <mediawiki> root; TED XML by name (.xml, .xml.gz) or by a
    leading `<?xml` / `<xml`; else TSV when the first line has a tab; else text, one document
    per line."""
    name = _inner_name(path).lower()
    head = _read_head(path, encoding)
    if _MEDIAWIKI.search(head[:4096]):
        return "mediawiki"
    if name.endswith((".xml", ".xml.gz")):
        return "ted-xml"
    if head.lstrip("\ufeff \t\r\n").startswith(("<?xml", "<xml")):
        return "ted-xml"
    first_line = head.split("\n", 1)[0]
    return "tsv" if "\t" in first_line else "text"


_MEDIAWIKI = re.compile(r"<mediawiki[\s>]")
_MEDIAWIKI_LANG = re.compile(r"""<mediawiki\b[^>]*?\bxml:lang\s*=\s*["']([A-Za-z]{2,3})\b""")


def mediawiki_lang(head: str) -> str | None:
    """The language a MediaWiki dump declares on its root element (xml:lang="ko")."""
    found = _MEDIAWIKI_LANG.search(head[:4096])
    return found.group(1).lower() if found else None


def _check_forced_format(
    path: Path, encoding: str, format: str, text_column: str | int | None
) -> None:
    """Blame --corpus-format, not the file, when the file plainly is not in that format (a
    one-column TSV, with a header naming its column or read by number, is fine)."""
    head = _read_head(path, encoding).lstrip("\ufeff \t\r\n")
    first_line = head.split("\n", 1)[0].rstrip("\r")
    detected = sniff_format(path, encoding)
    shown = first_line if len(first_line) <= 40 else first_line[:40] + "..."
    if format == "ted-xml" and not head.startswith("<"):
        raise CorpusError(
            f"--corpus-format ted-xml reads TED-talk XML, but {path.name} is not XML (its "
            f"first line is {shown!r}): leave out --corpus-format to read it as {detected}."
        )
    column = first_line.strip().lower()
    if format == "tsv" and "\t" not in head and not isinstance(text_column, int):
        if column == (text_column or "document").lower():
            return
        raise CorpusError(
            f"--corpus-format tsv reads tab-separated rows, but {path.name} has no tab (first "
            f"line: {shown!r}): leave out --corpus-format to read it as {detected}."
        )


def _check_header(path: Path, encoding: str, column: str | None) -> None:
    """Fail before any work when a TSV file's header line lacks the text column."""
    head = _read_head(path, encoding)
    if "\n" not in head:
        return  # a header longer than the head: the reader checks it
    names = head.split("\n", 1)[0].split("\t")
    if (column or "document") not in names:
        raise CorpusError(_missing_column(path, names, column))


def _missing_column(path: Path, names: list[str], column: str | None) -> str:
    """The message for a text column that is not in the header; column None: the default."""
    shown = ", ".join(repr(n[:40]) for n in names[:12]) + (", ..." if len(names) > 12 else "")
    if column is None or column == "document":
        return (
            f"{path} has no column named 'document' (the default text column; its header "
            f"has: {shown}). Choose one with --text-column NAME, or a 1-based number for a "
            "file without a header line."
        )
    close = difflib.get_close_matches(column, names, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return (
        f"--text-column {quoted(column)} is not a column of {path} (columns: {shown}). {hint}Give "
        "a name from its header line, or a 1-based number for a file without one."
    )


# --- encodings ---------------------------------------------------------------------------------

# Byte-order marks; UTF-32 LE's starts with UTF-16 LE's, so it is tested first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", None),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# File types users pass by mistake, by their first bytes.
_BINARY_KINDS = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 'an old-style Office document (.xls, .doc); in '
     'Excel, use Save As "Unicode Text" (tab-separated) and pass that file'),
    (b"%PDF-", "a PDF document; extract its text first"),
    (b"\x93NUMPY", "a NumPy array (.npy), such as a saved model's vectors"),
    (b"\x80\x04\x95", "a Python pickle, such as a saved gensim model"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)  # fmt: skip
_HANGUL = re.compile(r"[ㄱ-ㅎㅏ-ㅣ가-힣]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def check_encoding(encoding: str | None) -> str | None:
    """A forced encoding from --encoding, checked; None (or "auto") means detect it."""
    if encoding is None or encoding == "auto":
        return None
    try:
        "".encode(encoding)  # LookupError for unknown codecs and for non-text ones (base64)
    except LookupError:
        raise OptionsError(
            f"Unknown --encoding {quoted(encoding)}: give auto or a text encoding Python knows, "
            "such as utf-8, cp949, euc-kr, utf-16 or latin-1."
        ) from None
    return encoding


def detect_encoding(path: Path, head: bytes | None = None) -> tuple[str, str | None]:
    """How to decode a corpus file, and a note for the user when it is not plain UTF-8.

    The first SNIFF_BYTES bytes (decompressed) decide:
    - UTF-8, with or without a byte-order mark: read as it is, no note;
    - a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text"): decoded, with a note;
    - not UTF-8 but valid CP949 (a superset of EUC-KR) that is mostly Hangul: decoded as
      CP949, with a note;
    - anything else is refused: NUL bytes (binary data, or UTF-16 without a mark) and other
      encodings, naming a guess and the offset and line of the first bad byte.
    A bad byte after the head is reported by the reader when it gets there.
    """
    head = _head_bytes(path) if head is None else head
    for bom, encoding, label in _BOMS:
        if head.startswith(bom):
            note = label and (
                f"reading {path.name} as {label}: it starts with a {label} byte-order mark "
                '(Excel\'s "Unicode text" files do).'
            )
            return encoding, note
    _refuse_binary(path, head)
    final = len(head) < SNIFF_BYTES  # the whole file: a cut character at the end is an error
    bad = _first_bad_byte(head, "utf-8", final)
    if bad is None or _first_bad_byte(head, "utf-8", False) is None:
        return "utf-8", None  # UTF-8, or UTF-8 cut inside its last character (reported later)
    if _first_bad_byte(head, "cp949", final) is None and _mostly_hangul(head):
        return "cp949", (
            f"{path.name} is not UTF-8 but reads as Korean CP949 (EUC-KR), so it is read as "
            "CP949. Pass --encoding cp949 to skip this guess, or convert the file to UTF-8 "
            "(iconv -f cp949 -t utf-8)."
        )
    guess, example = _guess_encoding(head, final)
    line = head[:bad].count(b"\n") + 1
    hint = (
        f"If you know its encoding, pass it with --encoding (e.g. --encoding {example}) or "
        "convert the file to UTF-8 (e.g. with iconv)."
        if example
        else "Give a UTF-8 text or TSV file."
    )
    raise CorpusError(
        f"Corpus file {path} is not UTF-8 text: byte 0x{head[bad]:02x} at offset {bad:,} "
        f"(line {line:,}) is not valid UTF-8, and it looks like {guess}. {hint}"
    )


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, kind in _BINARY_KINDS:
        if head.startswith(magic):
            raise CorpusError(f"Corpus file {path} is not text: it looks like {kind}.")
    nul = head.find(b"\x00")
    if nul < 0:
        return
    at_even, at_odd = head[0::2].count(0), head[1::2].count(0)
    if at_odd >= 8 and at_even * 10 <= at_odd:
        raise CorpusError(_utf16_message(path, "utf-16-le"))
    if at_even >= 8 and at_odd * 10 <= at_even:
        raise CorpusError(_utf16_message(path, "utf-16-be"))
    line = head[:nul].count(b"\n") + 1
    raise CorpusError(
        f"Corpus file {path} looks like a binary file, not text: it has a NUL byte at offset "
        f"{nul:,} (line {line:,}). Give a UTF-8 text or TSV file (.gz, "
        "or a .zip holding one file, is fine)."
    )


def _utf16_message(path: Path, encoding: str) -> str:
    return (
        f"Corpus file {path} looks like UTF-16 text without a byte-order mark (every other "
        f"byte is NUL), or like binary data. If it is text, pass --encoding {encoding} or "
        "convert it to UTF-8."
    )


def _first_bad_byte(data: bytes, encoding: str, final: bool) -> int | None:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _mostly_hangul(head: bytes) -> bool:
    """Whether CP949 text is mostly Hangul (not Chinese or Japanese that happens to decode)."""
    text = head.decode("cp949", errors="ignore")
    hangul = len(_HANGUL.findall(text))
    return hangul > 0 and hangul * 2 >= len(_NON_ASCII.findall(text))


def _guess_encoding(head: bytes, final: bool) -> tuple[str, str | None]:
    """What a head that is not UTF-8 might be: a description and an --encoding to try."""
    if _first_bad_byte(head, "cp949", final) is None:
        return "CP949 with little Hangul, or another East Asian encoding (GBK, Big5)", "gbk"
    for encoding, label in (("shift_jis", "Shift-JIS"), ("gbk", "GBK"), ("big5", "Big5")):
        if _first_bad_byte(head, encoding, final) is None:
            return f"{label} (East Asian)", encoding
    if _first_bad_byte(head, "cp1252", final) is None:
        return "a Western single-byte encoding such as cp1252 or latin-1", "cp1252"
    return "no text encoding embedcli knows (binary data?)", None


def _encoding_label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp949": "CP949 (EUC-KR)"}.get(
        name, name.upper()
    )


def _decode_error(path: Path, encoding: str, exc: UnicodeError) -> CorpusError:
    """A CorpusError naming where the file first fails to decode in `encoding`."""
    found = _locate_bad_byte(path, encoding)
    label = _encoding_label(encoding)
    where = f" ({exc})"
    if found:
        offset, line, bad = found
        where = f" at byte offset {offset:,} (line {line:,}, byte 0x{bad[:1].hex()})"
    if label == "UTF-8":
        advice = (
            "If it is in another encoding, give it with --encoding NAME (e.g. --encoding "
            "cp949 for Korean Windows text); if it mixes encodings or is damaged, fix it or "
            "convert it to UTF-8 (e.g. with iconv)."
        )
    else:
        advice = (
            f"It was read as {label} (guessed from its start, or given with --encoding); it "
            "may mix encodings or be damaged: fix it or convert it to UTF-8 (e.g. with "
            "iconv), or give the right --encoding."
        )
    return CorpusError(f"Corpus file {path} is not valid {label}{where}. {advice}")


def _locate_bad_byte(path: Path, encoding: str) -> tuple[int, int, bytes] | None:
    """(byte offset, line, bytes) of the first bytes `encoding` cannot decode, if any."""
    codec = _codec(encoding)
    decoder = codecs.getincrementaldecoder(codec)()
    offset, line = 0, 1  # bytes fed to the decoder; lines decoded
    try:
        with open_binary(path) as handle:
            while True:
                chunk = handle.read(1 << 20)
                state = decoder.getstate()
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    pending = len(state[0])  # bytes held back from the previous chunk
                    probe = codecs.getincrementaldecoder(codec)()
                    probe.setstate(state)
                    before = probe.decode(chunk[: max(exc.start - pending, 0)])
                    bad = bytes(exc.object[exc.start : exc.end])
                    return offset - pending + exc.start, line + before.count("\n"), bad
                if not chunk:
                    return None
                offset += len(chunk)
                line += text.count("\n")
    except (UnicodeError, EOFError, OSError, zipfile.BadZipFile, zlib.error, CorpusError):
        return None  # no position to give (e.g. UTF-16 without a BOM)


_DECLARED_LANG = re.compile(r"""<xml\b[^>]*?\blanguage\s*=\s*["']([A-Za-z]{2,3})\b""")


def declared_lang(head: str) -> str | None:
    """The language a TED XML file declares on its root (`<xml language="en">`), if any."""
    found = _DECLARED_LANG.search(head)
    return found.group(1).lower() if found else None


def _damaged(path: Path, lineno: int, exc: BaseException) -> CorpusError:
    where = f" after line {lineno:,}" if lineno else ""
    return CorpusError(
        f"Corpus file {path} is damaged{where} ({exc}). If it was downloaded, download it again."
    )
