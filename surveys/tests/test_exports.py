import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import login
from surveys.exports import ANSWER_COLUMNS, CODEBOOK_COLUMNS
from surveys.models import Answer, WaveInvitation
from surveys.services import submit_response

from .conftest import END_ANSWERS

pytestmark = pytest.mark.django_db


def export_url(wave, fmt: str = "") -> str:
    url = reverse("surveys:export", args=[wave.cohort.slug, wave.pk])
    return f"{url}?format={fmt}" if fmt else url


@pytest.fixture
def answered(end_wave, officer, peer):
    for person in (officer, peer):
        invitation = WaveInvitation.objects.get(wave=end_wave, user=person)
        submit_response(invitation=invitation, answers=END_ANSWERS)
    return end_wave


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_answers_export_has_one_row_per_submitted_answer(client, staff, answered):
    response = login(client, staff).get(export_url(answered))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-answers.csv"')
    rows = read_csv(response)
    assert rows[0] == ANSWER_COLUMNS
    assert len(rows) - 1 == Answer.objects.filter(response__wave=answered).count() > 0
    peer_rows = [r for r in rows[1:] if r[5] == "peer_outreach"]
    assert [r[6] for r in peer_rows] == ["yes", "yes"]


def test_the_answers_export_never_names_a_person(client, staff, answered, officer):
    body = b"".join(login(client, staff).get(export_url(answered)).streaming_content).decode()

    assert officer.email not in body
    assert officer.last_name not in body


def test_the_codebook_explains_every_option_code(client, staff, answered):
    rows = read_csv(login(client, staff).get(export_url(answered, "codebook")))

    assert rows[0] == CODEBOOK_COLUMNS
    codes = {(r[0], r[4]) for r in rows[1:]}
    assert ("knowledge_sharing", "internal_external") in codes
    assert ("knowledge_sharing", "in_group") in codes
    assert ("peer_outreach", "yes") in codes


def test_the_xlsx_holds_the_answers_and_the_codebook(client, staff, answered):
    response = login(client, staff).get(export_url(answered, "xlsx"))

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["answers", "codebook"]
    answers = list(book["answers"].iter_rows(values_only=True))
    assert list(answers[0]) == ANSWER_COLUMNS
    assert len(answers) - 1 == Answer.objects.filter(response__wave=answered).count()
    assert list(next(book["codebook"].iter_rows(values_only=True))) == CODEBOOK_COLUMNS


def test_members_cannot_export(client, officer, answered):
    assert login(client, officer).get(export_url(answered)).status_code == 403


HOSTILE = '=HYPERLINK("http://evil.example","Click")'


def test_an_answer_shaped_like_a_formula_stays_text_in_both_formats(
    client, staff, end_wave, officer
):
    invitation = WaveInvitation.objects.get(wave=end_wave, user=officer)
    submit_response(invitation=invitation, answers={**END_ANSWERS, "most_useful": HOSTILE})
    login(client, staff)

    rows = read_csv(client.get(export_url(end_wave)))
    book = load_workbook(io.BytesIO(client.get(export_url(end_wave, "xlsx")).content))

    assert [r[8] for r in rows if r[5] == "most_useful"] == ["'" + HOSTILE]
    cells = [
        row[8] for row in book["answers"].iter_rows(min_row=2) if row[5].value == "most_useful"
    ]
    assert [(c.value, c.data_type) for c in cells] == [(HOSTILE, "s")]
