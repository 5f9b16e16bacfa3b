"""Forms of the forum: new thread, reply, edit, flag, watch and search."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from collaborative.uploads import check_upload

from .models import Category, Flag, Watch
from .posting import MAX_ATTACHMENTS

ATTACHMENT_EXTENSIONS = [
    "pdf", "docx", "doc", "xlsx", "xls", "pptx", "ppt", "csv", "txt", "png", "jpg", "jpeg", "gif",
]  # fmt: skip
BODY_MAX = 20_000


def attachments_help() -> str:
    size = settings.FORUM_ATTACHMENT_MAX_BYTES / (1024 * 1024)
    return (
        f"Optional. Up to {MAX_ATTACHMENTS} files: PDF, Word, Excel, PowerPoint, CSV, text, "
        f"PNG, JPEG or GIF, each up to {size:g} MB."
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by content, name and size."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        uploads = [upload for upload in uploads if upload]
        if len(uploads) > MAX_ATTACHMENTS:
            raise ValidationError(f"Attach at most {MAX_ATTACHMENTS} files to one post.")
        errors = []
        for upload in uploads:
            super().clean(upload, initial)
            try:
                check_upload(
                    upload,
                    max_bytes=settings.FORUM_ATTACHMENT_MAX_BYTES,
                    extensions=ATTACHMENT_EXTENSIONS,
                )
            except ValidationError as exc:
                errors += [f"“{upload.name}”: {message}" for message in exc.messages]
        if errors:
            errors.append("Nothing was posted: choose the files again without the refused ones.")
            raise ValidationError(errors)
        return uploads


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Message")
        kwargs.setdefault("max_length", BODY_MAX)
        kwargs.setdefault(
            "help_text",
            "Markdown: **bold**, *italic*, > quote, - lists, [link](https://…). "
            "Type @ and a name to mention a member of this cohort.",
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        kwargs.setdefault("error_messages", {"required": "Write a message."})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not value.strip():
            raise ValidationError("Write a message.")
        return value


class SubmissionKeyField(forms.UUIDField):
    """The key of one rendered form, in a hidden field: what the form makes carries it, so the
    same form sent twice makes one thing (posting.once). A missing or unreadable key is no
    key: the form still works, without that protection (a page opened before keys existed)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            return None


class SubmittedOnceForm(forms.Form):
    """A form whose sending makes something (a thread, a reply, a message): a new key for
    every form rendered, kept when the form comes back with errors."""

    submission = SubmissionKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())


def _wire_mentions(field: forms.Field, cohort) -> None:
    field.widget.attrs["data-mention-source"] = reverse(
        "forum:mention_suggestions", args=[cohort.slug]
    )


class ThreadForm(SubmittedOnceForm):
    category = forms.ModelChoiceField(queryset=Category.objects.none(), empty_label=None)
    title = forms.CharField(max_length=200)
    body = BodyField()
    attachments = AttachmentsField()

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(cohort=cohort).order_by(
            "position", "name"
        )
        self.fields["category"].error_messages["invalid_choice"] = (
            "Choose a category from the list."
        )
        self.fields["attachments"].help_text = attachments_help()
        _wire_mentions(self.fields["body"], cohort)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("Give the thread a title.")
        return title


class ReplyForm(SubmittedOnceForm):
    body = BodyField(label="Your reply")
    attachments = AttachmentsField()
    quoted = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()
        _wire_mentions(self.fields["body"], cohort)


class EditPostForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    body = BodyField()

    def __init__(self, *args, cohort, opening: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if opening:
            self.fields["title"].required = True
        else:
            del self.fields["title"]
        _wire_mentions(self.fields["body"], cohort)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why should staff review this post?",
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the post should be reviewed."},
    )
    detail = forms.CharField(
        label="Anything staff should know",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Only program staff see this.",
    )


WATCH_CHOICES = [
    (Watch.Level.WATCHING, "Watching"),
    ("", "Normal"),
    (Watch.Level.MUTED, "Muted"),
]


class WatchForm(forms.Form):
    level = forms.ChoiceField(choices=WATCH_CHOICES, required=False, widget=forms.RadioSelect)


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the forum", max_length=200, required=False)

    def query(self) -> str:
        if not self.is_valid():
            return ""
        return " ".join(self.cleaned_data["q"].split())


# Direct messages, announcements and email preferences ----------------------------------------

MESSAGE_HELP = "Markdown: **bold**, *italic*, > quote, - lists, [link](https://…)."


class MessageForm(SubmittedOnceForm):
    body = BodyField(
        label="Your message",
        help_text=MESSAGE_HELP,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """People of the cohort, each labelled with their rank and team (or "Program staff")."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, person) -> str:
        team = getattr(person, "directory_team", None)
        if team:
            rank = getattr(person, "directory_rank", "")
            return f"{person.display_name} — {rank + ', ' if rank else ''}{team}"
        return f"{person.display_name} — Program staff"


class NewConversationForm(SubmittedOnceForm):
    recipients = PersonChoiceField(
        queryset=None,
        label="Write to",
        help_text="One person for a private conversation, or up to seven for a group.",
    )
    title = forms.CharField(
        label="Name of the group",
        max_length=120,
        required=False,
        help_text="Optional, for a group conversation: what everyone in it will see.",
    )
    body = BodyField(label="Message", help_text=MESSAGE_HELP)

    def __init__(self, *args, people, **kwargs):
        from .messaging import OUTSIDE_COHORT

        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        field.queryset = people
        field.error_messages.update(
            {
                "required": "Choose at least one person to write to.",
                "invalid_choice": OUTSIDE_COHORT,
                "invalid_pk_value": OUTSIDE_COHORT,
            }
        )

    def clean_recipients(self):
        from .conversations import MAX_PARTICIPANTS

        people = self.cleaned_data["recipients"]
        if len(people) > MAX_PARTICIPANTS - 1:
            raise ValidationError(
                f"A conversation has at most {MAX_PARTICIPANTS} people, you included: "
                f"choose up to {MAX_PARTICIPANTS - 1}."
            )
        return people


class AnnouncementForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = BodyField(
        label="Announcement",
        help_text=MESSAGE_HELP + " Every member of the cohort is notified.",
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("Give the announcement a title.")
        return title


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, rank or agency"}),
    )
    agency = forms.TypedChoiceField(label="Agency", required=False, coerce=int, empty_value=None)
    role = forms.ChoiceField(label="Role", required=False)

    def __init__(self, *args, agencies, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *agencies]
        self.fields["role"].choices = [("", "Any role"), *roles]


class PreferencesForm(forms.Form):
    """One choice per kind of notification: email immediately, in the daily digest, or not."""

    LABELS = {
        "message": ("Direct messages", "Someone writes to you in a conversation."),
        "mention": ("Mentions of you", "Someone types @ and your name in the forum."),
        "reply": ("Replies in threads you watch", "You watch the threads you start or reply to."),
        "thread": (
            "New threads in categories you watch",
            "Only for the categories you chose to watch.",
        ),
        "announcement": ("Announcements from program staff", "News for your whole cohort."),
    }

    def __init__(self, *args, **kwargs):
        from .models import NotificationPreference

        super().__init__(*args, **kwargs)
        for kind in NotificationPreference.KINDS:
            label, help_text = self.LABELS[kind]
            default = NotificationPreference.Delivery(NotificationPreference.default_for(kind))
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotificationPreference.Delivery.choices,
                widget=forms.RadioSelect,
                help_text=f"{help_text} Unless you choose: {default.label.lower()}.",
                error_messages={"required": f"Choose how to hear about {label.lower()}."},
            )
