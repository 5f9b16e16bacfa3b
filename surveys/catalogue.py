"""The surveys the program ships with, as data.

Question and option codes are stable: reports and the outcome indicators join on them, across
waves and cohorts. ``ensure_templates()`` creates what is missing and never edits a survey that
has already been sent, so it is safe to run on every deploy or seed.
"""

from __future__ import annotations

from django.db import transaction

from .models import Option, Question, Survey

Kind = Question.Kind

# (code, text, kind, required, help text, [(option code, label), ...])
SURVEYS: list[dict] = [
    {
        "code": "midpoint-pulse",
        "title": "Midpoint pulse",
        "description": "A short check-in halfway through the collaborative: what has changed "
        "so far, and what still stands in the way.",
        "questions": [
            (
                "osw_changes",
                "Has your agency made changes to its officer safety and wellness programming as "
                "a direct result of the collaborative?",
                Kind.SINGLE,
                True,
                "",
                [
                    ("made", "Yes, we have already made changes as a direct result"),
                    ("planned", "Not yet, but we plan to"),
                    ("none", "No, and we have no plans to yet"),
                ],
            ),
            (
                "sessions_useful",
                "The monthly sessions are useful for my agency's work.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "barriers",
                "What is making change hardest in your agency right now?",
                Kind.MULTIPLE,
                False,
                "Choose all that apply.",
                [
                    ("staffing", "Staffing shortages and overtime"),
                    ("funding", "Funding"),
                    ("buy_in", "Buy-in from leadership or the line"),
                    ("stigma", "Stigma around asking for help"),
                    ("time", "Time to plan and follow through"),
                ],
            ),
            (
                "next_topics",
                "What would you like the second half of the collaborative to cover?",
                Kind.TEXT,
                False,
                "",
                [],
            ),
        ],
    },
    {
        "code": "end-survey",
        "title": "End-of-collaborative survey",
        "description": "What the collaborative changed for you and your agency. The program "
        "reports the results to its funder in groups, never person by person.",
        "questions": [
            (
                "peer_outreach",
                "Have you reached out to a peer from the group outside meeting times?",
                Kind.YES_NO,
                True,
                "",
                [],
            ),
            (
                "knowledge_sharing",
                "How have you shared what you learned in the collaborative?",
                Kind.SINGLE,
                True,
                "",
                [
                    (
                        "internal_external",
                        "I have shared it with both internal and external members",
                    ),
                    ("in_group", "I am sharing with others in the group"),
                    ("not_yet", "I have not shared it yet"),
                ],
            ),
            (
                # Asked at the midpoint too, so the two waves show a trend.
                "sessions_useful",
                "The monthly sessions are useful for my agency's work.",
                Kind.LIKERT,
                False,
                "",
                [],
            ),
            (
                "satisfaction",
                "Overall, I am satisfied with the learning collaborative.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "recommend",
                "Would you recommend the collaborative to another agency?",
                Kind.YES_NO,
                True,
                "",
                [],
            ),
            (
                "peer_contacts",
                "About how many people from other agencies in the group have you been in touch "
                "with?",
                Kind.NUMBER,
                False,
                "A rough count is fine.",
                [],
            ),
            (
                "most_useful",
                "What was the most useful part of the collaborative?",
                Kind.TEXT,
                False,
                "",
                [],
            ),
        ],
    },
    {
        "code": "post-session",
        "title": "Post-session feedback",
        "description": "Two minutes after each monthly session, so the next one is better.",
        "questions": [
            (
                "session_relevant",
                "Today's topic was relevant to my agency.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "presenter_clear",
                "The presenter explained things clearly.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "will_use",
                "Will you use something from today's session in the next month?",
                Kind.YES_NO,
                True,
                "",
                [],
            ),
            (
                "improve",
                "What one thing would have made this session better?",
                Kind.TEXT,
                False,
                "",
                [],
            ),
        ],
    },
    {
        "code": "post-training-evaluation",
        "title": "Post-training evaluation",
        "description": "Five minutes on the regional training you attended, so the next one "
        "serves officers and dispatchers better.",
        "questions": [
            (
                "overall",
                "Overall, the training was worth my time.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "useful_mind",
                "The Mind skills (noticing and answering the thoughts that drive reactions) "
                "are useful in my work.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "useful_energy",
                "The Energy skills (calming the body under stress and recovering afterwards) "
                "are useful in my work.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "useful_connection",
                "The Connection skills (conversations that build trust at work and at home) "
                "are useful in my work.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "will_use",
                "I will use what I learned on the job in the next month.",
                Kind.LIKERT,
                True,
                "",
                [],
            ),
            (
                "recommend",
                "Would you recommend the training to a colleague?",
                Kind.YES_NO,
                True,
                "",
                [],
            ),
            (
                "improve",
                "What would have made the training better?",
                Kind.TEXT,
                False,
                "",
                [],
            ),
        ],
    },
]


@transaction.atomic
def ensure_templates() -> dict[str, Survey]:
    """Create the shipped surveys, their questions and options where missing."""
    surveys = {}
    for spec in SURVEYS:
        survey, _ = Survey.objects.get_or_create(
            code=spec["code"],
            defaults={"title": spec["title"], "description": spec["description"]},
        )
        surveys[survey.code] = survey
        for position, (code, text, kind, required, help_text, options) in enumerate(
            spec["questions"], start=1
        ):
            question, created = Question.objects.get_or_create(
                survey=survey,
                code=code,
                defaults={
                    "text": text,
                    "kind": kind,
                    "required": required,
                    "help_text": help_text,
                    "position": position,
                },
            )
            for option_position, (option_code, label) in enumerate(options, start=1):
                Option.objects.get_or_create(
                    question=question,
                    code=option_code,
                    defaults={"label": label, "position": option_position},
                )
            question.add_default_options()
    return surveys
