from django.tasks import task

from . import emails


@task
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email the given notifications that are still unread and wanted immediately (each at
    most once, however often this runs). Queued by forum.emails.schedule with a delay."""
    return emails.send_immediate(notification_ids)


@task
def send_notification_digests() -> dict[str, int]:
    """Send the daily digests that are due, and any immediate email whose task never ran
    (idempotent)."""
    return {"digests": emails.send_due_digests(), "overdue": emails.send_overdue()}
