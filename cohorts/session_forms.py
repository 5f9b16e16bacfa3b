"""Forms for the session calendar."""

import re
from datetime import date, time

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from collaborative.uploads import check_upload

from .models import Rsvp, Session, SessionMaterial, Topic
from .sessions import SeriesRule

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
ORDINALS = [(1, "First"), (2, "Second"), (3, "Third"), (4, "Fourth"), (-1, "Last")]
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str) -> tuple[int, int]:
    match = MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValidationError(
            f"“{value.strip()}” is not a month: write it as YYYY-MM, e.g. 2027-03."
        )
    return int(match[1]), int(match[2])


class SeriesForm(forms.Form):
    ordinal = forms.TypedChoiceField(label="Which week", choices=ORDINALS, coerce=int, initial=2)
    weekday = forms.TypedChoiceField(label="Day", choices=WEEKDAYS, coerce=int, initial=1)
    start_time = forms.TimeField(
        label="Starts at", initial=time(14, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label="Ends at", initial=time(15, 30), widget=forms.TimeInput(attrs={"type": "time"})
    )
    first_month = forms.CharField(
        label="First month",
        help_text="YYYY-MM",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-01"}),
    )
    months = forms.IntegerField(label="For how many months", min_value=1, max_value=36, initial=12)
    skip_months = forms.CharField(
        label="Skip these months",
        required=False,
        help_text="Optional: months with no session, separated by commas, e.g. 2027-07, 2027-12.",
    )
    title = forms.CharField(
        label="Title for every session",
        required=False,
        max_length=200,
        help_text="Leave empty to title each session after its topic.",
    )
    topics_from_ranking = forms.BooleanField(
        label="Assign topics in the order the cohort ranked them", required=False, initial=True
    )

    def clean_first_month(self) -> date:
        year, month = parse_month(self.cleaned_data["first_month"])
        return date(year, month, 1)

    def clean_skip_months(self) -> frozenset[tuple[int, int]]:
        raw = self.cleaned_data["skip_months"]
        return frozenset(parse_month(part) for part in raw.split(",") if part.strip())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The session must end after it starts.")
        return cleaned

    def rule(self) -> SeriesRule:
        data = self.cleaned_data
        return SeriesRule(
            weekday=data["weekday"],
            ordinal=data["ordinal"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            first_month=data["first_month"],
            months=data["months"],
            skip_months=data["skip_months"],
        )


class SessionForm(forms.ModelForm):
    """Times are entered in the cohort's time zone: the view renders and cleans the form
    with that zone active."""

    class Meta:
        model = Session
        fields = [
            "number",
            "topic",
            "title",
            "starts_at",
            "ends_at",
            "presenters",
            "agenda",
            "meeting_url",
            "recording_url",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "agenda": forms.Textarea(attrs={"rows": 6}),
            "presenters": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.cohort = cohort
        zone = cohort.get_time_zone_display()
        self.fields["starts_at"].label = f"Starts ({zone} time)"
        self.fields["ends_at"].label = f"Ends ({zone} time)"
        self.fields["topic"].queryset = Topic.objects.all()
        self.fields["topic"].error_messages["invalid_choice"] = "Choose a topic from the list."
        experts = User.objects.filter(is_sme=True, is_active=True).order_by(
            "last_name", "first_name"
        )
        self.fields["presenters"].queryset = experts
        self.fields["presenters"].help_text = "Subject-matter experts who present this session."
        if not self.instance.pk and not self.initial.get("number"):
            last = cohort.sessions.order_by("-number").values_list("number", flat=True).first()
            self.initial["number"] = (last or 0) + 1


class RsvpForm(forms.Form):
    response = forms.ChoiceField(choices=Rsvp.Response.choices, widget=forms.RadioSelect)


class TopicRankingForm(forms.Form):
    """A rank for each topic; topics left blank are not ranked."""

    def __init__(self, *args, topics, current: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = list(topics)
        choices = [("", "—")] + [(str(i), str(i)) for i in range(1, len(self.topics) + 1)]
        for topic in self.topics:
            self.fields[f"topic_{topic.pk}"] = forms.TypedChoiceField(
                label=topic.name,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=current.get(topic.pk, ""),
                help_text=topic.description,
            )

    def clean(self):
        cleaned = super().clean()
        ranks = {t.pk: cleaned.get(f"topic_{t.pk}") for t in self.topics}
        given = [r for r in ranks.values() if r]
        if not given:
            raise ValidationError("Rank at least one topic: 1 is the one your team needs most.")
        if len(given) != len(set(given)):
            raise ValidationError(
                "Each rank can be used once: give every topic a different number."
            )
        return cleaned

    def ordered_topic_ids(self) -> list[int]:
        ranks = [
            (self.cleaned_data[f"topic_{t.pk}"], t.pk)
            for t in self.topics
            if self.cleaned_data.get(f"topic_{t.pk}")
        ]
        return [pk for _, pk in sorted(ranks)]


class MaterialForm(forms.ModelForm):
    class Meta:
        model = SessionMaterial
        fields = ["title", "file", "url"]
        help_texts = {
            "file": "PDF, Word, PowerPoint, Excel, CSV, text or image; up to 20 MB.",
            "url": "Or a link to a web page or shared document.",
        }

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "size"):
            check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        has_file, has_url = bool(cleaned.get("file")), bool(cleaned.get("url"))
        if has_file == has_url and not self.errors:
            raise ValidationError("Attach a file or give a link (one of the two).")
        return cleaned


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label="Participant report (CSV)",
        help_text="The participant export of Zoom, Teams or Webex; people are matched by email.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError("The file is larger than 2 MB: is it the participant report?")
        return upload
