from django.conf import settings
from django.db import models


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def after(self, last_id: int) -> "NotificationQuerySet":
        return self.filter(pk__gt=last_id).order_by("pk")


class Notification(models.Model):
    """The source of truth for everything a person is told about.

    Sockets only carry a signal (ids and counts); a client that missed signals resumes from
    the last id it saw, so a dropped socket or channel layer loses nothing.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply in a watched thread"
        MENTION = "mention", "Mention"
        MESSAGE = "message", "Direct message"
        ANNOUNCEMENT = "announcement", "Staff announcement"
        MEMBERSHIP = "membership", "Team membership"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["recipient", "id"], name="notification_resume_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"

    def as_signal(self) -> dict:
        """What may travel over the channel layer: ids and kinds, never message text."""
        return {"id": self.pk, "kind": self.kind, "cohort": self.cohort_id}
