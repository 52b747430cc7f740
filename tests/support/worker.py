"""A real Celery worker (`celery -A config worker`) in its own process group, against the test
database and a Redis database of the tests' own, plus the helpers to point this process's
Celery app at the same broker with eager mode off."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.db import connections

REPO_DIR = Path(__file__).resolve().parents[2]

# Redis database reserved for these tests; flushed before each test that uses it.
TEST_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
# Nothing listens here: the broker is "down".
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"

# The worker's mail ledger timings; the test process uses the same ones (see conftest).
FAST_TIMINGS = {
    "EMAIL_RETRY_BASE_SECONDS": 1,
    "EMAIL_RETRY_MAX_SECONDS": 5,
    "EMAIL_CLAIM_LEASE_SECONDS": 5,
    "EMAIL_SWEEP_GRACE_SECONDS": 1,
    "CELERY_BROKER_VISIBILITY_TIMEOUT": 10,
    "NOTICE_SETTLE_SECONDS": 4,
}


def wait_until(
    predicate: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.1, what: str
):
    """Poll `predicate` until it returns something truthy; fail clearly after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def subprocess_database_url(alias: str = "default") -> str:
    """The URL of the database this test process uses now (pytest-django's test database)."""
    settings_dict = connections[alias].settings_dict
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3":
        path = Path(name)
        if not path.is_absolute() or str(name).startswith("file:") or name == ":memory:":
            raise RuntimeError(f"the test database must be a file for a worker to share: {name}")
        return f"sqlite:///{path}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"
    raise RuntimeError(f"no worker database URL for engine {engine}")


def check_redis(url: str) -> None:
    """Fail (not skip) when the tests' Redis is not reachable: CI always has one."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as error:
        raise AssertionError(
            f"Redis is not reachable at {url} ({error}). The integration tests need a real "
            "Redis broker: start one, or set TEST_CELERY_BROKER_URL."
        ) from None
    if not reply.startswith(b"+PONG"):
        raise AssertionError(f"{url} did not answer PING like Redis: {reply!r}")


def use_broker(app, url: str) -> None:
    """Point this process's Celery app at `url`, eager mode off. Drops the app's references
    to its connection and producer pools, as Celery itself does after a fork
    (`Celery._after_fork`), so the next publish takes a pool for the new URL. (The pools stay
    open in kombu's registry, keyed by URL, and are reused when switching back.)"""
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app.conf.broker_write_url = None
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


class CeleryWorker:
    """`celery -A config worker` as a subprocess in its own session (process group)."""

    def __init__(
        self,
        *,
        broker_url: str,
        smtp_port: int,
        log_path: Path,
        name: str = "worker",
        pool: str = "solo",
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
    ):
        self.broker_url = broker_url
        self.smtp_port = smtp_port
        self.log_path = log_path
        self.name = name
        self.pool = pool
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self._log = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": subprocess_database_url(),
                "CELERY_BROKER_URL": self.broker_url,
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                "EMAIL_TIMEOUT": "5",
                "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY")
                or "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
                "DJANGO_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update({key: str(value) for key, value in FAST_TIMINGS.items()})
        env.update(self.extra_env)
        return env

    def start(self, *, timeout: float = 30.0) -> "CeleryWorker":
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "-P",
            self.pool,
            "--concurrency",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            "celery",
            "-n",
            f"{self.name}-{os.getpid()}@%h",
        ]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: kill() takes the pool children too
        )
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"celery worker exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(
                    f"celery worker not ready in {timeout}s:\n{self.log()[-4000:]}"
                )
            time.sleep(0.1)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, no acks, no cleanup."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._close_log()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it takes longer than `timeout`."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
