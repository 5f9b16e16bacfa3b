"""What the server benchmarks share: their database, Django, daphne processes and sign-ins.

Every server benchmark runs the production entry point the way production runs it: daphne
processes on ``bench.asgi:application`` with ``DEBUG=0``, ``ALLOWED_HOSTS`` set, static files
collected into a manifest, PostgreSQL and the Redis channel layer and cache (under a prefix of
the benchmark's own). Requests carry ``X-Forwarded-Proto: https``, as they do behind the TLS
proxy production sits behind, so ``SECURE_SSL_REDIRECT`` and secure cookies stay on.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.survey_data import BenchError  # noqa: E402
from bench.survey_reports import (  # noqa: E402
    bench_database_name,
    code_version,
    percentile,
    prepare_database,
    redacted,
)

# What the server benchmarks take from here, shared with the survey report benchmark.
__all__ = [
    "BenchError",
    "bench_database_name",
    "code_version",
    "percentile",
    "prepare_database",
    "redacted",
]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY = "bench-only-secret-key-not-used-for-anything-real-0123456789"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
FORWARDED = {"X-Forwarded-Proto": "https"}
STATIC_ROOT = Path(tempfile.gettempdir()) / "collaborative-bench-static"


def summary(values_ms: list[float]) -> dict[str, float | int | None]:
    """Count, p50, p95 and max of timings in milliseconds (None when there are none)."""
    if not values_ms:
        return {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "count": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 1),
        "p95_ms": round(percentile(values_ms, 95), 1),
        "max_ms": round(max(values_ms), 1),
    }


def cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def raise_open_files() -> int:
    """Raise this process's open-files limit to the hard limit (daphne inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- Database and Django -------------------------------------------------------------------


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise BenchError(f"Cannot reach Redis at {redacted(url)}: {error}") from None


@dataclass
class Setup:
    database_url: str
    redis_url: str
    prefix: str  # channel-layer and cache prefix of this run

    def server_env(self) -> dict[str, str]:
        """What a daphne process reads: production settings on the bench database."""
        return {
            "DJANGO_SETTINGS_MODULE": "collaborative.settings",
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CHANNELS_PREFIX": f"{self.prefix}-asgi",
            "CACHE_PREFIX": f"{self.prefix}-cache",
            "STATIC_ROOT": str(STATIC_ROOT),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }


def configure_django(setup: Setup) -> None:
    """This process gets the servers' settings too (it seeds data and signs people in)."""
    for name in ("COLLABORATIVE_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        os.environ.pop(name, None)
    os.environ.update(setup.server_env())
    os.environ["SECURE_SSL_REDIRECT"] = "1"
    import django

    django.setup()


def migrate_and_collect_static() -> None:
    """Migrate the bench database and collect static files into a manifest, as a deploy does."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not (STATIC_ROOT / "staticfiles.json").exists() or _static_changed():
        call_command("collectstatic", interactive=False, verbosity=0)


def _static_changed() -> bool:
    manifest = (STATIC_ROOT / "staticfiles.json").stat().st_mtime
    return any(p.stat().st_mtime > manifest for p in (ROOT / "static").rglob("*") if p.is_file())


def new_prefix(name: str) -> str:
    return f"bench-{name}-{os.getpid()}-{secrets.token_hex(3)}"


# --- Sign-ins ------------------------------------------------------------------------------


def sign_in(user, *, authenticator=None) -> str:
    """A session key for ``user``, as allauth leaves it after a sign-in (with TOTP when given)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    now = time.time()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    methods = [{"method": "password", "at": now, "email": user.email}]
    if authenticator is not None:
        methods.append({"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"})
    store["account_authentication_methods"] = methods
    store["account_authentication_methods_user"] = str(user.pk)
    store.create()
    return store.session_key


def give_totp(user):
    """A TOTP authenticator for ``user`` (staff must have one once staff MFA is enforced)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, generate_totp_secret()).instance


def csrf_pair() -> tuple[str, str]:
    """(csrftoken cookie, form token): an unmasked secret is accepted as both."""
    from django.middleware.csrf import _get_new_csrf_string

    secret = _get_new_csrf_string()
    return secret, secret


# --- daphne --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """One daphne process on ``bench.asgi:application`` with the benchmark's settings."""

    def __init__(self, setup: Setup, *, name: str = "daphne", extra_env: dict | None = None):
        self.setup = setup
        self.name = name
        self.port = free_port()
        self.env = {**setup.server_env(), **(extra_env or {})}
        self.process: subprocess.Popen | None = None
        self.log_path = Path(
            tempfile.mkstemp(prefix=f"collaborative-bench-{name}-", suffix=".log")[1]
        )

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def origin(self) -> str:
        return f"https://{self.host}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}/ws/notifications/"

    def start(self) -> Server:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"COLLABORATIVE_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "BENCH_COMMIT_KEY"}
        }
        env.update(self.env)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    HOST,
                    "-p",
                    str(self.port),
                    "bench.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_open_files,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited while starting:\n{self.log_tail()}")
            try:
                status, _, _ = self.get("/healthz", timeout=2)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return self
            time.sleep(0.2)
        self.stop()
        raise BenchError(
            f"{self.name} did not answer /healthz in {START_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def get(self, path: str, *, cookie: str = "", timeout: float = 10) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            headers = {**FORWARDED, **({"Cookie": cookie} if cookie else {})}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, path: str, fields: dict[str, str], *, session: str, timeout: float = 60):
        """A form POST as a browser sends it over HTTPS: session and CSRF cookies, Origin."""
        from urllib.parse import urlencode

        cookie_token, form_token = csrf_pair()
        body = urlencode({**fields, "csrfmiddlewaretoken": form_token})
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    **FORWARDED,
                    "Cookie": f"sessionid={session}; csrftoken={cookie_token}",
                    "Origin": self.origin,
                    "Referer": f"{self.origin}{path}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def rss_kib(self) -> int | None:
        """Resident memory of the daphne process (VmRSS), in KiB."""
        if self.process is None:
            return None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def open_files(self) -> int | None:
        if self.process is None:
            return None
        try:
            return len(os.listdir(f"/proc/{self.process.pid}/fd"))
        except OSError:
            return None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the process has used so far."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        self.stop()
        if not os.environ.get("BENCH_KEEP_LOGS"):
            self.log_path.unlink(missing_ok=True)


# --- The machine and the output ------------------------------------------------------------


def machine() -> dict[str, object]:
    import django

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def write_json(name: str, report: dict) -> Path:
    """Write the report to bench/results/ (or $BENCH_RESULTS_DIR) as <name>-<date>.json."""
    folder = Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "bench" / "results")
    out = folder / f"{name}-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return out
