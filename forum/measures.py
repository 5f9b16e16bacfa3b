"""What the platform can count about peer contact, to set beside what members reported.

A member *made contact* with a peer when, in the period, they

- sent a direct message in a conversation that includes someone from another agency, or
- replied in a thread started by someone from another agency, or
- quoted a post written by someone from another agency.

"Another agency" means a member of the cohort's teams whose agency is none of the member's
own agencies in the cohort; program staff belong to no agency, so writing to them does not
count. Deleted posts do not count. Only counts leave this module, never who or what.
"""

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from cohorts.models import Cohort, Membership

from .models import Message, Post


def _in_period(field: str, start: datetime | None, end: datetime | None) -> Q:
    where = Q()
    if start is not None:
        where &= Q(**{f"{field}__gte": start})
    if end is not None:
        where &= Q(**{f"{field}__lt": end})
    return where


def _from_another_agency(cohort: Cohort, person: str, actor: str) -> Exists:
    """``person`` (an outer reference) is on a team of the cohort whose agency ``actor``
    (a reference one level further out) is not on."""
    own_agency = Membership.objects.filter(
        user=OuterRef(OuterRef(actor)), team__cohort=cohort, team__agency=OuterRef("team__agency")
    )
    return Exists(
        Membership.objects.filter(user=OuterRef(person), team__cohort=cohort).exclude(
            Exists(own_agency)
        )
    )


def _made_contact(cohort: Cohort, start: datetime | None, end: datetime | None) -> Q:
    """The condition, on a User row, of having made contact in the period."""
    # Both subqueries look at messages and posts only (never at the outer person), so the
    # database runs each once and checks members against the result, not once per member.
    messaged = Message.objects.filter(
        _in_period("created", start, end),
        conversation__cohort=cohort,
    ).filter(
        Exists(
            Membership.objects.filter(
                team__cohort=cohort,
                user__conversation_memberships__conversation=OuterRef("conversation"),
            )
            .exclude(user=OuterRef("author"))
            .exclude(
                Exists(
                    Membership.objects.filter(
                        user=OuterRef(OuterRef("author")),
                        team__cohort=cohort,
                        team__agency=OuterRef("team__agency"),
                    )
                )
            )
        )
    )
    replied = Post.objects.filter(
        _in_period("created", start, end),
        thread__cohort=cohort,
        deleted_at__isnull=True,
    ).filter(
        Q(number__gt=1, thread__author__isnull=False)
        & Q(_from_another_agency(cohort, "thread__author", "author"))
        | Q(quoted__author__isnull=False)
        & Q(_from_another_agency(cohort, "quoted__author", "author"))
    )
    return Q(pk__in=messaged.values("author")) | Q(pk__in=replied.values("author"))


def _members(cohort: Cohort) -> QuerySet[User]:
    return User.objects.filter(
        Exists(Membership.objects.filter(user=OuterRef("pk"), team__cohort=cohort))
    )


def contact_makers(
    cohort: Cohort, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[User]:
    """The cohort's members who made contact with a peer from another agency in the period."""
    return _members(cohort).filter(_made_contact(cohort, start, end))


def peer_contact_rows(
    cohort: Cohort, start: datetime | None = None, end: datetime | None = None
) -> tuple[QuerySet[User], QuerySet[User]]:
    """(the members who made contact with a peer from another agency in the period, the
    cohort's members), not yet run: for a report that counts them with its other figures in
    one query of its own. ``peer_contacts`` counts the same rows."""
    return contact_makers(cohort, start, end), _members(cohort)


def peer_contacts(
    cohort: Cohort, start: datetime | None = None, end: datetime | None = None
) -> tuple[int, int]:
    """(members who made contact with a peer from another agency in the period, the cohort's
    members). One query, counted in the database."""
    counts = _members(cohort).aggregate(
        members=Count("pk"), made=Count("pk", filter=_made_contact(cohort, start, end))
    )
    return counts["made"], counts["members"]
