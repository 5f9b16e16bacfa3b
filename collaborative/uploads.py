"""Checks every uploaded file goes through: size, and content that matches the name.

A file is accepted only when its extension is one we share and its first bytes look like that
kind of file, so a script or web page renamed ``report.pdf`` (or ``notes.txt``) is refused.
Accepted files are still only ever served as downloads, after an access check, with
``X-Content-Type-Options: nosniff``.
"""

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError

# What a file's first bytes must look like for each allowed extension.
SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "docx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"],
    "ppt": [b"\xd0\xcf\x11\xe0"],
    "xls": [b"\xd0\xcf\x11\xe0"],
}
TEXT_EXTENSIONS = {"csv", "txt"}

# The type a download is labelled with, decided by us from the checked extension, never taken
# from what the uploading browser claimed.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "ppt": "application/vnd.ms-powerpoint",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv",
    "txt": "text/plain",
}

# Markup a browser could be talked into running: refused even inside a "text" file.
MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|math|style)\b",
    re.IGNORECASE,
)
REFUSED_EXTENSIONS = {"svg", "svgz", "html", "htm", "xhtml", "xml", "js", "mjs"}


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(extension_of(name), "application/octet-stream")


def _megabytes(limit: int) -> str:
    size = limit / (1024 * 1024)
    return f"{size:g} MB" if size >= 1 else f"{limit // 1024} KB"


def check_upload(
    upload, *, max_bytes: int | None = None, extensions: Iterable[str] | None = None
) -> None:
    """Refuse files that are too big, or whose content does not match their name.

    ``max_bytes`` defaults to the session materials' limit; ``extensions`` narrows the kinds
    accepted (every kind in SIGNATURES and TEXT_EXTENSIONS by default).
    """
    limit = settings.MATERIAL_MAX_BYTES if max_bytes is None else max_bytes
    if upload.size > limit:
        raise ValidationError(f"The file is larger than {_megabytes(limit)}.")
    extension = extension_of(upload.name)
    allowed = set(extensions) if extensions is not None else set(SIGNATURES) | TEXT_EXTENSIONS
    if extension in REFUSED_EXTENSIONS:
        raise ValidationError(
            "Web pages, SVG images and scripts cannot be shared here: export a PDF instead."
        )
    head = upload.read(2048)
    upload.seek(0)
    if extension not in allowed:
        raise ValidationError("This kind of file cannot be shared here.")
    if extension in TEXT_EXTENSIONS:
        if MARKUP.search(head):
            raise ValidationError(
                "This file contains web page or SVG markup, which cannot be shared here."
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character may be cut at 2,048 bytes; only refuse binary content.
            if b"\x00" in head:
                raise ValidationError(
                    "This file is not text, although its name says it is."
                ) from None
        return
    signatures = SIGNATURES.get(extension, [])
    if not any(head.startswith(sig) for sig in signatures):
        raise ValidationError(
            f"This file's content is not a .{extension} file, although its name says it is."
        )


def download(field_file, filename: str, content_type: str | None = None):
    """Serve a stored upload as a download only, after the caller's access check.

    The browser is told never to sniff it, render it or keep it: a file that slipped past the
    content checks still cannot run as a page of this site. A file missing from storage is a 404.
    """
    from django.http import FileResponse, Http404

    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
