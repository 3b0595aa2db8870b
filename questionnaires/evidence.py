"""Checking evidence uploads: the type by content, the size, and a safe file name.

Vendors are untrusted: a file's name and declared content type say nothing, so the type
is read from the bytes (the `filetype` package, plus a text check for CSV and TXT, which
have no signature). The stored name is rebuilt from safe characters with the extension
of what the content really is.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Content type -> (what people call it, the extension we store it under).
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "application/pdf": ("PDF", "pdf"),
    "image/png": ("PNG", "png"),
    "image/jpeg": ("JPEG", "jpg"),
    DOCX: ("DOCX", "docx"),
    XLSX: ("XLSX", "xlsx"),
    "text/csv": ("CSV", "csv"),
    "text/plain": ("TXT", "txt"),
}
ALLOWED_NAMES = ", ".join(label for label, _ in ALLOWED_TYPES.values())

EXECUTABLE_TYPES = {
    "application/x-msdownload",
    "application/x-dosexec",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/x-sharedlib",
    "application/vnd.microsoft.portable-executable",
}
ARCHIVE_TYPES = {
    "application/zip": "a ZIP archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/gzip": "a gzip archive",
    "application/x-tar": "a tar archive",
}
# Older formats that people can usually re-save in an accepted one.
RESAVE_HINTS = {
    "application/msword": "a Word 97-2003 document (DOC); save it as DOCX or PDF",
    "application/vnd.ms-excel": "an Excel 97-2003 workbook (XLS); save it as XLSX or CSV",
    "application/vnd.oasis.opendocument.text": "an OpenDocument text (ODT); save it as DOCX or PDF",
    "application/vnd.oasis.opendocument.spreadsheet": (
        "an OpenDocument spreadsheet (ODS); save it as XLSX or CSV"
    ),
}

SIGNATURE_BYTES = 8192
MAX_STEM_LENGTH = 100
# Longest file name quoted back in a refusal: names come from the vendor's computer.
MAX_QUOTED_NAME = 80

# Text that is markup: a browser, or a program that opens .txt files in one, would run it.
MARKUP = re.compile(
    r"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|frame|svg|object|embed|meta|"
    r"base|form|style|link)\b",
    re.IGNORECASE,
)
# PDF names of things that act when the file is opened: scripts, launching programs,
# files carried inside. Read where the PDF writes them plainly and inside its
# FlateDecode streams (object streams among them), not under other filters: a filter,
# not a guarantee; the download headers keep any file from running in the analyst's
# browser (cxvet/headers.py).
PDF_ACTIVE_NAMES = {
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
}
PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+)")
PDF_SCAN_CHUNK = 1024 * 1024
# Inflating a PDF's FlateDecode streams: at most this many bytes in and out per file, so
# a zlib bomb (or countless tiny streams, each costing PDF_STREAM_COST: 32,768 at most) costs a
# bounded, small amount of CPU; a file that needs more cannot be checked and is refused.
PDF_INFLATE_BUDGET = 64 * 1024 * 1024
PDF_INFLATE_FIRST_PIECE = 1024  # most streams are small
PDF_INFLATE_PIECE = 64 * 1024
PDF_STREAM_COST = 2048
# Where a stream's data starts ("endstream" excluded), and how far back its dictionary
# (after "obj") is looked for.
PDF_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
PDF_DICT_LOOKBACK = 4096
PDF_FLATE = re.compile(rb"/FlateDecode(?![A-Za-z0-9])")
# Images and font programs are binary: a name would turn up in them by chance (an
# RGB pixel 47,74,83 reads "/JS"), and no action can live in them, so they are skipped.
PDF_BINARY_STREAM = re.compile(
    rb"/Subtype\s*/(?:Image|Type1C|CIDFontType0C|OpenType)(?![A-Za-z0-9])"
    rb"|/Length1(?![A-Za-z0-9])"
)
# Office files (ZIP packages): what in them runs code or reaches out when opened.
OOXML_TYPES = {DOCX, XLSX}
OOXML_MAX_MEMBERS = 10_000
OOXML_MAX_PART_BYTES = 1024 * 1024
OOXML_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)


class EvidenceRejected(ValueError):
    """The upload cannot be accepted; the message tells the vendor why and what to do."""


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile, *, max_bytes: int | None = None) -> CheckedUpload:
    """Accept an upload whose content is an allowed type within the size limit.

    Raises EvidenceRejected with a message for the vendor, for example "This file is
    14 MB; the limit is 10 MB."
    """
    limit = max_bytes if max_bytes is not None else settings.EVIDENCE_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise EvidenceRejected("This file is empty. Choose the file again, or another file.")
    if size > limit:
        raise EvidenceRejected(
            f"This file is {human_size(size)}; the limit is {human_size(limit)}."
        )
    content_type = detect_type(upload)
    refuse_active_content(upload, content_type)
    _, extension = ALLOWED_TYPES[content_type]
    if content_type == "text/plain" and _extension(upload.name or "") == "csv":
        content_type, extension = "text/csv", "csv"
    return CheckedUpload(
        file=upload,
        name=safe_name(upload.name or "", extension),
        content_type=content_type,
        size=size,
        sha256=_sha256(upload),
    )


def detect_type(upload: UploadedFile) -> str:
    """The allowed content type the bytes show, or raise EvidenceRejected saying what they are."""
    upload.seek(0)
    head = upload.read(SIGNATURE_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None and kind.mime in ALLOWED_TYPES:
        return kind.mime
    if kind is None and _is_text(upload):
        return "text/plain"
    raise EvidenceRejected(
        f"Only {ALLOWED_NAMES} are accepted; this file looks like {_describe(kind, head)}."
    )


def _describe(kind: Any, head: bytes) -> str:  # filetype's guess (an untyped library)
    if kind is None:
        if head[:2] == b"MZ" or head[:4] == b"\x7fELF":
            return "an executable (a program)"
        return "binary data of an unknown kind"
    if kind.mime in EXECUTABLE_TYPES:
        return "an executable (a program)"
    if kind.mime in ARCHIVE_TYPES:
        return ARCHIVE_TYPES[kind.mime]
    if kind.mime in RESAVE_HINTS:
        return RESAVE_HINTS[kind.mime]
    if kind.mime.startswith("image/"):
        return f"a {kind.extension.upper()} image"
    return f"a {kind.extension.upper()} file"


def _is_text(upload: UploadedFile) -> bool:
    """UTF-8 (or UTF-16 with a byte order mark) text without binary control bytes."""
    text = _text_of(upload)
    return text is not None and not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def _text_of(upload: UploadedFile) -> str | None:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def refuse_active_content(upload: UploadedFile, content_type: str) -> None:
    """Refuse a file of an allowed type that would run something when opened: markup
    passed off as text or hidden in an image, a PDF that names scripts or launches
    programs, an Office file with macros, ActiveX, embedded programs or content it
    fetches from elsewhere."""
    if content_type == "text/plain":
        if MARKUP.search(_text_of(upload) or ""):
            raise EvidenceRejected(
                "This file is a web page or markup (HTML, SVG or XML), which could run when "
                "opened. Save it as PDF, or as plain text without markup."
            )
    elif content_type.startswith("image/"):
        if _bytes_match(upload, re.compile(rb"<\s*(?:script|html|svg|iframe)\b", re.I)):
            raise EvidenceRejected(
                "This image also holds a web page or script. Export it again as a plain "
                "PNG or JPEG (a screenshot of it will do)."
            )
    elif content_type == "application/pdf":
        if _pdf_active_name(upload) or _pdf_inflated_active_name(upload):
            raise EvidenceRejected(
                "This PDF holds JavaScript, a program launch or embedded files, which "
                "run or open when it is read. Print it to a new PDF, which leaves them out."
            )
    elif content_type in OOXML_TYPES:
        _refuse_active_office(upload)


def _chunks_with_overlap(upload: UploadedFile, overlap: int = 64) -> Iterator[bytes]:
    """The file's bytes in large chunks, each starting a little before the previous
    ended, so a pattern across a boundary is still found."""
    upload.seek(0)
    tail = b""
    while chunk := upload.read(PDF_SCAN_CHUNK):
        yield tail + chunk
        tail = chunk[-overlap:]
    upload.seek(0)


def _bytes_match(upload: UploadedFile, pattern: re.Pattern[bytes]) -> bool:
    return any(pattern.search(chunk) for chunk in _chunks_with_overlap(upload))


def _pdf_active_name(upload: UploadedFile) -> bool:
    return any(_names_active(chunk) for chunk in _chunks_with_overlap(upload))


def _names_active(data: bytes) -> bool:
    for match in PDF_NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            # "/J#61vaScript" is "/JavaScript" written to slip past a plain search.
            name = _pdf_unescape(name)
        if name in PDF_ACTIVE_NAMES:
            return True
    return False


def _pdf_unescape(data: bytes) -> bytes:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data)


class _OverBudget(Exception):
    pass


@dataclass
class _Budget:
    """Bytes of inflating left for one file."""

    left: int = PDF_INFLATE_BUDGET

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise _OverBudget


def _pdf_inflated_active_name(upload: UploadedFile) -> bool:
    """Whether a FlateDecode stream of the PDF (an object stream, say) names active
    content once inflated. Refuses the file when its streams hold more than can be
    checked (PDF_INFLATE_BUDGET)."""
    budget = _Budget()
    try:
        for offset in _pdf_flate_streams(upload, budget):
            tail = b""
            for out in _inflated(upload, offset, budget):
                if _names_active(tail + out):
                    return True
                tail = out[-64:]
    except _OverBudget:
        raise EvidenceRejected(
            "This PDF holds more compressed content than can be checked for scripts "
            f"(the limit is {PDF_INFLATE_BUDGET // (1024 * 1024)} MB once expanded), so "
            "it cannot be accepted. Split it into smaller PDFs and upload those."
        ) from None
    finally:
        upload.seek(0)
    return False


def _pdf_flate_streams(upload: UploadedFile, budget: _Budget) -> Iterator[int]:
    """Where the data of each FlateDecode stream starts, images and fonts left out.

    Every stream and the bytes of its dictionary are taken from `budget`. The caller may
    read the file between two offsets: the scan's place is kept."""
    upload.seek(0)
    position = 0  # of the next read
    tail = b""
    while piece := upload.read(PDF_SCAN_CHUNK):
        chunk, start = tail + piece, position - len(tail)
        position += len(piece)
        for match in PDF_STREAM.finditer(chunk):
            if match.end() <= len(tail):
                continue  # seen whole in the previous chunk
            lookback = max(0, match.start() - PDF_DICT_LOOKBACK)
            obj = chunk.rfind(b"obj", lookback, match.start())
            dictionary = chunk[obj + 3 if obj >= 0 else lookback : match.start()]
            budget.spend(PDF_STREAM_COST + len(dictionary))
            if b"#" in dictionary:
                dictionary = _pdf_unescape(dictionary)
            if PDF_FLATE.search(dictionary) and not PDF_BINARY_STREAM.search(dictionary):
                yield start + match.end()
                upload.seek(position)
        tail = chunk[-PDF_DICT_LOOKBACK:]


def _inflated(upload: UploadedFile, offset: int, budget: _Budget) -> Iterator[bytes]:
    """The stream's data at `offset`, inflated piece by piece until its zlib stream ends
    (no need for its /Length) or turns out damaged. Every byte read in and given out is
    taken from `budget`."""
    upload.seek(offset)
    inflater = zlib.decompressobj()
    piece = PDF_INFLATE_FIRST_PIECE
    while not inflater.eof:
        data = inflater.unconsumed_tail or upload.read(piece)
        piece = PDF_INFLATE_PIECE
        if not data:
            return
        try:
            out = inflater.decompress(data, PDF_INFLATE_PIECE)
        except zlib.error:
            return  # not zlib data after all, or damaged past this point
        used = len(data) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
        budget.spend(used + len(out))
        yield out


def _refuse_active_office(upload: UploadedFile) -> None:
    damaged = EvidenceRejected(
        "This Office file is damaged: it could not be opened. Save it again, or as PDF."
    )
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            members = package.infolist()
            if len(members) > OOXML_MAX_MEMBERS:
                raise damaged
            names = [m.filename.replace("\\", "/").lower() for m in members]
            if any(_runs_code(name) for name in names):
                raise EvidenceRejected(
                    "This document holds macros, ActiveX controls or embedded programs. "
                    "Save it as a plain DOCX or XLSX (without macros), or as PDF."
                )
            parts = [
                m
                for m in members
                if m.filename.lower() in ("[content_types].xml",)
                or m.filename.lower().endswith(".rels")
            ]
            for member in parts:
                with package.open(member) as handle:
                    data = handle.read(OOXML_MAX_PART_BYTES + 1)
                if len(data) > OOXML_MAX_PART_BYTES:
                    raise damaged
                if b"macroenabled" in data.lower():
                    raise EvidenceRejected(
                        "This is a macro-enabled document. Save it as a plain DOCX or XLSX "
                        "(without macros), or as PDF."
                    )
                if _fetches_from_elsewhere(data):
                    raise EvidenceRejected(
                        "This document loads a template or object from elsewhere when it is "
                        "opened. Save it as PDF, or remove the linked template or object."
                    )
    except ZIP_READ_ERRORS:
        raise damaged from None
    except RuntimeError:  # an encrypted member
        raise damaged from None
    finally:
        upload.seek(0)


# What zipfile raises on a damaged or hostile archive. The standard library signals a
# compression method it cannot read (an archive made with one it lacks) by raising
# NotImplementedError from ZipFile.open, so that exception is a refusal reason here,
# not unfinished code.
_UNSUPPORTED_COMPRESSION = NotImplementedError
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    _UNSUPPORTED_COMPRESSION,
    OSError,
    EOFError,
)
# The parts of an Office file that hold macros.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")


def _runs_code(name: str) -> bool:
    last = name.rsplit("/", 1)[-1]
    return (
        last in MACRO_PARTS
        or "/activex/" in f"/{name}"
        or (
            "/embeddings/" in f"/{name}"
            and not last.endswith((".xlsx", ".docx", ".png", ".jpeg", ".jpg", ".emf", ".wmf"))
        )
    )


def _fetches_from_elsewhere(rels: bytes) -> bool:
    """A relationship to a part outside the file (TargetMode="External") that is not a
    plain hyperlink: a remote template, frame or object is fetched when opened."""
    for tag in OOXML_RELATIONSHIP.findall(rels):
        lowered = tag.lower()
        if b'targetmode="external"' in lowered.replace(b"'", b'"') and not re.search(
            rb'type\s*=\s*["\'][^"\']*/hyperlink["\']', lowered
        ):
            return True
    return False


# Size, while the upload streams in -------------------------------------------------------


class EvidenceSizeLimit(FileUploadHandler):
    """The first of FILE_UPLOAD_HANDLERS: counts each file's bytes as they arrive and
    drops a file the moment it passes EVIDENCE_MAX_BYTES, so nothing past the limit is
    stored (Django reads past the rest of it). The refusal is noted on the request, for
    the view to report beside the file's question (refused_while_streaming)."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = settings.EVIDENCE_MAX_BYTES
        if self.received > limit:
            refusals = _refusals(self.request)
            message = f"This file is over {human_size(limit)}, the limit for one file."
            refusals.setdefault(self.field_name, []).append(
                f"{quoted_name(self.file_name)}: {message}"
            )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file


def _refusals(request: HttpRequest | None) -> dict[str, list[str]]:
    if request is None:
        return {}
    if not hasattr(request, "evidence_refused"):
        request.evidence_refused = {}  # type: ignore[attr-defined]
    return request.evidence_refused  # type: ignore[attr-defined]


def refused_while_streaming(request: HttpRequest, field_name: str) -> list[str]:
    """The files of this form field dropped as they arrived, each with why."""
    return list(getattr(request, "evidence_refused", {}).get(field_name, []))


def quoted_name(name: str | None) -> str:
    """A vendor's file name as a refusal quotes it: printable, and not too long."""
    printable = "".join(ch for ch in (name or "") if ch.isprintable()) or "This file"
    if len(printable) > MAX_QUOTED_NAME:
        printable = printable[: MAX_QUOTED_NAME - 1] + "…"
    return printable


def safe_name(name: str, extension: str) -> str:
    """A storage-safe name: the last path part, ASCII letters, digits, '-' and '_', and
    the extension of the real content (so "../../etc/passwd" becomes "passwd.txt")."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Accents fold into their letters (é -> e); any other non-ASCII becomes a separator.
    base = "".join(
        ch if ch.isascii() else "-"
        for ch in unicodedata.normalize("NFKD", base)
        if not unicodedata.combining(ch)
    )
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:MAX_STEM_LENGTH].strip("-_")
    if stem.upper() in WINDOWS_RESERVED:
        stem = f"evidence-{stem}"  # "CON.pdf" cannot be saved on the analyst's Windows
    return f"{stem or 'evidence'}.{extension}"


WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def human_size(size: int) -> str:
    """10485760 -> "10 MB", 1536 -> "1.5 KB": as file managers show sizes."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            amount = f"{size / factor:.1f}".removesuffix(".0")
            return f"{amount} {unit}"
    return f"{size} bytes"
