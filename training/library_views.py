"""The resource library: public summaries, member-only content, staff curation and members'
suggestions."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cohorts.access import staff_required
from cohorts.models import Topic
from collaborative.uploads import content_type_for, download

from . import services
from .access import access_resource
from .forms import ResourceItemForm, SuggestionForm
from .models import (
    Audience,
    ResourceItem,
    ResourceSuggestion,
    SkillTheme,
    is_library_member,
)

LIBRARY_PAGE_SIZE = 20


def _members_only(request: HttpRequest) -> HttpResponse:
    return render(request, "training/members_only.html", status=403)


def member_required(view):
    """Signed-in members of a team (and staff); visitors are sent to sign in."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_library_member(request.user):
            return _members_only(request)
        return view(request, *args, **kwargs)

    return wrapped


def library(request: HttpRequest) -> HttpResponse:
    themes = list(SkillTheme.objects.all())
    topics = list(Topic.objects.all())
    filters = {
        "q": request.GET.get("q", "").strip()[:200],
        "theme": request.GET.get("theme", ""),
        "topic": request.GET.get("topic", ""),
        "role": request.GET.get("role", ""),
        "kind": request.GET.get("kind", ""),
    }
    items = ResourceItem.objects.visible_to(request.user).for_listing()
    if filters["q"]:
        items = items.search(filters["q"])
    if filters["theme"] in {t.slug for t in themes}:
        items = items.filter(themes__slug=filters["theme"])
    else:
        filters["theme"] = ""
    if filters["topic"] in {t.slug for t in topics}:
        items = items.filter(topics__slug=filters["topic"])
    else:
        filters["topic"] = ""
    if filters["role"] in Audience.values:
        items = items.for_role(filters["role"])
    else:
        filters["role"] = ""
    if filters["kind"] in ResourceItem.Kind.values:
        items = items.filter(kind=filters["kind"])
    else:
        filters["kind"] = ""
    page = Paginator(items, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/library.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "themes": themes,
            "topics": topics,
            "roles": Audience.choices,
            "kinds": ResourceItem.Kind.choices,
            "is_member": is_library_member(request.user),
        },
    )


def resource(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_resource(request.user, item_id)
    return render(
        request,
        "training/resource.html",
        {
            "item": item,
            "themes": item.themes.all(),
            "topics": item.topics.all(),
            "is_member": is_library_member(request.user),
        },
    )


@login_required
def resource_file(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_resource(request.user, item_id)
    if not is_library_member(request.user):
        return _members_only(request)
    if not item.file:
        raise Http404("This item has no file.")
    return download(item.file, item.filename, content_type_for(item.filename))


def _resource_form(request: HttpRequest, item: ResourceItem | None) -> HttpResponse:
    form = ResourceItemForm(request.POST or None, request.FILES or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if saved.created_by_id is None:
            saved.created_by = request.user
        saved.save()
        form.save_m2m()
        messages.success(
            request,
            f"“{saved.title}” is saved"
            + (" and published." if saved.published else " as a draft (not published)."),
        )
        return redirect(saved.get_absolute_url())
    return render(request, "training/resource_form.html", {"form": form, "item": item})


@staff_required
def resource_create(request: HttpRequest) -> HttpResponse:
    return _resource_form(request, None)


@staff_required
def resource_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    return _resource_form(request, get_object_or_404(ResourceItem, pk=item_id))


@member_required
def suggest(request: HttpRequest) -> HttpResponse:
    initial = {"forum_post_url": request.GET.get("post", "")[:500]}
    form = SuggestionForm(request.POST or None, initial=initial, host=request.get_host())
    if request.method == "POST" and form.is_valid():
        suggestion = form.save(commit=False)
        suggestion.suggested_by = request.user
        suggestion.save()
        messages.success(
            request, f"Thank you: staff will review “{suggestion.title}” for the library."
        )
        return redirect("training:library")
    mine = ResourceSuggestion.objects.filter(suggested_by=request.user).select_related("item")[:10]
    return render(request, "training/suggest.html", {"form": form, "mine": mine})


@staff_required
def suggestions(request: HttpRequest) -> HttpResponse:
    show = "reviewed" if request.GET.get("show") == "reviewed" else "pending"
    listed = ResourceSuggestion.objects.select_related("suggested_by", "reviewed_by", "item")
    if show == "pending":
        listed = listed.filter(status=ResourceSuggestion.Status.PENDING).order_by("created")
    else:
        listed = listed.exclude(status=ResourceSuggestion.Status.PENDING).order_by("-reviewed_at")
    page = Paginator(listed, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/suggestions.html", {"page": page, "show": show})


@staff_required
@require_POST
def suggestion_review(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = get_object_or_404(ResourceSuggestion, pk=suggestion_id)
    try:
        if request.POST.get("decision") == "approve":
            item = services.approve_suggestion(suggestion=suggestion, by=request.user)
            messages.success(
                request,
                f"“{item.title}” is now a draft in the library: finish it and publish it.",
            )
            return redirect("training:resource_edit", item.pk)
        services.decline_suggestion(suggestion=suggestion, by=request.user)
        messages.success(request, f"“{suggestion.title}” was not added.")
    except services.TrainingError as error:
        messages.error(request, str(error))
    return redirect("training:suggestions")
