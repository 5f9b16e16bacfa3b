from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.db.models import Q

from accounts.models import User
from cohorts.models import Team

from .models import (
    ActionPlan,
    ActionStep,
    CommunityPartner,
    Domain,
    InstrumentVersion,
    Item,
    Rating,
    ScaleLevel,
)
from .services import RatingChange

NOTE_MAX = 2000


@dataclass
class ItemRow:
    item: Item
    level: forms.BoundField
    note: forms.BoundField
    options: list[tuple[object, ScaleLevel]]  # (radio, its level)
    missing: bool  # not rated when command staff tried to submit


@dataclass
class Section:
    domain: Domain
    rows: list[ItemRow]


class RatingsForm(forms.Form):
    """One radio group per item (the version's scale) and an optional note.

    ``loaded`` holds the values the page was given. Only fields the person changed on the page
    are saved, so teammates filling in different items of the same draft at the same time do
    not undo each other's work.
    """

    loaded = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data=None,
        *,
        domains: list[Domain],
        levels: list[ScaleLevel],
        ratings: dict[int, Rating],
        missing: set[int] | None = None,
    ):
        self.domains = domains
        self.levels = levels
        self.missing = missing or set()
        initial: dict[str, str] = {}
        for rating in ratings.values():
            if rating.level is not None:
                initial[f"item_{rating.item_id}"] = str(rating.level)
            if rating.note:
                initial[f"note_{rating.item_id}"] = rating.note
        super().__init__(data, initial={**initial, "loaded": json.dumps(initial)})
        choices = [(str(level.value), level.label) for level in levels]
        for domain in domains:
            for item in domain.items.all():
                self.fields[f"item_{item.pk}"] = forms.TypedChoiceField(
                    label=item.text,
                    choices=choices,
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )
                self.fields[f"note_{item.pk}"] = forms.CharField(
                    label="Note (optional)",
                    required=False,
                    max_length=NOTE_MAX,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )

    def sections(self) -> list[Section]:
        result = []
        for domain in self.domains:
            rows = []
            for item in domain.items.all():
                level = self[f"item_{item.pk}"]
                rows.append(
                    ItemRow(
                        item=item,
                        level=level,
                        note=self[f"note_{item.pk}"],
                        options=list(zip(level.subwidgets, self.levels, strict=True)),
                        missing=item.pk in self.missing,
                    )
                )
            result.append(Section(domain=domain, rows=rows))
        return result

    def changes(self) -> dict[int, RatingChange]:
        try:
            loaded = json.loads(self.cleaned_data.get("loaded") or "{}")
        except ValueError:
            loaded = {}
        if not isinstance(loaded, dict):
            loaded = {}
        result: dict[int, RatingChange] = {}
        for domain in self.domains:
            for item in domain.items.all():
                level = self.cleaned_data.get(f"item_{item.pk}")
                note = self.cleaned_data.get(f"note_{item.pk}", "")
                level_changed = level is not None and str(level) != loaded.get(f"item_{item.pk}")
                note_changed = note != loaded.get(f"note_{item.pk}", "")
                if level_changed or note_changed:
                    result[item.pk] = (
                        level if level_changed else None,
                        note if note_changed else None,
                    )
        return result


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ActionStepForm(forms.ModelForm):
    class Meta:
        model = ActionStep
        fields = [
            "title",
            "details",
            "term",
            "roadmap_step",
            "domain",
            "owner",
            "due_date",
            "status",
        ]
        labels = {"roadmap_step": "Roadmap step", "due_date": "Due date"}
        help_texts = {
            "details": "What will be done, by whom and how you will know it is done.",
            "term": "Short-term: the next few months. Long-term: the next year or two.",
            "domain": "The assessment domain this step improves.",
            "owner": "The team member who sees it through; they are reminded when it is overdue.",
        }
        widgets = {
            "details": forms.Textarea(attrs={"rows": 4}),
            "due_date": DateInput,
        }

    def __init__(self, *args, team: Team, version: InstrumentVersion | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        members = User.objects.filter(memberships__team=team).order_by("last_name", "first_name")
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        self.fields["owner"].empty_label = "No owner yet"
        current = self.instance.domain_id
        domains = Domain.objects.filter(
            Q(version=version) | Q(pk=current) if version else Q(pk=current)
        ).order_by("position")
        self.fields["domain"].queryset = domains
        self.fields["domain"].empty_label = "Not tied to a domain"

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        if owner and not owner.memberships.filter(team=self.team).exists():
            raise forms.ValidationError("The owner must be a member of the team.")
        return owner


class ProgressNoteForm(forms.Form):
    text = forms.CharField(
        label="Progress note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened, what is next, what is in the way.",
    )


class MissionForm(forms.ModelForm):
    class Meta:
        model = ActionPlan
        fields = ["mission"]
        widgets = {"mission": forms.Textarea(attrs={"rows": 3})}


class PartnerForm(forms.ModelForm):
    class Meta:
        model = CommunityPartner
        fields = ["name", "kind", "contact", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"notes": "What they offer officers, terms agreed, who referred them."}
