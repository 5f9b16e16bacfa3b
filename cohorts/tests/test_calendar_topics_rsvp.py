"""Members rank the topics and answer whether they will attend a session."""

import pytest
from django.urls import reverse

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import make_session, make_sme, make_topic
from conftest import login


@pytest.fixture
def topics(db):
    return [
        make_topic("Stress and sleep", position=1),
        make_topic("Peer support", position=2),
        make_topic("Fitness", position=3),
    ]


def ranks(topics, *order) -> dict:
    """Form data giving rank 1, 2, ... to the topics at the given indexes."""
    data = {f"topic_{t.pk}": "" for t in topics}
    for rank, index in enumerate(order, start=1):
        data[f"topic_{topics[index].pk}"] = str(rank)
    return data


# Topics ---------------------------------------------------------------------------------------


def test_a_member_ranks_the_topics(client, officer, cohort, topics):
    from cohorts.models import TopicVote

    login(client, officer)

    response = client.post(reverse("cohorts:topics", args=[cohort.slug]), ranks(topics, 1, 2))

    assert response.status_code == 302
    votes = TopicVote.objects.filter(cohort=cohort, user=officer).order_by("rank")
    assert [(v.topic.name, v.rank) for v in votes] == [("Peer support", 1), ("Fitness", 2)]


def test_ranking_again_replaces_the_earlier_ranking(client, officer, cohort, topics):
    from cohorts.models import TopicVote

    login(client, officer)
    client.post(reverse("cohorts:topics", args=[cohort.slug]), ranks(topics, 1, 2))

    client.post(reverse("cohorts:topics", args=[cohort.slug]), ranks(topics, 0))

    votes = TopicVote.objects.filter(cohort=cohort, user=officer)
    assert [(v.topic.name, v.rank) for v in votes] == [("Stress and sleep", 1)]


def test_the_same_rank_given_twice_is_refused(client, officer, cohort, topics):
    from cohorts.models import TopicVote

    login(client, officer)
    data = ranks(topics, 0, 1)
    data[f"topic_{topics[2].pk}"] = "1"

    response = client.post(reverse("cohorts:topics", args=[cohort.slug]), data)

    assert response.status_code == 200
    assert "Each rank can be used once" in page_text(response)
    assert not TopicVote.objects.exists()


def test_staff_see_the_ranking_by_borda_points_with_the_number_of_voters(
    client, staff, command, officer, peer, cohort, topics
):
    from cohorts.sessions import rank_topics

    stress, peer_support, fitness = topics
    # 3 topics: a first choice is worth 3 points, a second 2, a third 1.
    rank_topics(cohort=cohort, user=command, topic_ids=[fitness.pk, stress.pk])  # F3 S2
    rank_topics(cohort=cohort, user=officer, topic_ids=[stress.pk, fitness.pk])  # S3 F2
    rank_topics(cohort=cohort, user=peer, topic_ids=[peer_support.pk, fitness.pk])  # P3 F2
    login(client, staff)

    response = client.get(reverse("cohorts:topics", args=[cohort.slug]))

    ranking = response.context["ranking"]
    assert [(r["topic"].name, r["points"], r["voters"]) for r in ranking] == [
        ("Fitness", 7, 3),
        ("Stress and sleep", 5, 2),
        ("Peer support", 3, 1),
    ]
    assert "3 of 3 members voted" in page_text(response)


def test_votes_in_another_cohort_do_not_count(client, staff, officer, outsider, cohort, topics):
    from cohorts.sessions import rank_topics

    rank_topics(cohort=cohort, user=officer, topic_ids=[topics[2].pk])
    other = outsider.memberships.get().team.cohort
    rank_topics(cohort=other, user=outsider, topic_ids=[topics[0].pk])
    login(client, staff)

    response = client.get(reverse("cohorts:topics", args=[cohort.slug]))

    assert response.context["ranking"][0]["topic"] == topics[2]
    assert response.context["voters"] == 1


def test_members_do_not_see_the_cohorts_ranking(client, officer, cohort, topics):
    login(client, officer)

    response = client.get(reverse("cohorts:topics", args=[cohort.slug]))

    assert response.status_code == 200
    assert response.context["ranking"] is None
    assert "The cohort's ranking" not in page_text(response)


def test_staff_who_are_not_members_cannot_vote(client, staff, cohort, topics):
    from cohorts.models import TopicVote

    login(client, staff)

    response = client.post(reverse("cohorts:topics", args=[cohort.slug]), ranks(topics, 0))

    assert response.status_code == 403
    assert not TopicVote.objects.exists()


# RSVP -----------------------------------------------------------------------------------------


@pytest.fixture
def upcoming(cohort):
    return make_session(cohort, 1, title="Peer support teams")


def rsvp_url(session) -> str:
    return reverse("cohorts:rsvp", args=[session.cohort.slug, session.number])


def test_each_answer_replaces_the_last_one_person_one_row(client, officer, upcoming):
    from cohorts.models import Rsvp

    login(client, officer)

    for answer in ["going", "maybe", "not_going"]:
        response = client.post(rsvp_url(upcoming), {"response": answer})
        assert response.status_code == 302
        assert Rsvp.objects.get(session=upcoming, user=officer).response == answer
    assert Rsvp.objects.filter(session=upcoming).count() == 1


def test_answers_of_different_members_are_kept_apart(client, command, officer, upcoming):
    from cohorts.models import Rsvp

    login(client, officer)
    client.post(rsvp_url(upcoming), {"response": "going"})
    login(client, command)
    client.post(rsvp_url(upcoming), {"response": "not_going"})

    assert dict(Rsvp.objects.values_list("user__email", "response")) == {
        officer.email: "going",
        command.email: "not_going",
    }


def test_an_htmx_answer_returns_only_the_rsvp_card_saying_saved(client, officer, upcoming):
    from cohorts.models import Rsvp

    login(client, officer)

    response = client.post(
        rsvp_url(upcoming), {"response": "maybe"}, headers={"HX-Request": "true"}
    )

    body = page_text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="rsvp"' in body
    assert "Saved: Maybe." in body
    assert Rsvp.objects.get(session=upcoming, user=officer).response == "maybe"


def test_an_invalid_answer_is_refused(client, officer, upcoming):
    from cohorts.models import Rsvp

    login(client, officer)

    response = client.post(rsvp_url(upcoming), {"response": "perhaps"}, headers={"HX-Request": "1"})

    assert "Choose going, maybe or not going." in page_text(response)
    assert "Saved" not in page_text(response)
    assert not Rsvp.objects.exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_answering_for_a_cancelled_session_is_refused(client, officer, upcoming, htmx):
    from cohorts.models import Rsvp

    upcoming.cancel()
    login(client, officer)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(rsvp_url(upcoming), {"response": "going"}, headers=headers, follow=True)

    assert "This session was cancelled." in page_text(response)
    assert not Rsvp.objects.exists()


def test_a_presenter_who_is_not_a_member_cannot_answer(client, upcoming):
    from cohorts.models import Rsvp

    expert = make_sme()
    upcoming.presenters.add(expert)
    login(client, expert)

    response = client.post(rsvp_url(upcoming), {"response": "going"})

    assert response.status_code == 403
    assert not Rsvp.objects.exists()


def test_an_rsvp_needs_a_post(client, officer, upcoming):
    login(client, officer)

    assert client.get(rsvp_url(upcoming)).status_code == 405
