"""The resource library: public summaries, member-only content and files, search and filters,
staff curation and members' suggestions."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.models import Topic
from conftest import login, make_user
from training.content import ensure_catalogue
from training.models import ResourceItem, ResourceSuggestion, SkillTheme

from .helpers import page_text

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a tiny test file\n%%EOF\n"
SECRET_BODY = "The member-only part: **practise** the real-time resilience prompts."


@pytest.fixture
def themes(db):
    ensure_catalogue()
    return {t.slug: t for t in SkillTheme.objects.all()}


@pytest.fixture
def topic(db):
    return Topic.objects.create(name="Resilience and Burnout", slug="resilience-and-burnout")


def make_item(title="Pocket card", *, published=True, roles=("officer",), file=True, **extra):
    item = ResourceItem(
        title=title,
        kind=extra.pop("kind", ResourceItem.Kind.DOCUMENT),
        summary=extra.pop("summary", "A one-page card with the core skills."),
        body=extra.pop("body", SECRET_BODY),
        url=extra.pop("url", ""),
        published=published,
    )
    item.role_list = roles
    if file:
        item.file.save("pocket-card.pdf", ContentFile(PDF), save=False)
    item.save()
    return item


@pytest.fixture
def outsider_without_team(db):
    return make_user("nemo@nowhere.example", first="Nemo", last="Visitor")


# Access ------------------------------------------------------------------------------------


def test_visitors_read_the_summary_and_are_asked_to_sign_in(client):
    item = make_item(url="https://video.example.org/secret-recording")

    response = client.get(item.get_absolute_url())

    text = page_text(response)
    assert "A one-page card with the core skills." in text
    assert "Sign in to read" in text
    assert f"/accounts/login/?next=/training/library/{item.pk}/" in text
    assert "member-only part" not in text
    assert "secret-recording" not in text
    assert reverse("training:resource_file", args=[item.pk]) not in text


def test_members_read_everything(client, officer):
    item = make_item(url="https://video.example.org/recording", kind="webinar")
    login(client, officer)

    text = page_text(client.get(item.get_absolute_url()))

    assert "<strong>practise</strong>" in text
    assert "https://video.example.org/recording" in text
    assert "Watch the recording" in text
    assert reverse("training:resource_file", args=[item.pk]) in text


def test_the_body_is_sanitised(client, officer):
    item = make_item(body="<script>window.__xss=1</script>[x](javascript:alert(1)) **ok**")
    login(client, officer)

    text = client.get(item.get_absolute_url()).content.decode()

    assert "<script>window.__xss" not in text
    assert 'href="javascript:' not in text
    assert "<strong>ok</strong>" in text


def test_a_visitor_opening_the_file_gets_the_sign_in_page_never_the_file(client):
    item = make_item()
    url = reverse("training:resource_file", args=[item.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert b"%PDF" not in response.content
    followed = client.get(url, follow=True)
    assert followed.status_code == 200
    assert followed.request["PATH_INFO"] == "/accounts/login/"


def test_a_signed_in_person_on_no_team_is_refused_the_file(client, outsider_without_team):
    item = make_item()
    login(client, outsider_without_team)

    response = client.get(reverse("training:resource_file", args=[item.pk]))

    assert response.status_code == 403
    assert "This is for members of the program's teams" in page_text(response)
    assert b"%PDF" not in response.content
    assert "member-only part" not in page_text(client.get(item.get_absolute_url()))


@pytest.mark.parametrize("who", ["officer", "command", "outsider", "staff"])
def test_members_and_staff_download_the_file_as_an_attachment(client, request, who):
    item = make_item()
    login(client, request.getfixturevalue(who))

    response = client.get(reverse("training:resource_file", args=[item.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pocket-card.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_drafts_are_hidden_from_everyone_but_staff(client, officer, staff):
    draft = make_item("Draft guide", published=False)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Draft guide" not in page_text(client.get(reverse("training:library")))
    login(client, officer)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("training:resource_file", args=[draft.pk])).status_code == 404
    login(client, staff)
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert "Draft guide" in page_text(client.get(reverse("training:library")))


# Search and filters ------------------------------------------------------------------------


def test_search_and_filters(client, themes, topic):
    mind = make_item("Thinking traps exercise", roles=("command_staff", "officer"), kind="guide")
    mind.themes.set([themes["mind"]])
    mind.topics.set([topic])
    family = make_item("Positive conversations at home", roles=("family",), kind="video",
                       summary="Good-news conversations for families.")  # fmt: skip
    family.themes.set([themes["connection"]])
    dispatch = make_item("Reset between calls", roles=("dispatcher",), summary="Breathing.")
    dispatch.themes.set([themes["energy"]])

    def titles(query: str) -> list[str]:
        response = client.get(reverse("training:library") + query)
        return sorted(item.title for item in response.context["page"].object_list)

    assert titles("") == sorted([mind.title, family.title, dispatch.title])
    assert titles("?q=conversations") == [family.title]
    assert titles("?q=GOOD-NEWS families") == [family.title]
    assert titles("?theme=mind") == [mind.title]
    assert titles("?topic=resilience-and-burnout") == [mind.title]
    assert titles("?role=officer") == [mind.title]
    assert titles("?role=family") == [family.title]
    assert titles("?kind=video") == [family.title]
    assert titles("?theme=energy&role=dispatcher") == [dispatch.title]
    assert titles("?theme=energy&role=family") == []
    # Unknown values are ignored rather than failing.
    assert len(titles("?theme=nonsense&role=pilot&kind=zzz")) == 3


def test_an_empty_search_says_so(client):
    make_item()

    text = page_text(client.get(reverse("training:library") + "?q=unicorns"))

    assert "Nothing in the library matches these filters." in text


# Staff curation ----------------------------------------------------------------------------


def item_form(**extra) -> dict:
    data = {
        "title": "Resilience strategies for dispatchers",
        "kind": "guide",
        "summary": "Strategies for telecommunicators.",
        "body": "Close the loop.",
        "url": "",
        "roles": ["dispatcher", "command_staff"],
        "published": "on",
    }
    data.update(extra)
    return data


def test_staff_add_an_item_with_a_checked_file(client, staff, themes):
    login(client, staff)

    response = client.post(
        reverse("training:resource_create"),
        item_form(
            themes=[themes["mind"].pk],
            file=SimpleUploadedFile("guide.pdf", PDF, content_type="application/pdf"),
        ),
    )

    assert response.status_code == 302
    item = ResourceItem.objects.get()
    assert item.role_list == ["dispatcher", "command_staff"]
    assert item.roles == ",dispatcher,command_staff,"
    assert list(item.themes.all()) == [themes["mind"]]
    assert item.created_by == staff
    assert item.filename == "guide.pdf"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("guide.pdf", b"<html><script>alert(1)</script></html>", "is not a .pdf file"),
        ("page.html", b"<html></html>", "Web pages, SVG images and scripts cannot be shared"),
        ("tool.exe", b"MZ\x90\x00", "This kind of file cannot be shared here."),
    ],
)
def test_uploads_are_checked_by_content(client, staff, name, content, message):
    login(client, staff)

    response = client.post(
        reverse("training:resource_create"),
        item_form(file=SimpleUploadedFile(name, content)),
    )

    assert response.status_code == 200
    assert message in page_text(response)
    assert not ResourceItem.objects.exists()


def test_members_cannot_curate(client, officer):
    item = make_item()
    login(client, officer)

    assert client.get(reverse("training:resource_create")).status_code == 403
    assert (
        client.post(reverse("training:resource_edit", args=[item.pk]), item_form()).status_code
        == 403
    )
    item.refresh_from_db()
    assert item.title == "Pocket card"


# Suggestions -------------------------------------------------------------------------------


def test_a_member_suggests_a_resource_from_a_forum_post(client, officer, cohort, settings):
    settings.SITE_URL = "https://collaborative.example"
    login(client, officer)

    response = client.post(
        reverse("training:suggest"),
        {
            "title": "Peer support start-up checklist",
            "url": "https://resources.example.org/checklist",
            "forum_post_url": f"https://collaborative.example/cohorts/{cohort.slug}/forum/p/12/",
            "note": "Helped us start our team.",
        },
        follow=True,
    )

    assert "staff will review “Peer support start-up checklist”" in page_text(response)
    suggestion = ResourceSuggestion.objects.get()
    assert suggestion.suggested_by == officer
    assert suggestion.status == ResourceSuggestion.Status.PENDING


@pytest.mark.parametrize(
    "address",
    [
        "https://elsewhere.example/cohorts/osw-test/forum/p/12/",
        "https://collaborative.example/training/library/",
        "https://collaborative.example/not/a/page/",
    ],
)
def test_a_forum_post_link_must_point_at_a_forum_post_here(client, officer, address, settings):
    settings.SITE_URL = "https://collaborative.example"
    login(client, officer)

    response = client.post(
        reverse("training:suggest"),
        {"title": "Something", "forum_post_url": address, "note": "Useful."},
    )

    assert "This is not the address of a forum post here." in page_text(response)
    assert not ResourceSuggestion.objects.exists()


def test_only_members_suggest(client, outsider_without_team):
    url = reverse("training:suggest")
    assert client.get(url)["Location"].startswith("/accounts/login/")
    login(client, outsider_without_team)
    assert client.post(url, {"title": "x", "note": "y"}).status_code == 403
    assert not ResourceSuggestion.objects.exists()


def test_staff_approve_a_suggestion_into_a_draft(client, staff, officer):
    suggestion = ResourceSuggestion.objects.create(
        title="Sleep on rotating shifts",
        url="https://resources.example.org/sleep",
        note="A clear handout.",
        suggested_by=officer,
    )
    login(client, staff)

    response = client.post(
        reverse("training:suggestion_review", args=[suggestion.pk]), {"decision": "approve"}
    )

    item = ResourceItem.objects.get()
    assert response["Location"] == reverse("training:resource_edit", args=[item.pk])
    assert (item.title, item.url, item.published) == (
        "Sleep on rotating shifts",
        "https://resources.example.org/sleep",
        False,
    )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.item, suggestion.reviewed_by) == ("approved", item, staff)

    again = client.post(
        reverse("training:suggestion_review", args=[suggestion.pk]),
        {"decision": "decline"},
        follow=True,
    )
    assert "This suggestion has already been reviewed." in page_text(again)
    assert ResourceItem.objects.count() == 1


def test_staff_decline_a_suggestion(client, staff, officer):
    suggestion = ResourceSuggestion.objects.create(title="Spam", note="x", suggested_by=officer)
    login(client, staff)

    client.post(
        reverse("training:suggestion_review", args=[suggestion.pk]), {"decision": "decline"}
    )

    suggestion.refresh_from_db()
    assert suggestion.status == ResourceSuggestion.Status.DECLINED
    assert not ResourceItem.objects.exists()
