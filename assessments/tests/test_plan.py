"""The action plan: steps, owners, statuses, progress notes, overdue flags and reminders."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments.models import ActionStep, CommunityPartner, ProgressNote, StepReminder
from assessments.services import (
    overdue_reminders_due,
    plan_for,
    save_step,
    send_overdue_step_reminders,
)
from assessments.tasks import send_action_step_reminders
from conftest import login

pytestmark = pytest.mark.django_db


def plan_url(team, name="plan", *extra):
    return reverse(f"assessments:{name}", args=[team.cohort.slug, team.pk, *extra])


def step_data(**overrides):
    data = {
        "title": "Write a peer support policy",
        "details": "Borrow the template another agency shared.",
        "term": "short",
        "roadmap_step": "mission_plan",
        "domain": "",
        "owner": "",
        "due_date": "2026-03-31",
        "status": "not_started",
    }
    return {**data, **overrides}


def make_step(team, **fields) -> ActionStep:
    fields.setdefault("title", "Write the protocol")
    return ActionStep.objects.create(plan=plan_for(team), **fields)


def test_a_member_adds_a_step_with_an_owner_from_the_team(client, team, command, officer):
    login(client, officer)

    response = client.post(plan_url(team, "step_create"), step_data(owner=command.pk))

    assert response.status_code == 302
    step = ActionStep.objects.get()
    assert (step.title, step.term, step.roadmap_step) == (
        "Write a peer support policy", "short", "mission_plan"
    )  # fmt: skip
    assert step.owner == command
    assert step.created_by == officer
    assert step.due_date == date(2026, 3, 31)
    assert step.plan.team == team


def test_the_owner_must_be_on_the_team(client, team, command, peer):
    login(client, command)

    response = client.post(plan_url(team, "step_create"), step_data(owner=peer.pk))

    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not ActionStep.objects.exists()
    # The model refuses it too, whatever the path.
    step = ActionStep(plan=plan_for(team), title="x", owner=peer)
    with pytest.raises(ValidationError, match="member of the team"):
        save_step(step=step, user=command, status="not_started")


def test_a_title_is_required(client, team, command):
    login(client, command)

    response = client.post(plan_url(team, "step_create"), step_data(title=""))

    assert response.context["form"].errors["title"]
    assert not ActionStep.objects.exists()


def test_marking_a_step_done_records_when_and_reopening_clears_it(client, team, command):
    step = make_step(team)
    login(client, command)
    url = plan_url(team, "step", step.pk)

    client.post(url, step_data(title=step.title, status="done"))
    step.refresh_from_db()
    assert step.status == "done"
    assert step.done_at is not None
    done_at = step.done_at

    client.post(url, step_data(title="Write the protocol (final)", status="done"))
    step.refresh_from_db()
    assert step.done_at == done_at  # saving a done step again keeps the date it was done

    client.post(url, step_data(title=step.title, status="in_progress"))
    step.refresh_from_db()
    assert (step.status, step.done_at) == ("in_progress", None)


def test_progress_notes_are_dated_and_signed(client, team, command, officer):
    step = make_step(team)
    login(client, officer)

    response = client.post(plan_url(team, "step_note", step.pk), {"text": "Draft sent to HR."})

    assert response.status_code == 302
    note = ProgressNote.objects.get()
    assert (note.step, note.author, note.text) == (step, officer, "Draft sent to HR.")
    assert timezone.localdate(note.created) == timezone.localdate()
    page = client.get(plan_url(team, "step", step.pk)).content.decode()
    assert "Draft sent to HR." in page
    assert "Carol Officer" in page


def test_an_empty_note_is_refused(client, team, command):
    step = make_step(team)
    login(client, command)

    response = client.post(plan_url(team, "step_note", step.pk), {"text": ""})

    assert response.status_code == 400
    assert not ProgressNote.objects.exists()


def test_overdue_steps_are_flagged(client, team, command):
    yesterday = timezone.localdate() - timedelta(days=1)
    make_step(team, title="Late one", due_date=yesterday)
    make_step(team, title="Done late", due_date=yesterday, status="done", done_at=timezone.now())
    make_step(team, title="On time", due_date=timezone.localdate() + timedelta(days=3))
    login(client, command)

    page = client.get(plan_url(team)).content.decode()

    assert page.count('<span class="tag tag-warn">Overdue</span>') == 1
    assert "Overdue: <strong>1</strong>" in page
    overdue = client.get(plan_url(team) + "?status=overdue").content.decode()
    assert "Late one" in overdue and "On time" not in overdue
    assert [s.title for s in ActionStep.objects.overdue()] == ["Late one"]


def test_the_plan_shows_progress_by_roadmap_step(client, team, command):
    make_step(team, roadmap_step="buy_in", status="done", done_at=timezone.now())
    make_step(team, roadmap_step="buy_in")
    make_step(team, roadmap_step="buy_in", status="dropped")
    login(client, command)

    response = client.get(plan_url(team))

    progress = {p.step.code: (p.done, p.planned) for p in response.context["progress"]}
    assert progress["buy_in"] == (1, 2)
    assert progress["evaluate"] == (0, 0)
    assert "Changes made" in response.content.decode()


def test_an_empty_plan_says_where_to_start(client, team, command):
    login(client, command)
    page = client.get(plan_url(team)).content.decode()
    assert "No action steps yet" in page


def test_deleting_a_step_asks_first(client, team, command):
    step = make_step(team)
    login(client, command)

    confirm = client.get(plan_url(team, "step_delete", step.pk))
    assert "Delete this action step?" in confirm.content.decode()
    assert ActionStep.objects.exists()

    client.post(plan_url(team, "step_delete", step.pk))
    assert not ActionStep.objects.exists()


def test_the_mission_is_saved(client, team, command):
    login(client, command)
    client.post(plan_url(team), {"mission": "Every officer goes home healthy."})
    assert plan_for(team).mission == "Every officer goes home healthy."


# Reminders to owners of overdue steps -----------------------------------------------------------


@pytest.fixture
def active_cohort(cohort, command):
    cohort.set_status("active")
    return cohort


def test_the_owner_of_an_overdue_step_is_reminded_once(team, command, active_cohort, mailoutbox):
    step = make_step(team, owner=command, due_date=timezone.localdate() - timedelta(days=2))

    assert overdue_reminders_due()
    assert send_overdue_step_reminders() == 1
    assert send_overdue_step_reminders() == 0

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [command.email]
    assert "Write the protocol" in mailoutbox[0].subject
    assert reverse("assessments:step", args=[team.cohort.slug, team.pk, step.pk]) in (
        mailoutbox[0].body
    )
    assert not overdue_reminders_due()


def test_a_new_due_date_allows_one_more_reminder(team, command, active_cohort, mailoutbox):
    step = make_step(team, owner=command, due_date=timezone.localdate() - timedelta(days=9))
    send_overdue_step_reminders()
    step.due_date = timezone.localdate() - timedelta(days=1)
    step.save()

    assert send_overdue_step_reminders() == 1
    assert StepReminder.objects.filter(step=step).count() == 2


def test_no_reminder_for_steps_done_dropped_unowned_or_in_a_finished_cohort(
    team, command, officer, cohort, mailoutbox
):
    late = timezone.localdate() - timedelta(days=2)
    make_step(team, owner=command, due_date=late, status="done", done_at=timezone.now())
    make_step(team, owner=command, due_date=late, status="dropped")
    make_step(team, due_date=late)
    make_step(team, owner=officer, due_date=late)  # the cohort is still being planned
    cohort.set_status("active")
    cohort.set_status("completed")

    assert send_overdue_step_reminders() == 0
    assert mailoutbox == []


def test_a_former_member_is_not_reminded(team, command, officer, active_cohort, mailoutbox):
    make_step(team, owner=officer, due_date=timezone.localdate() - timedelta(days=2))
    team.remove_member(officer.memberships.get(team=team))

    assert send_overdue_step_reminders() == 0


def test_the_send_reminders_command_and_task_send_them(team, command, active_cohort, mailoutbox):
    from io import StringIO

    make_step(team, owner=command, due_date=timezone.localdate() - timedelta(days=2))
    out = StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().count("Sent 1 overdue action step reminder(s).") == 1
    assert len(mailoutbox) == 1
    assert send_action_step_reminders.call() == 0


def test_the_command_queues_the_reminder_job_only_when_one_is_due(team, command, active_cohort):
    from io import StringIO

    from django_tasks_db.models import DBTaskResult

    out = StringIO()
    call_command("send_reminders", "--enqueue", stdout=out)
    assert "overdue action step" not in out.getvalue()

    make_step(team, owner=command, due_date=timezone.localdate() - timedelta(days=2))
    call_command("send_reminders", "--enqueue", stdout=out)
    assert "Queued the overdue action step job (" in out.getvalue()
    assert (
        DBTaskResult.objects.filter(
            task_path="assessments.tasks.send_action_step_reminders"
        ).count()
        == 1
    )


# Community partners ---------------------------------------------------------------------------


def test_partners_are_added_edited_and_removed_after_confirmation(client, team, officer, command):
    login(client, officer)

    client.post(
        plan_url(team, "partners"),
        {"name": "Fresh Start Meal Prep", "kind": "nutrition", "contact": "555-0101", "notes": ""},
    )
    partner = CommunityPartner.objects.get()
    assert (partner.team, partner.added_by, partner.kind) == (team, officer, "nutrition")

    client.post(
        plan_url(team, "partner_edit", partner.pk),
        {"name": "Fresh Start Meals", "kind": "nutrition", "contact": "", "notes": "Weekly"},
    )
    partner.refresh_from_db()
    assert (partner.name, partner.notes) == ("Fresh Start Meals", "Weekly")

    confirm = client.get(plan_url(team, "partner_delete", partner.pk)).content.decode()
    assert "Remove Fresh Start Meals?" in confirm
    client.post(plan_url(team, "partner_delete", partner.pk))
    assert not CommunityPartner.objects.exists()


def test_a_partner_needs_a_name_and_a_kind(client, team, officer):
    login(client, officer)

    response = client.post(plan_url(team, "partners"), {"name": "", "kind": ""})

    assert set(response.context["form"].errors) == {"name", "kind"}
    assert not CommunityPartner.objects.exists()
