"""Benchmark 1: the programme page of a 200-session, 300-person event under gunicorn on
PostgreSQL, side by side with a bare Django view that runs one query (/healthz, no broker
configured), through the same client at the same concurrency.

    .venv/bin/python bench/programme_page.py [--duration 15] [--warmup 3] [--concurrency 8]
                                             [--workers 2] [--rounds 1]
                                             [--cache none|locmem|redis|all]

Target: programme requests/s ÷ bare requests/s ≥ 0.5.
"""

import argparse
import datetime as dt
import re
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SLUG = "bench-programme"
SESSIONS = 200
PEOPLE = 300


def build_event():
    """The event: 3 display zones, 20 sections, 200 sessions over 4 days (every 7th a
    break), 3 roles each (speaker, chair, commentator) among 300 people with affiliations,
    3 contacts, tags; registration open (the page shows the form)."""
    from django.utils import timezone

    from workshop.models import (
        DisplayZone,
        Event,
        EventContact,
        EventPerson,
        EventType,
        Person,
        Section,
        Session,
        SessionRole,
        SubjectArea,
        TargetGroup,
    )

    event = Event.objects.create(
        slug=SLUG,
        title="Benchmark workshop: two hundred sessions",
        subtitle="Economic history in many time zones",
        description="A *large* programme.\n\nWith two paragraphs of Markdown.",
        timezone="Europe/Berlin",
        organizer="Bench Institute",
        meeting_url="https://zoom.us/j/5550001111",
    )
    for position, (label, zone) in enumerate(
        [("DE", "Europe/Berlin"), ("Norfolk, VA", "America/New_York"), ("SH", "Asia/Shanghai")]
    ):
        DisplayZone.objects.create(event=event, position=position, label=label, zone=zone)
    event.target_groups.add(TargetGroup.objects.create(name="Scholars"))
    event.subject_areas.add(SubjectArea.objects.create(name="Economic history"))
    event.event_types.add(EventType.objects.create(name="Workshop"))
    sections = Section.objects.bulk_create(
        Section(event=event, title=f"Panel {n}: a section title", position=n) for n in range(20)
    )
    people = Person.objects.bulk_create(
        Person(key=f"person-{n}", name=f"Firstname{n} Lastname{n}", email=f"p{n}@example.org")
        for n in range(PEOPLE)
    )
    EventPerson.objects.bulk_create(
        EventPerson(event=event, person=p, affiliation=f"University of Somewhere {n}")
        for n, p in enumerate(people)
    )
    EventContact.objects.bulk_create(
        EventContact(event=event, person=p, role="Coordination", position=n)
        for n, p in enumerate(people[:3])
    )
    first_day = (timezone.now() + dt.timedelta(days=60)).replace(
        hour=6, minute=0, second=0, microsecond=0
    )
    sessions = []
    for n in range(SESSIONS):
        day, index = divmod(n, SESSIONS // 4)
        start = first_day + dt.timedelta(days=day, minutes=15 * index)
        is_break = n % 7 == 6
        sessions.append(
            Session(
                event=event,
                section=sections[n // 10],
                kind=Session.Kind.BREAK if is_break else Session.Kind.TALK,
                title="" if is_break else f"Talk {n}: on the economics of an alliance",
                abstract=f"Abstract of talk {n}, in *Markdown*.",
                start=start,
                end=start + dt.timedelta(minutes=14),
            )
        )
    sessions = Session.objects.bulk_create(sessions)
    SessionRole.objects.bulk_create(
        SessionRole(session=s, person=people[(n + offset) % PEOPLE], role=role, position=0)
        for n, s in enumerate(sessions)
        if not s.is_break
        for offset, role in enumerate(SessionRole.Role.values)
    )
    return event


def check_page(base_url: str) -> int:
    """The page answers 200 and shows every session; returns its size in bytes."""
    with urllib.request.urlopen(f"{base_url}/events/{SLUG}/", timeout=30) as response:
        body = response.read().decode()
    slots = len(re.findall(r'<li class="programme-slot', body))
    if response.status != 200 or slots != SESSIONS or "csrfmiddlewaretoken" not in body:
        raise SystemExit(f"unexpected programme page: status {response.status}, {slots} slots")
    return len(body.encode())


CACHE_LABELS = {
    "none": "no cache: as before",
    "locmem": "cached, locmem",
    "redis": "cached, Redis",
}
NO_CACHE_SETTINGS = """from config.settings import *  # noqa: F403

# bench/programme_page.py --cache none: the page as it was before the programme cache.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
"""


def measure(args, cache: str, log_dir: Path) -> list[common.LoadResult]:
    extra = {"CACHE_URL": common.BENCH_REDIS_URL} if cache == "redis" else {}
    if cache == "redis":
        common.flush_redis()
    if cache == "none":
        # Django's dummy cache stores nothing: every request renders the programme.
        (log_dir / "bench_nocache_settings.py").write_text(NO_CACHE_SETTINGS)
        extra = {
            "DJANGO_SETTINGS_MODULE": "bench_nocache_settings",
            "PYTHONPATH": f"{log_dir}:{common.REPO_DIR}",
        }
    env = common.bench_env(**extra)
    server = common.Gunicorn(env, log_dir / f"gunicorn-{cache}.log", workers=args.workers)
    server.start()
    try:
        size = check_page(server.base_url)
        results = []
        for _ in range(args.rounds):
            for label, path in (
                ("bare view (/healthz, 1 query)", "/healthz"),
                ("programme page", f"/events/{SLUG}/"),
            ):
                result = common.run_load(
                    label=label if path == "/healthz" else f"{label} [{CACHE_LABELS[cache]}]",
                    host="127.0.0.1",
                    port=server.port,
                    path=path,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    warmup=args.warmup,
                    server_pids=server.worker_pids(),
                )
                result.page_size = size if path != "/healthz" else None
                results.append(result)
        return results
    finally:
        server.stop()
        if cache == "redis":
            common.flush_redis()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="bare/programme pairs")
    parser.add_argument(
        "--cache",
        choices=["none", "locmem", "redis", "all"],
        default="all",
        help="none: Django's dummy cache (every request renders the programme, as before the "
        "programme cache); locmem: per-process memory (the default without CACHE_URL); "
        "redis: CACHE_URL on Redis database 12; all: each in turn",
    )
    args = parser.parse_args()

    common.setup_django()
    common.fresh_database()
    build_event()
    from django.db import connections

    connections.close_all()

    log_dir = Path(tempfile.mkdtemp(prefix="bench-programme-"))
    caches = ["none", "locmem", "redis"] if args.cache == "all" else [args.cache]
    results = []
    for cache in caches:
        results += measure(args, cache, log_dir)

    common.print_machine()
    rows = []
    bare = None
    for result in results:
        is_bare = result.label.startswith("bare")
        if is_bare:
            bare = result
        bad = sum(n for status, n in result.statuses.items() if status != 200) + result.errors
        rows.append(
            [
                result.label,
                f"{result.rps:.1f}",
                common.ms(result.percentile(50)),
                common.ms(result.percentile(95)),
                f"{result.server_ms_per_request:.2f}",
                f"{100 * result.client_cpu / result.duration:.0f}%",
                f"{100 * result.other_cpu_share:.0f}%",
                result.requests,
                bad,
                "" if is_bare else f"{result.rps / bare.rps:.2f}",
            ]
        )
    common.print_table(
        f"Programme page vs bare view: gunicorn {args.workers} sync workers, "
        f"{args.concurrency} closed-loop clients, {args.duration:g} s after {args.warmup:g} s "
        f"warm-up, PostgreSQL ({SESSIONS} sessions, {PEOPLE} people; page "
        f"{results[-1].page_size // 1024} KiB)",
        [
            "what",
            "req/s",
            "p50 ms",
            "p95 ms",
            "server CPU ms/req",
            "client CPU",
            "other CPU",
            "requests",
            "non-200",
            "ratio to bare",
        ],
        rows,
    )
    print(
        "\nserver CPU: user+system time of the gunicorn workers over the window ÷ requests "
        "(PostgreSQL's own CPU not included); client CPU: the load generator's share of one "
        "core; other CPU: everything else that ran meanwhile (PostgreSQL's backends included), "
        "in % of one core — well above PostgreSQL's share means the machine was not quiet. "
        "Logs:",
        log_dir,
    )


if __name__ == "__main__":
    main()
