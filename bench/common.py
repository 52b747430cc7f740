"""Shared parts of the benchmarks: the bench database, gunicorn and celery subprocesses, a
closed-loop HTTP load generator, percentiles and the figures table.

Every benchmark is a standalone script (``python bench/<name>.py``) that sets its own
environment (``DATABASE_URL`` etc.) before Django is imported, so it never touches the
developer's database or the tests'. It uses:

- PostgreSQL at 127.0.0.1:5432 (user ``root``, trust auth): database ``bench_events``,
  dropped and created anew by every run;
- Redis at 127.0.0.1:6379, database 12 (flushed before and after a run);
- gunicorn and celery as subprocesses in their own process groups, bound to 127.0.0.1 only,
  stopped (SIGTERM, then SIGKILL) when the script ends, whatever happens.

Figures are printed, never asserted: a benchmark measures, the test suite checks.
"""

import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BENCH_DB = os.environ.get("BENCH_DB", "bench_events")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://root@127.0.0.1:5432")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECRET_KEY = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"

if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))


# --- environment and database ----------------------------------------------------------------


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of the bench process and of every server it starts: production-like
    settings (debug off) on the bench database, no broker unless a benchmark adds one."""
    var_dir = Path(tempfile.gettempdir()) / "bench_var"
    var_dir.mkdir(exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{PG_URL}/{BENCH_DB}",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1:8000",
        "DJANGO_VAR_DIR": str(var_dir),
        # Static URLs without a collectstatic step (the manifest lookup is a dict lookup too).
        "DJANGO_MANIFEST_STATIC": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "",
        "EMAIL_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def setup_django(**extra: str) -> None:
    """Point this process at the bench database (and whatever else `extra` sets), then
    `django.setup()`. Call once, before importing any model."""
    os.environ.update(bench_env(**extra))
    import django

    django.setup()


def recreate_database() -> None:
    """DROP and CREATE the bench database (only ever `bench_events`, never another)."""
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fresh_database() -> None:
    """A new, migrated bench database; this process's connections are closed first."""
    from django.db import connections

    connections.close_all()
    recreate_database()
    migrate()


def flush_redis(url: str = BENCH_REDIS_URL) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


# --- machine ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    postgres = "?"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres") as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": postgres,
        "kernel": platform.release(),
    }


# --- subprocesses ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Subprocess:
    """A server in its own process group (session), logging to a file; `stop()` takes the
    whole group down, SIGTERM first, SIGKILL after `grace` seconds."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path):
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "Subprocess":
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        """The group leader and its children (gunicorn workers, celery pool processes)."""
        if self.process is None:
            return []
        pids = [self.process.pid]
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError):
                stat = (proc / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:  # ppid
                    pids.append(int(proc.name))
        return pids

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Pool children that outlived their parent (they share the group).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc, in seconds)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and
    iowait), to tell how much else ran during a measurement."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Gunicorn(Subprocess):
    """`gunicorn config.wsgi` as compose runs it (sync workers), with `workers` workers,
    bound to 127.0.0.1 only, no access log (the app is measured, not the log)."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2):
        self.port = free_port()
        self.workers = workers
        command = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--backlog",
            "2048",
        ]
        env = {**env, "SITE_URL": f"http://127.0.0.1:{self.port}"}
        env.pop("GUNICORN_CMD_ARGS", None)
        env.pop("PORT", None)
        super().__init__(command, env, log_path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Gunicorn":
        super().start()
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"gunicorn exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not answer in {timeout}s:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        # Every worker has booted (each imported the app) before anything is measured.
        while len(self.pids()) < self.workers + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def worker_pids(self) -> list[int]:
        return [pid for pid in self.pids() if pid != self.process.pid]


class CeleryWorker(Subprocess):
    """`celery -A config worker` (the compose command) with the given pool and concurrency."""

    def __init__(
        self, env: dict[str, str], log_path: Path, *, pool: str = "prefork", concurrency: int = 2
    ):
        self.pool = pool
        self.concurrency = concurrency
        command = [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{os.getpid()}@%h",
        ]
        super().__init__(command, env, log_path)

    def start(self, timeout: float = 60.0) -> "CeleryWorker":
        # WARNING level hides celery's " ready." line: ask the worker itself.
        super().start()
        from config.celery import app

        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"celery worker exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(Exception):
                if app.control.inspect(timeout=1).ping():
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"celery worker not ready in {timeout}s:\n{self.log()[-3000:]}")
            time.sleep(0.3)


# --- closed-loop HTTP load -------------------------------------------------------------------


class RawHTTPConnection:
    """A minimal HTTP/1.1 client on a raw socket: keep-alive when the server allows it,
    reconnecting when it closes (gunicorn's sync workers close after every response).
    Cheaper per request than http.client, so that the client takes less of the CPU the
    server needs; it understands only what gunicorn sends (Content-Length bodies)."""

    def __init__(self, host: str, port: int, request: bytes):
        self.address = (host, port)
        self.request = request
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.connects = 0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buffer = b""

    def _recv(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("closed by the server")
        return chunk

    def fetch(self) -> tuple[int, int]:
        """One request; returns (status, body length). Retries once on a stale connection."""
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self.sock = socket.create_connection(self.address, timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connects += 1
            try:
                self.sock.sendall(self.request)
                return self._read_response()
            except (ConnectionError, OSError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read_response(self) -> tuple[int, int]:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(self.buffer) < length:
            self.buffer += self._recv()
        self.buffer = self.buffer[length:]
        if close:
            self.close()
        return status, length


@dataclass
class LoadResult:
    label: str
    concurrency: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    bytes: int = 0
    connects: int = 0
    client_cpu: float = 0.0  # seconds of CPU the load generator used (this process)
    server_cpu: float = 0.0  # seconds of CPU the measured server processes used
    machine_cpu: float = 0.0  # seconds of CPU all cores were busy, whoever used them

    @property
    def other_cpu_share(self) -> float:
        """Cores' worth of CPU used by everything but server and client (PostgreSQL and
        Redis included, and whatever else runs on the machine)."""
        other = self.machine_cpu - self.server_cpu - self.client_cpu
        return max(0.0, other / self.duration) if self.duration else 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.duration if self.duration else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)

    @property
    def server_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / self.requests if self.requests else 0.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))  # ceil(p/100 · n)
    return ordered[rank - 1]


def get_request(host: str, port: int, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run_load(
    *,
    label: str,
    host: str,
    port: int,
    path: str,
    concurrency: int,
    duration: float,
    warmup: float,
    server_pids: list[int] | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """`concurrency` clients, each sending its next request as soon as the previous answer
    is in (closed loop), for `warmup` seconds (not counted) and then `duration` seconds.
    A request is counted if it completed inside the measured window."""
    request = get_request(host, port, path, headers)
    result = LoadResult(label=label, concurrency=concurrency, duration=duration)
    lock = threading.Lock()
    start_barrier = threading.Barrier(concurrency + 1)
    window: dict[str, float] = {}
    stop = threading.Event()

    def client() -> None:
        connection = RawHTTPConnection(host, port, request)
        latencies, statuses, errors, size = [], {}, 0, 0
        start_barrier.wait()
        while not stop.is_set():
            began = time.perf_counter()
            try:
                status, length = connection.fetch()
            except OSError:
                status, length = None, 0
            ended = time.perf_counter()
            if window.get("start", float("inf")) <= began and ended <= window.get(
                "end", float("inf")
            ):
                if status is None:
                    errors += 1
                else:
                    latencies.append(ended - began)
                    statuses[status] = statuses.get(status, 0) + 1
                    size += length
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count
            result.errors += errors
            result.bytes += size
            result.connects += connection.connects

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    time.sleep(warmup)
    client_cpu0, server_cpu0 = time.process_time(), cpu_seconds(server_pids or [])
    machine0 = machine_busy_seconds()
    window["start"] = time.perf_counter()
    window["end"] = window["start"] + duration
    time.sleep(duration)
    client_cpu1, server_cpu1 = time.process_time(), cpu_seconds(server_pids or [])
    machine1 = machine_busy_seconds()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    result.client_cpu = client_cpu1 - client_cpu0
    result.server_cpu = server_cpu1 - server_cpu0
    result.machine_cpu = machine1 - machine0
    return result


# --- output ----------------------------------------------------------------------------------


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    """A Markdown table (so that it can be pasted into bench/README.md as it is)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(f"\n{title}\n")
    print(line(cells[0]))
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells[1:]:
        print(line(row))


def print_machine() -> None:
    info = machine()
    print_table("Machine", ["what", "value"], [[k, v] for k, v in info.items()])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
