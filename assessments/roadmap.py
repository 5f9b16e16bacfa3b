"""The action planning roadmap: ten steps an agency follows from buy-in to evaluation.

Data, not a table: every action step names one of these by its code, and the roadmap page
shows each step's short guidance. The codes are stable; the wording may change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoadmapStep:
    number: int
    code: str
    title: str
    guidance: str


STEPS: list[RoadmapStep] = [
    RoadmapStep(
        1,
        "buy_in",
        "Obtain buy-in",
        "Start with agency leadership and the people the program is for. Explain why officer "
        "wellness matters to safety, retention and the community, and ask command staff to say "
        "so publicly. Invite line officers' and unions' concerns early; they shape what will work.",
    ),
    RoadmapStep(
        2,
        "program_team",
        "Form a program team and leader",
        "Name a leader with protected time and a team that spans ranks, shifts, dispatch and "
        "civilian staff. A program that rests on a single champion stalls when that person "
        "moves on, so share the work from the start.",
    ),
    RoadmapStep(
        3,
        "research",
        "Review research and consult agencies with programs",
        "Read what is known to work and talk to agencies that already run wellness programs. "
        "Ask what they would do differently, what it cost, and which policies or templates "
        "they can share; the collaborative's forum is a good place to ask.",
    ),
    RoadmapStep(
        4,
        "priority_areas",
        "Identify priority areas",
        "Use the self-assessment to see where the agency is strong and where the gaps are. "
        "Choose a few priorities you can act on this year rather than everything at once, and "
        "check them against what officers and their families say they need.",
    ),
    RoadmapStep(
        5,
        "mission_plan",
        "Set mission, goals and a plan",
        "Write a short mission statement and goals you can measure. Turn each goal into "
        "short-term steps (the next few months) and long-term steps (the next year or two), "
        "each with an owner and a date.",
    ),
    RoadmapStep(
        6,
        "referral_network",
        "Build a referral network",
        "Find the community partners officers can be referred to: culturally competent "
        "clinicians, peer-support teams, chaplains, financial counsellors, fitness and "
        "nutrition services. Record who they are and how to reach them, and check they "
        "understand police work.",
    ),
    RoadmapStep(
        7,
        "train_team",
        "Train the team",
        "Give the program team and peer supporters the training their roles need, and train "
        "supervisors to notice stress and refer early. Plan refresher training, not a single "
        "event.",
    ),
    RoadmapStep(
        8,
        "launch_outreach",
        "Launch and do outreach",
        "Launch with visible support from leadership. Reach every shift and unit, and families "
        "too, with what is offered, how to use it and how confidentiality is protected.",
    ),
    RoadmapStep(
        9,
        "maintain",
        "Maintain the program",
        "Keep the program funded, staffed and in policy after the launch. Review partners and "
        "materials each year, and bring in new members so the program outlasts any one person.",
    ),
    RoadmapStep(
        10,
        "evaluate",
        "Evaluate",
        "Decide early what you will measure: participation, use of services, sick leave, "
        "officers' own reports. Repeat the self-assessment, share the results with the agency, "
        "and adjust the plan.",
    ),
]

BY_CODE: dict[str, RoadmapStep] = {step.code: step for step in STEPS}
CHOICES: list[tuple[str, str]] = [(step.code, f"{step.number}. {step.title}") for step in STEPS]
DEFAULT_STEP = "priority_areas"


def step(code: str) -> RoadmapStep | None:
    return BY_CODE.get(code)
