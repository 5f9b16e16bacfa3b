from django.urls import path

from . import views

app_name = "assessments"

TEAM = "cohorts/<slug:slug>/teams/<int:team_id>/"

urlpatterns = [
    path("assessments/roadmap/", views.roadmap, name="roadmap"),
    path("assessments/instrument/", views.instrument, name="instrument"),
    path("cohorts/<slug:slug>/assessments/", views.overview, name="overview"),
    path("cohorts/<slug:slug>/assessments.csv", views.overview_csv, name="overview_csv"),
    path(TEAM + "assessment/", views.team_home, name="team"),
    path(TEAM + "assessment/results/", views.results, name="results"),
    path(TEAM + "assessment/<str:round>/", views.round_form, name="round"),
    path(TEAM + "assessment/<str:round>/draft/", views.autosave, name="autosave"),
    path(TEAM + "plan/", views.plan, name="plan"),
    path(TEAM + "plan/steps/new/", views.step_create, name="step_create"),
    path(TEAM + "plan/steps/suggest/", views.step_suggest, name="step_suggest"),
    path(TEAM + "plan/steps/<int:step_id>/", views.step, name="step"),
    path(TEAM + "plan/steps/<int:step_id>/notes/", views.step_note, name="step_note"),
    path(TEAM + "plan/steps/<int:step_id>/delete/", views.step_delete, name="step_delete"),
    path(TEAM + "partners/", views.partners, name="partners"),
    path(TEAM + "partners/<int:partner_id>/", views.partner_edit, name="partner_edit"),
    path(TEAM + "partners/<int:partner_id>/delete/", views.partner_delete, name="partner_delete"),
]
