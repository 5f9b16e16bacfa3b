"""iCalendar (RFC 5545) files for sessions, built with the ``icalendar`` library."""

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Session

PRODID = "-//Collaborative//Session calendar//EN"


def session_event(session: Session, *, include_private: bool) -> Event:
    """One VEVENT. Its UID never changes; SEQUENCE grows with every change a client needs."""
    event = Event()
    event.add("uid", f"{session.uid}@collaborative")
    event.add("sequence", session.sequence)
    event.add("dtstamp", timezone.now())
    event.add("last-modified", session.updated)
    # Times keep the cohort's zone (with a VTIMEZONE added below), so clients show them right
    # across daylight-saving changes.
    event.add("dtstart", session.starts_at.astimezone(session.cohort.tz))
    event.add("dtend", session.ends_at.astimezone(session.cohort.tz))
    event.add("summary", f"{session.cohort.name}: {session.title}")
    url = settings.SITE_URL + session.get_absolute_url()
    event.add("url", url)
    lines = []
    if session.topic_id:
        lines.append(f"Topic: {session.topic.name}")
    presenters = [p.display_name for p in session.presenters.all()]
    if presenters:
        lines.append("Presented by " + ", ".join(presenters))
    if session.agenda:
        lines += ["", session.agenda]
    if include_private and session.meeting_url:
        event.add("location", session.meeting_url)
        lines += ["", f"Join: {session.meeting_url}"]
    lines += ["", f"Details and materials: {url}"]
    event.add("description", "\n".join(lines).strip())
    if session.is_cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_for(sessions: Iterable[Session], *, name: str, can_see_private) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for session in sessions:
        cal.add_component(session_event(session, include_private=can_see_private(session)))
    cal.add_missing_timezones()
    return cal.to_ical()
