from django.contrib import admin

from .models import Option, Question, Response, Survey, Wave


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "code", "text", "kind", "required"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "created"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "survey", "kind", "required", "position"]
    list_filter = ["survey", "kind"]
    inlines = [OptionInline]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "survey", "opens_at", "closes_at", "anonymity"]
    list_filter = ["cohort", "survey", "anonymity"]
    date_hierarchy = "opens_at"

    def get_readonly_fields(self, request, obj=None):
        # What respondents agreed to must not change once the wave has opened.
        if obj is not None and obj.is_locked():
            return ["survey", "cohort", "anonymity", "opens_at"]
        return []


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["pk", "wave", "status", "submitted_on", "role", "agency_kind"]
    list_filter = ["wave", "status"]
    # Staff read responses in reports; nobody edits them, and anonymous ones name nobody.
    readonly_fields = [
        "wave",
        "invitation",
        "user",
        "status",
        "submitted_on",
        "role",
        "agency_kind",
    ]

    def has_add_permission(self, request):
        return False
