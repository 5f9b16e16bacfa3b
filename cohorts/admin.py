from django.contrib import admin

from .models import (
    Agency,
    AttendanceChange,
    CalendarFeed,
    Cohort,
    Invitation,
    Membership,
    ReminderDelivery,
    Session,
    SessionMaterial,
    Team,
    Topic,
)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "state", "sworn_size", "setting"]
    list_filter = ["kind", "setting", "sworn_size", "state"]
    search_fields = ["name", "city"]


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    autocomplete_fields = ["agency"]
    show_change_link = True


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "program", "status", "start_date", "end_date"]
    list_filter = ["program", "status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "agency", "status"]
    list_filter = ["cohort", "status"]
    search_fields = ["name", "agency__name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["cohort", "agency"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "created", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "team__name"]
    list_select_related = ["team"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class MaterialInline(admin.TabularInline):
    model = SessionMaterial
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cohort", "starts_at", "status"]
    list_filter = ["cohort", "status", "topic"]
    search_fields = ["title"]
    list_select_related = ["cohort"]
    filter_horizontal = ["presenters"]
    readonly_fields = ["uid", "sequence"]
    inlines = [MaterialInline]


@admin.register(AttendanceChange)
class AttendanceChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "previous", "present", "changed_by", "changed_at", "source"]
    list_filter = ["source"]
    list_select_related = ["session", "user", "changed_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the audit trail is append-only


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "kind", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["session", "user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "created", "revoked_at"]
    readonly_fields = ["token"]
    list_select_related = ["user", "cohort"]
