"""Shared fixtures: the personas every access test uses, and the CI rules for skips.

Personas (one cohort, two agencies, plus an outsider from another cohort):
- ``staff``: a program organiser (Django staff, with TOTP set up as the site requires);
- ``command``: command staff and lead of the ``team`` (agency A) in ``cohort``;
- ``officer``: a sworn officer on the same team;
- ``peer``: a member of ``other_team`` (agency B) in the same cohort;
- ``outsider``: command staff on a team in ``other_cohort``.
"""

import os
from datetime import date

import pytest
from allauth.account.models import EmailAddress

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct-horse-battery-staple"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"{len(deselected)} PostgreSQL-only test(s) deselected: this run uses SQLite "
                "(set DATABASE_URL to run them)."
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # In CI every service and the browser are present, so a skip means something is broken.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, which counts as a failure: {reason}"


def make_user(email: str, *, first: str = "", last: str = "", totp: bool | None = None, **extra):
    """A user with a verified email; staff also get an authenticator app (TOTP), which the
    site requires of them, unless ``totp=False``."""
    from accounts.models import User

    user = User.objects.create_user(
        email=email, password=PASSWORD, first_name=first, last_name=last, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if totp or (totp is None and user.is_staff):
        enrol_totp(user)
    return user


def enrol_totp(user) -> str:
    """Give ``user`` an allauth TOTP authenticator with a random secret; return the secret
    (``accounts.mfa.totp_code(secret)`` gives the current code, as an authenticator app)."""
    from accounts.mfa import enrol_totp as enrol

    return enrol(user)


def make_agency(name: str, state: str = "VA", kind: str = "municipal"):
    from cohorts.models import Agency

    return Agency.objects.create(name=name, state=state, kind=kind, city=name.split()[0])


def make_cohort(slug: str, name: str | None = None, **extra):
    from cohorts.models import Cohort

    extra.setdefault("start_date", date(2026, 1, 1))
    extra.setdefault("end_date", date(2026, 12, 31))
    return Cohort.objects.create(slug=slug, name=name or slug.upper(), **extra)


def make_team(cohort, agency, **extra):
    from cohorts.models import Team

    return Team.objects.create(cohort=cohort, agency=agency, name=agency.name, **extra)


def make_member(team, user, role: str = "sworn", **extra):
    from cohorts.models import Membership

    return Membership.objects.create(team=team, user=user, role=role, **extra)


@pytest.fixture
def cohort(db):
    return make_cohort("osw-test", "OSW Test Cohort")


@pytest.fixture
def other_cohort(db):
    return make_cohort("osw-other", "Other Cohort")


@pytest.fixture
def team(cohort):
    return make_team(cohort, make_agency("Riverton Police Department"))


@pytest.fixture
def other_team(cohort):
    return make_team(cohort, make_agency("Marion County Sheriff's Office", kind="sheriff"))


@pytest.fixture
def outsider_team(other_cohort):
    return make_team(other_cohort, make_agency("Lakeside Police Department", state="OH"))


@pytest.fixture
def staff(db):
    return make_user("alice@staff.example", first="Alice", last="Organiser", is_staff=True)


@pytest.fixture
def command(team):
    user = make_user("bob@riverton.example", first="Bob", last="Chief")
    make_member(team, user, role="command_staff", rank="Chief", is_lead=True)
    return user


@pytest.fixture
def officer(team, command):
    user = make_user("carol@riverton.example", first="Carol", last="Officer")
    make_member(team, user, role="sworn", rank="Sergeant")
    return user


@pytest.fixture
def peer(other_team):
    user = make_user("dave@marion.example", first="Dave", last="Deputy")
    make_member(other_team, user, role="command_staff", rank="Sheriff", is_lead=True)
    return user


@pytest.fixture
def outsider(outsider_team):
    user = make_user("erin@lakeside.example", first="Erin", last="Outsider")
    make_member(outsider_team, user, role="command_staff", rank="Captain", is_lead=True)
    return user


def login(client, user):
    client.force_login(user)
    return client


def race(*calls):
    """Run ``calls`` at the same moment in threads of their own, each with its own database
    connection; return their results in the order they finished, or raise the first error."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=5)
            results.append(call())
        except Exception as exc:  # a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results
