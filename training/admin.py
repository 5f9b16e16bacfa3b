from django.contrib import admin

from .forms import ResourceItemForm
from .models import (
    Coordinator,
    FocusArea,
    ProgramContent,
    Registration,
    RequestChange,
    ResourceItem,
    ResourceSuggestion,
    SkillTheme,
    TrainingEvent,
    TrainingRequest,
)


@admin.register(ProgramContent)
class ProgramContentAdmin(admin.ModelAdmin):
    list_display = ["title", "updated", "updated_by"]
    readonly_fields = ["updated", "updated_by"]

    def has_add_permission(self, request) -> bool:
        return not ProgramContent.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SkillTheme)
class SkillThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "summary", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    prepopulated_fields = {"slug": ["name"]}


class RequestChangeInline(admin.TabularInline):
    model = RequestChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrainingRequest)
class TrainingRequestAdmin(admin.ModelAdmin):
    list_display = [
        "agency_name",
        "contact_name",
        "region",
        "expected_attendees",
        "status",
        "created",
    ]
    list_filter = ["status", "region"]
    search_fields = ["agency_name", "contact_name", "email"]
    autocomplete_fields = ["agency"]
    # Status changes go through the staff pages, which email the requester and log the change.
    readonly_fields = ["status", "event", "decline_reason", "created", "updated"]
    inlines = [RequestChangeInline]


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    fields = ["position", "name", "rank_role", "email", "agency", "status", "attended"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrainingEvent)
class TrainingEventAdmin(admin.ModelAdmin):
    list_display = ["title", "date", "region", "capacity", "per_agency_limit", "status"]
    list_filter = ["status", "region"]
    search_fields = ["title", "venue"]
    date_hierarchy = "date"
    # Seats change only through registration, which locks the training and serves the waitlist.
    readonly_fields = ["status", "cancelled_at", "evaluation_wave", "created_by", "created"]
    inlines = [RegistrationInline]

    def get_readonly_fields(self, request, obj=None):
        # Capacity and the agency limit change on the training's edit page, which refuses
        # going below the confirmed seats and moves the waitlist up when they grow.
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["capacity", "per_agency_limit"] if obj else fields


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "event", "designated_by", "created"]
    autocomplete_fields = ["user", "agency"]
    search_fields = ["user__email", "agency__name"]


@admin.register(ResourceItem)
class ResourceItemAdmin(admin.ModelAdmin):
    form = ResourceItemForm
    list_display = ["title", "kind", "published", "created"]
    list_filter = ["published", "kind", "themes"]
    search_fields = ["title", "summary"]


@admin.register(ResourceSuggestion)
class ResourceSuggestionAdmin(admin.ModelAdmin):
    list_display = ["title", "suggested_by", "status", "created"]
    list_filter = ["status"]
    readonly_fields = ["suggested_by", "reviewed_by", "reviewed_at", "item"]
