import random
from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.mfa import totp_uri
from accounts.models import User
from cohorts.demo import DEMO_PASSWORD, DEMO_STAFF_TOTP_SECRET, PERSONAS, RNG_SEED, DemoContext

# Each module's ``seed(ctx)`` runs in this order; later steps build on what earlier ones made.
DEMO_STEPS = ["cohorts.demo", "surveys.demo", "assessments.demo", "forum.demo", "training.demo"]


class Command(BaseCommand):
    help = (
        "Load the demo data: the osw-2021 (18 teams) and osw-2022 (30 agencies) cohorts, a "
        "current cohort, the eight topics and the demo sign-ins. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print only the sign-ins.")

    def handle(self, *args, quiet: bool = False, **options):
        def log(line: str) -> None:
            if not quiet:
                self.stdout.write(f"  {line}")

        ctx = DemoContext(rng=random.Random(RNG_SEED), log=log)
        with transaction.atomic():
            for path in DEMO_STEPS:
                import_module(path).seed(ctx)

        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        width = max(len(p.email) for p in PERSONAS)
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.email:<{width}}  {persona.label}")
        self.stdout.write(f"  Password for every demo account: {DEMO_PASSWORD}")
        # Staff must use two-factor authentication: publish the demo staff persona's secret.
        for persona in PERSONAS:
            if persona.is_staff:
                user = User.objects.get(email=persona.email)
                self.stdout.write(
                    f"  {persona.email} also asks for an authenticator-app code. Add this "
                    f"secret to the app: {DEMO_STAFF_TOTP_SECRET}\n"
                    f"    (or this address, as a QR code: {totp_uri(user, DEMO_STAFF_TOTP_SECRET)})"
                )
