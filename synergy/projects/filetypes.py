"""What an uploaded file really is, judged by its bytes, never by its name or declared type.

Recognised kinds: jpg, png, gif, webp, pdf, OLE2 documents (doc/xls/ppt,
told apart by their stream names), zip-based Office files (docx/xlsx/pptx,
told apart by their zip entries), zip, tar, gz, svg and html, text (valid
UTF-8 without NUL; csv when so named), and executables (always refused).
"""

from __future__ import annotations

import codecs
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
DEFAULT_ALLOWED = ("jpg", "png", "gif", "webp", "pdf", "txt", "csv", "doc", "docx", "xls",
                   "xlsx", "ppt", "pptx", "zip", "tar", "gz")


@dataclass(frozen=True)
class FileKind:
    name: str
    content_type: str
    category: str


KINDS = {kind.name: kind for kind in (
    FileKind("jpg", "image/jpeg", "image"),
    FileKind("png", "image/png", "image"),
    FileKind("gif", "image/gif", "image"),
    FileKind("webp", "image/webp", "image"),
    FileKind("svg", "image/svg+xml", "image"),
    FileKind("pdf", "application/pdf", "document"),
    FileKind("txt", "text/plain; charset=utf-8", "document"),
    FileKind("csv", "text/csv; charset=utf-8", "document"),
    FileKind("html", "text/html; charset=utf-8", "document"),
    FileKind("doc", "application/msword", "document"),
    FileKind("xls", "application/vnd.ms-excel", "document"),
    FileKind("ppt", "application/vnd.ms-powerpoint", "document"),
    FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "document"),
    FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "document"),
    FileKind("pptx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "document"),
    FileKind("zip", "application/zip", "archive"),
    FileKind("tar", "application/x-tar", "archive"),
    FileKind("gz", "application/gzip", "archive"),
    FileKind("executable", "application/octet-stream", "other"),
)}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_STREAMS = (("doc", "WordDocument"), ("xls", "Workbook"), ("xls", "Book"),
                 ("ppt", "PowerPoint Document"))
_OOXML_PARTS = (("docx", "word/document.xml"), ("xlsx", "xl/workbook.xml"),
                ("pptx", "ppt/presentation.xml"))
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg)[\s>/]",
                     re.IGNORECASE)
_SVG = re.compile(rb"<\s*svg[\s>/]", re.IGNORECASE)


def detect(path: Path, original_name: str) -> FileKind | None:
    """The kind of the file at ``path``, or None when it is none of the recognised kinds."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return KINDS["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return KINDS["webp"]
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in (
            b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe") or head[:2] == b"#!":
        return KINDS["executable"]
    if head.startswith(_OLE2):
        return _ole2_kind(path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if head.startswith(b"\x1f\x8b"):
        return KINDS["gz"]
    if len(head) > 262 and head[257:262] == b"ustar" and tarfile.is_tarfile(path):
        return KINDS["tar"]
    if _is_utf8_text(path):
        if _MARKUP.search(head):
            return KINDS["svg"] if _SVG.search(head) else KINDS["html"]
        return KINDS["csv"] if original_name.lower().endswith(".csv") else KINDS["txt"]
    return None


def _ole2_kind(path: Path) -> FileKind | None:
    """Find the main stream's name (UTF-16LE in the directory) to tell doc, xls, ppt apart."""
    needles = [(kind, name.encode("utf-16-le") + b"\x00\x00") for kind, name in _OLE2_STREAMS]
    overlap = max(len(needle) for _, needle in needles)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            window = tail + chunk
            for kind, needle in needles:
                if needle in window:
                    return KINDS[kind]
            tail = window[-overlap:]
    return None


def _zip_kind(path: Path) -> FileKind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    for kind, part in _OOXML_PARTS:
        if part in names:
            return KINDS[kind]
    return KINDS["zip"]


def _is_utf8_text(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if b"\x00" in chunk:
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
