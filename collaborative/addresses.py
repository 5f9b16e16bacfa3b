"""Addresses of many objects of one route, at the cost of a single ``reverse()``."""

from collections.abc import Callable

from django.urls import reverse

# Stands in for the id when a route is reversed once for a whole page.
_ANY_ID = 2147483647


def id_address(name: str, *args) -> Callable[[int], str]:
    """``lambda pk: reverse(name, args=[*args, pk])`` at the cost of a single ``reverse()``.

    The id is the route's last argument, so it is the last occurrence of the stand-in in the
    reversed path, whatever the earlier arguments (a slug) contain.
    """
    head, found, tail = reverse(name, args=[*args, _ANY_ID]).rpartition(str(_ANY_ID))
    if not found:  # pragma: no cover - a route that does not put the id in its path
        raise ValueError(f"{name} does not take the id in its path.")
    return lambda pk: f"{head}{int(pk)}{tail}"
