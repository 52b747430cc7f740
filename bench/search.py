"""Benchmark of the archive search on PostgreSQL: 2,000 events, 20,000 sessions.

    .venv/bin/python bench/search.py [--runs 30] [--events 2000] [--sessions-per-event 10]

Self-contained. It drops and creates the PostgreSQL database ``bench_search`` (on
``BENCH_PG_URL``, default ``postgres://root@127.0.0.1:5432``; never any other database),
migrates it, fills it with bulk inserts (events with tags, sections, sessions with
abstracts, people with bios and per-event affiliations, roles), runs VACUUM ANALYZE, then
times typical searches twice: a direct call of the search service
(``search.service.search``) and the whole page through Django's test client
(template rendering included). It prints p50/p95 latency, the number of SQL queries and the
result counts of each search. Figures are printed, never asserted.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://root@127.0.0.1:5432")
BENCH_DB = "bench_search"

if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))


def configure() -> None:
    var_dir = Path(tempfile.gettempdir()) / "bench_search_var"
    var_dir.mkdir(exist_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{PG_URL}/{BENCH_DB}",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SITE_URL": "http://127.0.0.1:8000",
            "DJANGO_VAR_DIR": str(var_dir),
            "DJANGO_MANIFEST_STATIC": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": "",
            "CACHE_URL": "",
            "EMAIL_HOST": "",
        }
    )


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


# --- data ------------------------------------------------------------------------------------

# Word frequencies follow Zipf's law over a vocabulary of about 4,000 words: function words
# first, then the programme's domain words ("china" is in about a fifth of the abstracts,
# "railway" in one in ten), then a long tail of rare real words and made-up ones.
FUNCTION = """the of and in to a on for with from as by at between its their was were which this
that during after before under into over new""".split()
DOMAIN = """early late study history economic political social cultural socialist soviet china
chinese europe european state states world global war cold industry industrial trade
technology transfer transfers cooperation development model models planning plan policy
policies exchange exchanges experts engineers workers archives sources network networks
knowledge institute university research press railway railways steel machine machines power
plant plants loans designs alliance split conflict relations comrades council mutual aid fair
market markets capitalism socialism modern century decade government party bureaucracy
ministry factories factory collieries agriculture grain education students scholars science
sciences culture memory migration city cities urban rural empire empires nation national
international transnational regional local border borders east west eastern western central
south southern north northern""".split()
RARE = """philology psychology philosophy psychoanalysis geology archaeology anthropology
musicology theology ideology methodology chronology sociology leipzig budapest berlin prague
warsaw moscow beijing shanghai hangzhou conakry albania hungary comecon stalinist maoist
manchuria tongji fudan zhejiang gwzo leibniz monash stanford edinburgh leuven norfolk""".split()
CITIES = """Leipzig Budapest Berlin Prague Warsaw Moscow Beijing Shanghai Hangzhou Tokyo Vienna
Edinburgh Leuven Norfolk Melbourne Cambridge Stanford Oxford Harvard Bologna Kraków Tartu
Sofia Belgrade Zagreb Ljubljana Bratislava Vilnius Riga Helsinki""".split()
SYLLABLES = "ka re mi tor san vel dun pra ske lun bor tid nem gar fos wen cal rud pim hest".split()
GERMAN = """und der die das für mit von zur zum geschichte wirtschaft politik gesellschaft
kultur osteuropa forschung tagung vortrag zusammenarbeit wissenschaft""".split()
SURNAMES = """Chen Zofka Jiang Vámos Müller Belogurova Trecker Jersild Marku Marung Lin Zanier
Boecking Schäfer Hirata Kaske Sanchez Rößler Michaels Kovács Novak Horvat Ivanov Petrov Wang
Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Luo Schmidt Schneider
Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann""".split()
GIVEN = """Tao Jan Huajie Péter Uwe Anna Max Austin Ylber Steffi Valeria Felix Bernd Koji
Elisabeth Oscar Ines Virginie Maria Jana Petra Eva Olga Ivan Li Wei Mei Lan Hans Karl Klaus
Sabine Ute Sophie Lukas Jonas Lea""".split()
SUBJECTS = [
    "History / archaeology", "Politics", "Economics / business administration",
    "Cultural sciences", "Social studies", "Geosciences", "Language / literature",
    "Philosophy / ethics", "Law", "Media and communication sciences",
]  # fmt: skip
TYPES = ["Seminar / workshop / discussion", "Conference / symposium", "Lecture / talk"]
GROUPS = ["Scientists and scholars", "Students", "Journalists", "Everybody"]
PHRASES = [
    "the Sino-Soviet split",
    "trade with socialist comrades",
    "technology transfer and industrial cooperation",
    "the Leipzig Trade Fair",
    "Federal Republic of Germany",
]


class Writer:
    """Zipf-distributed text from a fixed vocabulary (see `FUNCTION`)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        made_up = sorted({a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES})
        rng.shuffle(made_up)
        # Domain words every 10th rank from 30 on, rare ones every 150th from 1,500 on.
        words = list(FUNCTION)
        domain, rare = iter(DOMAIN), iter(RARE)
        for word in made_up[:6000]:
            rank = len(words)
            pick = next(domain, None) if rank % 10 == 0 else None
            if pick is None and rank >= 1500 and rank % 150 == 0:
                pick = next(rare, None)
            words.extend([pick, word] if pick else [word])
        self.words = words
        self.weights = [1 / rank for rank in range(1, len(words) + 1)]
        self.german = GERMAN

    def words_(self, n: int) -> list[str]:
        words = self.rng.choices(self.words, weights=self.weights, k=n)
        if self.rng.random() < 0.1:
            words[self.rng.randrange(n)] = self.rng.choice(self.german)
        return words

    def sentence(self, n: int) -> str:
        words = self.words_(n)
        if self.rng.random() < 0.015:
            words.insert(self.rng.randrange(len(words)), self.rng.choice(PHRASES))
        text = " ".join(words)
        return text[:1].upper() + text[1:] + "."

    def paragraph(self, words: int) -> str:
        parts, left = [], words
        while left > 0:
            n = min(left, self.rng.randint(8, 20))
            parts.append(self.sentence(n))
            left -= n
        # Hard-wrapped like the programme files' Markdown.
        text, lines, line = " ".join(parts), [], ""
        for word in text.split():
            if len(line) + len(word) > 88:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        return "\n".join([*lines, line])

    def title(self, n: int) -> str:
        return " ".join(self.words_(n)).title()


def build(*, events: int, sessions_per_event: int, people: int, seed: int = 2021) -> dict:
    import datetime as dt

    from django.db import connection

    from workshop.models import (
        Event,
        EventPerson,
        EventType,
        Person,
        Section,
        Session,
        SessionRole,
        SubjectArea,
        TargetGroup,
    )

    rng = random.Random(seed)
    write = Writer(rng)
    areas = SubjectArea.objects.bulk_create(SubjectArea(name=n) for n in SUBJECTS)
    types = EventType.objects.bulk_create(EventType(name=n) for n in TYPES)
    groups = TargetGroup.objects.bulk_create(TargetGroup(name=n) for n in GROUPS)

    first_day = dt.datetime(2016, 1, 4, 8, tzinfo=dt.UTC)
    span_days = 14 * 365  # 2016 to 2029: a past archive and a year or so ahead
    zones = ["Europe/Berlin", "Asia/Shanghai", "America/New_York", "Australia/Melbourne"]
    created = Event.objects.bulk_create(
        (
            Event(
                slug=f"event-{n}",
                title=write.title(rng.randint(4, 9)),
                subtitle=write.title(rng.randint(3, 8)) if rng.random() < 0.6 else "",
                kind=rng.choice(Event.Kind.values),
                description=write.paragraph(rng.randint(60, 160)),
                timezone=rng.choice(zones),
                language="de" if rng.random() < 0.2 else "en",
                organizer=f"Institute of {write.title(2)}, {rng.choice(CITIES)}",
                meeting_url=f"https://zoom.us/j/9{n:010d}",
                meeting_id=f"9{n:010d}",
                meeting_passcode=f"pass-{n}",
            )
            for n in range(events)
        ),
        batch_size=1000,
    )
    through = [
        (Event.subject_areas.through, "subjectarea_id", areas, 3),
        (Event.event_types.through, "eventtype_id", types, 1),
        (Event.target_groups.through, "targetgroup_id", groups, 2),
    ]
    for model, column, tags, most in through:
        model.objects.bulk_create(
            (
                model(event_id=e.pk, **{column: tag.pk})
                for e in created
                for tag in rng.sample(tags, rng.randint(1, most))
            ),
            batch_size=5000,
        )
    sections = Section.objects.bulk_create(
        (
            Section(event=e, title=f"{write.title(rng.randint(2, 6))} {k}", position=k)
            for e in created
            for k in range(3)
        ),
        batch_size=5000,
    )
    persons = Person.objects.bulk_create(
        (
            Person(
                key=f"person-{n}",
                name=f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}",
                bio=write.paragraph(rng.randint(20, 90)) if rng.random() < 0.7 else "",
                email=f"person{n}@example.org",
            )
            for n in range(people)
        ),
        batch_size=5000,
    )
    sessions = []
    for index, event in enumerate(created):
        day = first_day + dt.timedelta(days=rng.randrange(span_days), hours=rng.randint(0, 8))
        for k in range(sessions_per_event):
            is_break = k == sessions_per_event // 2
            start = day + dt.timedelta(hours=k)
            sessions.append(
                Session(
                    event=event,
                    section=None if k == 0 else sections[3 * index + k * 3 // sessions_per_event],
                    kind=Session.Kind.BREAK if is_break else Session.Kind.TALK,
                    title="Lunch break" if is_break else write.title(rng.randint(5, 14)),
                    abstract="" if is_break else write.paragraph(rng.randint(60, 180)),
                    start=start,
                    end=start + dt.timedelta(minutes=50),
                )
            )
    sessions = Session.objects.bulk_create(sessions, batch_size=5000)
    roles, links = [], set()
    for session in sessions:
        if session.kind == Session.Kind.BREAK:
            continue
        for role, person in zip(("speaker", "chair"), rng.sample(persons, 2), strict=True):
            roles.append(SessionRole(session=session, person=person, role=role))
            links.add((session.event_id, person.pk))
    SessionRole.objects.bulk_create(roles, batch_size=5000)
    EventPerson.objects.bulk_create(
        (
            EventPerson(
                event_id=e,
                person_id=p,
                affiliation=f"{rng.choice(['University', 'Academy', 'Institute'])} of "
                f"{rng.choice(CITIES)}",
            )
            for e, p in links
        ),
        batch_size=5000,
    )
    # What autovacuum would do soon after a bulk load: merge the GIN indexes' pending lists
    # (until then the planner prices the trigram indexes far too high) and gather statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "events": len(created),
        "sessions": len(sessions),
        "people": len(persons),
        "roles": len(roles),
        "event people": len(links),
    }


# --- timing ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def cases():
    from workshop.models import SubjectArea

    history = SubjectArea.objects.get(name="History / archaeology").pk
    politics = SubjectArea.objects.get(name="Politics").pk
    return [
        ("word: china", {"q": "china"}),
        ("fragment: logy", {"q": "logy"}),
        ("phrase + or", {"q": '"Sino-Soviet split" and (trade or technology)'}),
        ("announcement", {"q": "(Philo not logy) or (Psycho and logy)"}),
        ("und nicht", {"q": "Leipzig und nicht Budapest"}),
        ("rare name", {"q": "Zanier"}),
        ("everything: the", {"q": "the"}),
        ("word + criteria", {"q": "railway", "subject_area": history, "when": "upcoming"}),
        ("criteria only", {"subject_area": [history, politics], "language": "de"}),
        ("word, page 3", {"q": "china", "sessions_page": 3, "people_page": 2}),
        ("no words, facets", {}),
    ]


def criteria_and_pages(params: dict):
    from django.http import QueryDict

    from search.views import SearchForm, _page_numbers, criteria_from

    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in (value if isinstance(value, list) else [value])])
    form = SearchForm(query)
    form.is_valid()
    return query.get("q", ""), criteria_from(query, form), _page_numbers(query)


def measure(runs: int) -> list[tuple]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from search.service import search

    client = Client()
    rows = []
    for name, params in cases():
        text, criteria, pages = criteria_and_pages(params)
        with CaptureQueriesContext(connection) as captured:
            results = search(text, criteria, pages=pages)
        queries = len(captured)
        totals = (results.events.total, results.sessions.total, results.people.total)
        for _ in range(3):  # warm-up
            search(text, criteria, pages=pages)
            client.get("/search/", params)
        service, page = [], []
        for _ in range(runs):
            started = time.perf_counter()
            search(text, criteria, pages=pages)
            service.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            response = client.get("/search/", params)
            page.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            reset_queries()
        rows.append(
            (
                name,
                queries,
                totals,
                statistics.median(service),
                percentile(service, 0.95),
                statistics.median(page),
                percentile(page, 0.95),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--sessions-per-event", type=int, default=10)
    parser.add_argument("--people", type=int, default=6000)
    args = parser.parse_args()

    configure()
    # WhiteNoise notes that collectstatic has not run; the page serves no static files here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    sizes = build(
        events=args.events, sessions_per_event=args.sessions_per_event, people=args.people
    )
    built = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]

    print(f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(
        "data: "
        + ", ".join(f"{n:,} {what}" for what, n in sizes.items())
        + f" (built in {built:.0f} s)"
    )
    print(f"{args.runs} runs each after 3 warm-ups; milliseconds\n")
    row = "{:<18} {:>3}  {:>22}  {:>11} {:>6}  {:>8} {:>6}"
    print(
        row.format(
            "search", "SQL", "events/sessions/people", "service p50", "p95", "page p50", "p95"
        )
    )
    for name, queries, totals, *times in measure(args.runs):
        counts = "/".join(f"{n:,}" for n in totals)
        print(row.format(name, queries, counts, *(f"{t:.1f}" for t in times)))


if __name__ == "__main__":
    main()
