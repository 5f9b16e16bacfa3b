"""The training lists run a fixed number of queries whatever the number of rows."""

import pytest
from django.urls import reverse

from cohorts.models import Topic
from conftest import login, make_agency
from training.content import ensure_catalogue
from training.models import ProgramContent, ResourceItem, SkillTheme

from .helpers import in_days, make_event, make_registration, make_request

SIZES = [2, 12]


@pytest.fixture(params=SIZES, ids=[f"{n}-rows" for n in SIZES])
def size(request):
    return request.param


@pytest.fixture
def events(db, size):
    agencies = [make_agency(f"Agency {i:02} Police Department") for i in range(3)]
    made = []
    for i in range(size):
        event = make_event(
            title=f"Training {i}", date=in_days(10 + i), capacity=4, per_agency_limit=2
        )
        for n, agency in enumerate(agencies):
            make_registration(event, agency, n)
        make_registration(event, agencies[0], 9, status="waitlisted")
        made.append(event)
    return made


@pytest.fixture
def library(db, size):
    ensure_catalogue()
    themes = list(SkillTheme.objects.all())
    topics = [Topic.objects.create(name=f"Topic {i}", slug=f"topic-{i}") for i in range(3)]
    for i in range(size):
        item = ResourceItem(
            title=f"Item {i}", kind="guide", summary="About resilience.", published=True
        )
        item.role_list = ["officer", "family"]
        item.save()
        item.themes.set(themes[: 1 + i % 3])
        item.topics.set(topics[: 1 + i % 3])
    return size


def test_the_events_list(client, events, django_assert_num_queries):
    # count, trainings with their seat counts
    with django_assert_num_queries(2):
        response = client.get(reverse("training:events"))

    listed = response.context["page"].object_list
    assert len(listed) == len(events)
    assert listed[0].confirmed_count == 3
    assert listed[0].waitlisted_count == 1


def test_the_program_page(client, events, django_assert_num_queries):
    ProgramContent.load()
    ensure_catalogue()

    # content, themes, focus areas, upcoming trainings
    with django_assert_num_queries(4):
        response = client.get(reverse("training:program"))

    assert len(response.context["events"]) == min(len(events), 6)


def test_the_library_for_a_visitor(client, library, django_assert_num_queries):
    # themes, topics, count, items, their themes, their topics
    with django_assert_num_queries(6):
        response = client.get(reverse("training:library"))

    assert len(response.context["page"].object_list) == library


def test_the_library_filtered_for_a_member(client, officer, library, django_assert_num_queries):
    login(client, officer)

    # session, user, themes, topics, membership check, count, items, their themes, their topics
    with django_assert_num_queries(9):
        response = client.get(reverse("training:library") + "?q=resilience&role=officer&theme=mind")

    assert response.context["page"].paginator.count > 0


def test_the_request_queue(client, staff, size, django_assert_num_queries):
    event = make_event()
    for i in range(size):
        make_request(agency_name=f"Agency {i}", status="scheduled" if i % 2 else "received",
                     event=event if i % 2 else None)  # fmt: skip
    login(client, staff)

    # session, user, counts by status, count, requests with their trainings
    with django_assert_num_queries(5):
        response = client.get(reverse("training:requests"))

    assert len(response.context["page"].object_list) == size


def test_the_roster(client, staff, size, django_assert_num_queries):
    event = make_event(capacity=50, per_agency_limit=2)
    for i in range(size):
        agency = make_agency(f"Roster Agency {i:02}")
        make_registration(event, agency, 2 * i)
        make_registration(event, agency, 2 * i + 1, status="waitlisted" if i % 2 else "confirmed")
    login(client, staff)

    # session, user, training with counts, registrations, counts by agency
    with django_assert_num_queries(5):
        response = client.get(reverse("training:roster", args=[event.pk]))

    assert len(response.context["confirmed"]) + len(response.context["waitlisted"]) == 2 * size


def test_the_registration_page_for_a_coordinator(
    client, command, team, size, django_assert_num_queries
):
    event = make_event(capacity=50, per_agency_limit=50)
    for n in range(size):
        make_registration(event, team.agency, n)
    login(client, command)

    # session, user, training with counts, my agencies, seats by agency, my registrations
    with django_assert_num_queries(6):
        response = client.get(reverse("training:register", args=[event.pk]))

    assert len(response.context["registrations"]) == size
