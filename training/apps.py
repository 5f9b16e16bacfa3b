from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Officer Resilience Training Program"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(install_catalogue, sender=self, dispatch_uid="training.catalogue")


def install_catalogue(sender, using: str = "default", **kwargs) -> None:
    """The skill themes and focus areas every installation has; restored after a flush too."""
    from .content import ensure_catalogue

    if using == "default":
        ensure_catalogue()
