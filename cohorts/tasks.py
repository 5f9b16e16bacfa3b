from django.tasks import task

from . import sessions


@task
def send_session_reminders() -> dict[str, int]:
    """Send every due session reminder and follow-up (idempotent)."""
    return sessions.send_due_reminders()
