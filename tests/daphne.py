"""Real servers for the realtime journeys: daphne processes, and a Redis of a test's own.

pytest-django's live server speaks WSGI in a thread of the test process, so it cannot serve
the notification socket. These journeys run the production entry point instead — daphne on
``collaborative.asgi:application`` in a process of its own — against the test's database
(``django_db(transaction=True)``, so the test's writes are committed and visible to it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# Settings a test server must not inherit from the shell that runs the tests: the server's
# database and channel layer are the ones the test chose.
_CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CHANNELS_PREFIX",
    "CACHE_PREFIX",
    "DJANGO_SETTINGS_MODULE",
    # The browser fixture sets this for the test process only; a server must keep the check.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reachable(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at the host and port of ``url``."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout):
            return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL that points another process at the database Django is using now."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError(
                "The SQLite test database is in memory, so no other process can open it; "
                "collaborative/settings.py gives tests a file database."
            )
        return f"sqlite:///{Path(name).resolve()}"
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"
    raise RuntimeError(f"No test server support for the {engine} database engine")


def _wait_for_exit(process: subprocess.Popen, timeout: float) -> bool:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _stop(process: subprocess.Popen | None) -> None:
    """Terminate, then kill: a stuck process never outlives its test."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    if not _wait_for_exit(process, STOP_TIMEOUT):
        process.kill()
        process.wait(STOP_TIMEOUT)


class Daphne:
    """One daphne process serving the app on a fixed port; it can be stopped and started again.

    ``env`` holds what the process's settings read (DATABASE_URL, REDIS_URL, ...); the port is
    chosen once, so a restarted process comes back where the open pages expect it.
    """

    def __init__(self, env: dict[str, str], *, name: str = "daphne", port: int | None = None):
        self.name = name
        self.port = port or free_port()
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"collaborative-{name}-", suffix=".log")[1])
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __repr__(self) -> str:
        return f"<Daphne {self.name} on {self.url}>"

    def start(self) -> Daphne:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self} is already running")
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "collaborative.settings",
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "WARNING",
            }
        )
        env.update(self.env)
        self.starts += 1
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- start {self.starts} on port {self.port}\n")
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "collaborative.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self} exited with code {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            try:
                status, _ = self.healthz(timeout=2)
            except OSError:
                time.sleep(0.1)
                continue
            if status == 200:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self} did not answer /healthz within {START_TIMEOUT:.0f} s:\n" + self.log_tail()
        )

    def healthz(self, timeout: float = 5) -> tuple[int, dict]:
        """The status code and JSON body of /healthz (an OSError if nothing answers)."""
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def restart(self) -> Daphne:
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)


class RedisServer:
    """A throwaway redis-server of a test's own, on a free port, with nothing saved to disk.

    Stopping it is a Redis outage for whatever uses it; starting it again brings it back on
    the same port, empty.
    """

    def __init__(self, *, port: int | None = None):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="collaborative-redis-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not reachable(self.url, 0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGKILL: an outage, not a polite shutdown.
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
