"""The peer-contact measure: members who reached someone from another agency, counted."""

import html
import re
from datetime import datetime

import pytest
from django.urls import reverse

from conftest import login, make_agency, make_member, make_team, make_user
from forum import messaging, posting
from forum.measures import contact_makers, peer_contacts

from .helpers import answer, start

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def dm(cohort, author, *to, when=None):
    return messaging.start_conversation(
        cohort=cohort, author=author, recipients=to, body="Hello", when=when
    )[0]


def test_nobody_has_made_contact_in_a_quiet_cohort(cohort, command, officer, peer):
    assert peer_contacts(cohort) == (0, 3)


def test_a_direct_message_to_another_agency_counts_for_the_sender(cohort, command, officer, peer):
    dm(cohort, command, peer)

    assert peer_contacts(cohort) == (1, 3)
    assert list(contact_makers(cohort)) == [command]


def test_messages_within_ones_own_agency_or_to_staff_do_not_count(cohort, command, officer, staff):
    dm(cohort, command, officer)
    dm(cohort, officer, staff)

    assert peer_contacts(cohort) == (0, 2)


def test_a_group_with_someone_from_another_agency_counts(cohort, command, officer, peer):
    messaging.start_conversation(
        cohort=cohort, author=officer, recipients=[command, peer], body="Group", title="Leads"
    )

    assert peer_contacts(cohort) == (1, 3)


def test_replying_in_another_agencys_thread_counts(cohort, general, command, officer, peer):
    own = start(general, command)
    answer(own, officer)  # own agency's thread: no
    theirs = start(general, peer)  # starting a thread is not contact
    assert peer_contacts(cohort) == (0, 3)

    answer(theirs, officer)

    assert peer_contacts(cohort) == (1, 3)
    assert list(contact_makers(cohort)) == [officer]


def test_quoting_another_agencys_post_counts(cohort, general, command, officer, peer):
    thread = start(general, command)
    by_peer = answer(thread, peer)  # Dave replied to Riverton's thread: Dave counts
    answer(thread, officer, quoted=by_peer)  # Carol quotes Dave: Carol counts

    assert {u.email for u in contact_makers(cohort)} == {peer.email, officer.email}


def test_deleted_replies_do_not_count(cohort, general, command, peer):
    thread = start(general, command)
    reply = answer(thread, peer)
    posting.delete_post(post=reply, by=peer)

    assert peer_contacts(cohort) == (0, 2)


def test_someone_on_two_agencies_teams_is_counted_once_and_fairly(cohort, command, peer, team):
    # Dave is on Marion's team and Riverton's: writing to Riverton is not another agency.
    make_member(team, peer, role="sworn")
    dm(cohort, peer, command)

    assert peer_contacts(cohort) == (0, 2)


def test_the_period_bounds_the_count(cohort, command, peer, officer):
    tz = cohort.tz
    dm(cohort, command, peer, when=datetime(2026, 2, 10, tzinfo=tz))
    dm(cohort, officer, peer, when=datetime(2026, 5, 10, tzinfo=tz))

    q1 = (datetime(2026, 1, 1, tzinfo=tz), datetime(2026, 4, 1, tzinfo=tz))
    q2 = (datetime(2026, 4, 1, tzinfo=tz), datetime(2026, 7, 1, tzinfo=tz))
    assert peer_contacts(cohort, *q1) == (1, 3)
    assert peer_contacts(cohort, *q2) == (1, 3)
    assert peer_contacts(cohort) == (2, 3)


def test_other_cohorts_never_count(cohort, other_cohort, command, peer, outsider):
    dm(cohort, command, peer)

    assert peer_contacts(other_cohort) == (0, 1)


@pytest.mark.parametrize("agencies", [3, 10])
def test_one_query_at_any_size(cohort, general, agencies, django_assert_num_queries):
    people = []
    for i in range(agencies):
        team = make_team(cohort, make_agency(f"Agency {i} Police Department"))
        person = make_user(f"a{i}@example.com", first="A", last=str(i))
        make_member(team, person, role="command_staff", is_lead=True)
        people.append(person)
    for i, person in enumerate(people[:-1]):
        dm(cohort, person, people[i + 1])
        thread = start(general, person)
        answer(thread, people[-1])

    with django_assert_num_queries(1):
        made, members = peer_contacts(cohort)

    assert (made, members) == (agencies, agencies)


# The staff page and the funder's report ------------------------------------------------------


def test_staff_see_the_count_beside_the_survey(client, cohort, command, officer, peer, staff):
    dm(cohort, command, peer)

    response = login(client, staff).get(reverse("forum:peer_contact", args=[cohort.slug]))

    assert response.status_code == 200
    page = text(response)
    assert "On the platform 33.3% (1 of 3; 95% CI" in page
    assert "No survey answers about reaching out to peers yet" in page
    assert "Dave" not in page and "Bob" not in page  # counts only


def test_members_are_refused_the_measure_and_outsiders_find_nothing(
    client, cohort, command, outsider
):
    url = reverse("forum:peer_contact", args=[cohort.slug])

    assert login(client, command).get(url).status_code == 403
    assert login(client, outsider).get(url).status_code == 404


def test_an_unknown_period_goes_back_to_the_whole_cohort(client, cohort, staff):
    url = reverse("forum:peer_contact", args=[cohort.slug])

    response = login(client, staff).get(url + "?period=2030Q1", follow=True)

    assert response.redirect_chain[-1][0] == url
    assert "is not a reporting period" in text(response)


def test_a_quarter_of_the_cohort(client, cohort, command, peer, staff):
    dm(cohort, command, peer, when=datetime(2026, 5, 10, tzinfo=cohort.tz))
    url = reverse("forum:peer_contact", args=[cohort.slug])

    q1 = login(client, staff).get(url + "?period=2026Q1")
    q2 = client.get(url + "?period=2026Q2")

    assert "(0 of 2;" in text(q1)
    assert "(1 of 2;" in text(q2)


@pytest.mark.parametrize("members", [2, 8])
def test_the_funder_report_counts_the_measure_in_a_query_it_runs_anyway(
    cohort, command, peer, members, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys import funder

    team = make_team(cohort, make_agency("Extra Police Department"))
    for i in range(members):
        person = make_user(f"x{i}@extra.example")
        make_member(team, person)
        dm(cohort, person, peer)

    with CaptureQueriesContext(connection) as with_measure:
        report = funder.funder_report(cohort)
    with monkeypatch.context() as patched:
        patched.setattr(funder, "platform_peer_contacts", lambda cohort, period: None)
        with CaptureQueriesContext(connection) as without:
            funder.funder_report(cohort)

    assert len(with_measure) == len(without)

    assert (report.peer_contacts.count, report.peer_contacts.n) == (members, members + 2)


def test_the_outcomes_page_shows_the_platform_figure(client, cohort, command, officer, peer, staff):
    dm(cohort, command, peer)
    dm(cohort, officer, peer)

    response = login(client, staff).get(reverse("surveys:outcomes", args=[cohort.slug]))

    assert "another agency: 66.7% (2 of 3; 95% CI" in text(response)
