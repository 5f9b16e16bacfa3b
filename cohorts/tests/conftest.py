import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The personas and the bulk rosters create many accounts; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
