import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    # Attachments are written to a throwaway directory, never into the project's media/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def general(cohort):
    from forum.models import Category
    from forum.posting import ensure_categories

    ensure_categories(cohort)
    return Category.objects.get(cohort=cohort, slug="general")


@pytest.fixture
def other_general(other_cohort):
    from forum.models import Category
    from forum.posting import ensure_categories

    ensure_categories(other_cohort)
    return Category.objects.get(cohort=other_cohort, slug="general")
