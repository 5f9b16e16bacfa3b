from django.tasks import task

from . import services


@task
def send_action_step_reminders() -> int:
    """Remind owners of overdue action steps (idempotent); returns how many were sent."""
    return services.send_overdue_step_reminders()
