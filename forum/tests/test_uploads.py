"""The shared upload checks: content must match the name, markup is refused, size is capped."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from collaborative.uploads import check_upload, content_type_for

from .helpers import PDF, PNG

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 10
DOCX = b"PK\x03\x04" + b"\x00" * 30


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.pdf", PDF), ("b.png", PNG), ("c.jpg", JPEG), ("d.JPEG", JPEG), ("e.gif", GIF),
     ("f.docx", DOCX), ("g.csv", b"agency,officers\nRiverton,60\n"), ("h.txt", "Café\n".encode())],
)  # fmt: skip
def test_real_files_are_accepted(name, content):
    check_upload(SimpleUploadedFile(name, content), max_bytes=1024 * 1024)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.png", b"<svg onload=alert(1)>", "not a .png file"),
        ("x.gif", PNG, "not a .gif file"),
        ("x.jpg", b"<html><script>", "not a .jpg file"),
        ("x.txt", b"  <HTML><body>", "markup"),
        ("x.txt", b"hello <svg/onload=alert(1)>", "markup"),
        ("x.csv", b'<?xml version="1.0"?><svg/>', "markup"),
        ("x.txt", b"\x00\x01\x02binary\xff\xfe", "not text"),
        ("x.svg", b"<svg/>", "SVG"),
        ("x.SVG", PNG, "SVG"),
        ("x.html", b"plain", "Web pages"),
        ("x.htm", b"plain", "Web pages"),
        ("x.exe", b"MZ", "cannot be shared"),
        ("noextension", PDF, "cannot be shared"),
    ],
)
def test_disguised_and_unwanted_files_are_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        check_upload(SimpleUploadedFile(name, content), max_bytes=1024 * 1024)


def test_the_size_limit_is_enforced_and_named():
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        check_upload(
            SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024)),
            max_bytes=10 * 1024 * 1024,
        )


def test_a_narrower_list_of_kinds_is_honoured():
    with pytest.raises(ValidationError, match="cannot be shared"):
        check_upload(SimpleUploadedFile("a.gif", GIF), extensions=["pdf"])


def test_session_materials_keep_their_limit(settings):
    settings.MATERIAL_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than 1 KB"):
        check_upload(SimpleUploadedFile("a.pdf", PDF + b"0" * 2048))


def test_the_download_type_comes_from_the_checked_extension():
    assert content_type_for("Policy.PDF") == "application/pdf"
    assert content_type_for("chart.jpeg") == "image/jpeg"
    assert content_type_for("odd.bin") == "application/octet-stream"
