from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("cohorts/<slug:slug>/surveys/", views.wave_list, name="wave_list"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/", views.answer, name="answer"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/thanks/", views.thanks, name="thanks"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/report/", views.wave_report, name="report"),
    path("cohorts/<slug:slug>/surveys/<int:wave_id>/export/", views.wave_export, name="export"),
    path("cohorts/<slug:slug>/outcomes/", views.outcomes, name="outcomes"),
]
