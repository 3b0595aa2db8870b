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
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

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


def _describe(kind, head: bytes) -> str:
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
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


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
    return f"{stem or 'evidence'}.{extension}"


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
