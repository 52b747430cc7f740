"""Benchmark 3: registration POSTs under 50 concurrent clients against gunicorn. Each client,
in a closed loop: GET the registration form (CSRF cookie and token), POST it with a unique
email address, expect the redirect to "check your inbox". Afterwards nothing may be lost: the
registrations in the database must be exactly the successful POSTs, each with its
confirmation email row and its task on the broker.

    .venv/bin/python bench/registration_posts.py [--clients 50] [--duration 20]
                                                 [--workers 2]

The web processes run as in production: a Redis broker (the confirmation email is handed to
Celery; no worker runs, so the tasks stay on the queue and are counted) and a Redis cache
for the rate-limit counters, both on Redis database 12; the rate limits are raised for the
run (REGISTRATION_RATE_PER_IP / _PER_EMAIL).
"""

import argparse
import datetime as dt
import http.client
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SLUG = "bench-registration"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def build_event():
    from django.utils import timezone

    from workshop.models import DisplayZone, Event, Session

    event = Event.objects.create(
        slug=SLUG,
        title="Benchmark seminar",
        timezone="Europe/Berlin",
        requires_approval=True,
        meeting_url="https://zoom.us/j/5550001111",
    )
    DisplayZone.objects.create(event=event, position=0, label="DE", zone="Europe/Berlin")
    start = timezone.now() + dt.timedelta(days=30)
    Session.objects.create(
        event=event, title="The one talk", start=start, end=start + dt.timedelta(hours=1)
    )
    return event


class Client:
    """One participant after another on one thread: GET the form, POST it."""

    def __init__(self, port: int, number: int):
        self.port = port
        self.number = number
        self.sequence = 0
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return response, data
        raise AssertionError("unreachable")

    def register_once(self) -> tuple[bool, float, float, int | None, str]:
        """Returns (created, GET seconds, POST seconds, POST status, email)."""
        path = f"/events/{SLUG}/register/"
        began = time.perf_counter()
        response, data = self.request("GET", path)
        got = time.perf_counter()
        cookie = response.getheader("Set-Cookie", "")
        csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie)
        token = TOKEN.search(data.decode())
        if response.status != 200 or not csrf_cookie or not token:
            return False, got - began, 0.0, None, ""
        self.sequence += 1
        email = f"client{self.number}-{self.sequence}@example.org"
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "name": f"Participant {self.number}-{self.sequence}",
                "email": email,
                "affiliation": "Bench University",
                "career_stage": "Scholar",
                "country": "DE",
                "timezone": "Europe/Berlin",
                "message": "",
                "consent": "on",
                "website": "",
            }
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        response, _ = self.request("POST", path, body, headers)
        posted = time.perf_counter()
        created = response.status == 302 and "/check-inbox/" in response.getheader("Location", "")
        return created, got - began, posted - got, response.status, email


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    web_env = {
        "CELERY_BROKER_URL": common.BENCH_REDIS_URL,
        "CACHE_URL": common.BENCH_REDIS_URL,
        "REGISTRATION_RATE_PER_IP": "1000000/h",
        "REGISTRATION_RATE_PER_EMAIL": "1000/h",
    }
    common.setup_django(**web_env)
    common.fresh_database()
    common.flush_redis()
    event = build_event()
    from django.db import connections

    connections.close_all()

    log_dir = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    server = common.Gunicorn(
        common.bench_env(**web_env), log_dir / "gunicorn.log", workers=args.workers
    )
    lock = threading.Lock()
    outcomes: list[tuple[bool, float, float, int | None, str]] = []
    errors: list[str] = []
    stop = threading.Event()

    def run(number: int) -> None:
        client = Client(server.port, number)
        mine = []
        while not stop.is_set():
            try:
                mine.append(client.register_once())
            except Exception as error:  # noqa: BLE001 — counted and shown
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
        with lock:
            outcomes.extend(mine)

    try:
        server.start()
        cpu0 = common.cpu_seconds(server.worker_pids())
        here0, machine0 = time.process_time(), common.machine_busy_seconds()
        threads = [threading.Thread(target=run, args=(n,)) for n in range(args.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.perf_counter() - began
        cpu1 = common.cpu_seconds(server.worker_pids())
        here1, machine1 = time.process_time(), common.machine_busy_seconds()
    finally:
        server.stop()

    import redis

    from mailing.models import OutgoingEmail
    from registration.emails import Kind
    from registration.models import Registration

    queued_tasks = redis.Redis.from_url(common.BENCH_REDIS_URL).llen("celery")
    common.flush_redis()
    created = [o for o in outcomes if o[0]]
    statuses: dict[object, int] = {}
    for o in outcomes:
        statuses[o[3]] = statuses.get(o[3], 0) + 1
    rows_in_db = Registration.objects.filter(event=event).count()
    emails_in_db = set(Registration.objects.filter(event=event).values_list("email", flat=True))
    confirmations = OutgoingEmail.objects.filter(
        registration__event=event, kind=Kind.CONFIRM
    ).count()
    lost = {o[4] for o in created} - emails_in_db
    nothing_lost = rows_in_db == len(created) == confirmations == queued_tasks and not lost

    other_cpu = max(0.0, (machine1 - machine0) - (cpu1 - cpu0) - (here1 - here0))
    common.print_machine()
    gets = [o[1] for o in outcomes]
    posts = [o[2] for o in created]
    common.print_table(
        f"Registration POSTs: {args.clients} concurrent clients (GET form + POST, closed loop), "
        f"{args.duration:g} s, gunicorn {args.workers} sync workers, PostgreSQL, Redis broker "
        "and cache",
        ["what", "value"],
        [
            ["successful registrations (302 to check-inbox)", len(created)],
            ["registrations/s", f"{len(created) / elapsed:.1f}"],
            [
                "POST p50 / p95 ms",
                f"{common.ms(common.percentile(posts, 50))} / "
                f"{common.ms(common.percentile(posts, 95))}",
            ],
            [
                "GET form p50 / p95 ms",
                f"{common.ms(common.percentile(gets, 50))} / "
                f"{common.ms(common.percentile(gets, 95))}",
            ],
            [
                "server CPU per registration (GET + POST), ms",
                f"{1000 * (cpu1 - cpu0) / max(1, len(created)):.1f}",
            ],
            [
                "CPU, cores: gunicorn / clients / everything else (PostgreSQL, Redis, other)",
                f"{(cpu1 - cpu0) / elapsed:.2f} / {(here1 - here0) / elapsed:.2f} / "
                f"{other_cpu / elapsed:.2f}",
            ],
            ["POST statuses", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))],
            ["client errors (connection)", len(errors)],
            ["rows in the database", rows_in_db],
            ["confirmation email rows", confirmations],
            ["tasks on the broker", queued_tasks],
            [
                "nothing lost (rows == successful POSTs == emails == tasks)",
                "yes" if nothing_lost else f"NO ({len(lost)} registered but missing)",
            ],
        ],
    )
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")
    print("gunicorn log:", log_dir / "gunicorn.log")


if __name__ == "__main__":
    main()
