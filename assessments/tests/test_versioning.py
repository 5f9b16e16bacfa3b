"""The instrument is versioned data: published versions never change, edits make drafts."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments.instrument import DOMAINS, STARTER_NOTICE, ensure_starter_instrument
from assessments.models import (
    ActionStep,
    Assessment,
    Domain,
    FrozenVersion,
    Instrument,
    InstrumentVersion,
    Item,
    ScaleLevel,
)
from assessments.services import (
    AssessmentError,
    new_draft_from,
    publish_version,
    start_assessment,
)
from conftest import login, make_user

from .conftest import make_instrument

pytestmark = pytest.mark.django_db


def starter() -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__code="starter", number=1)


def test_the_starter_instrument_is_installed_and_in_use():
    version = starter()

    assert version.status == InstrumentVersion.Status.PUBLISHED
    assert InstrumentVersion.objects.current() == version
    assert version.instrument.is_starter
    assert version.instrument.notice == STARTER_NOTICE
    titles = list(version.domains.values_list("title", flat=True))
    assert titles == [title for _, title, *_ in DOMAINS]
    assert len(titles) == 10
    for domain in version.domains.all():
        assert 3 <= domain.items.count() <= 4
    assert list(version.levels.values_list("value", "label")) == [
        (0, "Not in place"), (1, "Beginning"), (2, "Developing"), (3, "Established"),
        (4, "Sustained"),
    ]  # fmt: skip
    assert all(version.levels.values_list("description", flat=True))


def test_installing_the_starter_again_adds_nothing():
    counts = (Instrument.objects.count(), Domain.objects.count(), Item.objects.count())

    ensure_starter_instrument()

    assert (Instrument.objects.count(), Domain.objects.count(), Item.objects.count()) == counts


def test_a_published_version_cannot_be_changed_in_place():
    version = starter()
    domain = version.domains.first()
    item = domain.items.first()
    level = version.levels.first()

    domain.title = "Renamed"
    with pytest.raises(FrozenVersion):
        domain.save()
    item.text = "Reworded"
    with pytest.raises(FrozenVersion):
        item.save()
    level.label = "Relabelled"
    with pytest.raises(FrozenVersion):
        level.save()
    with pytest.raises(FrozenVersion):
        Item(domain=domain, code="new", text="A new item").save()
    with pytest.raises(FrozenVersion):
        item.delete()
    with pytest.raises(FrozenVersion):
        version.delete()
    assert Item.objects.get(pk=item.pk).text != "Reworded"


def test_an_item_cannot_be_moved_out_of_a_published_version():
    version = starter()
    draft = new_draft_from(version)
    published_item = version.domains.first().items.first()

    published_item.domain = draft.domains.first()
    with pytest.raises(FrozenVersion):
        published_item.save()


def test_editing_makes_a_new_draft_with_the_same_content():
    version = starter()

    draft = new_draft_from(version)

    assert draft.number == 2
    assert draft.status == InstrumentVersion.Status.DRAFT
    assert list(draft.domains.values_list("code", "title", "position")) == list(
        version.domains.values_list("code", "title", "position")
    )
    assert list(Item.objects.filter(domain__version=draft).values_list("code", "text")) == list(
        Item.objects.filter(domain__version=version).values_list("code", "text")
    )
    assert list(draft.levels.values_list("value", "label")) == list(
        version.levels.values_list("value", "label")
    )
    # The draft is editable; the published version is untouched.
    domain = draft.domains.get(code="financial")
    domain.title = "Financial wellness and debt"
    domain.save()
    Item.objects.create(domain=domain, code="fw-new", text="A new item")
    assert version.domains.get(code="financial").title == "Financial wellness"
    assert not Item.objects.filter(domain__version=version, code="fw-new").exists()


def test_an_instrument_has_one_draft_at_a_time():
    first = new_draft_from(starter())

    assert new_draft_from(starter()) == first
    assert InstrumentVersion.objects.filter(status="draft").count() == 1


def test_publishing_retires_the_old_version_and_old_assessments_keep_theirs(team):
    old = starter()
    before = start_assessment(team=team, round="baseline", user=None)
    draft = new_draft_from(old)

    publish_version(draft)

    old.refresh_from_db()
    assert old.status == InstrumentVersion.Status.RETIRED
    assert InstrumentVersion.objects.current() == draft
    before.refresh_from_db()
    assert before.version == old
    after = start_assessment(team=team, round="midpoint", user=None)
    assert after.version == draft
    # Published now, so frozen in its turn.
    with pytest.raises(FrozenVersion):
        draft.domains.first().save()


def test_an_empty_draft_cannot_be_published():
    instrument = Instrument.objects.create(code="empty", title="Empty")
    draft = InstrumentVersion.objects.create(instrument=instrument, number=1)

    with pytest.raises(AssessmentError, match="no domains"):
        publish_version(draft)
    assert InstrumentVersion.objects.current() == starter()


def test_a_published_version_cannot_be_published_again():
    with pytest.raises(AssessmentError, match="Only a draft"):
        publish_version(starter())


def test_the_database_allows_one_published_version_only():
    other = make_instrument("other", publish=False)
    other.status = "published"
    other.published_at = starter().published_at
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_an_assessment_made_with_a_version_protects_it(team):
    assessment = start_assessment(team=team, round="baseline", user=None)
    assert Assessment.objects.filter(version=assessment.version).exists()
    with pytest.raises(Exception):  # noqa: B017 - PROTECT or frozen, either way it stays
        assessment.version.delete()
    assert InstrumentVersion.objects.filter(pk=assessment.version_id).exists()


# The admin, where staff edit without code ------------------------------------------------------


@pytest.fixture
def admin_client(client):
    return login(client, make_user("root@staff.example", is_staff=True, is_superuser=True))


def test_the_admin_shows_a_published_version_read_only(admin_client):
    version = starter()
    url = reverse("admin:assessments_instrumentversion_change", args=[version.pk])

    page = admin_client.get(url).content.decode()

    assert "cannot be changed" in page
    assert "New draft from this version" in page
    assert reverse("admin:assessments_instrumentversion_publish", args=[version.pk]) not in page
    assert STARTER_NOTICE in page


def test_the_admin_starts_a_draft_only_after_confirmation(admin_client):
    version = starter()
    url = reverse("admin:assessments_instrumentversion_new_draft", args=[version.pk])

    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert not InstrumentVersion.objects.filter(status="draft").exists()

    response = admin_client.post(url)
    draft = InstrumentVersion.objects.get(status="draft")
    assert response["Location"] == reverse(
        "admin:assessments_instrumentversion_change", args=[draft.pk]
    )


def test_the_admin_publishes_a_draft_only_after_confirmation(admin_client):
    draft = new_draft_from(starter())
    url = reverse("admin:assessments_instrumentversion_publish", args=[draft.pk])

    assert "Yes, publish version 2" in admin_client.get(url).content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"

    admin_client.post(url)
    draft.refresh_from_db()
    assert draft.status == "published"
    assert starter().status == "retired"


def test_the_admin_edits_a_draft_domain_with_its_items(admin_client):
    draft = new_draft_from(starter())
    domain = draft.domains.get(code="retirement")

    page = admin_client.get(reverse("admin:assessments_domain_change", args=[domain.pk]))

    assert page.status_code == 200
    assert 'name="items-TOTAL_FORMS"' in page.content.decode()
    assert ScaleLevel.objects.filter(version=draft).count() == 5


def test_members_cannot_reach_the_admin(client, command):
    login(client, command)
    version = starter()
    response = client.get(reverse("admin:assessments_instrumentversion_publish", args=[version.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_every_admin_page_of_the_app_renders(admin_client, team):
    from assessments.services import plan_for

    step = ActionStep.objects.create(plan=plan_for(team), title="Step")
    assessment = start_assessment(team=team, round="baseline", user=None)
    urls = [
        reverse("admin:assessments_instrument_changelist"),
        reverse("admin:assessments_instrument_change", args=[starter().instrument_id]),
        reverse("admin:assessments_instrumentversion_changelist"),
        reverse("admin:assessments_instrumentversion_add"),
        reverse("admin:assessments_domain_changelist"),
        reverse("admin:assessments_domain_change", args=[starter().domains.first().pk]),
        reverse("admin:assessments_assessment_changelist"),
        reverse("admin:assessments_assessment_change", args=[assessment.pk]),
        reverse("admin:assessments_actionstep_changelist"),
        reverse("admin:assessments_actionstep_change", args=[step.pk]),
        reverse("admin:assessments_communitypartner_changelist"),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


def test_marking_a_step_done_in_the_admin_records_when(admin_client, team):
    from assessments.services import plan_for

    step = ActionStep.objects.create(plan=plan_for(team), title="Step")
    url = reverse("admin:assessments_actionstep_change", args=[step.pk])

    response = admin_client.post(
        url,
        {
            "plan": step.plan_id,
            "title": "Step",
            "term": "short",
            "roadmap_step": "buy_in",
            "status": "done",
            "details": "",
        },
    )

    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == "done"
    assert step.done_at is not None
