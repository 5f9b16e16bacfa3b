"""Forms of the forum: new thread, reply, edit, flag, watch and search."""

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
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not value.strip():
            raise ValidationError("Write a message.")
        return value


def _wire_mentions(field: forms.Field, cohort) -> None:
    field.widget.attrs["data-mention-source"] = reverse(
        "forum:mention_suggestions", args=[cohort.slug]
    )


class ThreadForm(forms.Form):
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


class ReplyForm(forms.Form):
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
