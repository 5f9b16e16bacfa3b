"""The staff form for creating and editing a wave.

Times are typed and shown in the cohort's time zone: the views build, validate and render the
form with that zone active (as the session form does).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.db.models import Count, Q
from django.utils import timezone

from cohorts.models import Cohort, Session

from .models import Survey, Wave

WHOLE_COHORT = "cohort"
FEEDBACK_SURVEY = "post-session"
FEEDBACK_DAYS = 7
NEW_WAVE_DAYS = 14

ANONYMITY_CHOICES = [
    (
        Wave.Anonymity.IDENTIFIED,
        "Identified: staff see each person's name next to their answers.",
    ),
    (
        Wave.Anonymity.CONFIDENTIAL,
        "Confidential: answers are kept with names, but reports only show groups at least as "
        "large as the minimum group size.",
    ),
    (
        Wave.Anonymity.ANONYMOUS,
        "Anonymous: answers are never linked to a person, not even for staff. Reminders only "
        "know who has not answered yet.",
    ),
]

# What a respondent agreed to cannot change once the wave has opened: field → how to name it.
LOCKED = {
    "survey": "survey",
    "audience": "audience",
    "anonymity": "anonymity",
    "opens_at": "opening time",
    "min_group_size": "minimum group size",
}


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def held_sessions(cohort: Cohort):
    """The cohort's sessions that have taken place, newest first, with how many were present."""
    return (
        cohort.sessions.scheduled()
        .filter(starts_at__lte=timezone.now())
        .annotate(present=Count("attendance", filter=Q(attendance__present=True)))
        .order_by("-starts_at")
    )


def session_choice(session: Session, cohort: Cohort) -> str:
    when = timezone.localtime(session.starts_at, cohort.tz)
    present = getattr(session, "present", None)
    counted = "" if present is None else f" ({present} marked present)"
    return f"Session {session.number}: {session.title}, {when:%b} {when.day}, {when.year}{counted}"


def feedback_title(session: Session) -> str:
    return f"Feedback: Session {session.number} — {session.title}"


class WaveForm(forms.Form):
    survey = forms.ModelChoiceField(
        queryset=Survey.objects.order_by("title"), empty_label="Choose a survey"
    )
    title = forms.CharField(
        max_length=200, help_text="What members see in the email and on their home page."
    )
    opens_at = _datetime_field("Opens")
    closes_at = _datetime_field("Closes")
    audience = forms.ChoiceField(
        label="Who is asked",
        help_text="A session's feedback goes to the people marked present at it.",
    )
    anonymity = forms.ChoiceField(
        label="How answers are kept",
        choices=ANONYMITY_CHOICES,
        initial=Wave.Anonymity.CONFIDENTIAL,
        widget=forms.RadioSelect,
    )
    min_group_size = forms.IntegerField(
        label="Minimum group size",
        min_value=1,
        max_value=1000,
        initial=5,
        help_text="Reports hide any figure based on fewer respondents than this.",
    )

    def __init__(self, *args, cohort: Cohort, wave: Wave | None = None, **kwargs):
        self.cohort = cohort
        self.wave = wave
        self.locked = wave is not None and wave.has_opened()
        if wave is not None:
            kwargs.setdefault("initial", self.initial_for(wave))
        super().__init__(*args, **kwargs)
        zone = cohort.get_time_zone_display()
        self.fields["opens_at"].label = f"Opens ({zone} time)"
        self.fields["closes_at"].label = f"Closes ({zone} time)"
        sessions = list(held_sessions(cohort))
        if wave is not None and wave.session_id and wave.session not in sessions:
            sessions.append(wave.session)
        self.sessions = {str(s.number): s for s in sessions}
        members = cohort.teams.aggregate(n=Count("memberships__user", distinct=True))["n"]
        choices = [
            (WHOLE_COHORT, f"The whole cohort ({members} member{'s' if members != 1 else ''})")
        ]
        if sessions:
            choices.append(
                (
                    "The people marked present at one session",
                    [(number, session_choice(s, cohort)) for number, s in self.sessions.items()],
                )
            )
        else:
            self.fields["audience"].help_text = (
                "Sessions are listed here once they have taken place and their attendance is "
                "marked; a session's feedback goes to the people marked present."
            )
        self.fields["audience"].choices = choices
        if self.locked:
            for name in LOCKED:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Locked: the wave has opened."

    @staticmethod
    def initial_for(wave: Wave) -> dict:
        return {
            "survey": wave.survey_id,
            "title": wave.title,
            "opens_at": wave.opens_at,
            "closes_at": wave.closes_at,
            "audience": str(wave.session.number) if wave.session_id else WHOLE_COHORT,
            "anonymity": wave.anonymity,
            "min_group_size": wave.min_group_size,
        }

    @staticmethod
    def new_initial() -> dict:
        """A new wave opens now for two weeks unless staff choose otherwise."""
        now = _minute(timezone.now())
        return {"opens_at": now, "closes_at": now + timedelta(days=NEW_WAVE_DAYS)}

    @classmethod
    def feedback_initial(cls, session: Session) -> dict:
        """A new wave asking the people present at ``session`` how it went: the feedback
        survey, opening now for a week."""
        now = _minute(timezone.now())
        return {
            "survey": Survey.objects.filter(code=FEEDBACK_SURVEY)
            .values_list("pk", flat=True)
            .first(),
            "title": feedback_title(session),
            "opens_at": now,
            "closes_at": now + timedelta(days=FEEDBACK_DAYS),
            "audience": str(session.number),
        }

    def clean_audience(self) -> Session | None:
        value = self.cleaned_data["audience"]
        return None if value == WHOLE_COHORT else self.sessions[value]

    def clean(self):
        cleaned = super().clean()
        if self.locked:
            self._refuse_locked_changes()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        moved = self.wave is None or (closes and _minute(closes) != _minute(self.wave.closes_at))
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "The wave must close after it opens.")
        elif closes and moved and closes <= timezone.now():
            self.add_error(
                "closes_at",
                "This time has already passed. Choose a closing time in the future"
                + (", or use “Close now”." if self.locked else "."),
            )
        return cleaned

    def _refuse_locked_changes(self) -> None:
        """A form loaded before the wave opened still posts the locked fields: changes to them
        are refused by name, never dropped without a word."""
        for name, what in LOCKED.items():
            field = self.fields[name]
            if self.add_prefix(name) not in self.data:
                continue
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            try:
                value = field.to_python(raw)
            except forms.ValidationError:
                value = raw
            if _comparable(value) != _comparable(self.initial.get(name)):
                self.add_error(name, f"The wave has opened, so its {what} can no longer change.")

    def apply_to(self, wave: Wave) -> Wave:
        """Copy the cleaned values onto ``wave`` (unsaved)."""
        data = self.cleaned_data
        wave.title = data["title"]
        # The inputs show minutes: an unchanged time keeps its stored seconds.
        wave.closes_at = _unless_same_minute(data["closes_at"], wave.closes_at)
        if not self.locked:
            wave.survey = data["survey"]
            wave.session = data["audience"]
            wave.opens_at = _unless_same_minute(data["opens_at"], wave.opens_at)
            wave.anonymity = data["anonymity"]
            wave.min_group_size = data["min_group_size"]
        return wave


def _unless_same_minute(new: datetime, stored: datetime | None) -> datetime:
    return stored if stored is not None and _minute(new) == _minute(stored) else new


def _comparable(value):
    if isinstance(value, datetime):
        return _minute(value)
    if hasattr(value, "pk"):
        return str(value.pk)
    return None if value in (None, "") else str(value)
