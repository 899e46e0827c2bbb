"""Private uploads: size limit, type checked by content, sanitised names.

Files live under MEDIA_ROOT, which is never served as static: every download
goes through a view that checks permission and answers with ``serve_private``.
"""

import os
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.deconstruct import deconstructible
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    label: str
    extension: str
    content_type: str


PDF = FileKind("PDF", "pdf", "application/pdf")
JPEG = FileKind("JPEG", "jpg", "image/jpeg")
PNG = FileKind("PNG", "png", "image/png")
DOCX = FileKind("DOCX", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileKind("XLSX", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DOCUMENT_KINDS = (PDF, JPEG, PNG, DOCX, XLSX)
IMAGE_KINDS = (JPEG, PNG)


def sniff(head: bytes, upload) -> FileKind | None:
    """The kind of a file from its first bytes (and, for Office files, its zip directory)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        try:
            upload.seek(0)
            names = set(zipfile.ZipFile(upload).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if any(name.startswith("word/") for name in names):
                return DOCX
            if any(name.startswith("xl/") for name in names):
                return XLSX
    return None


def validate_upload(upload, kinds=DOCUMENT_KINDS, max_bytes=MAX_UPLOAD_BYTES) -> FileKind:
    """Refuse files that are too big or whose content is not one of ``kinds``.

    The name and the browser's content type are ignored: a renamed executable
    is refused whatever it is called.
    """
    if upload.size > max_bytes:
        raise ValidationError(
            _("Berkas terlalu besar (%(size)s MB); paling besar %(max)s MB.")
            % {"size": f"{upload.size / 1048576:.1f}", "max": max_bytes // 1048576},
            code="too_big",
        )
    upload.seek(0)
    head = upload.read(16)
    kind = sniff(head, upload)
    upload.seek(0)
    if kind not in kinds:
        raise ValidationError(
            _("Jenis berkas tidak diterima. Unggah %(kinds)s.") % {"kinds": ", ".join(k.label for k in kinds)},
            code="bad_type",
        )
    return kind


def clean_filename(name: str, kind: FileKind) -> str:
    """A safe display name with the extension that matches the content."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    stem = get_valid_filename(stem)[:80] or "berkas"
    return f"{stem}.{kind.extension}"


def upload_path(folder: str, filename: str) -> str:
    # A random folder per file: names never collide and are never guessable.
    return f"{folder}/{uuid.uuid4().hex}/{filename}"


@deconstructible
class _PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


# Reads MEDIA_ROOT on every access, so tests can point it at a temporary folder.
private_storage = _PrivateStorage()


def serve_private(field_file, *, filename: str, content_type: str, inline=False):
    """Answer with a private file; the caller has already checked permission."""
    response = FileResponse(field_file.open("rb"), as_attachment=not inline, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
