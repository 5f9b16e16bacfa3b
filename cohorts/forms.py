from django import forms

from .models import Agency, Cohort, Membership, Team


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = [
            "name", "slug", "program", "description", "start_date", "end_date",
            "max_teams", "time_zone", "reminder_hours_before", "attendance_goal",
        ]  # fmt: skip
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"slug": "Short name used in web addresses, e.g. osw-2023."}

    def clean_max_teams(self):
        value = self.cleaned_data["max_teams"]
        if self.instance.pk:
            current = self.instance.teams.count()
            if value < current:
                raise forms.ValidationError(
                    f"The cohort already has {current} teams; the maximum cannot be lower."
                )
        return value


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["name", "kind", "city", "state", "sworn_size", "setting"]

    def clean(self):
        cleaned = super().clean()
        name, state = cleaned.get("name"), cleaned.get("state")
        if name and state:
            clash = Agency.objects.filter(name__iexact=name.strip(), state=state)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"{name} in {state} is already registered.")
        return cleaned


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["agency", "name", "status"]
        help_texts = {"name": "Leave blank to use the agency's name."}

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.fields["name"].required = False
        taken = cohort.teams.exclude(pk=self.instance.pk).values("agency")
        self.fields["agency"].queryset = Agency.objects.exclude(pk__in=taken)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not self.cohort.has_room_for_team():
            raise forms.ValidationError(
                f"{self.cohort} already has its maximum of {self.cohort.max_teams} "
                f"team{'s' if self.cohort.max_teams != 1 else ''}."
            )
        if not cleaned.get("name") and cleaned.get("agency"):
            cleaned["name"] = cleaned["agency"].name
        return cleaned

    def save(self, commit: bool = True):
        self.instance.cohort = self.cohort
        self.instance.name = self.cleaned_data["name"]
        return super().save(commit)


class InvitationForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=Membership.Role.choices)
    rank = forms.CharField(
        label="Rank or title",
        max_length=100,
        required=False,
        help_text="For example Chief, Sergeant, Wellness Coordinator.",
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    rank = forms.CharField(label="Rank or title", max_length=100, required=False)
    is_lead = forms.BooleanField(label="Team lead", required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_lead") and cleaned.get("role") != Membership.Role.COMMAND_STAFF:
            self.add_error("is_lead", "The team lead must be a command-staff member.")
        return cleaned


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV)",
        help_text="Columns: agency, state, agency_kind, email, first_name, last_name, role, "
        "rank, team_lead. Nothing is imported if any row has a problem.",
    )
    send_emails = forms.BooleanField(
        label="Email new people a link to choose their password", required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 2 MB.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file.")
        return upload
