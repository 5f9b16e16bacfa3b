from django.urls import path

from . import session_views as calendar
from . import views

app_name = "cohorts"

urlpatterns = [
    path("cohorts/", views.cohort_list, name="cohort_list"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<slug:slug>/", views.cohort, name="cohort"),
    path("cohorts/<slug:slug>/edit/", views.cohort_edit, name="cohort_edit"),
    path("cohorts/<slug:slug>/status/", views.cohort_status, name="cohort_status"),
    path("cohorts/<slug:slug>/people/", views.people, name="people"),
    path("cohorts/<slug:slug>/roster/import/", views.roster_import, name="roster_import"),
    path("cohorts/<slug:slug>/roster.csv", views.roster_export, name="roster_export"),
    path("cohorts/<slug:slug>/teams/new/", views.team_create, name="team_create"),
    path("cohorts/<slug:slug>/teams/<int:team_id>/", views.team, name="team"),
    path("cohorts/<slug:slug>/teams/<int:team_id>/edit/", views.team_edit, name="team_edit"),
    path("cohorts/<slug:slug>/teams/<int:team_id>/invite/", views.invite, name="invite"),
    path(
        "cohorts/<slug:slug>/teams/<int:team_id>/members/<int:membership_id>/",
        views.membership_edit,
        name="membership_edit",
    ),
    path(
        "cohorts/<slug:slug>/teams/<int:team_id>/members/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path(
        "cohorts/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    # The session calendar
    path("calendar/", calendar.my_calendar, name="my_calendar"),
    path("calendar/feeds/renew/", calendar.feed_renew, name="feed_renew"),
    path("calendar/feeds/<str:token>.ics", calendar.feed, name="feed"),
    path("cohorts/<slug:slug>/calendar/", calendar.cohort_calendar, name="calendar"),
    path("cohorts/<slug:slug>/topics/", calendar.topics, name="topics"),
    path("cohorts/<slug:slug>/attendance/", calendar.attendance_rates, name="attendance_rates"),
    path("cohorts/<slug:slug>/sessions/new/", calendar.session_create, name="session_create"),
    path("cohorts/<slug:slug>/sessions/series/", calendar.series_create, name="series_create"),
    path("cohorts/<slug:slug>/sessions/<int:number>/", calendar.session, name="session"),
    path("cohorts/<slug:slug>/sessions/<int:number>.ics", calendar.session_ics, name="session_ics"),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/edit/",
        calendar.session_edit,
        name="session_edit",
    ),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/cancel/",
        calendar.session_cancel,
        name="session_cancel",
    ),
    path("cohorts/<slug:slug>/sessions/<int:number>/rsvp/", calendar.rsvp, name="rsvp"),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/attendance/",
        calendar.attendance,
        name="attendance",
    ),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/attendance/import/",
        calendar.attendance_import,
        name="attendance_import",
    ),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/materials/new/",
        calendar.material_add,
        name="material_add",
    ),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/materials/<int:material_id>/",
        calendar.material,
        name="material",
    ),
    path(
        "cohorts/<slug:slug>/sessions/<int:number>/materials/<int:material_id>/delete/",
        calendar.material_delete,
        name="material_delete",
    ),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<int:agency_id>/edit/", views.agency_edit, name="agency_edit"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
