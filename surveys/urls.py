from django.urls import path

from . import funder_views, staff_views, views

app_name = "surveys"

urlpatterns = [
    path("cohorts/<slug:slug>/surveys/", views.wave_list, name="wave_list"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/", views.answer, name="answer"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/draft/", views.autosave, name="autosave"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/thanks/", views.thanks, name="thanks"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/report/", views.wave_report, name="report"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/export/", views.wave_export, name="export"),
    path("cohorts/<slug:slug>/surveys/trends/", views.wave_trends, name="trends"),
    # Invited by email, with no account: the emailed link's token is the credential.
    path("surveys/invited/<str:token>/", views.invited_answer, name="invited"),
    path("surveys/invited/<str:token>/draft/", views.invited_autosave, name="invited_autosave"),
    path("surveys/invited/<str:token>/thanks/", views.invited_thanks, name="invited_thanks"),
    path("cohorts/<slug:slug>/outcomes/", funder_views.outcomes, name="outcomes"),
    path(
        "cohorts/<slug:slug>/outcomes/print/",
        funder_views.outcomes_print,
        name="outcomes_print",
    ),
    path(
        "cohorts/<slug:slug>/outcomes/export/",
        funder_views.outcomes_export,
        name="outcomes_export",
    ),
    path(
        "cohorts/<slug:slug>/outcomes/<str:period>/narrative/",
        funder_views.narrative,
        name="narrative",
    ),
    path("cohorts/<slug:slug>/surveys/new/", staff_views.wave_new, name="wave_new"),
    path(
        "cohorts/<slug:slug>/surveys/<int:wave_id>/edit/", staff_views.wave_edit, name="wave_edit"
    ),
    path(
        "cohorts/<slug:slug>/surveys/<int:wave_id>/close/",
        staff_views.wave_close,
        name="wave_close",
    ),
    path(
        "cohorts/<slug:slug>/surveys/<int:wave_id>/delete/",
        staff_views.wave_delete,
        name="wave_delete",
    ),
    path(
        "cohorts/<slug:slug>/surveys/<int:wave_id>/remind/",
        staff_views.wave_remind,
        name="wave_remind",
    ),
]
