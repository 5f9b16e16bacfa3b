import csv
import io
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from cohorts import services
from cohorts.models import Agency, Membership, Team
from conftest import login, make_cohort

HEADER = ",".join(services.ROSTER_COLUMNS)
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
GOOD_ROSTER = f"""{HEADER}
Hillcrest Police Department,VA,municipal,gina@hillcrest.example,Gina,Grant,command_staff,Chief,yes
Hillcrest Police Department,VA,municipal,hank@hillcrest.example,Hank,Hill,sworn,Officer,no
Hillcrest Police Department,VA,,ivy@hillcrest.example,Ivy,Irwin,Dispatcher,,
Bay County Sheriff's Office,FL,sheriff,jack@bay.example,Jack,Jones,Command staff,Sheriff,yes
Bay County Sheriff's Office,FL,sheriff,kim@bay.example,Kim,King,officer,Deputy,no
"""


def snapshot():
    """What an import could change, to prove that a refused file changed nothing."""
    return (
        Agency.objects.count(),
        Team.objects.count(),
        User.objects.count(),
        sorted(Membership.objects.values_list("user__email", "team_id", "role", "rank", "is_lead")),
    )


def with_row(row: str) -> str:
    return GOOD_ROSTER + row + "\n"


# parse_roster / import_roster


def test_a_good_roster_creates_agencies_teams_people_and_memberships(cohort):
    result = services.import_roster(cohort=cohort, data=GOOD_ROSTER)

    assert (
        result.created_agencies,
        result.created_teams,
        result.created_people,
        result.added_members,
        result.updated_members,
    ) == (2, 2, 5, 5, 0)
    assert sorted(u.email for u in result.new_users) == [
        "gina@hillcrest.example",
        "hank@hillcrest.example",
        "ivy@hillcrest.example",
        "jack@bay.example",
        "kim@bay.example",
    ]
    hillcrest = cohort.teams.get(agency__name="Hillcrest Police Department")
    assert hillcrest.agency.kind == "municipal"
    assert sorted(hillcrest.memberships.values_list("user__email", "role", "rank", "is_lead")) == [
        ("gina@hillcrest.example", "command_staff", "Chief", True),
        ("hank@hillcrest.example", "sworn", "Officer", False),
        ("ivy@hillcrest.example", "dispatcher", "", False),
    ]
    bay = cohort.teams.get(agency__state="FL")
    assert bay.agency.kind == "sheriff"
    assert bay.memberships.get(is_lead=True).user.email == "jack@bay.example"
    gina = User.objects.get(email="gina@hillcrest.example")
    assert (gina.first_name, gina.last_name, gina.has_usable_password()) == ("Gina", "Grant", False)
    assert not EmailAddress.objects.get(user=gina).verified


def test_it_puts_people_on_an_existing_team_and_agency(cohort, team, command):
    roster = (
        f"{HEADER}\nriverton police department,VA,,lou@riverton.example,Lou,Lane,civilian,,no\n"
    )

    result = services.import_roster(cohort=cohort, data=roster)

    assert (result.created_agencies, result.created_teams, result.added_members) == (0, 0, 1)
    assert team.memberships.get(user__email="lou@riverton.example").role == "civilian"


def test_it_reads_a_file_saved_by_excel_with_a_byte_order_mark(cohort):
    result = services.import_roster(cohort=cohort, data=GOOD_ROSTER.encode("utf-8-sig"))

    assert result.added_members == 5


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "Bay County Sheriff's Office,FL,sheriff,not-an-email,Lee,Long,sworn,,no",
            "“not-an-email” is not a valid email address.",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,lee@bay.example,Lee,Long,chaplain,,no",
            "unknown role “chaplain” (use one of: command_staff, sworn, dispatcher, civilian).",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff",
            "“(blank)” is not a valid email address; unknown role “” (use one of: "
            "command_staff, sworn, dispatcher, civilian).",
        ),
        (
            "Bay County Sheriff's Office,ZZ,sheriff,lee@bay.example,Lee,Long,sworn,,no",
            "unknown state “ZZ” (use a two-letter code).",
        ),
        (
            "Bay County Sheriff's Office,FL,navy,lee@bay.example,Lee,Long,sworn,,no",
            "unknown agency kind “navy”",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,lee@bay.example,Lee,Long,sworn,,maybe",
            "team_lead must be yes or no, not “maybe”.",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,lee@bay.example,Lee,Long,sworn,,yes",
            "a team lead must have the command_staff role.",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,KIM@bay.example,Kim,King,sworn,,no",
            "kim@bay.example already appears on line 6.",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,lee@bay.example,Lee,Long,sworn,,no,extra",
            "The row has more values than the header has columns.",
        ),
    ],
    ids=[
        "bad-email",
        "unknown-role",
        "missing-columns",
        "unknown-state",
        "unknown-kind",
        "bad-lead",
        "officer-as-lead",
        "duplicate-email",
        "extra-column",
    ],
)
def test_one_bad_row_imports_nothing_and_says_which_line_and_why(cohort, row, reason):
    before = snapshot()

    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=with_row(row))

    [(line, message)] = refused.value.errors
    assert line == 7
    assert reason in message
    assert snapshot() == before


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "Nowhere Police Department,VA,,lee@nowhere.example,Lee,Long,sworn,,no",
            "Nowhere Police Department (VA) is not a known agency; fill agency_kind to create it.",
        ),
        (
            "Bay County Sheriff's Office,FL,sheriff,lee@bay.example,,,sworn,,no",
            "lee@bay.example is new: first_name and last_name are needed.",
        ),
    ],
    ids=["unknown-agency-without-kind", "new-person-without-name"],
)
def test_a_row_that_only_fails_against_the_database_imports_nothing(cohort, row, reason):
    before = snapshot()

    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=with_row(row))

    assert refused.value.errors == [(7, reason)]
    assert snapshot() == before


def test_it_refuses_a_person_already_on_another_team_of_the_cohort(cohort, team, officer):
    before = snapshot()
    roster = with_row(f"Bay County Sheriff's Office,FL,sheriff,{officer.email},,,sworn,,no")

    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=roster)

    assert refused.value.errors == [
        (7, "carol@riverton.example is already on Riverton Police Department in this cohort.")
    ]
    assert snapshot() == before


def test_it_refuses_teams_beyond_the_cohorts_maximum(db):
    small = make_cohort("small", max_teams=1)

    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=small, data=GOOD_ROSTER)

    assert refused.value.errors[0][0] == 5
    assert "SMALL is full (1 team)" in refused.value.errors[0][1]
    assert not Team.objects.exists()
    assert not User.objects.exists()


def test_it_reports_every_bad_row_at_once(cohort):
    roster = f"""{HEADER}
Hillcrest Police Department,VA,municipal,gina@hillcrest.example,Gina,Grant,command_staff,,yes
Hillcrest Police Department,VA,municipal,bad-address,Hank,Hill,sworn,,no
Hillcrest Police Department,VA,municipal,ivy@hillcrest.example,Ivy,Irwin,janitor,,no
"""
    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=roster)

    assert [line for line, _ in refused.value.errors] == [3, 4]
    assert not User.objects.exists()


def test_it_names_the_missing_required_columns(cohort):
    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data="agency,state,email\nA,VA,a@a.example\n")

    [(line, message)] = refused.value.errors
    assert line == 1
    assert message.startswith("Missing column(s): role. Expected: agency, state,")


def test_it_refuses_a_file_with_only_a_header(cohort):
    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=HEADER + "\n")

    assert refused.value.errors == [(0, "The file has a header but no rows.")]


def test_it_refuses_a_file_that_is_not_utf8(cohort):
    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=GOOD_ROSTER.encode("utf-16"))

    assert "not UTF-8" in refused.value.errors[0][1]


def test_it_skips_blank_lines(cohort):
    rows = GOOD_ROSTER.splitlines()
    roster = "\n".join([rows[0], rows[1], ",,,,,,,,", rows[2]]) + "\n"

    result = services.import_roster(cohort=cohort, data=roster)

    assert result.added_members == 2


def test_a_team_without_command_staff_is_imported_and_shown_as_incomplete(cohort):
    # Importing a partial roster is allowed; the rule shows up as an incomplete team instead.
    roster = f"{HEADER}\nEastside Police,VA,municipal,mo@east.example,Mo,Moss,sworn,,no\n"

    services.import_roster(cohort=cohort, data=roster)

    assert list(cohort.incomplete_teams().values_list("name", flat=True)) == ["Eastside Police"]


# Re-import


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cohort):
    services.import_roster(cohort=cohort, data=GOOD_ROSTER)
    after_first = snapshot()

    again = services.import_roster(cohort=cohort, data=GOOD_ROSTER)

    assert snapshot() == after_first
    assert (
        again.created_agencies,
        again.created_teams,
        again.created_people,
        again.added_members,
        again.updated_members,
    ) == (0, 0, 0, 0, 5)
    assert again.new_users == []


def test_a_reimport_updates_role_and_rank_and_keeps_a_blank_rank(cohort):
    services.import_roster(cohort=cohort, data=GOOD_ROSTER)
    changed = GOOD_ROSTER.replace(
        "hank@hillcrest.example,Hank,Hill,sworn,Officer,no",
        "hank@hillcrest.example,Hank,Hill,command_staff,Captain,yes",
    ).replace("kim@bay.example,Kim,King,officer,Deputy,no", "kim@bay.example,,,dispatcher,,no")

    result = services.import_roster(cohort=cohort, data=changed)

    assert result.updated_members == 5
    hank = Membership.objects.get(user__email="hank@hillcrest.example")
    assert (hank.role, hank.rank, hank.is_lead) == ("command_staff", "Captain", True)
    assert not Membership.objects.get(user__email="gina@hillcrest.example").is_lead
    kim = Membership.objects.get(user__email="kim@bay.example")
    assert (kim.role, kim.rank) == ("dispatcher", "Deputy")


def test_a_reimport_that_demotes_the_last_command_staff_imports_nothing(cohort, team, command):
    before = snapshot()
    roster = with_row(f"Riverton Police Department,VA,,{command.email},,,sworn,,no")

    with pytest.raises(services.RosterImportError) as refused:
        services.import_roster(cohort=cohort, data=roster)

    [(line, message)] = refused.value.errors
    assert line == 7
    assert "Bob Chief is the last command-staff member of Riverton Police Department" in message
    assert snapshot() == before


# Export


def test_staff_export_the_roster_as_csv(client, staff, cohort, command, officer, peer, outsider):
    login(client, staff)

    response = client.get(reverse("cohorts:roster_export", args=[cohort.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="osw-test-roster-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        services.ROSTER_COLUMNS,
        [
            "Marion County Sheriff's Office", "VA", "sheriff", "dave@marion.example",
            "Dave", "Deputy", "command_staff", "Sheriff", "yes",
        ],
        [
            "Riverton Police Department", "VA", "municipal", "bob@riverton.example",
            "Bob", "Chief", "command_staff", "Chief", "yes",
        ],
        [
            "Riverton Police Department", "VA", "municipal", "carol@riverton.example",
            "Carol", "Officer", "sworn", "Sergeant", "no",
        ],
    ]  # fmt: skip


def test_an_exported_roster_imports_into_a_new_cohort_unchanged(client, staff, cohort):
    services.import_roster(cohort=cohort, data=GOOD_ROSTER)
    login(client, staff)
    exported = client.get(reverse("cohorts:roster_export", args=[cohort.slug])).content
    copy = make_cohort("osw-copy")

    result = services.import_roster(cohort=copy, data=exported)

    assert (result.created_agencies, result.created_people, result.added_members) == (0, 0, 5)
    copied = client.get(reverse("cohorts:roster_export", args=[copy.slug])).content
    assert copied == exported


def test_an_exported_roster_reimports_into_its_cohort_without_changes(client, staff, cohort):
    services.import_roster(cohort=cohort, data=GOOD_ROSTER)
    login(client, staff)
    exported = client.get(reverse("cohorts:roster_export", args=[cohort.slug])).content
    before = snapshot()

    services.import_roster(cohort=cohort, data=exported)

    assert snapshot() == before


# The import view


def upload(content: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_staff_import_a_roster_and_new_people_get_a_setup_email(client, staff, cohort, mailoutbox):
    login(client, staff)

    response = client.post(
        reverse("cohorts:roster_import", args=[cohort.slug]),
        {"file": upload(GOOD_ROSTER), "send_emails": "on"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == cohort.get_absolute_url()
    assert (
        "Roster imported: 5 added, 0 updated, 5 new accounts, 2 new teams."
        in response.content.decode()
    )
    assert sorted(m.to[0] for m in mailoutbox) == [
        "gina@hillcrest.example",
        "hank@hillcrest.example",
        "ivy@hillcrest.example",
        "jack@bay.example",
        "kim@bay.example",
    ]
    assert all("/accounts/password/reset/key/" in m.body for m in mailoutbox)


def test_the_setup_link_lets_a_new_person_choose_a_password(client, staff, cohort, mailoutbox):
    login(client, staff)
    roster = f"{HEADER}\nEastside Police,VA,municipal,mo@east.example,Mo,Moss,command_staff,,no\n"
    client.post(
        reverse("cohorts:roster_import", args=[cohort.slug]),
        {"file": upload(roster), "send_emails": "on"},
    )
    client.logout()
    [message] = mailoutbox
    link = next(word for word in message.body.split() if "/accounts/password/reset/key/" in word)
    path = urlsplit(link).path

    # allauth moves the key into the session and redirects to a key-less form address.
    form_url = client.get(path).url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert User.objects.get(email="mo@east.example").check_password(NEW_PASSWORD)


def test_people_who_already_had_an_account_get_no_setup_email(
    client, staff, cohort, team, command, mailoutbox
):
    login(client, staff)
    roster = f"""{HEADER}
Riverton Police Department,VA,,{command.email},,,command_staff,Chief,yes
Riverton Police Department,VA,,lou@riverton.example,Lou,Lane,civilian,,no
"""
    client.post(
        reverse("cohorts:roster_import", args=[cohort.slug]),
        {"file": upload(roster), "send_emails": "on"},
    )

    assert [m.to for m in mailoutbox] == [["lou@riverton.example"]]


def test_no_setup_email_is_sent_when_staff_untick_the_box(client, staff, cohort, mailoutbox):
    login(client, staff)

    client.post(reverse("cohorts:roster_import", args=[cohort.slug]), {"file": upload(GOOD_ROSTER)})

    assert Membership.objects.count() == 5
    assert mailoutbox == []


def test_the_import_page_lists_each_bad_row_and_imports_nothing(client, staff, cohort, mailoutbox):
    login(client, staff)
    roster = with_row("Bay County Sheriff's Office,FL,sheriff,nope,Lee,Long,sworn,,no").replace(
        "ivy@hillcrest.example,Ivy,Irwin,Dispatcher", "ivy@hillcrest.example,Ivy,Irwin,Janitor"
    )
    before = snapshot()

    response = client.post(
        reverse("cohorts:roster_import", args=[cohort.slug]),
        {"file": upload(roster), "send_emails": "on"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 2 rows need fixing" in page
    assert "Line 4: unknown role “Janitor”" in page
    assert "Line 7: “nope” is not a valid email address." in page
    assert snapshot() == before
    assert mailoutbox == []


def test_the_import_page_refuses_a_file_that_is_not_csv(client, staff, cohort):
    login(client, staff)

    response = client.post(
        reverse("cohorts:roster_import", args=[cohort.slug]),
        {"file": upload(GOOD_ROSTER, name="roster.xlsx")},
    )

    assert response.status_code == 200
    assert "Upload a .csv file." in response.content.decode()
    assert not Membership.objects.exists()
