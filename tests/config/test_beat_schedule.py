"""Celery beat runs the daily and hourly jobs although it restarts more often than that.

Beat lost track in two ways. With its schedule file lost at each start (compose kept it in
/tmp, gone whenever the container is re-created), an entry "every 86400 s" is due a full day
after the start and never comes when beat restarts more often (the issue: 6 restarts, 0
purges). And a job is missed if beat is down at its time. Entries at fixed times (crontab)
run whenever beat is up at that time, and, with the schedule kept, once at the next start
for a time that passed while beat was down.

Each "start" here is Celery's own `PersistentScheduler`, created anew on a schedule file in
tmp_path, ticking on a simulated clock as `celery beat` does (tick, sleep for the delay it
returns) until it is stopped (closed, as on SIGTERM). What it would publish is recorded
instead of sent; nothing of ours is replaced.
"""

import copy
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pytest
from celery.beat import PersistentScheduler
from django.conf import settings

from config.celery import app

DAILY = ("mailing.purge_sent_bodies", "registration.erase_past_registrations")
HOURLY = ("registration.expire_unconfirmed",)
START = dt.datetime(2026, 3, 2, 9, 40, tzinfo=dt.UTC)
DAYS = 7

# The schedule before: every N seconds, counted from when beat started.
INTERVAL_SCHEDULE = {
    "sweep-email-ledger": {"task": "mailing.sweep_email_ledger", "schedule": 60.0},
    "expire-unconfirmed-registrations": {
        "task": "registration.expire_unconfirmed",
        "schedule": 3600.0,
    },
    "purge-sent-email-bodies": {"task": "mailing.purge_sent_bodies", "schedule": 86400.0},
}


@dataclass
class Beat:
    """A beat process that is started and stopped again and again on one clock."""

    schedule_file: str
    now: dt.datetime = START
    sent: list[tuple[str, dt.datetime]] = field(default_factory=list)
    starts: list[dt.datetime] = field(default_factory=list)

    def run(self, *, until: dt.datetime) -> None:
        beat = self

        class RecordingScheduler(PersistentScheduler):
            producer = None  # no broker connection: nothing is published

            def apply_async(self, entry, producer=None, advance=True, **kwargs):
                entry = self.reserve(entry) if advance else entry
                beat.sent.append((entry.task, beat.now))

        self.starts.append(self.now)
        scheduler = RecordingScheduler(app, schedule_filename=self.schedule_file)
        try:
            while self.now < until:
                delay = scheduler.tick()  # sends what is due, one entry per tick
                # beat sleeps for the delay (trimmed by 10 ms of drift), or not at all; a
                # pass through its loop takes a few milliseconds of the clock too.
                self.now = min(self.now + dt.timedelta(seconds=max(delay, 0.01)), until)
        finally:
            scheduler.close()

    def runs(self, task: str) -> list[dt.datetime]:
        return [at for name, at in self.sent if name == task]


@pytest.fixture
def beat_clock(monkeypatch):
    """A beat with ``schedule`` on ``schedule_file``, whose clock (every schedule asks the
    app for `now`) is the simulation's."""
    previous = app.conf.beat_schedule

    def simulate(schedule: dict, schedule_file: str) -> Beat:
        beat = Beat(schedule_file=schedule_file)
        monkeypatch.setattr(app, "now", lambda: beat.now)
        app.conf.beat_schedule = copy.deepcopy(schedule)
        return beat

    yield simulate
    app.conf.beat_schedule = previous


def restart_often(
    beat: Beat,
    *,
    up: dt.timedelta,
    down: dt.timedelta,
    lose_schedule: bool,
    tmp_path,
) -> None:
    """Run beat for ``up``, stop it for ``down``, start it again, … for DAYS days. With
    ``lose_schedule`` each start gets a new, empty schedule file (a container re-created
    with its schedule in /tmp)."""
    end = START + dt.timedelta(days=DAYS)
    restart = 0
    while beat.now < end:
        if lose_schedule:
            beat.schedule_file = str(tmp_path / f"schedule-{restart}")
        beat.run(until=min(beat.now + up, end))
        beat.now += down
        restart += 1


def days_without(beat: Beat, task: str) -> list[dt.date]:
    """The whole days of the simulation on which ``task`` was not sent."""
    days = Counter(at.date() for at in beat.runs(task))
    first_full_day = START.date() + dt.timedelta(days=1)
    return [
        first_full_day + dt.timedelta(days=n)
        for n in range(DAYS - 1)
        if not days[first_full_day + dt.timedelta(days=n)]
    ]


def hours_without(beat: Beat, task: str, *, down: dt.timedelta, up: dt.timedelta) -> list:
    """Clock hours during which beat ran throughout, yet ``task`` was not sent."""
    sent = {at.replace(minute=0, second=0, microsecond=0) for at in beat.runs(task)}
    hours = []
    hour = START.replace(minute=0) + dt.timedelta(hours=1)
    while hour + dt.timedelta(hours=1) <= START + dt.timedelta(days=DAYS):
        up_throughout = any(
            start <= hour and hour + dt.timedelta(hours=1) <= start + up for start in beat.starts
        )
        if up_throughout and hour not in sent:
            hours.append(hour)
        hour += dt.timedelta(hours=1)
    return hours


# Beat restarted 6 times a day (deploys re-creating the container), down a minute each time.
OFTEN = {"up": dt.timedelta(hours=4), "down": dt.timedelta(minutes=1)}
# Restarted every 7 h 40 min and down 40 minutes each time: some daily job's time falls
# into a stop now and then.
LONG_STOPS = {"up": dt.timedelta(hours=7), "down": dt.timedelta(minutes=40)}


@pytest.mark.parametrize(
    ("pattern", "lose_schedule"),
    [
        (OFTEN, False),
        (LONG_STOPS, False),
        # A schedule lost at every start (compose kept it in /tmp) cannot know what was
        # missed while beat was down, but a job whose time comes while beat is up runs.
        (OFTEN, True),
    ],
    ids=["often", "long-stops", "often-schedule-lost"],
)
def test_daily_jobs_sent_every_day_although_beat_restarts_more_often(
    beat_clock, tmp_path, pattern, lose_schedule
):
    beat = beat_clock(settings.CELERY_BEAT_SCHEDULE, str(tmp_path / "schedule"))

    restart_often(beat, **pattern, lose_schedule=lose_schedule, tmp_path=tmp_path)

    assert len(beat.starts) > DAYS
    for task in DAILY:
        assert days_without(beat, task) == [], task
        # Once a day, not once per start.
        assert max(Counter(at.date() for at in beat.runs(task)).values()) == 1, task
    for task in HOURLY:
        assert hours_without(beat, task, **pattern) == [], task


def test_daily_job_missed_while_beat_was_down_runs_once_when_it_starts_again(beat_clock, tmp_path):
    beat = beat_clock(settings.CELERY_BEAT_SCHEDULE, str(tmp_path / "schedule"))

    restart_often(beat, **LONG_STOPS, lose_schedule=False, tmp_path=tmp_path)

    # Some days the job's time fell into a stop: it ran at the next start, once.
    for task in DAILY:
        caught_up = [
            at
            for at in beat.runs(task)
            if any(start <= at < start + dt.timedelta(seconds=1) for start in beat.starts)
        ]
        assert caught_up, task
        assert len(beat.runs(task)) == len(set(at.date() for at in beat.runs(task)))


def test_interval_schedule_of_before_never_ran_the_daily_purge_with_restarts(beat_clock, tmp_path):
    """What the issue saw: beat re-created with its schedule in /tmp, six times a day — an
    interval of a day never elapses, and the purge never runs."""
    beat = beat_clock(INTERVAL_SCHEDULE, str(tmp_path / "schedule"))

    restart_often(beat, **OFTEN, lose_schedule=True, tmp_path=tmp_path)

    assert len(beat.starts) == 6 * DAYS
    assert beat.runs("mailing.purge_sent_bodies") == []
    assert len(days_without(beat, "mailing.purge_sent_bodies")) == DAYS - 1


def test_every_periodic_task_of_the_schedule_exists():
    app.loader.import_default_modules()  # the apps' tasks modules
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names <= set(app.tasks), names - set(app.tasks)
    assert set(DAILY) | set(HOURLY) <= names
