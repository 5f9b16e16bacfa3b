from django.contrib import admin

from .models import Option, Question, Response, Survey, Wave


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "code", "text", "help_text", "kind", "required"]
    show_change_link = True  # a question's options are edited on its own page


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "created"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [QuestionInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Yes/no and Likert questions answer with fixed options; give new ones theirs.
        for question in form.instance.questions.all():
            question.add_default_options()


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "survey", "kind", "required", "position"]
    list_filter = ["survey", "kind"]
    inlines = [OptionInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.add_default_options()


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "survey", "opens_at", "closes_at", "anonymity"]
    list_filter = ["cohort", "survey", "anonymity"]
    date_hierarchy = "opens_at"

    def view_on_site(self, obj: Wave) -> str | None:
        # A wave sent by email has no page of its own: each invitation has its own link.
        return obj.get_absolute_url()

    def get_readonly_fields(self, request, obj=None):
        # What respondents agreed to must not change once the wave has opened.
        if obj is not None and obj.is_locked():
            return [field.removesuffix("_id") for field in Wave.LOCKED_FIELDS]
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
