"""Pages of a cohort's forum. Every view starts from access_cohort, so outsiders get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from cohorts.access import access_cohort, staff_required
from cohorts.models import Membership
from collaborative.uploads import download

from . import posting, thread_page
from .access import access_attachment, access_category, access_post, access_thread
from .forms import (
    AnnouncementForm,
    EditPostForm,
    FlagForm,
    ReplyForm,
    SearchForm,
    ThreadForm,
    WatchForm,
)
from .measures import peer_contacts
from .mentions import Directory
from .models import (
    POSTS_PER_PAGE,
    Attachment,
    Category,
    Flag,
    Notification,
    Post,
    Thread,
    ThreadRead,
    Watch,
)
from .rendering import quote
from .search import search_posts

THREADS_PER_PAGE = 25
RESULTS_PER_PAGE = 20
FLAGS_PER_PAGE = 25
RECENT_THREADS = 8


def _refusal_messages(request: HttpRequest, exc) -> None:
    for text in exc.messages:
        messages.error(request, text)


def _warn_mentions(request: HttpRequest, posted: posting.Posted) -> None:
    for text in posted.warnings:
        messages.warning(request, text)


def _in_cohort(threads, cohort) -> list[Thread]:
    """Give threads of ``cohort`` their cohort, so that their addresses need no query."""
    threads = list(threads)
    for thread in threads:
        thread.cohort = cohort
    return threads


def _open_flag_count(user, cohort) -> int | None:
    if not user.is_staff:
        return None
    return Flag.objects.open().filter(post__thread__cohort=cohort).values("post").distinct().count()


# Index, categories, threads -------------------------------------------------------------------


@login_required
def index(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    posting.ensure_categories(cohort)
    threads = Thread.objects.in_cohort(cohort, request.user)
    shown = Q() if request.user.is_staff else Q(threads__hidden=False)
    latest = threads.filter(category=OuterRef("pk")).order_by("-last_post_at", "-pk")
    categories = list(
        Category.objects.filter(cohort=cohort)
        .annotate(
            thread_count=Count("threads", filter=shown),
            post_count=Sum("threads__post_count", filter=shown, default=0),
            latest_thread_id=Subquery(latest.values("pk")[:1]),
        )
        .order_by("position", "name")
    )
    unread = dict(
        threads.with_read_state(request.user)
        .filter(is_unread=True)
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    recent = _in_cohort(
        threads.with_read_state(request.user)
        .select_related("category", "last_post__author")
        .order_by("-last_post_at", "-pk")[:RECENT_THREADS],
        cohort,
    )
    latest_ids = [c.latest_thread_id for c in categories if c.latest_thread_id]
    latest_threads = {t.pk: t for t in recent if t.pk in latest_ids}
    missing = [pk for pk in latest_ids if pk not in latest_threads]
    if missing:
        found = Thread.objects.select_related("last_post__author").filter(pk__in=missing)
        latest_threads |= {t.pk: t for t in _in_cohort(found, cohort)}
    for category in categories:
        category.cohort = cohort
        category.latest_thread = latest_threads.get(category.latest_thread_id)
        category.unread_count = unread.get(category.pk, 0)
    return render(
        request,
        "forum/index.html",
        {
            "cohort": cohort,
            "categories": categories,
            "recent": recent,
            "open_flags": _open_flag_count(request.user, cohort),
            "search_form": SearchForm(),
        },
    )


def _watch_context(request, *, level: str, inherited: str = "", saved: bool = False) -> dict:
    return {
        "watch_form": WatchForm(initial={"level": level}),
        "watch_level": level or inherited,
        "watch_inherited": inherited,
        "watch_saved": saved,
    }


@login_required
def category(request: HttpRequest, slug: str, category_slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    section = access_category(request.user, cohort, category_slug)
    threads = (
        Thread.objects.in_cohort(cohort, request.user)
        .filter(category=section)
        .with_read_state(request.user)
        .select_related("author", "last_post__author")
        .listed()
    )
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _in_cohort(page.object_list, cohort)
    level = (
        Watch.objects.filter(user=request.user, category=section)
        .values_list("level", flat=True)
        .first()
    )
    return render(
        request,
        "forum/category.html",
        {
            "cohort": cohort,
            "category": section,
            "page": page,
            **_watch_context(request, level=level or ""),
        },
    )


@login_required
@require_POST
def category_watch(request: HttpRequest, slug: str, category_slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    section = access_category(request.user, cohort, category_slug)
    form = WatchForm(request.POST)
    level = form.cleaned_data["level"] if form.is_valid() else ""
    posting.set_watch(user=request.user, category=section, level=level)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "forum/category.html#watch",
            {
                "cohort": cohort,
                "category": section,
                **_watch_context(request, level=level, saved=True),
            },
        )
    messages.success(request, _watch_message(level, "category"))
    return redirect(section.get_absolute_url())


def _watch_message(level: str, what: str) -> str:
    if level == Watch.Level.WATCHING:
        return f"You are watching this {what}: you get a notification for every new post."
    if level == Watch.Level.MUTED:
        return f"This {what} is muted: you are notified only when someone mentions you."
    return f"Notifications for this {what} are back to normal."


@login_required
def thread_new(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    posting.ensure_categories(cohort)
    initial = {}
    chosen = Category.objects.filter(cohort=cohort, slug=request.GET.get("category", "")).first()
    if chosen:
        initial["category"] = chosen
    form = ThreadForm(request.POST or None, request.FILES or None, cohort=cohort, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            posted = posting.start_thread(
                category=data["category"],
                author=request.user,
                title=data["title"],
                body=data["body"],
                files=data["attachments"],
                submission=data.get("submission"),
            )
        except posting.ForumRefusal as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your thread is posted.")
            _warn_mentions(request, posted)
            return redirect(posted.post.thread.get_absolute_url())
    return render(request, "forum/thread_new.html", {"cohort": cohort, "form": form})


# What the thread page shows of a post (forum/thread_page.py), for ``only()``.
SHOWN_POST_FIELDS = (
    "number",
    "author",
    "body_html",
    "quoted",
    "created",
    "edited_at",
    "deleted_at",
    "hidden_at",
    "author__first_name",
    "author__last_name",
    "author__email",
    "author__is_staff",
    "author__is_sme",
    "quoted__number",
    "quoted__author",
    "quoted__author__first_name",
    "quoted__author__last_name",
    "quoted__author__email",
)


def _thread_posts(thread: Thread, cohort, user):
    """A thread's posts with what its page shows of them (forum/thread_page.py): the author,
    the name of the author's team in this cohort, the quoted post's number and author, the
    open flags (all of them for staff; for members, their own) and whether the post has
    attachments (thread_page.attachments_by_post fetches them). Only the columns shown are
    loaded, not the Markdown sources or a quoted post's text."""
    # The first of the author's teams in Membership's own order (the author is fixed here).
    team = Membership.objects.filter(user=OuterRef("author"), team__cohort=cohort).order_by(
        "team__name", "-is_lead", "role"
    )
    flags = Flag.objects.open().filter(post=OuterRef("pk"))
    if not user.is_staff:
        flags = flags.filter(by=user)
    flag_count = flags.order_by().values("post").annotate(n=Count("pk")).values("n")
    return (
        thread.posts.select_related("author", "quoted__author")
        .only(*SHOWN_POST_FIELDS)
        .annotate(
            author_team_name=Subquery(team.values("team__name")[:1]),
            open_flags=Coalesce(Subquery(flag_count), 0),
            has_attachments=Exists(Attachment.objects.filter(post=OuterRef("pk"))),
        )
        .order_by("number")
    )


@login_required
def thread(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    # access_cohort has checked the person may see the cohort: what is left is in_cohort's
    # (the thread is of this cohort; hidden only for staff), without checking the cohort again.
    threads = Thread.objects.in_cohort(cohort, request.user).with_read_state(request.user)
    topic = get_object_or_404(threads.select_related("category", "author"), pk=thread_id)
    topic.cohort = topic.category.cohort = cohort
    user = request.user
    form = ReplyForm(request.POST or None, request.FILES or None, cohort=cohort)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            quoted = None
            if data.get("quoted"):
                quoted = Post.objects.filter(thread=topic, pk=data["quoted"]).first()
            try:
                posted = posting.reply(
                    thread=topic,
                    author=user,
                    body=data["body"],
                    quoted=quoted,
                    files=data["attachments"],
                    submission=data.get("submission"),
                )
            except posting.ForumRefusal as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Your reply is posted.")
                _warn_mentions(request, posted)
                posted.post.thread = topic
                return redirect(posted.post.url_in_thread())
    else:
        quoting = request.GET.get("quote", "")
        if quoting.isdigit():
            quoted = Post.objects.filter(thread=topic, pk=int(quoting)).select_related("author")
            quoted = quoted.first()
            if quoted and quoted.can_see_body(user):
                name = quoted.author.display_name if quoted.author else "A former member"
                form = ReplyForm(
                    cohort=cohort,
                    initial={"body": quote(quoted.body, name), "quoted": quoted.pk},
                )
                form.fields["body"].widget.attrs.update({"autofocus": True, "data-quoting": ""})

    # Posts are numbered 1..post_count without gaps (posting._add_post), so a page is a range
    # of numbers: no COUNT, no OFFSET.
    paginator = Paginator(range(1, topic.post_count + 1), POSTS_PER_PAGE)
    page_number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if page_number == "last" else page_number)
    numbers = page.object_list
    posts = list(
        _thread_posts(topic, cohort, user).filter(
            number__gte=numbers.start, number__lt=numbers.stop
        )
    )
    page.object_list = posts

    read_before = topic.last_read_post_id
    # The mark only moves forward: reading a page again writes nothing.
    if posts and max(p.pk for p in posts) > read_before:
        posting.mark_read(user=user, thread=topic, post_id=max(p.pk for p in posts))
    first_unread = next((p.number for p in posts if p.pk > read_before), None)

    for p in posts:
        p.thread = topic
    refusal = topic.refusal_for_reply()
    entries = thread_page.entries(
        posts,
        attachments=thread_page.attachments_by_post(posts),
        user=user,
        thread=topic,
        cohort=cohort,
        page_number=page.number,
        read_before=read_before,
        first_unread=first_unread,
        refusal=refusal,
    )

    on_thread, on_category, _ = posting.watch_level(user, topic)
    return render(
        request,
        "forum/thread.html",
        {
            "cohort": cohort,
            "thread": topic,
            "category": topic.category,
            "page": page,
            "posts": posts,
            "entries": entries,
            "first_unread": first_unread,
            "form": form,
            "refusal": refusal,
            **_watch_context(request, level=on_thread, inherited=on_category),
        },
    )


@login_required
def thread_unread(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    """Send the reader to the first post they have not read (or the last post)."""
    cohort = access_cohort(request.user, slug)
    topic = access_thread(request.user, cohort, thread_id)
    read = (
        ThreadRead.objects.filter(user=request.user, thread=topic)
        .values_list("last_read_post_id", flat=True)
        .first()
    )
    posts = topic.posts.order_by("number")
    target = posts.filter(pk__gt=read or 0).first() or posts.last()
    if target is None:
        return redirect(topic.get_absolute_url())
    target.thread = topic
    return redirect(target.url_in_thread())


@login_required
@require_POST
def thread_watch(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    topic = access_thread(request.user, cohort, thread_id)
    form = WatchForm(request.POST)
    level = form.cleaned_data["level"] if form.is_valid() else ""
    posting.set_watch(user=request.user, thread=topic, level=level)
    if request.headers.get("HX-Request"):
        _, on_category, _ = posting.watch_level(request.user, topic)
        return render(
            request,
            "forum/thread.html#watch",
            {
                "cohort": cohort,
                "thread": topic,
                **_watch_context(request, level=level, inherited=on_category, saved=True),
            },
        )
    messages.success(request, _watch_message(level, "thread"))
    return redirect(topic.get_absolute_url())


MODERATION_ACTIONS = {
    "pin": ({"pinned": True}, "The thread is pinned to the top of its category."),
    "unpin": ({"pinned": False}, "The thread is no longer pinned."),
    "lock": ({"locked": True}, "The thread is locked: nobody can reply."),
    "unlock": ({"locked": False}, "The thread is open for replies again."),
    "hide": ({"hidden": True}, "The thread is hidden from members."),
    "unhide": ({"hidden": False}, "Members can see the thread again."),
}


@staff_required
@require_POST
def thread_moderate(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    topic = access_thread(request.user, cohort, thread_id)
    action = MODERATION_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "Choose pin, lock or hide.")
    else:
        changes, text = action
        posting.moderate_thread(thread=topic, by=request.user, **changes)
        messages.success(request, text)
    return redirect(topic.get_absolute_url())


# Posts ----------------------------------------------------------------------------------------


@login_required
def post(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """A post's permanent address: its place on its thread's pages."""
    cohort = access_cohort(request.user, slug)
    item = access_post(request.user, cohort, post_id)
    return redirect(item.url_in_thread())


@login_required
def post_edit(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    item = access_post(request.user, cohort, post_id)
    if item.author_id != request.user.pk:
        raise PermissionDenied("You can only edit your own posts.")
    initial = {"body": item.body, "title": item.thread.title}
    form = EditPostForm(
        request.POST or None, cohort=cohort, opening=item.is_opening, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            posted = posting.edit_post(
                post=item,
                editor=request.user,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
            )
        except posting.ForumRefusal as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your post is updated.")
            _warn_mentions(request, posted)
            return redirect(item.url_in_thread())
    return render(
        request,
        "forum/post_edit.html",
        {"cohort": cohort, "post": item, "thread": item.thread, "form": form},
    )


@login_required
def post_delete(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    item = access_post(request.user, cohort, post_id)
    if item.author_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied("You can only delete your own posts.")
    if item.is_deleted:
        messages.info(request, "That post was already deleted.")
        return redirect(item.url_in_thread())
    if request.method == "POST":
        posting.delete_post(post=item, by=request.user)
        messages.success(request, "The post is deleted.")
        return redirect(item.url_in_thread())
    return render(
        request, "forum/post_delete.html", {"cohort": cohort, "post": item, "thread": item.thread}
    )


@login_required
def post_flag(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    item = access_post(request.user, cohort, post_id)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            posting.flag_post(
                post=item,
                by=request.user,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
            )
        except posting.ForumRefusal as exc:
            messages.info(request, " ".join(exc.messages))
        else:
            messages.success(request, "Thank you: program staff will review the post.")
        return redirect(item.url_in_thread())
    return render(
        request,
        "forum/post_flag.html",
        {"cohort": cohort, "post": item, "thread": item.thread, "form": form},
    )


@staff_required
@require_POST
def post_hide(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    item = access_post(request.user, cohort, post_id)
    hidden = request.POST.get("hidden") == "1"
    posting.set_post_hidden(post=item, by=request.user, hidden=hidden)
    messages.success(
        request, "The post is hidden from members." if hidden else "Members can see the post again."
    )
    return redirect(item.url_in_thread())


@login_required
def attachment(request: HttpRequest, slug: str, attachment_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    item = access_attachment(request.user, cohort, attachment_id)
    return download(item.file, item.original_name, item.content_type)


# Search, mentions, moderation queue ----------------------------------------------------------


@login_required
def search(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    form = SearchForm(request.GET or None)
    query = form.query() if request.GET else ""
    page = None
    if query:
        page = Paginator(search_posts(cohort, request.user, query), RESULTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        for result in page.object_list:
            result.snippet = Truncator(strip_tags(result.body_html)).words(40)
    return render(
        request,
        "forum/search.html",
        {"cohort": cohort, "search_form": form, "query": query, "page": page},
    )


@login_required
def mention_suggestions(request: HttpRequest, slug: str) -> JsonResponse:
    """Members of this cohort whose name or handle starts with ``q`` (at most eight)."""
    cohort = access_cohort(request.user, slug)
    found = Directory.for_cohort(cohort).suggest(
        request.GET.get("q", "")[:60], exclude_user_id=request.user.pk
    )
    return JsonResponse(
        {"results": [{"handle": m.handle, "name": m.name, "team": m.team} for m in found]}
    )


@login_required
def member(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """Where a mention links: the member's team in this cohort."""
    cohort = access_cohort(request.user, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("team__cohort").order_by("pk"),
        team__cohort=cohort,
        user_id=user_id,
    )
    return redirect(membership.team.get_absolute_url())


@staff_required
def flags(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    open_flags = Flag.objects.open().select_related("by").order_by("created")
    still_open = Q(flags__resolved_at__isnull=True)
    flagged = (
        Post.objects.filter(thread__cohort=cohort)
        .filter(Exists(Flag.objects.open().filter(post=OuterRef("pk"))))
        .annotate(
            open_count=Count("flags", filter=still_open),
            first_flagged=Min("flags__created", filter=still_open),
        )
        .select_related("thread__cohort", "author")
        .prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flags"))
        .order_by("first_flagged", "pk")
    )
    page = Paginator(flagged, FLAGS_PER_PAGE).get_page(request.GET.get("page"))
    resolved = (
        Flag.objects.filter(post__thread__cohort=cohort, resolved_at__isnull=False)
        .select_related("post__thread__cohort", "resolved_by", "by")
        .order_by("-resolved_at")[:10]
    )
    return render(
        request,
        "forum/flags.html",
        {"cohort": cohort, "page": page, "resolved": resolved},
    )


@staff_required
@require_POST
def flag_resolve(request: HttpRequest, slug: str, flag_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    flag = get_object_or_404(Flag, post__thread__cohort=cohort, pk=flag_id)
    try:
        closed = posting.resolve_flag(
            flag=flag, by=request.user, outcome=request.POST.get("outcome", "")
        )
    except posting.ForumRefusal as exc:
        _refusal_messages(request, exc)
    else:
        outcome = Flag.Outcome(request.POST["outcome"])
        messages.success(
            request,
            f"{outcome.label}. {closed} flag{'s' if closed != 1 else ''} closed.",
        )
    return redirect(reverse("forum:flags", args=[cohort.slug]))


# Announcements and the peer-contact measure (program staff) -----------------------------------


@staff_required
def announce(request: HttpRequest, slug: str) -> HttpResponse:
    """Post an announcement: a pinned, locked thread every member of the cohort is told of."""
    cohort = access_cohort(request.user, slug)
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            posted = posting.announce(
                cohort=cohort,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except posting.ForumRefusal as exc:
            form.add_error(None, exc)
        else:
            told = Notification.objects.filter(
                kind=Notification.Kind.ANNOUNCEMENT,
                url=reverse("forum:post", args=[cohort.slug, posted.post.pk]),
            ).count()
            messages.success(
                request,
                f"Your announcement is posted and pinned; {told} member{pluralize(told)} "
                f"{'were' if told != 1 else 'was'} notified.",
            )
            return redirect(posted.post.thread.get_absolute_url())
    return render(request, "forum/announce.html", {"cohort": cohort, "form": form})


@staff_required
def peer_contact(request: HttpRequest, slug: str) -> HttpResponse:
    """How many members reached a peer from another agency on the platform, beside what the
    survey's respondents reported. Counts only."""
    from surveys.funder import UnknownPeriod, period_for
    from surveys.periods import cohort_quarters
    from surveys.reports import Share, outcome_indicators

    cohort = access_cohort(request.user, slug)
    try:
        period = period_for(cohort, request.GET.get("period"))
    except UnknownPeriod as error:
        messages.error(request, str(error))
        return redirect(reverse("forum:peer_contact", args=[cohort.slug]))
    start, end = period.bounds(cohort.tz) if period else (None, None)
    made, members = peer_contacts(cohort, start=start, end=end)
    survey = next(
        (i for i in outcome_indicators(cohort, period) if i["code"] == "peer_outreach"), None
    )
    return render(
        request,
        "forum/peer_contact.html",
        {
            "cohort": cohort,
            "period": period,
            "quarters": cohort_quarters(cohort),
            "platform": Share.of(made, members),
            "survey": survey,
            "survey_share": Share.of(survey["numerator"], survey["denominator"])
            if survey
            else None,
        },
    )
