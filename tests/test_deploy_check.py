"""`manage.py check --deploy` with production settings reports nothing.

Runs in a subprocess because settings are read from the environment once, at import.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Only what the interpreter needs: nothing from the developer's or CI's environment (DEBUG,
# REDIS_URL, COLLABORATIVE_TESTING...) may leak into what "production" means here.
BASE_ENV = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        **BASE_ENV,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "collab.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://collab.example.org",
        "SITE_URL": "https://collab.example.org",
        # Parsed but never connected to by `check` without --database.
        "DATABASE_URL": "postgres://collab:unused@db.invalid:5432/collab",
        "REDIS_URL": "redis://redis.invalid:6379/0",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", "--fail-level", "WARNING", env=env)


def test_production_settings_pass_the_deploy_check():
    result = deploy_check(production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_the_deploy_check_fails_on_a_weak_secret_key():
    # Proves the check above can fail: a short key is flagged, and WARNING is fatal.
    result = deploy_check(production_env(SECRET_KEY="too-short"))

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_startup_refuses_production_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_startup_refuses_production_with_an_empty_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=""))

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_it_warns_when_production_would_fall_back_to_sqlite_and_memory():
    result = deploy_check(production_env(DATABASE_URL=None, REDIS_URL=None))

    assert result.returncode != 0
    assert "collaborative.W001" in result.stderr + result.stdout
    assert "collaborative.W002" in result.stderr + result.stdout
