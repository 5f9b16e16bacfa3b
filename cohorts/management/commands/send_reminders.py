import time

from django.core.management.base import BaseCommand

from assessments.services import overdue_reminders_due, send_overdue_step_reminders
from assessments.tasks import send_action_step_reminders
from cohorts import sessions
from cohorts.tasks import send_session_reminders
from forum import emails
from forum.tasks import send_notification_digests
from surveys.services import send_due_survey_reminders
from surveys.tasks import send_survey_reminders


class Command(BaseCommand):
    help = (
        "Send what is due: session reminders and follow-ups, reminders to people who have "
        "not answered an open survey (72 and 24 hours before it closes), the daily digest of "
        "unread notifications (once a day per person), and a reminder to the owner of each "
        "overdue action step. Running it again sends nothing twice. --enqueue hands the jobs "
        "to the task worker instead; --every N repeats."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the jobs for the task worker."
        )
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS", help="Repeat every SECONDS."
        )

    def handle(self, *args, enqueue: bool = False, every: int = 0, **options):
        while True:
            if enqueue:
                queued_sessions = send_session_reminders.enqueue()
                queued_surveys = send_survey_reminders.enqueue()
                self.stdout.write(
                    f"Queued the session reminder job ({queued_sessions.id}) and the survey "
                    f"reminder job ({queued_surveys.id})."
                )
                # The notification email job only when some notification may need an email.
                if emails.anything_to_email():
                    queued_digests = send_notification_digests.enqueue()
                    self.stdout.write(f"Queued the notification email job ({queued_digests.id}).")
                # The overdue action step job only when some owner is due a reminder.
                if overdue_reminders_due():
                    queued_steps = send_action_step_reminders.enqueue()
                    self.stdout.write(f"Queued the overdue action step job ({queued_steps.id}).")
            else:
                sent = sessions.send_due_reminders()
                surveyed = send_due_survey_reminders()
                self.stdout.write(
                    f"Sent {sent['reminders']} session reminder(s), {sent['follow_ups']} "
                    f"follow-up(s) and {surveyed} survey reminder(s)."
                )
                digests = emails.send_due_digests()
                overdue = emails.send_overdue()
                if digests or overdue:
                    self.stdout.write(
                        f"Sent {digests} notification digest(s) and {overdue} delayed "
                        "notification email(s)."
                    )
                overdue_steps = send_overdue_step_reminders()
                if overdue_steps:
                    self.stdout.write(f"Sent {overdue_steps} overdue action step reminder(s).")
            if every <= 0:
                return
            time.sleep(every)
