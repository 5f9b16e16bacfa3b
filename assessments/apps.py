from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments and action plans"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(
            install_starter_instrument, sender=self, dispatch_uid="assessments.starter"
        )


def install_starter_instrument(sender, using: str = "default", **kwargs) -> None:
    """Every installation ships the starter instrument; it is added once, after migrating,
    and never touched again (staff may have replaced or revised it)."""
    from .instrument import ensure_starter_instrument

    if using == "default":
        ensure_starter_instrument()
