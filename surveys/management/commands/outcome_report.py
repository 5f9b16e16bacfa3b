import csv
import json

from django.core.management.base import BaseCommand, CommandError

from cohorts.models import Cohort
from surveys.reports import format_percent, outcome_indicators

FIELDS = ["code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high"]


class Command(BaseCommand):
    help = (
        "Print a cohort's outcome indicators for the funder: numerator, denominator, percent "
        "and 95% Wilson interval, each from the cohort's latest wave that asks the question."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohort", required=True, metavar="SLUG", help="The cohort's slug.")
        parser.add_argument("--format", choices=["json", "csv", "text"], default="text")

    def handle(self, *args, cohort: str, format: str, **options):
        found = Cohort.objects.filter(slug=cohort).first()
        if found is None:
            known = ", ".join(Cohort.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"There is no cohort with the slug “{cohort}”. Known cohorts: {known or 'none'}."
            )
        indicators = [{key: i[key] for key in FIELDS} | {"wave": i["wave"]}
                      for i in outcome_indicators(found)]  # fmt: skip
        if format == "json":
            payload = {
                "cohort": found.slug,
                "indicators": [{key: i[key] for key in FIELDS} for i in indicators],
            }
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
        elif format == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(indicators)
        else:
            self.stdout.write(f"Outcome indicators: {found.name} ({found.slug})")
            for i in indicators:
                self.stdout.write(f"{i['label']}: {describe(i)}")


def describe(indicator: dict) -> str:
    """ "62.5% (30 of 48; 95% CI 48–75%)", with the wave it comes from."""
    if not indicator["denominator"]:
        return "no answers yet"
    return (
        f"{format_percent(indicator['percent'])}% ({indicator['numerator']} of "
        f"{indicator['denominator']}; 95% CI {indicator['ci_low']:.0f}–{indicator['ci_high']:.0f}%)"
        f" [{indicator['wave']}]"
    )
