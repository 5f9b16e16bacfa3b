"""The program's starting text, themes and focus areas. Staff edit all of it afterwards."""

from __future__ import annotations

PROGRAM = {
    "title": "Officer Resilience Training Program",
    "lead": (
        "A one-day, in-person course that gives officers and dispatchers research-backed "
        "resilience skills they can use on the next shift and at home."
    ),
    "about": (
        "Policing asks a lot of the body and the mind. Agencies that want their people to keep "
        "serving their communities well have to give them ways to look after their own health "
        "and safety, and resilience training is one of those ways.\n\n"
        "Resilience is the capacity to **prepare for, recover from and adapt to** stress and "
        "adversity. This program adapts the Penn Resilience Program for law enforcement: it "
        "was customised by the International Association of Chiefs of Police with the "
        "University of Pennsylvania, and it is one of the programs of the Bureau of Justice "
        "Assistance's VALOR Initiative for officer safety, resilience and survivability.\n\n"
        "The skills it teaches have been tested in research. They help people work through "
        "setbacks, manage stress, keep performing at their best and do well in their "
        "professional and personal lives."
    ),
    "course": (
        "The course lasts one day and is delivered in person. It is interactive: attendees "
        "practise each skill through role plays, watch short videos and discuss how the skill "
        "applies to their own work.\n\n"
        "Trainings are held by region, and each one accepts a limited number of attendees from "
        "each agency, so that several agencies can learn side by side."
    ),
    "attendees": (
        "Sworn personnel of **every rank**, from recruits to command staff, and **dispatchers**. "
        "Agencies choose who attends; an agency coordinator registers them."
    ),
    "outcomes": (
        "Attendees leave with a set of strategies and tools they can reach for when they need "
        "to manage stress, get past a challenge or adapt to adversity."
    ),
    "request_intro": (
        "Tell us about your agency and when a training would suit you. Program staff review "
        "every request and reply by email, usually within two weeks."
    ),
}

THEMES = [
    (
        "mind",
        "Mind",
        "Harnessing thinking to drive productive emotions, reactions and physiology.",
        "Mind skills help people notice the thoughts that drive their reactions in the moment, "
        "question the ones that do not fit the facts, and choose a response that serves them.",
    ),
    (
        "energy",
        "Energy",
        "Regulating energy and maintaining vitality.",
        "Energy skills help people manage their energy across long and irregular shifts: "
        "calming the body under stress, recovering after it, and protecting what keeps them "
        "well.",
    ),
    (
        "connection",
        "Connection",
        "Strengthening professional and personal relationships.",
        "Connection skills help people build and keep the relationships that carry them "
        "through hard times, at work and at home.",
    ),
]

FOCUS_AREAS = [
    (
        "learned-optimism",
        "Learned Optimism",
        "Explaining setbacks in ways that keep people working on what they can change.",
    ),
    (
        "real-time-resilience",
        "Real-Time Resilience",
        "Answering unhelpful thoughts in the moment, so they do not take over under pressure.",
    ),
    (
        "avoiding-thinking-traps",
        "Avoiding Thinking Traps",
        "Spotting the patterns of thinking that lead to quick but wrong conclusions.",
    ),
    (
        "managing-difficult-conversations",
        "Managing Difficult Conversations",
        "Saying what needs saying, clearly and respectfully, with colleagues and at home.",
    ),
]


def ensure_catalogue(apps=None) -> None:
    """Create the three themes and four focus areas if they are missing (safe to run again).

    Existing rows keep whatever staff changed.
    """
    if apps is None:
        from .models import FocusArea, SkillTheme
    else:
        SkillTheme = apps.get_model("training", "SkillTheme")  # noqa: N806
        FocusArea = apps.get_model("training", "FocusArea")  # noqa: N806
    for position, (slug, name, summary, description) in enumerate(THEMES, start=1):
        SkillTheme.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "summary": summary,
                "description": description,
                "position": position,
            },
        )
    for position, (slug, name, description) in enumerate(FOCUS_AREAS, start=1):
        FocusArea.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
