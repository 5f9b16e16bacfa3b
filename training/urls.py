from django.urls import path

from . import library_views as library
from . import staff_views as staff
from . import views

app_name = "training"

# Included under training/ by collaborative/urls.py.
urlpatterns = [
    path("", views.program, name="program"),
    path("edit/", staff.program_edit, name="program_edit"),
    # Requests: the public form and the staff queue.
    path("request/", views.request_training, name="request_training"),
    path("request/thanks/", views.request_thanks, name="request_thanks"),
    path("requests/", staff.request_queue, name="requests"),
    path("requests/<int:request_id>/", staff.request_detail, name="request"),
    path("requests/<int:request_id>/review/", staff.request_review, name="request_review"),
    path("requests/<int:request_id>/schedule/", staff.request_schedule, name="request_schedule"),
    path("requests/<int:request_id>/decline/", staff.request_decline, name="request_decline"),
    # Regional trainings.
    path("events/", views.events, name="events"),
    path("events/new/", staff.event_create, name="event_create"),
    path("events/<int:event_id>/", views.event, name="event"),
    path("events/<int:event_id>/edit/", staff.event_edit, name="event_edit"),
    path("events/<int:event_id>/cancel/", staff.event_cancel, name="event_cancel"),
    path("events/<int:event_id>/register/", views.register, name="register"),
    path(
        "events/<int:event_id>/registrations/<int:registration_id>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path("events/<int:event_id>/roster/", staff.roster, name="roster"),
    path("events/<int:event_id>/roster.csv", staff.roster_csv, name="roster_csv"),
    path("events/<int:event_id>/sign-in-sheet/", staff.sign_in_sheet, name="sign_in_sheet"),
    path("events/<int:event_id>/evaluation/", staff.evaluation, name="evaluation"),
    path(
        "events/<int:event_id>/evaluation/remind/",
        staff.evaluation_remind,
        name="evaluation_remind",
    ),
    path(
        "events/<int:event_id>/evaluation/report/",
        staff.evaluation_report,
        name="evaluation_report",
    ),
    path(
        "events/<int:event_id>/evaluation/export/",
        staff.evaluation_export,
        name="evaluation_export",
    ),
    path("coordinators/", staff.coordinators, name="coordinators"),
    path(
        "coordinators/<int:coordinator_id>/remove/",
        staff.coordinator_remove,
        name="coordinator_remove",
    ),
    # The resource library.
    path("library/", library.library, name="library"),
    path("library/new/", library.resource_create, name="resource_create"),
    path("library/suggest/", library.suggest, name="suggest"),
    path("library/suggestions/", library.suggestions, name="suggestions"),
    path(
        "library/suggestions/<int:suggestion_id>/review/",
        library.suggestion_review,
        name="suggestion_review",
    ),
    path("library/<int:item_id>/", library.resource, name="resource"),
    path("library/<int:item_id>/edit/", library.resource_edit, name="resource_edit"),
    path("library/<int:item_id>/file/", library.resource_file, name="resource_file"),
]
