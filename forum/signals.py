"""Reactions to changes elsewhere that open sockets must hear about."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cohorts.models import Membership

from .realtime import access_changed


@receiver(post_delete, sender=Membership, dispatch_uid="forum.membership_removed")
def membership_removed(sender, instance: Membership, **kwargs) -> None:
    """Someone left a team (and so perhaps a cohort): their sockets close and reconnect."""
    access_changed(instance.user_id)


@receiver(post_save, sender=Membership, dispatch_uid="forum.membership_saved")
def membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    """Someone joined a team, or moved to another: their sockets reconnect so that they listen
    on the groups of the cohorts they are in now."""
    if created or kwargs.get("update_fields") is None or "team" in kwargs["update_fields"]:
        access_changed(instance.user_id)
