from functools import cache
from types import MappingProxyType

from django.conf import settings
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# The base layout's links and assets are the same on every page a process serves, so they are
# worked out once per URLconf and script prefix rather than reversed (and looked up in the
# static-file manifest) on every request.
LAYOUT_URLS = {
    "home": "home",
    "cohorts": "cohorts:cohort_list",
    "calendar": "cohorts:my_calendar",
    "training": "training:program",
    "library": "training:library",
    "agencies": "cohorts:agency_list",
    "admin": "admin:index",
    "messages": "conversations:inbox",
    "profile": "accounts:profile",
    "notifications": "notifications:list",
    "notifications_feed": "notifications:feed",
    "sign_in": "account_login",
    "sign_out": "account_logout",
}
LAYOUT_ASSETS = {
    "favicon": "favicon.svg",
    "app_css": "css/app.css",
    "print_css": "css/print.css",
    "htmx_js": "vendor/htmx-2.0.11.min.js",
    "app_js": "js/app.js",
    "notifications_js": "js/notifications.js",
}
# Settings that change what the cached links and assets resolve to (tests override them).
LAYOUT_SETTINGS = frozenset(
    {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "STATIC_URL", "STATIC_ROOT", "STORAGES", "INSTALLED_APPS"}
)


@cache
def layout_urls(urlconf: str, script_prefix: str) -> MappingProxyType:
    # reverse() reads the current script prefix itself; it is part of the key so that a
    # process serving under two prefixes keeps one set of links per prefix. Read-only, as
    # every page shares it.
    return MappingProxyType(
        {key: reverse(name, urlconf=urlconf) for key, name in LAYOUT_URLS.items()}
    )


@cache
def layout_assets() -> MappingProxyType:
    return MappingProxyType({key: static(path) for key, path in LAYOUT_ASSETS.items()})


def _forget_layout(*, setting, **kwargs) -> None:
    if setting in LAYOUT_SETTINGS:
        layout_urls.cache_clear()
        layout_assets.cache_clear()


setting_changed.connect(_forget_layout)


def navigation(request) -> dict:
    """What the base layout needs to draw navigation for the person's role."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "nav_is_staff": signed_in and user.is_staff,
        "nav_is_sme": signed_in and user.is_sme,
        "site_debug": settings.DEBUG,
        "layout_urls": layout_urls(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()),
        "layout_assets": layout_assets(),
    }
