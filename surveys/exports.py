"""A wave's submitted answers as data: long format (one row per answer) with a codebook."""

import io
from collections.abc import Iterator

from openpyxl import Workbook

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
    for title, rows in (("answers", answer_rows(wave)), ("codebook", codebook_rows(wave))):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
