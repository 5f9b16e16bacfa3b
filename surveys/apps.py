from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(install_templates, sender=self, dispatch_uid="surveys.templates")


def install_templates(sender, using: str = "default", **kwargs) -> None:
    """Every installation ships the survey templates; missing ones are added after migrating,
    and ones staff have edited are left alone."""
    from .catalogue import ensure_templates

    if using == "default":
        ensure_templates()
