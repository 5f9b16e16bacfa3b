"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def check_production_services(app_configs, **kwargs) -> list[Warning]:
    """Production runs several processes: SQLite and in-memory layers would split them."""
    warnings = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "DATABASE_URL is not set: the site would run on SQLite.",
                hint="Set DATABASE_URL to the PostgreSQL database.",
                id="collaborative.W001",
            )
        )
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer"):
        warnings.append(
            Warning(
                "REDIS_URL is not set: notifications would not cross processes.",
                hint="Set REDIS_URL to the Redis server used by the channel layer.",
                id="collaborative.W002",
            )
        )
    return warnings
