import html

from django.core.files.uploadedfile import SimpleUploadedFile

from forum import posting

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def start(category, author, title="Peer support team: where to start?", body="How did you begin?"):
    return posting.start_thread(
        category=category, author=author, title=title, body=body
    ).post.thread


def answer(thread, author, body="We began with two volunteers.", **extra):
    return posting.reply(thread=thread, author=author, body=body, **extra).post


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def page_text(response) -> str:
    return html.unescape(response.content.decode())
