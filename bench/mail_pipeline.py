"""Benchmark 2: the mail pipeline. Approve 1,000 registrations
(`registration.services.approve_registrations`) and time until all 1,000 invitations are
accepted by a local SMTP server (aiosmtpd, tests/support/smtp.RecordingSMTPServer), sent by one
Celery worker (`celery -A config worker`) on Redis; side by side with plain smtplib sending the
same 1,000 messages (already built) to the same server, one connection per message (as
Django's SMTP backend in the worker does) and all over one connection.

    .venv/bin/python bench/mail_pipeline.py [--count 1000] [--pool prefork|solo]
                                            [--concurrency 2]

Target: smtplib time (one connection per message) ÷ pipeline time ≥ 0.5.
The event is the seed workshop (workshop/fixtures/sino-soviet-2021.yaml: 12 sessions, 3
display zones): every invitation carries the programme in the registrant's zone, text and
HTML, and an invite.ics with the 10 non-break sessions.
"""

import argparse
import collections
import smtplib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from tests.support.smtp import RecordingSMTPServer, free_port  # noqa: E402

WARMUP = 20


class RawRecordingSMTPServer(RecordingSMTPServer):
    """Also keeps every message's bytes as they arrived, to send the very same ones again."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with self._lock:
                self.raw.append(envelope.original_content)
        return reply


def create_registrations(event, count: int, prefix: str) -> None:
    from django.utils import timezone

    from registration.models import Registration

    now = timezone.now()
    zones = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]
    Registration.objects.bulk_create(
        Registration(
            event=event,
            name=f"Registrant {prefix} {n}",
            email=f"{prefix}-{n}@example.org",
            career_stage="Scholar",
            country="DE",
            timezone=zones[n % len(zones)],
            consented_at=now,
            privacy_notice_version="bench",
            state=Registration.State.PENDING,
            confirmed_at=now,
        )
        for n in range(count)
    )


def approve(event, prefix: str, by) -> int:
    from registration.models import Registration
    from registration.services import approve_registrations

    return approve_registrations(
        registrations=Registration.objects.filter(event=event, email__startswith=f"{prefix}-"),
        by=by,
    )


def wait_for(server: RecordingSMTPServer, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while server.count() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {server.count()} of {count} messages arrived in {timeout}s")
        time.sleep(0.005)
    return time.perf_counter()


def send_with_smtplib(messages, port: int, *, one_connection: bool) -> float:
    """Send (from, to, bytes) triples; returns the seconds it took."""
    began = time.perf_counter()
    if one_connection:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for sender, recipients, data in messages:
                smtp.sendmail(sender, recipients, data)
    else:
        for sender, recipients, data in messages:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.sendmail(sender, recipients, data)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--pool", choices=["prefork", "solo"], default="prefork")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    concurrency = 1 if args.pool == "solo" else args.concurrency

    smtp_port = free_port()
    mail_env = {
        "CELERY_BROKER_URL": common.BENCH_REDIS_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "30",
    }
    common.setup_django(**mail_env)
    common.fresh_database()
    common.flush_redis()

    from django.contrib.auth.models import User
    from django.db import connections

    from mailing.models import OutgoingEmail
    from workshop.importer import import_programme_file

    event = import_programme_file(common.REPO_DIR / "workshop/fixtures/sino-soviet-2021.yaml").event
    organizer = User.objects.create_user(username="bench-organizer")
    create_registrations(event, WARMUP, "warmup")
    create_registrations(event, args.count, "bench")
    connections.close_all()

    server = RawRecordingSMTPServer(port=smtp_port)
    server.start()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    worker = common.CeleryWorker(
        common.bench_env(**mail_env),
        log_dir / "worker.log",
        pool=args.pool,
        concurrency=concurrency,
    )
    try:
        worker.start()
        # Warm-up: every pool process imports, connects and compiles its templates once.
        approve(event, "warmup", organizer)
        wait_for(server, WARMUP, args.timeout)
        time.sleep(0.5)
        before = server.count()
        cpu0 = common.cpu_seconds(worker.pids())
        here0, machine0 = time.process_time(), common.machine_busy_seconds()

        began = time.perf_counter()
        approved = approve(event, "bench", organizer)
        enqueued = time.perf_counter()
        finished = wait_for(server, before + args.count, args.timeout)
        cpu1 = common.cpu_seconds(worker.pids())
        here1, machine1 = time.process_time(), common.machine_busy_seconds()
        time.sleep(1.0)  # anything doubled would arrive now
        received = server.received[before:]
    finally:
        worker.stop()
        common.flush_redis()

    pipeline = finished - began
    states = collections.Counter(
        OutgoingEmail.objects.filter(registration__email__startswith="bench-").values_list(
            "state", flat=True
        )
    )
    ids = collections.Counter(r.message_id for r in received)
    exactly_once = (
        approved == args.count
        and len(received) == args.count
        and len(ids) == args.count
        and states == {OutgoingEmail.State.SENT: args.count}
    )
    raw = server.raw[before:]
    messages = [
        (r.mail_from, list(r.rcpt_tos), data) for r, data in zip(received, raw, strict=True)
    ]
    sizes = sorted(len(m[2]) for m in messages)

    # The same messages with plain smtplib, to the same server.
    baseline = {}
    for one_connection in (False, True):
        start_count = server.count()
        seconds = send_with_smtplib(messages, smtp_port, one_connection=one_connection)
        wait_for(server, start_count + len(messages), 60)
        baseline[one_connection] = seconds
    server.stop()

    common.print_machine()
    rows = [
        [
            f"pipeline: approve → Celery ({args.pool}, concurrency {concurrency}) → SMTP",
            f"{pipeline:.2f}",
            f"{args.count / pipeline:.0f}",
            f"{1000 * pipeline / args.count:.1f}",
            "",
        ],
        [
            "smtplib, one connection per message",
            f"{baseline[False]:.2f}",
            f"{args.count / baseline[False]:.0f}",
            f"{1000 * baseline[False] / args.count:.1f}",
            f"{baseline[False] / pipeline:.2f}",
        ],
        [
            "smtplib, one connection for all",
            f"{baseline[True]:.2f}",
            f"{args.count / baseline[True]:.0f}",
            f"{1000 * baseline[True] / args.count:.1f}",
            f"{baseline[True] / pipeline:.2f}",
        ],
    ]
    common.print_table(
        f"Mail pipeline: {args.count} invitations (seed workshop, 12 sessions; message "
        f"{sizes[len(sizes) // 2] // 1024} KiB median) to aiosmtpd on loopback",
        ["what", "seconds", "messages/s", "ms/message", "smtplib ÷ pipeline"],
        rows,
    )
    print(
        f"\napprove_registrations + enqueue of {args.count} tasks: {enqueued - began:.2f} s; "
        f"exactly once (1 ledger row sent and 1 message per registration, no Message-ID twice): "
        f"{'yes' if exactly_once else f'NO: {states}, {len(received)} received, {len(ids)} ids'}"
    )
    here, busy = here1 - here0, machine1 - machine0
    print(
        f"CPU during the pipeline, ms per message: worker {1000 * (cpu1 - cpu0) / args.count:.1f}, "
        f"this process (approve + enqueue, SMTP server) {1000 * here / args.count:.1f}, "
        f"everything else (PostgreSQL, Redis, other processes) "
        f"{1000 * max(0.0, busy - here - (cpu1 - cpu0)) / args.count:.1f}; "
        f"machine busy {busy / pipeline:.2f} of {common.machine()['cores'].split()[0]} cores"
    )
    print("worker log:", log_dir / "worker.log")


if __name__ == "__main__":
    main()
