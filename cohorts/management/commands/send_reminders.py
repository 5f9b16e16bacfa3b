import time

from django.core.management.base import BaseCommand

from cohorts import sessions
from cohorts.tasks import send_session_reminders
from surveys.services import send_due_survey_reminders
from surveys.tasks import send_survey_reminders


class Command(BaseCommand):
    help = (
        "Send what is due: session reminders and follow-ups, and reminders to people who have "
        "not answered an open survey (72 and 24 hours before it closes). Running it again sends "
        "nothing twice. --enqueue hands both jobs to the task worker instead; --every N repeats."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue both jobs for the task worker."
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
            else:
                sent = sessions.send_due_reminders()
                surveyed = send_due_survey_reminders()
                self.stdout.write(
                    f"Sent {sent['reminders']} session reminder(s), {sent['follow_ups']} "
                    f"follow-up(s) and {surveyed} survey reminder(s)."
                )
            if every <= 0:
                return
            time.sleep(every)
