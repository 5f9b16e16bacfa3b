"""Staff build surveys in the admin: questions with codes, kinds and order; options by code."""

import pytest
from django.urls import reverse

from surveys.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)
    return client


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_a_new_likert_or_yes_no_question_gets_its_fixed_options(admin_client):
    response = admin_client.post(
        reverse("admin:surveys_survey_add"),
        {
            "title": "Family night pulse",
            "code": "family-night",
            "description": "",
            **inline(
                "questions",
                [
                    {"position": "1", "code": "useful", "text": "Useful?", "kind": "likert",
                     "required": "on", "help_text": "One is lowest."},
                    {"position": "2", "code": "again", "text": "Come again?", "kind": "yes_no",
                     "required": "on", "help_text": ""},
                    {"position": "3", "code": "why", "text": "Why?", "kind": "text",
                     "help_text": ""},
                ],
            ),
        },
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    survey = Survey.objects.get(code="family-night")
    options = {
        q.code: [o.code for o in q.options.all()] for q in survey.questions.order_by("position")
    }
    assert options == {"useful": ["1", "2", "3", "4", "5"], "again": ["yes", "no"], "why": []}
    assert survey.questions.get(code="useful").help_text == "One is lowest."


def test_a_question_code_is_unique_within_its_survey(admin_client):
    row = {"position": "1", "code": "same", "text": "A?", "kind": "text", "help_text": ""}
    response = admin_client.post(
        reverse("admin:surveys_survey_add"),
        {"title": "Twice", "code": "twice", **inline("questions", [row, {**row, "text": "B?"}])},
    )

    assert response.status_code == 200
    assert not Survey.objects.filter(code="twice").exists()
