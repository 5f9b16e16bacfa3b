"""@mentions: who can be mentioned in a cohort, and the handle each person is mentioned by.

A handle is derived from the person's name ("Dana Whitfield" → ``dana.whitfield``), or from
their email's local part when they have no name, so no new field is needed on the account.
When two members of one cohort share a name, both handles get the account number appended
(``dana.whitfield.42``); the numbered form always resolves, so a mention written with it keeps
working whoever joins later.
"""

import re
from dataclasses import dataclass

from django.utils.text import slugify

from cohorts.models import Membership

MENTION_RE = re.compile(r"(?<![\w.@/+-])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)", re.IGNORECASE)
AUTOCOMPLETE_LIMIT = 8


def handle_base(user) -> str:
    name = f"{user.first_name} {user.last_name}".strip()
    base = slugify(name) if name else slugify(user.email.split("@", 1)[0])
    return base.replace("-", ".") or f"member.{user.pk}"


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    handle: str
    team: str

    @property
    def numbered_handle(self) -> str:
        base = self.handle.removesuffix(f".{self.user_id}")
        return f"{base}.{self.user_id}"


class Directory:
    """The mentionable members of one cohort, loaded in one query."""

    def __init__(self, members: list[Member]):
        self.members = members
        self._by_handle: dict[str, Member] = {}
        for member in members:
            self._by_handle[member.handle.lower()] = member
            self._by_handle[member.numbered_handle.lower()] = member

    @classmethod
    def for_cohort(cls, cohort) -> "Directory":
        rows = (
            Membership.objects.for_cohort(cohort)
            .filter(user__is_active=True)
            .select_related("user", "team")
            .order_by("user__first_name", "user__last_name", "user_id", "pk")
        )
        seen: dict[int, tuple] = {}
        for membership in rows:
            # A person on two teams of one cohort is one member.
            seen.setdefault(membership.user_id, (membership.user, membership.team.name))
        bases: dict[str, int] = {}
        for user, _ in seen.values():
            base = handle_base(user)
            bases[base] = bases.get(base, 0) + 1
        members = []
        for user, team in seen.values():
            base = handle_base(user)
            handle = base if bases[base] == 1 else f"{base}.{user.pk}"
            members.append(Member(user.pk, user.display_name, handle, team))
        return cls(members)

    def resolve(self, handle: str) -> Member | None:
        return self._by_handle.get(handle.lower())

    def handle_of(self, user_id: int) -> str | None:
        for member in self.members:
            if member.user_id == user_id:
                return member.handle
        return None

    def suggest(self, prefix: str, *, exclude_user_id: int | None = None) -> list[Member]:
        """Members whose handle or name starts with ``prefix`` (any word of the name)."""
        prefix = prefix.strip().lstrip("@").lower()
        words = [w for w in re.split(r"[.\s_-]+", prefix) if w]
        found = []
        for member in self.members:
            if member.user_id == exclude_user_id:
                continue
            name_words = slugify(member.name).split("-")
            if (
                not prefix
                or member.handle.lower().startswith(prefix)
                or (words and _words_match(words, name_words))
            ):
                found.append(member)
            if len(found) >= AUTOCOMPLETE_LIMIT:
                break
        return found


def _words_match(words: list[str], name_words: list[str]) -> bool:
    """Each typed word starts some word of the name, in order ("da wh" finds Dana Whitfield)."""
    position = 0
    for word in words:
        while position < len(name_words) and not name_words[position].startswith(word):
            position += 1
        if position == len(name_words):
            return False
        position += 1
    return True
