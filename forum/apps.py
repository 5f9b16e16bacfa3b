from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum and notifications"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
