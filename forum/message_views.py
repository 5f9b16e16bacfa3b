"""Direct messages and the peer directory.

A conversation is reached only through the person's own place in it (ConversationMember),
in a cohort they can still see: anyone else, program staff included, gets a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from cohorts.access import access_cohort
from cohorts.models import Cohort, Membership

from . import messaging
from .conversations import MESSAGES_PER_PAGE
from .forms import DirectoryFilterForm, MessageForm, NewConversationForm
from .models import ConversationMember
from .posting import ForumRefusal

INBOX_PER_PAGE = 20
DIRECTORY_PER_PAGE = 24
STAFF_LISTED = 20


def conversation_label(conversation, others: list) -> str:
    """What a conversation is called: its name, or the other people in it."""
    if conversation.title:
        return conversation.title
    names = [person.display_name for person in others]
    if not names:
        return "Only you"
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


def access_conversation(user, conversation_id: int) -> ConversationMember:
    """The person's own place in the conversation, with the conversation and its cohort."""
    return get_object_or_404(
        ConversationMember.objects.accessible(user).select_related("conversation__cohort"),
        conversation_id=conversation_id,
    )


# The inbox ------------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    places = (
        ConversationMember.objects.accessible(user)
        .with_unread()
        .select_related("conversation__cohort", "conversation__last_message__author")
        .order_by("-conversation__last_message_at", "-conversation_id")
    )
    page = Paginator(places, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    others: dict[int, list] = {}
    people = (
        ConversationMember.objects.filter(conversation_id__in=[r.conversation_id for r in rows])
        .exclude(user=user)
        .select_related("user")
        .order_by("conversation_id", "user__last_name", "user__first_name", "pk")
    )
    for member in people:
        others.setdefault(member.conversation_id, []).append(member.user)
    for row in rows:
        row.others = others.get(row.conversation_id, [])
        row.label = conversation_label(row.conversation, row.others)
    cohorts = list(Cohort.objects.visible_to(user).order_by("-start_date", "name")[:10])
    return render(
        request,
        "forum/messages/inbox.html",
        {
            "page": page,
            "rows": rows,
            "cohorts": cohorts,
            "unread_total": messaging.unread_count(user),
        },
    )


# A conversation -------------------------------------------------------------------------------


@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = request.user
    place = access_conversation(user, conversation_id)
    talk = place.conversation
    cohort = talk.cohort
    in_cohort = Membership.objects.filter(team__cohort=cohort).select_related("team__agency")
    members = list(
        talk.members.select_related("user")
        .prefetch_related(
            Prefetch("user__memberships", queryset=in_cohort, to_attr="cohort_memberships")
        )
        .order_by("user__last_name", "user__first_name", "pk")
    )
    teams = {
        m.user_id: (m.user.cohort_memberships[0].team if m.user.cohort_memberships else None)
        for m in members
    }
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.send_message(
                conversation=talk,
                author=user,
                body=form.cleaned_data["body"],
                submission=form.cleaned_data.get("submission"),
            )
        except ForumRefusal as exc:
            form.add_error(None, exc)
        else:
            return redirect(f"{talk.get_absolute_url()}#latest")

    paginator = Paginator(talk.messages.select_related("author").order_by("pk"), MESSAGES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    items = list(page.object_list)
    read_before = place.last_read_message_id
    if items:
        messaging.mark_conversation_read(
            user=user, conversation=talk, message_id=max(m.pk for m in items)
        )
    first_new = next((m.pk for m in items if m.pk > read_before and m.author_id != user.pk), None)
    for item in items:
        item.is_new = item.pk > read_before and item.author_id != user.pk
        item.author_team = teams.get(item.author_id)
        item.is_mine = item.author_id == user.pk
    others = [m.user for m in members if m.user_id != user.pk]
    for member in members:
        member.team = teams.get(member.user_id)
    return render(
        request,
        "forum/messages/conversation.html",
        {
            "conversation": talk,
            "cohort": cohort,
            "label": conversation_label(talk, others),
            "members": members,
            "place": place,
            "page": page,
            "items": items,
            "first_new": first_new,
            "form": form,
        },
    )


@login_required
@require_POST
def conversation_mute(request: HttpRequest, conversation_id: int) -> HttpResponse:
    place = access_conversation(request.user, conversation_id)
    muted = request.POST.get("muted") == "1"
    messaging.set_muted(user=request.user, conversation=place.conversation, muted=muted)
    messages.success(
        request,
        "Conversation muted: you will not be notified of new messages. They still show as "
        "unread in your inbox."
        if muted
        else "Conversation unmuted: you will be notified of new messages again.",
    )
    return redirect(place.conversation.get_absolute_url())


# Starting a conversation ----------------------------------------------------------------------


def _requested_people(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.GET.getlist("to") if v.isdigit()][:20]


@login_required
def new_conversation(request: HttpRequest, slug: str) -> HttpResponse:
    # access_cohort lets in exactly the cohort's members and program staff: those who can
    # take part in its conversations.
    cohort = access_cohort(request.user, slug)
    people = messaging.people_to_message(cohort, exclude=request.user)
    initial = {}
    asked = _requested_people(request)
    if asked and request.method != "POST":
        found = list(people.filter(pk__in=asked).values_list("pk", flat=True))
        if len(found) < len(set(asked) - {request.user.pk}):
            messages.warning(request, messaging.OUTSIDE_COHORT)
        initial["recipients"] = found
    form = NewConversationForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            talk, _ = messaging.start_conversation(
                cohort=cohort,
                author=request.user,
                recipients=data["recipients"],
                body=data["body"],
                title=data["title"],
                submission=data.get("submission"),
            )
        except ForumRefusal as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your message is sent.")
            return redirect(f"{talk.get_absolute_url()}#latest")
    return render(
        request, "forum/messages/new.html", {"cohort": cohort, "form": form, "people": people}
    )


# The peer directory ---------------------------------------------------------------------------


@login_required
def directory(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    teams = list(cohort.teams.select_related("agency").order_by("agency__name"))
    form = DirectoryFilterForm(
        request.GET or None,
        agencies=[(t.agency_id, t.agency.name) for t in teams],
        roles=Membership.Role.choices,
    )
    people = (
        Membership.objects.for_cohort(cohort)
        .filter(user__is_active=True)
        .select_related("user", "team__agency")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    filtered = False
    if form.is_valid():
        data = form.cleaned_data
        if data["q"].strip():
            for word in data["q"].split()[:5]:
                people = people.filter(
                    Q(user__first_name__icontains=word)
                    | Q(user__last_name__icontains=word)
                    | Q(rank__icontains=word)
                    | Q(team__agency__name__icontains=word)
                )
        if data["agency"]:
            people = people.filter(team__agency_id=data["agency"])
        if data["role"]:
            people = people.filter(role=data["role"])
        filtered = bool(data["q"].strip() or data["agency"] or data["role"])
    page = Paginator(people, DIRECTORY_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for membership in page.object_list:
        membership.team.cohort = cohort  # team addresses without a query each
    staff = list(
        User.objects.filter(is_staff=True, is_active=True).order_by(
            "last_name", "first_name", "pk"
        )[:STAFF_LISTED]
    )
    return render(
        request,
        "forum/directory.html",
        {
            "cohort": cohort,
            "form": form,
            "page": page,
            "filtered": filtered,
            "staff": staff,
            "new_message_url": reverse("peers:new_conversation", args=[cohort.slug]),
        },
    )
