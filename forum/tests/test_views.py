"""The forum's pages: reading, posting, moderation, search and who may see what."""

import pytest
from django.urls import reverse

from conftest import login
from forum import posting
from forum.models import Attachment, Flag, Notification, Post, Thread, Watch

from .helpers import PDF, PNG, answer, page_text, start, upload

pytestmark = pytest.mark.django_db


def url(name: str, cohort, *args) -> str:
    return reverse(f"forum:{name}", args=[cohort.slug, *args])


def test_the_index_lists_general_and_a_category_per_topic(client, cohort, officer):
    from cohorts.models import Topic

    Topic.objects.create(name="Mentorship", slug="mentorship", position=1)
    login(client, officer)

    response = client.get(url("index", cohort))

    assert response.status_code == 200
    names = [c.name for c in response.context["categories"]]
    assert names == ["General", "Mentorship"]
    assert "Nobody has started a thread yet" in page_text(response)


def test_a_member_starts_a_thread(client, cohort, general, officer):
    login(client, officer)

    response = client.post(
        url("thread_new", cohort),
        {
            "category": general.pk,
            "title": "Shift-work sleep",
            "body": "What helps your night shift?",
        },
    )

    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert thread.author == officer
    assert thread.posts.get().body == "What helps your night shift?"


def test_a_thread_needs_a_title_and_a_message(client, cohort, general, officer):
    login(client, officer)

    response = client.post(
        url("thread_new", cohort), {"category": general.pk, "title": " ", "body": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"title", "body"}
    assert not Thread.objects.exists()


def test_a_category_of_another_cohort_cannot_be_chosen(
    client, cohort, general, other_general, officer
):
    login(client, officer)

    response = client.post(
        url("thread_new", cohort), {"category": other_general.pk, "title": "Sneaky", "body": "x"}
    )

    assert response.status_code == 200
    assert "Choose a category from the list." in page_text(response)
    assert not Thread.objects.exists()


def test_a_member_of_another_agency_replies_quoting_and_mentioning(
    client, cohort, general, command, peer
):
    thread = start(general, command, body="We start with a **peer team** of two.")
    opening = thread.posts.get()
    login(client, peer)

    page = client.get(url("thread", cohort, thread.pk), {"quote": opening.pk})
    prefilled = page.context["form"].initial
    assert prefilled["body"].startswith(
        "> **Bob Chief** wrote:\n>\n> We start with a **peer team**"
    )
    assert prefilled["quoted"] == opening.pk

    response = client.post(
        url("thread", cohort, thread.pk),
        {"body": prefilled["body"] + "Same for us, @bob.chief.", "quoted": opening.pk},
        follow=True,
    )

    reply = Post.objects.get(number=2)
    assert reply.quoted == opening
    assert 'class="mention"' in reply.body_html
    assert Notification.objects.filter(recipient=command, kind="mention").exists()
    assert Notification.objects.filter(recipient=command, kind="reply").exists()
    text = page_text(response)
    assert "Your reply is posted." in text
    assert "In reply to" in text and "Bob Chief's post #1</a>" in text


def test_mentioning_a_non_member_says_they_were_not_notified(
    client, cohort, general, command, peer
):
    thread = start(general, command)
    login(client, peer)

    response = client.post(
        url("thread", cohort, thread.pk), {"body": "Ask @erin.outsider"}, follow=True
    )

    assert "@erin.outsider is not a member of this cohort, so they were not notified." in (
        page_text(response)
    )
    assert thread.posts.count() == 2


def test_a_reply_to_a_locked_thread_is_refused_and_the_text_kept(
    client, cohort, general, command, peer, staff
):
    thread = start(general, command)
    posting.moderate_thread(thread=thread, by=staff, locked=True)
    login(client, peer)

    page = client.get(url("thread", cohort, thread.pk))
    assert "This thread is locked" in page_text(page)
    response = client.post(url("thread", cohort, thread.pk), {"body": "One more thing"})

    assert response.status_code == 200
    assert "This thread is locked: program staff closed it to new replies." in page_text(response)
    assert "One more thing" in page_text(response)
    assert thread.posts.count() == 1


def test_the_thread_page_shows_edited_deleted_and_hidden_posts(
    client, cohort, general, command, peer, staff
):
    thread = start(general, command)
    edited = answer(thread, peer, body="First draft")
    posting.edit_post(post=edited, editor=peer, body="Second draft")
    gone = answer(thread, peer, body="Regret this")
    posting.delete_post(post=gone, by=peer)
    hidden = answer(thread, peer, body="Names a person")
    posting.set_post_hidden(post=hidden, by=staff, hidden=True)
    login(client, command)

    text = page_text(client.get(url("thread", cohort, thread.pk)))

    assert "Second draft" in text and "edited" in text
    assert "This post was deleted." in text and "Regret this" not in text
    assert "This post was hidden by program staff." in text and "Names a person" not in text
    login(client, staff)
    assert "Names a person" in page_text(client.get(url("thread", cohort, thread.pk)))


def test_the_thread_is_paginated_by_twenty_posts(client, cohort, general, command):
    thread = start(general, command)
    for i in range(24):
        answer(thread, command, body=f"Reply {i}")
    login(client, command)

    last = client.get(url("thread", cohort, thread.pk), {"page": "last"})

    assert last.context["page"].number == 2
    assert [p.number for p in last.context["posts"]] == [21, 22, 23, 24, 25]
    post = Post.objects.get(thread=thread, number=23)
    assert client.get(url("post", cohort, post.pk))["Location"] == (
        f"{thread.get_absolute_url()}?page=2#post-23"
    )


def test_unread_markers_clear_as_pages_are_read(client, cohort, general, command, peer):
    thread = start(general, command)
    login(client, peer)
    client.get(url("thread", cohort, thread.pk))
    reply = answer(thread, command, body="Something new")

    listing = client.get(url("category", cohort, general.slug))
    assert listing.context["page"].object_list[0].is_unread
    assert client.get(url("thread_unread", cohort, thread.pk))["Location"] == (
        f"{thread.get_absolute_url()}?page=1#post-2"
    )

    page = client.get(url("thread", cohort, thread.pk))
    assert page.context["first_unread"] == reply.number
    listing = client.get(url("category", cohort, general.slug))
    assert not listing.context["page"].object_list[0].is_unread


def test_an_earlier_page_does_not_bring_back_unread_markers(client, cohort, general, command, peer):
    thread = start(general, command)
    for _ in range(25):
        answer(thread, command)
    login(client, peer)

    client.get(url("thread", cohort, thread.pk), {"page": 2})
    client.get(url("thread", cohort, thread.pk), {"page": 1})

    listing = client.get(url("category", cohort, general.slug))
    assert not listing.context["page"].object_list[0].is_unread


def test_the_category_lists_pinned_threads_first_and_paginates(
    client, cohort, general, command, staff
):
    threads = [start(general, command, title=f"Thread {i:02}") for i in range(27)]
    posting.moderate_thread(thread=threads[0], by=staff, pinned=True)
    login(client, command)

    first = client.get(url("category", cohort, general.slug))

    titles = [t.title for t in first.context["page"].object_list]
    assert titles[0] == "Thread 00"
    assert titles[1] == "Thread 26"
    assert len(titles) == 25
    assert len(client.get(url("category", cohort, general.slug), {"page": 2}).context["page"]) == 2


def test_members_edit_their_own_posts_through_the_page(client, cohort, general, command, peer):
    thread = start(general, command)
    login(client, peer)
    assert client.get(url("post_edit", cohort, thread.posts.get().pk)).status_code == 403

    login(client, command)
    response = client.post(
        url("post_edit", cohort, thread.posts.get().pk), {"title": "Renamed", "body": "Better"}
    )

    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.title == "Renamed"


def test_deleting_asks_for_confirmation(client, cohort, general, command):
    post = start(general, command).posts.get()
    login(client, command)

    confirm = client.get(url("post_delete", cohort, post.pk))
    assert "Delete post #1" in page_text(confirm)
    assert not Post.objects.get(pk=post.pk).is_deleted

    client.post(url("post_delete", cohort, post.pk))
    assert Post.objects.get(pk=post.pk).is_deleted


def test_staff_moderate_from_the_thread_page(client, cohort, general, command, staff):
    thread = start(general, command)
    login(client, command)
    assert (
        client.post(url("thread_moderate", cohort, thread.pk), {"action": "lock"}).status_code
        == 403
    )

    login(client, staff)
    for action in ("pin", "lock", "hide"):
        client.post(url("thread_moderate", cohort, thread.pk), {"action": action})

    thread.refresh_from_db()
    assert (thread.pinned, thread.locked, thread.hidden) == (True, True, True)


def test_a_hidden_thread_is_gone_for_members_but_not_staff(client, cohort, general, command, staff):
    thread = start(general, command, title="Hidden away")
    posting.moderate_thread(thread=thread, by=staff, hidden=True)

    login(client, command)
    assert client.get(url("thread", cohort, thread.pk)).status_code == 404
    assert "Hidden away" not in page_text(client.get(url("index", cohort)))
    assert "Hidden away" not in page_text(client.get(url("category", cohort, general.slug)))
    login(client, staff)
    assert client.get(url("thread", cohort, thread.pk)).status_code == 200


def test_a_member_flags_a_post_and_staff_review_it(client, cohort, general, command, peer, staff):
    post = start(general, command, body="Officer J. Doe's diagnosis is …").posts.get()
    login(client, peer)

    response = client.post(url("post_flag", cohort, post.pk), {"reason": "private"}, follow=True)
    assert "program staff will review the post" in page_text(response)
    again = client.post(url("post_flag", cohort, post.pk), {"reason": "private"}, follow=True)
    assert "already flagged" in page_text(again)
    assert client.get(url("flags", cohort)).status_code == 403

    login(client, staff)
    queue = client.get(url("flags", cohort))
    assert "Shares private or sensitive information" in page_text(queue)
    flag = Flag.objects.get()
    client.post(url("flag_resolve", cohort, flag.pk), {"outcome": "hidden"})

    assert Post.objects.get(pk=post.pk).is_hidden
    assert "No posts are waiting for review." in page_text(client.get(url("flags", cohort)))


def test_the_watch_toggle_works_with_and_without_htmx(client, cohort, general, command, peer):
    thread = start(general, command)
    login(client, peer)

    response = client.post(
        url("thread_watch", cohort, thread.pk), {"level": "watching"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Saved. You are watching this thread." in page_text(response)
    assert "<html" not in response.content.decode()
    assert Watch.objects.get(user=peer, thread=thread).level == "watching"

    response = client.post(url("thread_watch", cohort, thread.pk), {"level": "muted"})
    assert response.status_code == 302
    assert Watch.objects.get(user=peer, thread=thread).level == "muted"

    client.post(url("thread_watch", cohort, thread.pk), {"level": ""})
    assert not Watch.objects.filter(user=peer, thread=thread).exists()


def test_a_category_can_be_watched(client, cohort, general, command, peer):
    login(client, peer)

    client.post(url("category_watch", cohort, general.slug), {"level": "watching"})
    start(general, command, title="Fresh")

    assert Notification.objects.get(recipient=peer).kind == "thread"


def test_mention_suggestions_list_only_this_cohorts_members(
    client, cohort, command, officer, peer, outsider
):
    login(client, command)

    found = client.get(url("mention_suggestions", cohort), {"q": "d"}).json()["results"]
    everyone = client.get(url("mention_suggestions", cohort), {"q": ""}).json()["results"]

    assert found == [
        {"handle": "dave.deputy", "name": "Dave Deputy", "team": "Marion County Sheriff's Office"}
    ]
    handles = {m["handle"] for m in everyone}
    assert handles == {"carol.officer", "dave.deputy"}  # not the asker, not the outsider
    assert client.get(url("mention_suggestions", cohort), {"q": "er"}).json()["results"] == []


def test_mention_suggestions_are_capped_at_eight(client, cohort, team, command):
    from conftest import make_member, make_user

    for i in range(12):
        make_member(team, make_user(f"sam{i}@riverton.example", first="Sam", last=f"Smith{i:02}"))
    login(client, command)

    assert len(client.get(url("mention_suggestions", cohort), {"q": "sam"}).json()["results"]) == 8


def test_a_mention_links_to_the_members_team(client, cohort, team, command, peer, outsider):
    login(client, peer)

    assert client.get(url("member", cohort, command.pk))["Location"] == team.get_absolute_url()
    assert client.get(url("member", cohort, outsider.pk)).status_code == 404


# Attachments ----------------------------------------------------------------------------------


def post_with(client, cohort, thread, *files):
    return client.post(
        url("thread", cohort, thread.pk), {"body": "See attached.", "attachments": list(files)}
    )


def test_a_pdf_and_a_png_are_attached_and_downloaded(client, cohort, general, command, peer):
    thread = start(general, command)
    login(client, peer)

    response = post_with(
        client, cohort, thread, upload("policy.pdf", PDF), upload("chart.png", PNG)
    )

    assert response.status_code == 302
    files = {a.original_name: a for a in Attachment.objects.all()}
    assert set(files) == {"policy.pdf", "chart.png"}
    assert files["chart.png"].content_type == "image/png"
    assert "policy" not in files["policy.pdf"].file.name  # stored under a random name

    login(client, command)
    download = client.get(url("attachment", cohort, files["policy.pdf"].pk))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="policy.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("minutes.pdf", b"<html><script>alert(1)</script></html>", "content is not a .pdf file"),
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "not a .png"),
        ("notes.txt", b"<!DOCTYPE html><html><body onload=alert(1)>", "web page or SVG markup"),
        ("data.csv", b"a,b\n<svg onload=alert(1)>", "web page or SVG markup"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG images"),
        ("page.html", b"<p>hi</p>", "Web pages"),
        ("tool.exe", b"MZ\x90\x00", "This kind of file cannot be shared here."),
    ],
)
def test_disguised_or_unwanted_files_are_refused(
    client, cohort, general, command, peer, name, content, message
):
    thread = start(general, command)
    login(client, peer)

    response = post_with(client, cohort, thread, upload(name, content))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["attachments"])
    assert f"“{name}”" in errors and message in errors
    assert "See attached." in page_text(response)  # the message is kept
    assert thread.posts.count() == 1
    assert not Attachment.objects.exists()


def test_an_oversize_file_is_refused_with_the_limit(
    client, cohort, general, command, peer, settings
):
    settings.FORUM_ATTACHMENT_MAX_BYTES = 1024 * 1024
    thread = start(general, command)
    login(client, peer)

    response = post_with(client, cohort, thread, upload("big.pdf", PDF + b"0" * (1024 * 1024)))

    assert "“big.pdf”: The file is larger than 1 MB." in page_text(response)
    assert thread.posts.count() == 1


def test_at_most_five_files_per_post(client, cohort, general, command, peer):
    thread = start(general, command)
    login(client, peer)

    response = post_with(client, cohort, thread, *[upload(f"p{i}.pdf", PDF) for i in range(6)])

    assert "Attach at most 5 files to one post." in page_text(response)


def test_attachments_of_deleted_or_hidden_posts_are_not_served(
    client, cohort, general, command, peer, staff
):
    thread = start(general, command)
    login(client, peer)
    post_with(client, cohort, thread, upload("a.pdf", PDF))
    attachment = Attachment.objects.get()
    posting.set_post_hidden(post=attachment.post, by=staff, hidden=True)

    login(client, command)
    assert client.get(url("attachment", cohort, attachment.pk)).status_code == 404
    login(client, staff)
    assert client.get(url("attachment", cohort, attachment.pk)).status_code == 200

    posting.delete_post(post=attachment.post, by=staff)
    assert not Attachment.objects.exists()


# Outsiders ------------------------------------------------------------------------------------


@pytest.fixture
def foreign(other_general, outsider):
    """A thread with an attachment in the outsider's cohort."""
    thread = start(other_general, outsider, title="Lakeside only", body="Lakeside's secret plan")
    post = answer(thread, outsider, body="More secrets")
    Attachment.objects.create(
        post=post, file=upload("plan.pdf", PDF), original_name="plan.pdf",
        content_type="application/pdf", size=len(PDF),
    )  # fmt: skip
    return thread


def test_outsiders_get_404_for_another_cohorts_forum(
    client, other_cohort, foreign, command, cohort
):
    login(client, command)
    post = foreign.posts.last()
    attachment = Attachment.objects.get()

    for target in [
        url("index", other_cohort),
        url("thread", other_cohort, foreign.pk),
        url("thread_unread", other_cohort, foreign.pk),
        url("category", other_cohort, foreign.category.slug),
        url("post", other_cohort, post.pk),
        url("post_edit", other_cohort, post.pk),
        url("post_delete", other_cohort, post.pk),
        url("post_flag", other_cohort, post.pk),
        url("attachment", other_cohort, attachment.pk),
        url("search", other_cohort) + "?q=secret",
        url("mention_suggestions", other_cohort) + "?q=e",
        url("thread_new", other_cohort),
    ]:
        assert client.get(target).status_code == 404, target
    assert client.post(url("thread", other_cohort, foreign.pk), {"body": "hi"}).status_code == 404
    assert (
        client.post(
            url("thread_watch", other_cohort, foreign.pk), {"level": "watching"}
        ).status_code
        == 404
    )
    assert foreign.posts.count() == 2


def test_another_cohorts_ids_under_ones_own_cohort_are_404(
    client, cohort, general, foreign, command
):
    login(client, command)
    post = foreign.posts.last()

    assert client.get(url("thread", cohort, foreign.pk)).status_code == 404
    assert client.get(url("post", cohort, post.pk)).status_code == 404
    assert client.get(url("post_edit", cohort, post.pk)).status_code == 404
    assert client.get(url("attachment", cohort, Attachment.objects.get().pk)).status_code == 404
    assert client.post(url("post_flag", cohort, post.pk), {"reason": "spam"}).status_code == 404
    assert not Flag.objects.exists()


# Search ---------------------------------------------------------------------------------------


def test_search_finds_posts_and_titles_within_the_cohort_only(
    client, cohort, general, command, peer, foreign
):
    thread = start(general, command, title="Critical incident debriefs", body="Who runs yours?")
    answer(thread, peer, body="Our chaplain runs the debrief within 72 hours.")
    answer(thread, peer, body="Unrelated note about budgets.")
    login(client, command)

    by_body = client.get(url("search", cohort), {"q": "chaplain"})
    by_title = client.get(url("search", cohort), {"q": "debriefs"})
    foreign_words = client.get(url("search", cohort), {"q": "secret"})

    assert [p.number for p in by_body.context["page"].object_list] == [2]
    assert 1 in [p.number for p in by_title.context["page"].object_list]
    assert list(foreign_words.context["page"].object_list) == []
    assert "No posts match “secret”" in page_text(foreign_words)


def test_search_leaves_out_deleted_hidden_and_hidden_thread_posts(
    client, cohort, general, command, peer, staff
):
    shown = start(general, command, title="Open", body="wellness visible")
    deleted = answer(shown, peer, body="wellness deleted")
    posting.delete_post(post=deleted, by=peer)
    hidden_post = answer(shown, peer, body="wellness hidden post")
    posting.set_post_hidden(post=hidden_post, by=staff, hidden=True)
    hidden_thread = start(general, command, title="Closed", body="wellness hidden thread")
    posting.moderate_thread(thread=hidden_thread, by=staff, hidden=True)
    login(client, peer)

    results = client.get(url("search", cohort), {"q": "wellness"}).context["page"].object_list

    assert [p.body for p in results] == ["wellness visible"]


def test_search_pages_results(client, cohort, general, command):
    thread = start(general, command, body="resilience")
    for _ in range(25):
        answer(thread, command, body="resilience again")
    login(client, command)

    first = client.get(url("search", cohort), {"q": "resilience"})

    assert first.context["page"].paginator.count == 26
    assert len(first.context["page"]) == 20


@pytest.mark.postgres
def test_postgres_search_ranks_title_matches_and_understands_stems(
    client, cohort, general, command, peer
):
    mentoring = start(
        general, command, title="Mentoring new officers", body="How do you pair them?"
    )
    other = start(general, command, title="Budget", body="We discussed mentors briefly.")
    answer(other, peer, body="Unrelated.")
    login(client, command)

    results = list(client.get(url("search", cohort), {"q": "mentor"}).context["page"].object_list)
    assert [p.thread_id for p in results] == [mentoring.pk, other.pk]
    phrase = client.get(url("search", cohort), {"q": '"pair them"'}).context["page"].object_list
    assert [p.thread_id for p in phrase] == [mentoring.pk]
    excluded = (
        client.get(url("search", cohort), {"q": "mentor -budget"}).context["page"].object_list
    )
    assert [p.thread_id for p in excluded] == [mentoring.pk]


def test_the_same_reply_form_sent_twice_posts_once(client, cohort, general, command, peer):
    # The connection dropped before the answer came back, and the person pressed send again.
    thread = start(general, command)
    login(client, peer)
    page = client.get(url("thread", cohort, thread.pk))
    key = str(page.context["form"].initial["submission"])
    assert f'name="submission" value="{key}"' in page.content.decode()
    form = {"body": "Our debriefs happen the next shift.", "submission": key}

    first = client.post(url("thread", cohort, thread.pk), form)
    again = client.post(url("thread", cohort, thread.pk), form)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert thread.posts.filter(author=peer).count() == 1
    assert Notification.objects.filter(recipient=command, kind="reply").count() == 1
    # A new form is a new reply, even with the same words.
    fresh = client.get(url("thread", cohort, thread.pk)).context["form"].initial["submission"]
    assert str(fresh) != key
    client.post(url("thread", cohort, thread.pk), {**form, "submission": str(fresh)})
    assert thread.posts.filter(author=peer).count() == 2
