from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import User
from cohorts.models import Agency, Topic
from collaborative.uploads import check_upload
from surveys.models import Survey, Wave

from .models import (
    MAX_EXPECTED_ATTENDEES,
    Audience,
    ProgramContent,
    Region,
    ResourceItem,
    ResourceSuggestion,
    SkillTheme,
    TrainingEvent,
    TrainingRequest,
)

PHONE = re.compile(r"^[0-9+().\-\s/]*(?:(?:x|ext\.?)\s*\d+)?$", re.IGNORECASE)
FARTHEST_REQUEST = timedelta(days=2 * 365)


def _date_input(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


class TrainingRequestForm(forms.ModelForm):
    # Plain integer field: the checks below explain the range better than generic messages.
    expected_attendees = forms.IntegerField(
        label="Expected attendees",
        help_text="How many sworn personnel and dispatchers you would send "
        f"(1 to {MAX_EXPECTED_ATTENDEES}).",
        widget=forms.NumberInput(
            attrs={"min": 1, "max": MAX_EXPECTED_ATTENDEES, "inputmode": "numeric"}
        ),
        error_messages={"invalid": "Enter the number of attendees as a whole number, such as 12."},
    )

    class Meta:
        model = TrainingRequest
        fields = [
            "agency_name", "region", "expected_attendees",
            "contact_name", "email", "phone",
            "preferred_date", "alternate_date", "second_alternate_date",
            "notes",
        ]  # fmt: skip
        labels = {
            "agency_name": "Agency name",
            "contact_name": "Your name",
            "email": "Your email",
            "phone": "Phone",
            "notes": "Anything else we should know",
        }
        help_texts = {
            "region": "Trainings are held by region.",
            "preferred_date": "The date that suits you best.",
            "alternate_date": "Optional.",
            "second_alternate_date": "Optional.",
        }
        widgets = {
            "agency_name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        }

    DATE_FIELDS = ["preferred_date", "alternate_date", "second_alternate_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "Choose a region")] + list(Region.choices)
        tomorrow = timezone.localdate() + timedelta(days=1)
        for name in self.DATE_FIELDS:
            self.fields[name].widget = _date_input(min=tomorrow.isoformat())

    def clean_expected_attendees(self) -> int:
        value = self.cleaned_data["expected_attendees"]
        if value is None or value < 1:
            raise ValidationError("At least one person needs to attend.")
        if value > MAX_EXPECTED_ATTENDEES:
            raise ValidationError(
                f"One request covers up to {MAX_EXPECTED_ATTENDEES} attendees. For more, send "
                "the number in the notes and we will plan several trainings with you."
            )
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE.match(value) or digits < 7 or digits > 20:
            raise ValidationError("Enter a phone number, such as 555-010-0199 or +1 555 010 0199.")
        return value

    def clean_notes(self) -> str:
        value = self.cleaned_data["notes"].strip()
        if len(value) > 2000:
            raise ValidationError("Keep the notes under 2,000 characters.")
        return value

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        seen = {}
        for name in self.DATE_FIELDS:
            value = cleaned.get(name)
            if value is None:
                continue
            label = self.fields[name].label.capitalize()
            if value <= today:
                self.add_error(
                    name, f"{label}: {value:%B} {value.day}, {value.year} is not in the future."
                )
            elif value > today + FARTHEST_REQUEST:
                self.add_error(name, f"{label}: choose a date within the next two years.")
            elif value in seen:
                self.add_error(name, f"{label} is the same date as the {seen[value]}.")
            else:
                seen[value] = self.fields[name].label.lower()
        return cleaned


class EventForm(forms.ModelForm):
    class Meta:
        model = TrainingEvent
        fields = [
            "title", "date", "start_time", "end_time", "venue", "address", "region",
            "capacity", "per_agency_limit", "description",
        ]  # fmt: skip
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "capacity": forms.NumberInput(attrs={"min": 1, "max": 1000}),
            "per_agency_limit": forms.NumberInput(attrs={"min": 1, "max": 1000}),
        }
        help_texts = {
            "start_time": "Local time at the venue.",
            "description": "Optional: parking, what to bring, who hosts.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].widget = _date_input()
        self.fields["region"].choices = [("", "Choose a region")] + list(Region.choices)

    def clean_date(self):
        value = self.cleaned_data["date"]
        changed = self.instance.pk is None or value != self.instance.date
        if changed and value < timezone.localdate():
            raise ValidationError("A training cannot be scheduled in the past.")
        return value


class ScheduleExistingForm(forms.Form):
    event = forms.ModelChoiceField(
        label="Training",
        queryset=TrainingEvent.objects.none(),
        empty_label="Choose a training",
    )
    note = forms.CharField(
        label="Note for the log", required=False, widget=forms.TextInput(), max_length=500
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = TrainingEvent.objects.scheduled().upcoming()


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="The requester receives this reason by email.",
    )

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise ValidationError("Give the reason: it goes to the requester.")
        return value


class ReviewForm(forms.Form):
    note = forms.CharField(label="Note for the log", required=False, max_length=500)


class CancelEventForm(forms.Form):
    note = forms.CharField(
        label="Message to registrants",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: added to the cancellation email.",
    )


EVALUATION_SURVEY = "post-training-evaluation"
EVALUATION_DAYS = 14


class EvaluationForm(forms.Form):
    """The evaluation's survey, closing date and anonymity. Once sent, the survey and the
    anonymity are what attendees were told and no longer change; the closing date can move."""

    survey = forms.ModelChoiceField(
        queryset=Survey.objects.all(),
        empty_label=None,
        help_text="Attendees marked present are emailed a link to answer it; no account needed.",
    )
    closes_on = forms.DateField(
        label="Closing date",
        widget=_date_input(),
        help_text="The survey closes at the end of this day.",
    )
    anonymity = forms.ChoiceField(
        choices=Wave.Anonymity.choices,
        widget=forms.RadioSelect,
        help_text="Reports never show groups of fewer than five people.",
    )

    def __init__(self, *args, wave: Wave | None = None, **kwargs):
        self.wave = wave
        today = timezone.localdate()
        if wave is None:
            default = Survey.objects.filter(code=EVALUATION_SURVEY).first()
            initial = {
                "survey": default.pk if default else None,
                "closes_on": today + timedelta(days=EVALUATION_DAYS),
                "anonymity": Wave.Anonymity.CONFIDENTIAL,
            }
        else:
            initial = {
                "survey": wave.survey_id,
                "closes_on": max(timezone.localdate(wave.closes_at), today),
                "anonymity": wave.anonymity,
            }
        super().__init__(*args, initial=initial, **kwargs)
        if wave is not None:
            for name in ("survey", "anonymity"):
                self.fields[name].disabled = True
            self.fields["survey"].help_text = "Sent: the survey no longer changes."
            self.fields["anonymity"].help_text = "Sent: attendees were told this; it stays."

    def clean_closes_on(self):
        closes_on = self.cleaned_data["closes_on"]
        if closes_on < timezone.localdate():
            raise ValidationError("The closing date has passed: choose today or a later day.")
        return closes_on

    @property
    def closes_at(self) -> datetime:
        """The end of the closing day, in the site's time zone."""
        return timezone.make_aware(
            datetime.combine(self.cleaned_data["closes_on"], time(23, 59, 59))
        )


class RegistrationForm(forms.Form):
    agency = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        error_messages={
            "invalid_choice": "You can register attendees only for an agency you coordinate."
        },
    )
    name = forms.CharField(label="Attendee's name", max_length=200)
    rank_role = forms.CharField(
        label="Rank or role",
        max_length=100,
        help_text="For example Sergeant, Patrol Officer or Dispatcher.",
    )
    email = forms.EmailField(label="Attendee's email", help_text="Where their confirmation goes.")

    def __init__(self, *args, agencies: list[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {a.pk: a for a in agencies}
        field = self.fields["agency"]
        field.choices = [(a.pk, a.name) for a in agencies]
        if len(agencies) == 1:
            field.widget = forms.HiddenInput()
            field.initial = agencies[0].pk

    def clean_agency(self) -> Agency:
        agency = self.agencies.get(self.cleaned_data["agency"])
        if agency is None:
            raise ValidationError("You can register attendees only for your own agency.")
        return agency

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class CoordinatorForm(forms.Form):
    email = forms.EmailField(label="Person's email", help_text="They need an account.")
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), empty_label="Choose an agency")
    event = forms.ModelChoiceField(
        label="Training",
        queryset=TrainingEvent.objects.none(),
        required=False,
        empty_label="Every training",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = TrainingEvent.objects.scheduled().upcoming()

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise ValidationError(
                f"Nobody has an account with {email}. Invite them to a team first."
            )
        return user


class ProgramContentForm(forms.ModelForm):
    class Meta:
        model = ProgramContent
        fields = ["title", "lead", "about", "course", "attendees", "outcomes", "request_intro"]
        widgets = {
            "lead": forms.Textarea(attrs={"rows": 2}),
            "about": forms.Textarea(attrs={"rows": 8}),
            "course": forms.Textarea(attrs={"rows": 6}),
            "attendees": forms.Textarea(attrs={"rows": 3}),
            "outcomes": forms.Textarea(attrs={"rows": 3}),
            "request_intro": forms.Textarea(attrs={"rows": 2}),
        }


class ResourceItemForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label="For",
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ResourceItem
        fields = [
            "title",
            "kind",
            "summary",
            "body",
            "file",
            "url",
            "themes",
            "topics",
            "published",
        ]
        labels = {"themes": "Skill themes", "published": "Published (visible in the library)"}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 10}),
            "themes": forms.CheckboxSelectMultiple,
            "topics": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "file": "Members only. PDF, Word, PowerPoint, Excel, CSV, text or image; up to 20 MB.",
        }

    field_order = ["title", "kind", "summary", "body", "file", "url", "themes", "topics", "roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].initial = self.instance.role_list
        self.fields["themes"].queryset = SkillTheme.objects.all()
        self.fields["topics"].queryset = Topic.objects.all()

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "size") and not getattr(upload, "_committed", False):
            check_upload(upload, max_bytes=settings.MATERIAL_MAX_BYTES)
        return upload

    def save(self, commit: bool = True):
        self.instance.role_list = self.cleaned_data.get("roles", [])
        return super().save(commit)


def forum_post_path(url: str, host: str) -> bool:
    """Whether ``url`` points at a forum thread or post on this site."""
    parts = urlsplit(url)
    allowed_hosts = {host, urlsplit(settings.SITE_URL).netloc}
    if parts.netloc and parts.netloc not in allowed_hosts:
        return False
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return False
    return match.view_name in {"forum:post", "forum:thread"}


class SuggestionForm(forms.ModelForm):
    class Meta:
        model = ResourceSuggestion
        fields = ["title", "url", "forum_post_url", "note"]
        labels = {"title": "What is it called?", "forum_post_url": "Forum post (optional)"}
        help_texts = {
            "url": "Optional: where the resource is online.",
            "forum_post_url": "Paste the address of the forum post that shared it.",
            "note": "A sentence or two on who it helps and how.",
        }
        widgets = {
            "note": forms.Textarea(attrs={"rows": 4}),
            "forum_post_url": forms.URLInput(),
        }

    def __init__(self, *args, host: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.fields["url"].assume_scheme = "https"
        self.fields["forum_post_url"].assume_scheme = "https"

    def clean_forum_post_url(self) -> str:
        value = self.cleaned_data["forum_post_url"]
        if value and not forum_post_path(value, self.host):
            raise ValidationError(
                "This is not the address of a forum post here. Open the post and copy the "
                "address from the browser, or leave the field empty."
            )
        return value
