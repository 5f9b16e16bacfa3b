"""Reactions to changes elsewhere that open sockets must hear about."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from cohorts.models import Membership

from .realtime import access_changed


@receiver(post_delete, sender=Membership, dispatch_uid="forum.membership_removed")
def membership_removed(sender, instance: Membership, **kwargs) -> None:
    """Someone left a team (and so perhaps a cohort): their sockets close and reconnect."""
    access_changed(instance.user_id)
