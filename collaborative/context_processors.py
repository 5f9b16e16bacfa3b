from django.conf import settings


def navigation(request) -> dict:
    """What the base layout needs to draw navigation for the person's role."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "nav_is_staff": signed_in and user.is_staff,
        "nav_is_sme": signed_in and user.is_sme,
        "site_debug": settings.DEBUG,
    }
