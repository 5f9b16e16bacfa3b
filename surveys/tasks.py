from django.tasks import task

from . import services


@task
def send_survey_reminders() -> int:
    """Send every due survey reminder (idempotent); returns how many were sent."""
    return services.send_due_survey_reminders()
