"""A wave's submitted answers as data: long format (one row per answer) with a codebook."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .models import Answer, Question, Response, Wave

ANSWER_COLUMNS = [
    "wave",
    "response",
    "submitted_on",
    "role",
    "agency_kind",
    "question_code",
    "option_code",
    "number",
    "text",
]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(row: list) -> list:
    """The row with text that a spreadsheet would run as a formula (an answer such as
    "=HYPERLINK(…)") turned into plain text by a leading apostrophe."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in row]


def add_sheet(book: Workbook, title: str, rows: Iterable[list]) -> None:
    """Append ``rows`` as a sheet of a write-only workbook; text cells are never formulas."""
    sheet = book.create_sheet(title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)


CODEBOOK_COLUMNS = [
    "question_code",
    "question_text",
    "kind",
    "required",
    "option_code",
    "option_label",
]


def answer_rows(wave: Wave) -> Iterator[list]:
    """Header, then every submitted answer. Responses are identified by their id only, never by
    the person, so the file can be shared with evaluators."""
    yield ANSWER_COLUMNS
    answers = (
        Answer.objects.filter(response__wave=wave, response__status=Response.Status.SUBMITTED)
        .order_by("response_id", "question__position", "question_id", "option__position")
        .values_list(
            "response_id",
            "response__submitted_on",
            "response__role",
            "response__agency_kind",
            "question__code",
            "option__code",
            "number",
            "text",
        )
    )
    for response_id, submitted_on, role, kind, question, option, number, text in answers.iterator(
        chunk_size=2000
    ):
        yield [
            wave.pk,
            response_id,
            submitted_on.isoformat() if submitted_on else "",
            role,
            kind,
            question,
            option or "",
            "" if number is None else str(number),
            text,
        ]


def codebook_rows(wave: Wave) -> Iterator[list]:
    """What each code means: one row per option, or one per question without options."""
    yield CODEBOOK_COLUMNS
    questions = Question.objects.filter(survey_id=wave.survey_id).prefetch_related("options")
    for question in questions.order_by("position", "pk"):
        options = list(question.options.all())
        base = [question.code, question.text, question.kind, "yes" if question.required else "no"]
        if not options:
            yield [*base, "", ""]
        for option in options:
            yield [*base, option.code, option.label]


def workbook(wave: Wave) -> bytes:
    """The answers and the codebook as two sheets of one XLSX file."""
    book = Workbook(write_only=True)
    add_sheet(book, "answers", answer_rows(wave))
    add_sheet(book, "codebook", codebook_rows(wave))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def download(wave: Wave, kind: str, stem: str) -> HttpResponse:
    """The wave's answers as a download named ``stem``: ``csv`` (long format, streamed),
    ``codebook`` (CSV) or ``xlsx`` (both, as two sheets). Anything else is the answers CSV."""
    if kind == "xlsx":
        response = HttpResponse(
            workbook(wave),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    rows = codebook_rows(wave) if kind == "codebook" else answer_rows(wave)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(csv_safe(row)) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    suffix = "-codebook" if kind == "codebook" else "-answers"
    response["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.csv"'
    return response
