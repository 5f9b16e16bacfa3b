from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The project's deployment checks live with the project package.
        from collaborative import checks  # noqa: F401

        # Signal receivers that remember a staff person's TOTP in their session.
        from . import mfa  # noqa: F401
