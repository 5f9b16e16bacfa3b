"""The starter instrument the program ships with, as data.

Written by the program to cover the collaborative's areas, and labelled in the interface as
replaceable by the official assessment tool. ``ensure_starter_instrument()`` installs it once
(version 1, published) and never edits it again: staff revise it by starting a new draft.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Domain, Instrument, InstrumentVersion, Item, ScaleLevel

STARTER_CODE = "starter"
STARTER_NOTICE = (
    "Starter instrument written by the program; staff can replace it with the official "
    "assessment tool."
)

SCALE: list[tuple[int, str, str]] = [
    (0, "Not in place", "Nothing is in place yet, or it happens only informally."),
    (1, "Beginning", "Discussed or planned, and a first step has been taken."),
    (2, "Developing", "In place in part: some units, shifts or people are covered."),
    (3, "Established", "In place across the agency, written down and used."),
    (4, "Sustained", "Established, reviewed regularly and funded to continue."),
]

# (code, title, description, suggested action step, roadmap step, [(item code, text), ...])
DOMAINS: list[tuple[str, str, str, str, str, list[tuple[str, str]]]] = [
    (
        "critical_incident",
        "Critical incident response",
        "How the agency supports officers and dispatchers before, during and after critical "
        "incidents.",
        "Write a critical incident stress response protocol",
        "mission_plan",
        [
            ("cir-protocol", "A written protocol sets out what happens for officers and "
             "dispatchers after a critical incident, including who is notified and when."),
            ("cir-debrief", "Trained people offer defusing and debriefing after critical "
             "incidents, within the time the protocol sets."),
            ("cir-follow-up", "Involved personnel are contacted again in the weeks after an "
             "incident, not only on the day."),
            ("cir-dispatch", "Dispatchers and civilian staff receive critical incident support "
             "on the same terms as sworn officers."),
        ],
    ),
    (
        "physical_health",
        "Physical health and nutrition",
        "Fitness, nutrition, sleep and health screening that fit shift work.",
        "Partner with a local fitness or meal-preparation service",
        "referral_network",
        [
            ("ph-fitness", "Personnel have access to fitness facilities or programs that fit "
             "shift work."),
            ("ph-nutrition", "Healthy food is within reach on every shift, through the station, "
             "a partner or practical guidance."),
            ("ph-sleep", "Schedules and overtime rules take sleep and fatigue into account."),
            ("ph-screening", "Personnel can get regular health screenings, such as blood "
             "pressure and cardiac risk."),
        ],
    ),
    (
        "mental_health",
        "Mental health and suicide prevention",
        "Confidential care, a culture that makes asking for help safe, and a suicide-prevention "
        "protocol.",
        "Build a list of clinicians who understand police work",
        "referral_network",
        [
            ("mh-access", "Personnel and their families can reach confidential mental health "
             "care from clinicians who understand police work."),
            ("mh-stigma", "Leaders talk openly about mental health, and asking for help is not "
             "held against anyone's career."),
            ("mh-suicide", "A suicide-prevention protocol covers warning signs, how to "
             "intervene, and support for colleagues after a loss."),
            ("mh-supervisors", "Supervisors are trained to notice distress and refer people "
             "early."),
        ],
    ),
    (
        "resilience",
        "Resilience and burnout",
        "Everyday resilience skills and the working conditions that prevent burnout.",
        "Bring resilience skills training to every rank",
        "train_team",
        [
            ("rb-training", "Personnel at every rank, and dispatchers, receive resilience "
             "skills training."),
            ("rb-workload", "Workload, overtime and time off are watched for signs of burnout, "
             "and acted on."),
            ("rb-recognition", "Good work is recognised, and people have a say in decisions "
             "that affect their work."),
        ],
    ),
    (
        "peer_support",
        "Peer support and mentorship",
        "A trained peer support team and mentoring at every level.",
        "Start or train a peer support team",
        "train_team",
        [
            ("ps-team", "A trained peer support team is available to sworn and civilian "
             "staff."),
            ("ps-confidentiality", "Peer support has a written policy on confidentiality and "
             "its limits."),
            ("ps-mentoring", "New officers and new supervisors are paired with mentors."),
            ("ps-leaders", "Leaders are themselves mentored on building a culture of "
             "wellness."),
        ],
    ),
    (
        "financial",
        "Financial wellness",
        "Financial education and counselling for personnel.",
        "Offer financial education and confidential counselling",
        "referral_network",
        [
            ("fw-education", "Financial education (budgeting, debt, dependence on overtime) is "
             "offered to personnel."),
            ("fw-counselling", "Confidential financial counselling is available, through the "
             "agency or a partner."),
            ("fw-benefits", "Personnel understand their pay, benefits and pension options."),
        ],
    ),
    (
        "retirement",
        "Retirement",
        "Preparing for life after the profession: finances, health and identity.",
        "Plan support for personnel preparing to retire",
        "mission_plan",
        [
            ("rt-planning", "Personnel get help planning for retirement years ahead, not only "
             "in the final months."),
            ("rt-transition", "The agency supports the move out of the profession, including "
             "identity and health."),
            ("rt-retirees", "Retirees stay connected to the agency and can use its support "
             "services."),
        ],
    ),
    (
        "family",
        "Family support",
        "Support for the families who live with the job's demands.",
        "Reach families with an orientation and the services open to them",
        "launch_outreach",
        [
            ("fs-orientation", "Families are offered an orientation to the job's demands and "
             "the support available."),
            ("fs-services", "Family members can use the agency's wellness and counselling "
             "services."),
            ("fs-crisis", "Families are supported after a critical incident, serious injury or "
             "death."),
        ],
    ),
    (
        "leadership",
        "Leadership and culture",
        "Command commitment, policy, a named program lead and evaluation.",
        "Secure command staff's visible commitment to wellness",
        "buy_in",
        [
            ("lc-commitment", "Command staff visibly support officer wellness and take part "
             "themselves."),
            ("lc-policy", "Wellness is written into policy, the budget and the strategic "
             "plan."),
            ("lc-lead", "A named person or team leads the wellness program and has time to do "
             "it."),
            ("lc-evaluation", "The agency measures whether its wellness efforts are used and "
             "working."),
        ],
    ),
    (
        "community_partners",
        "Community partners",
        "Community providers, local businesses and other agencies that support the program.",
        "Build a referral network of community partners",
        "referral_network",
        [
            ("cp-referrals", "The agency keeps a referral list of vetted community providers: "
             "clinicians, chaplains, fitness and nutrition services."),
            ("cp-businesses", "Local businesses and organisations contribute services to the "
             "wellness program."),
            ("cp-agencies", "The agency exchanges policies and lessons learned with other "
             "agencies that run wellness programs."),
        ],
    ),
]  # fmt: skip


@transaction.atomic
def ensure_starter_instrument() -> Instrument:
    """Install the starter instrument (version 1, published) if it has never been installed."""
    instrument, created = Instrument.objects.get_or_create(
        code=STARTER_CODE,
        defaults={
            "title": "Officer wellness agency self-assessment (starter)",
            "description": "Ten domains covering the collaborative's areas, each rated on a "
            "five-level scale from “Not in place” to “Sustained”.",
            "is_starter": True,
            "notice": STARTER_NOTICE,
        },
    )
    if not created or instrument.versions.exists():
        return instrument
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    for value, label, description in SCALE:
        ScaleLevel.objects.create(
            version=version, value=value, label=label, description=description
        )
    for position, (code, title, description, step, roadmap_step, items) in enumerate(
        DOMAINS, start=1
    ):
        domain = Domain.objects.create(
            version=version,
            code=code,
            title=title,
            description=description,
            position=position,
            suggested_step=step,
            roadmap_step=roadmap_step,
        )
        Item.objects.bulk_create(
            Item(domain=domain, code=item_code, text=text, position=item_position)
            for item_position, (item_code, text) in enumerate(items, start=1)
        )
    # Only becomes the one in use when nothing else is (staff may have published their own).
    if not InstrumentVersion.objects.published().exists():
        version.status = InstrumentVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
    return instrument
