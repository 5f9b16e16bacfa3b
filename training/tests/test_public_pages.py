"""Public training pages open for visitors with real objects behind them (the URL inventory
probes them with made-up ids, which answer 404)."""

import pytest
from django.urls import reverse

from training.models import ResourceItem

from .helpers import make_event

pytestmark = pytest.mark.django_db


def test_every_public_training_page_opens_for_a_visitor(client):
    event = make_event()
    item = ResourceItem.objects.create(title="Card", kind="document", summary="S", published=True)

    for url in [
        reverse("training:program"),
        reverse("training:request_training"),
        reverse("training:request_thanks"),
        reverse("training:events"),
        reverse("training:events") + "?show=past",
        event.get_absolute_url(),
        reverse("training:library"),
        item.get_absolute_url(),
    ]:
        assert client.get(url).status_code == 200, url


def test_the_site_header_links_to_the_training_program_for_everyone(client, officer):
    for signed_in in (False, True):
        if signed_in:
            client.force_login(officer)
        text = client.get(reverse("home")).content.decode()
        assert f'href="{reverse("training:program")}">Training</a>' in text
        assert f'href="{reverse("training:library")}">Library</a>' in text


def test_the_program_page_describes_the_course(client):
    make_event(title="Officer Resilience Training — Pacific")

    text = client.get(reverse("training:program")).content.decode()

    for phrase in [
        "one-day, in-person",
        "Mind",
        "Energy",
        "Connection",
        "Learned Optimism",
        "Real-Time Resilience",
        "Avoiding Thinking Traps",
        "Managing Difficult Conversations",
        "dispatchers",
        "Officer Resilience Training — Pacific",
    ]:
        assert phrase in text, phrase


def test_staff_edit_the_program_page(client, staff, officer):
    client.force_login(officer)
    assert client.get(reverse("training:program_edit")).status_code == 403

    client.force_login(staff)
    response = client.post(
        reverse("training:program_edit"),
        {
            "title": "Resilience Training",
            "lead": "A new lead.",
            "about": "About **us**.",
            "course": "The day.",
            "attendees": "Everyone sworn, and dispatchers.",
            "outcomes": "Skills.",
            "request_intro": "Ask us.",
        },
        follow=True,
    )

    text = response.content.decode()
    assert "The program page is updated." in text
    assert "About <strong>us</strong>." in text
    assert "A new lead." in text
