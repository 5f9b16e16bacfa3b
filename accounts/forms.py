from django import forms
from django.contrib.auth import password_validation

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "phone",
            "time_zone",
            "bio",
            "share_email",
            "share_phone",
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "bio": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "bio": "A few lines for the peer directory: what you do, what you can help with.",
            "share_email": "Off unless you switch it on. Your name, agency, team and role are "
            "always shown to your cohorts.",
            "share_phone": "Shown only if you have entered a phone number above.",
        }

    def clean_bio(self) -> str:
        return self.cleaned_data["bio"].strip()


class AcceptInvitationForm(forms.Form):
    """What an invitee fills in to create their account: a name and a password."""

    first_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            candidate = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
