import time

from django.core.management.base import BaseCommand

from cohorts import sessions
from cohorts.tasks import send_session_reminders


class Command(BaseCommand):
    help = (
        "Send the session reminders and follow-ups that are due. Running it again sends "
        "nothing twice. --enqueue hands the job to the task worker instead; --every N repeats."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the job for the task worker."
        )
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS", help="Repeat every SECONDS."
        )

    def handle(self, *args, enqueue: bool = False, every: int = 0, **options):
        while True:
            if enqueue:
                result = send_session_reminders.enqueue()
                self.stdout.write(f"Queued the reminder job ({result.id}).")
            else:
                sent = sessions.send_due_reminders()
                self.stdout.write(
                    f"Sent {sent['reminders']} reminder(s) and {sent['follow_ups']} follow-up(s)."
                )
            if every <= 0:
                return
            time.sleep(every)
