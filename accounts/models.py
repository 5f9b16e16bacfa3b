import zoneinfo

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

TIME_ZONE_CHOICES = [
    (name, name.replace("_", " "))
    for name in sorted(zoneinfo.available_timezones())
    if name.startswith(("America/", "Pacific/", "US/", "Europe/", "UTC"))
]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with their email address.

    Program staff have ``is_staff``; subject-matter experts have ``is_sme``; everyone else
    reaches cohorts through team memberships.
    """

    username = None
    email = models.EmailField("email address", unique=True)
    is_sme = models.BooleanField(
        "subject-matter expert",
        default=False,
        help_text="Presents sessions and answers forum questions.",
    )
    time_zone = models.CharField(
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text="Session times are shown in this time zone.",
    )
    phone = models.CharField(max_length=40, blank=True)
    bio = models.TextField("about me", blank=True, max_length=2000)
    # What the peer directory of the person's cohorts shows besides name, agency and role.
    share_email = models.BooleanField(
        "show my email address to the members of my cohorts", default=False
    )
    share_phone = models.BooleanField(
        "show my phone number to the members of my cohorts", default=False
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_program_staff(self) -> bool:
        return self.is_staff
