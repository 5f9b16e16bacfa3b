import csv
import json

from django.core.management.base import BaseCommand, CommandError

from cohorts.models import Cohort
from surveys.funder import INDICATOR_FIELDS, UnknownPeriod, funder_report, period_for
from surveys.reports import Share, format_percent

FIELDS = INDICATOR_FIELDS


class Command(BaseCommand):
    help = (
        "Print a cohort's outcome indicators for the funder: numerator, denominator, percent "
        "and 95% Wilson interval, each from the cohort's latest wave that asks the question. "
        "With --period, only the answers submitted in that quarter count."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohort", required=True, metavar="SLUG", help="The cohort's slug.")
        parser.add_argument("--format", choices=["json", "csv", "text"], default="text")
        parser.add_argument(
            "--period",
            metavar="QUARTER",
            help="A quarter of the cohort, such as 2021Q2 (default: the whole cohort).",
        )

    def handle(self, *args, cohort: str, format: str, period: str | None = None, **options):
        found = Cohort.objects.filter(slug=cohort).first()
        if found is None:
            known = ", ".join(Cohort.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"There is no cohort with the slug “{cohort}”. Known cohorts: {known or 'none'}."
            )
        try:
            quarter = period_for(found, period)
        except UnknownPeriod as error:
            raise CommandError(str(error)) from None
        report = funder_report(found, quarter)
        if format == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        elif format == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(report.indicators)
        else:
            self.write_text(report)

    def write_text(self, report) -> None:
        cohort = report.cohort
        self.stdout.write(f"Outcome indicators: {cohort.name} ({cohort.slug})")
        self.stdout.write(f"Period: {report.period_label}")
        for i in report.indicators:
            self.stdout.write(f"{i['label']}: {describe(i)}")
        self.stdout.write("")
        self.stdout.write("Response rates (submitted of invited):")
        for rate in report.response_rates:
            self.stdout.write(f"  {rate.wave.title}: {share_text(rate.share)}")
        if not report.response_rates:
            self.stdout.write("  no survey wave in this period")
        attendance = report.attendance
        self.stdout.write(
            f"Session attendance (present of recorded, {len(attendance.sessions)} "
            f"session{'s' if len(attendance.sessions) != 1 else ''}): "
            f"{share_text(attendance.share)}"
        )
        if report.peer_contacts is not None:
            self.stdout.write(
                f"Members in contact with a peer on the platform: {share_text(report.peer_contacts)}"
            )
        if report.teams_with_changes is not None:
            self.stdout.write(
                "Teams with an action step done: " + share_text(report.teams_with_changes)
            )


def share_text(share: Share) -> str:
    return "none recorded" if share.percent is None else str(share)


def describe(indicator: dict) -> str:
    """ "62.5% (30 of 48; 95% CI 48–75%)", with the wave it comes from."""
    if not indicator["denominator"]:
        return "no answers yet"
    return (
        f"{format_percent(indicator['percent'])}% ({indicator['numerator']} of "
        f"{indicator['denominator']}; 95% CI {indicator['ci_low']:.0f}–{indicator['ci_high']:.0f}%)"
        f" [{indicator['wave']}]"
    )
