"""Staff edit the instrument here, without code.

A draft version's domains, items and scale are edited inline. A published or retired version
is shown read-only: “New draft from this version” copies it into a draft to edit, and
“Publish” (after a confirmation page) freezes a draft and makes it the version new
assessments use.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import services
from .models import (
    ActionStep,
    Assessment,
    CommunityPartner,
    Domain,
    Instrument,
    InstrumentVersion,
    Item,
    ScaleLevel,
)


class _FrozenInline:
    """Inline rows of a published or retired version are read-only."""

    def _editable(self, obj) -> bool:
        version = obj.version if isinstance(obj, Domain) else obj
        return version is None or not version.is_frozen

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class DomainInline(_FrozenInline, admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["position", "code", "title", "suggested_step", "roadmap_step"]
    show_change_link = True  # a domain's items are edited on its own page


class ScaleLevelInline(_FrozenInline, admin.TabularInline):
    model = ScaleLevel
    extra = 0
    fields = ["value", "label", "description"]


class ItemInline(_FrozenInline, admin.TabularInline):
    model = Item
    extra = 0
    fields = ["position", "code", "text"]


class VersionInline(admin.TabularInline):
    model = InstrumentVersion
    extra = 0
    fields = ["number", "status", "published_at", "notes"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "is_starter"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [VersionInline]


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ["instrument", "number", "status", "published_at"]
    list_filter = ["instrument", "status"]
    inlines = [ScaleLevelInline, DomainInline]
    actions = ["new_draft_action", "publish_action"]
    change_form_template = "admin/assessments/instrumentversion/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # Status moves only through “Publish”; a frozen version's notes stay as published.
        if obj is not None and obj.is_frozen:
            return ["instrument", "number", "status", "published_at", "notes"]
        return ["status", "published_at"]

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_delete_permission(request, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="assessments_instrumentversion_new_draft",
            ),
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="assessments_instrumentversion_publish",
            ),
            *super().get_urls(),
        ]

    def _confirm(self, request, version, *, action: str, title: str, problems=()):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version": version,
            "action": action,
            "title": title,
            "problems": problems,
        }
        return TemplateResponse(
            request, "admin/assessments/instrumentversion/confirm.html", context
        )

    def _change_url(self, version) -> str:
        return reverse("admin:assessments_instrumentversion_change", args=[version.pk])

    def new_draft_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=pk)
        if not self.has_add_permission(request):
            return HttpResponseRedirect(self._change_url(version))
        if request.method != "POST":
            return self._confirm(
                request, version, action="new_draft", title="Start a new draft from this version"
            )
        draft = services.new_draft_from(version)
        messages.success(
            request,
            f"Version {draft.number} is a draft copy of version {version.number}. Edit it, then "
            "publish it.",
        )
        return HttpResponseRedirect(self._change_url(draft))

    def publish_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=pk)
        if not self.has_change_permission(request, version):
            return HttpResponseRedirect(self._change_url(version))
        problems = [] if version.is_frozen else services.publication_problems(version)
        if request.method != "POST" or problems or version.is_frozen:
            return self._confirm(
                request, version, action="publish", title="Publish this version", problems=problems
            )
        try:
            services.publish_version(version)
        except services.AssessmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"Version {version.number} is published: new assessments use it. Assessments "
                "already started keep the version they were made with.",
            )
        return HttpResponseRedirect(self._change_url(version))

    @admin.action(description="New draft from the selected version")
    def new_draft_action(self, request, queryset):
        return self._one(request, queryset, "admin:assessments_instrumentversion_new_draft")

    @admin.action(description="Publish the selected draft")
    def publish_action(self, request, queryset):
        return self._one(request, queryset, "admin:assessments_instrumentversion_publish")

    def _one(self, request, queryset, url_name: str):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.WARNING)
            return None
        # The confirmation page is the object's own: nothing changes until it is confirmed.
        return HttpResponseRedirect(reverse(url_name, args=[queryset.get().pk]))


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "version", "position"]
    list_filter = ["version__instrument", "version"]
    inlines = [ItemInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.version.is_frozen:
            return [
                "version",
                "code",
                "title",
                "description",
                "position",
                "suggested_step",
                "roadmap_step",
            ]
        return []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = InstrumentVersion.objects.filter(
                status=InstrumentVersion.Status.DRAFT
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        frozen = obj is not None and obj.version.is_frozen
        return not frozen and super().has_delete_permission(request, obj)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["team", "round", "status", "version", "submitted_at"]
    list_filter = ["team__cohort", "round", "status"]
    readonly_fields = [
        "team",
        "round",
        "version",
        "status",
        "started_by",
        "created",
        "updated",
        "submitted_by",
        "submitted_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(ActionStep)
class ActionStepAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "roadmap_step", "status", "due_date", "owner"]
    list_filter = ["plan__team__cohort", "status", "roadmap_step", "term"]
    search_fields = ["title", "plan__team__name"]
    raw_id_fields = ["plan", "owner", "domain", "created_by"]
    readonly_fields = ["done_at", "created", "updated"]

    def save_model(self, request, obj, form, change):
        # The same path as the plan pages: a status change keeps ``done_at`` in step.
        services.save_step(step=obj, user=request.user, status=form.cleaned_data["status"])


@admin.register(CommunityPartner)
class CommunityPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team"]
    list_filter = ["kind", "team__cohort"]
    search_fields = ["name", "team__name"]
    raw_id_fields = ["team", "added_by"]
