from django import forms
from django.core.validators import MaxLengthValidator

from .models import ReportingNarrative

MAX_NARRATIVE_LENGTH = 20_000
NARRATIVE_FIELDS = ["accomplishments", "barriers", "next_period_plans"]


class NarrativeForm(forms.ModelForm):
    """A quarter's narrative: what was accomplished, what got in the way, what comes next.

    ``version`` is the narrative's last-saved time when the form was opened: if someone else
    saves in between, the form refuses once, shows their text beside what was typed (which is
    kept), and a second save then replaces theirs deliberately.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ReportingNarrative
        fields = NARRATIVE_FIELDS
        labels = {
            "accomplishments": "Accomplishments",
            "barriers": "Barriers",
            "next_period_plans": "Plans for the next period",
        }
        help_texts = {
            "accomplishments": "What the cohort and its teams achieved this quarter.",
            "barriers": "What slowed the work down, and what was done about it.",
            "next_period_plans": "What the collaborative will do next quarter.",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 6, "maxlength": MAX_NARRATIVE_LENGTH})
            for name in NARRATIVE_FIELDS
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in NARRATIVE_FIELDS:
            self.fields[name].validators.append(MaxLengthValidator(MAX_NARRATIVE_LENGTH))
        self.theirs: dict[str, str] | None = None
        if not self.is_bound:
            self.initial["version"] = self.current_version()

    def current_version(self) -> str:
        updated = self.instance.updated if self.instance.pk else None
        return updated.isoformat() if updated else ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("version", "") != self.current_version():
            self.refuse_as_stale()
        return cleaned

    def refuse_as_stale(self) -> None:
        """Keep the typed text, remember the stored one, and accept the next save."""
        self.theirs = {name: getattr(self.instance, name) for name in NARRATIVE_FIELDS}
        data = self.data.copy()
        data[self.add_prefix("version")] = self.current_version()
        self.data = data
        raise forms.ValidationError(
            "Someone else saved this narrative while you were editing it. Your text is kept "
            "in the form and theirs is shown below it: save again to replace theirs with yours.",
            code="stale",
        )
