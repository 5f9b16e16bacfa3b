"""Permission-checked fetches for the training pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .models import Registration, ResourceItem, TrainingEvent, coordinated_agencies


def access_registration(user, event: TrainingEvent, registration_id: int) -> Registration:
    """A registration staff or a coordinator of its agency may change; 404 for anyone else."""
    registrations = Registration.objects.select_related("agency", "event").filter(event=event)
    if not user.is_staff:
        registrations = registrations.filter(agency__in=coordinated_agencies(user, event))
    return get_object_or_404(registrations, pk=registration_id)


def access_resource(user, item_id: int) -> ResourceItem:
    """A published library item (staff also see drafts); 404 otherwise."""
    return get_object_or_404(ResourceItem.objects.visible_to(user), pk=item_id)


def access_event(event_id: int) -> TrainingEvent:
    return get_object_or_404(
        TrainingEvent.objects.with_counts().select_related("evaluation_wave"), pk=event_id
    )
