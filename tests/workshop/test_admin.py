"""The programme admin: times in the event's zone, bounded queries, validation, escaping."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext

from tests.factories import (
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.workshop.admin_forms import (
    add_session_row,
    event_change_url,
    get_event_form,
    parse_form,
    session_change_url,
)
from tests.workshop.pages import texts
from workshop.admin import EventAdmin
from workshop.admin_forms import EventSectionChoiceField
from workshop.models import Section, Session

pytestmark = pytest.mark.django_db

UTC = dt.UTC
XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    """Query counts must not depend on which test warmed the process-wide cache."""
    ContentType.objects.clear_cache()


# ---------------------------------------------------------------------------------------------
# Reading a rendered admin form back into POST data, the way a browser would submit it


def zone_note(response) -> str:
    """The sentence at the top of a change form saying in which zone its times are."""
    [note] = texts(response, "zone-note")
    return note


def in_event_zone(named: str) -> str:
    return gettext("Times on this page are in %(zone)s, the event’s time zone.") % {"zone": named}


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# Changelists


@pytest.mark.parametrize("count", [1, 50])
def test_event_changelist_queries_bounded(admin_client, django_assert_max_num_queries, count):
    for _ in range(count):
        event = EventFactory()
        SessionFactory(event=event)
    with django_assert_max_num_queries(6):
        response = admin_client.get(reverse("admin:workshop_event_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


@pytest.mark.parametrize("count", [1, 50])
def test_session_changelist_queries_bounded(admin_client, django_assert_max_num_queries, count):
    events = [EventFactory(), EventFactory(timezone="Asia/Kathmandu")]
    sections = [SectionFactory(event=event) for event in events]
    for index in range(count):
        session = SessionFactory(event=events[index % 2], section=sections[index % 2])
        SessionRoleFactory(session=session)
    with django_assert_max_num_queries(6):
        response = admin_client.get(reverse("admin:workshop_session_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


@pytest.mark.parametrize("count", [1, 50])
def test_person_changelist_queries_bounded(admin_client, django_assert_max_num_queries, count):
    event = EventFactory()
    for _ in range(count):
        person = PersonFactory()
        SessionRoleFactory(session=SessionFactory(event=event), person=person)
        EventPersonFactory(event=event, person=person)
    with django_assert_max_num_queries(5):
        response = admin_client.get(reverse("admin:workshop_person_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


def test_event_changelist_shows_first_session_in_event_zone(admin_client):
    berlin = EventFactory(slug="berlin-event", timezone="Europe/Berlin")
    SessionFactory(event=berlin, start=dt.datetime(2021, 7, 1, 10, tzinfo=UTC))
    SessionFactory(event=berlin, start=dt.datetime(2021, 7, 2, 8, tzinfo=UTC))
    kathmandu = EventFactory(slug="kathmandu-event", timezone="Asia/Kathmandu")
    SessionFactory(event=kathmandu, start=dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC))

    content = admin_client.get(reverse("admin:workshop_event_changelist")).content.decode()

    assert "2021-07-01 12:00 CEST (Europe/Berlin)" in content
    assert "2021-07-01 12:00 UTC+05:45 (Asia/Kathmandu)" in content
    assert '<td class="field-session_count">2</td>' in content
    assert '<td class="field-session_count">1</td>' in content


def test_session_changelist_shows_start_in_event_zone(admin_client):
    event = EventFactory(timezone="America/New_York")
    SessionFactory(event=event, start=dt.datetime(2021, 7, 1, 10, tzinfo=UTC))

    content = admin_client.get(reverse("admin:workshop_session_changelist")).content.decode()

    assert "2021-07-01 06:00 EDT (America/New_York)" in content


def test_person_changelist_counts_roles(admin_client):
    person = PersonFactory(name="Tao Chen")
    SessionRoleFactory(person=person)
    SessionRoleFactory(person=person, role="chair")
    PersonFactory(name="Jan Zofka")

    response = admin_client.get(reverse("admin:workshop_person_changelist"))

    counts = {row.name: row.role_count for row in response.context["cl"].result_list}
    assert counts == {"Tao Chen": 2, "Jan Zofka": 0}


def test_session_changelist_search_finds_people_names(admin_client):
    session = SessionFactory(title="Trade with Socialist Comrades?")
    SessionRoleFactory(session=session, person=PersonFactory(name="Huajie Jiang"))
    SessionRoleFactory(session=session, person=PersonFactory(name="Péter Vámos"))
    SessionFactory(title="China and the Leipzig Trade Fair")

    response = admin_client.get(reverse("admin:workshop_session_changelist"), {"q": "Jiang"})

    assert [s.title for s in response.context["cl"].result_list] == [
        "Trade with Socialist Comrades?"
    ]


def test_changelists_never_show_meeting_passcode(admin_client):
    event = EventFactory(meeting_passcode="s3cret-pass")
    SessionFactory(event=event, meeting_passcode="0ther-s3cret")

    for name in ("event", "session"):
        content = admin_client.get(reverse(f"admin:workshop_{name}_changelist")).content.decode()
        assert "s3cret-pass" not in content
        assert "0ther-s3cret" not in content


# ---------------------------------------------------------------------------------------------
# Event change form: times in the event's zone


@pytest.mark.parametrize(
    ("zone", "stored", "named"),
    [
        (
            "Europe/Berlin",
            dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
            "Europe/Berlin (CEST, UTC+02:00)",
        ),
        (
            "Asia/Kathmandu",
            dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC),
            "Asia/Kathmandu (UTC+05:45)",
        ),
    ],
)
def test_event_change_form_reads_session_times_in_event_zone(admin_client, zone, stored, named):
    event = EventFactory(timezone=zone)
    data, _ = get_event_form(admin_client, event)
    add_session_row(
        data,
        event.pk,
        title="Opening",
        start_0="2021-07-01",
        start_1="12:00",
        end_0="2021-07-01",
        end_1="12:30",
    )

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302, response.content.decode()
    session = Session.objects.get(event=event)
    assert session.start == stored
    assert session.end == stored + dt.timedelta(minutes=30)

    response = admin_client.get(event_change_url(event))
    data, _ = parse_form(response, "event_form")
    assert data["sessions-0-start_0"] == "2021-07-01"
    assert data["sessions-0-start_1"] == "12:00:00"
    assert data["sessions-0-end_1"] == "12:30:00"
    assert zone_note(response).startswith(in_event_zone(named))


def test_event_change_form_reads_registration_times_in_event_zone(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    data, _ = get_event_form(admin_client, event)
    data.update(
        {
            "registration_opens_0": "2021-05-15",
            "registration_opens_1": "09:00",
            "registration_closes_0": "2021-06-30",
            "registration_closes_1": "23:59",
        }
    )

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.registration_opens == dt.datetime(2021, 5, 15, 7, 0, tzinfo=UTC)
    assert event.registration_closes == dt.datetime(2021, 6, 30, 21, 59, tzinfo=UTC)


def test_event_change_form_changing_zone_keeps_clock_times(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    session = SessionFactory(
        event=event,
        start=dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 11, 0, tzinfo=UTC),
    )
    data, _ = get_event_form(admin_client, event)
    assert data["sessions-0-start_1"] == "12:00:00"
    data["timezone"] = "Asia/Kathmandu"

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.start == dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC)
    assert session.end == dt.datetime(2021, 7, 1, 7, 15, tzinfo=UTC)
    assert session.sequence == 1


def test_event_add_form_reads_times_in_posted_zone(admin_client):
    response = admin_client.get(reverse("admin:workshop_event_add"))
    assert zone_note(response) == str(EventAdmin.unknown_zone_note)
    data, _ = parse_form(response, "event_form")
    data.update({"title": "Seminar", "slug": "seminar", "timezone": "Asia/Kathmandu"})
    add_session_row(
        data,
        None,
        title="Talk",
        start_0="2021-07-01",
        start_1="12:00",
        end_0="2021-07-01",
        end_1="13:00",
    )

    response = admin_client.post(reverse("admin:workshop_event_add"), data)

    assert response.status_code == 302, response.content.decode()
    session = Session.objects.get(event__slug="seminar")
    assert session.start == dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC)


def test_event_change_form_rejects_unknown_zone(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    data, _ = get_event_form(admin_client, event)
    data["timezone"] = "Mars/Olympus_Mons"

    content = errors_of(admin_client.post(event_change_url(event), data))

    assert (
        gettext("“%(value)s” is not an IANA time zone name (e.g. Europe/Berlin).")
        % {"value": "Mars/Olympus_Mons"}
        in content
    )
    event.refresh_from_db()
    assert event.timezone == "Europe/Berlin"


def test_event_change_form_rejects_overlapping_sessions(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    SessionFactory(
        event=event,
        title="Trade",
        start=dt.datetime(2021, 7, 1, 10, 30, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 11, 30, tzinfo=UTC),
    )
    data, _ = get_event_form(admin_client, event)
    add_session_row(
        data,
        event.pk,
        title="Opening",
        start_0="2021-07-01",
        start_1="12:00",
        end_0="2021-07-01",
        end_1="13:00",
    )

    content = errors_of(admin_client.post(event_change_url(event), data))

    assert (
        gettext(
            "“%(title_a)s” (%(span_a)s) overlaps “%(title_b)s” (%(span_b)s). "
            "Sessions of one event may not overlap."
        )
        % {
            "title_a": "Opening",
            "span_a": "2021-07-01 12:00–13:00",
            "title_b": "Trade",
            "span_b": "2021-07-01 12:30–13:30",
        }
    ) in content
    assert list(Session.objects.values_list("title", flat=True)) == ["Trade"]


def test_event_change_form_accepts_back_to_back_sessions(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    SessionFactory(
        event=event,
        start=dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 10, 30, tzinfo=UTC),
    )
    data, _ = get_event_form(admin_client, event)
    add_session_row(
        data,
        event.pk,
        kind="break",
        start_0="2021-07-01",
        start_1="12:30",
        end_0="2021-07-01",
        end_1="13:00",
    )

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    assert Session.objects.filter(event=event).count() == 2


def test_event_change_form_rejects_session_ending_before_start(admin_client):
    event = EventFactory()
    data, _ = get_event_form(admin_client, event)
    add_session_row(
        data,
        event.pk,
        title="Backwards",
        start_0="2021-07-01",
        start_1="12:00",
        end_0="2021-07-01",
        end_1="11:00",
    )

    content = errors_of(admin_client.post(event_change_url(event), data))

    assert gettext("A session must end after it starts.") in content
    assert not Session.objects.exists()


def test_event_session_inline_offers_only_event_sections(admin_client):
    event = EventFactory()
    own = SectionFactory(event=event, title="Trade")
    other = SectionFactory(title="Elsewhere")
    SessionFactory(event=event)

    data, options = get_event_form(admin_client, event)

    assert options["sessions-0-section"] == [("", "---------"), (str(own.pk), "Trade")]
    data["sessions-0-section"] = str(other.pk)
    content = errors_of(admin_client.post(event_change_url(event), data))
    assert str(EventSectionChoiceField.default_error_messages["invalid_choice"]) in content
    assert Session.objects.get().section is None


def test_event_change_form_deletes_section_used_by_edited_session(admin_client):
    event = EventFactory()
    section = SectionFactory(event=event)
    session = SessionFactory(event=event, section=section, title="Old title")
    data, _ = get_event_form(admin_client, event)
    data["sections-0-DELETE"] = "on"
    data["sessions-0-title"] = "New title"

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    assert not Section.objects.exists()
    session.refresh_from_db()
    assert (session.title, session.section) == ("New title", None)


@pytest.mark.parametrize("count", [1, 50])
def test_event_change_form_queries_bounded(admin_client, django_assert_max_num_queries, count):
    event = EventFactory()
    sections = [SectionFactory(event=event), SectionFactory(event=event)]
    for index in range(count):
        SessionFactory(event=event, section=sections[index % 2])
    with django_assert_max_num_queries(18):
        response = admin_client.get(event_change_url(event))
    assert response.status_code == 200
    start = capfirst(Session._meta.get_field("start").verbose_name)
    assert f"{start} (Europe/Berlin)" in response.content.decode()


def test_person_autocomplete_finds_people_by_name(admin_client):
    PersonFactory(name="Tao Chen", key="tao-chen")
    PersonFactory(name="Jan Zofka", key="jan-zofka")
    PersonFactory(name="Anna Tao", key="anna-tao")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "workshop",
            "model_name": "eventperson",
            "field_name": "person",
            "term": "tao",
        },
    )

    assert [item["text"] for item in response.json()["results"]] == ["Anna Tao", "Tao Chen"]


def test_event_meeting_change_raises_session_sequence(admin_client):
    event = EventFactory()
    session = SessionFactory(event=event)
    data, _ = get_event_form(admin_client, event)
    data["meeting_url"] = "https://zoom.us/j/5550002222"

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.sequence == 1


def test_event_change_form_keeps_sequence_when_times_unchanged(admin_client):
    event = EventFactory()
    session = SessionFactory(event=event, title="Old title")
    data, _ = get_event_form(admin_client, event)
    data["sessions-0-title"] = "New title"

    response = admin_client.post(event_change_url(event), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.sequence) == ("New title", 0)


# ---------------------------------------------------------------------------------------------
# Session change form


def test_session_change_form_reads_start_in_event_zone_after_dst_change(admin_client):
    session = SessionFactory(
        event=EventFactory(timezone="Europe/Berlin"),
        start=dt.datetime(2031, 3, 29, 9, 0, tzinfo=UTC),
        end=dt.datetime(2031, 3, 29, 10, 0, tzinfo=UTC),
    )
    response = admin_client.get(session_change_url(session))
    assert zone_note(response).startswith(in_event_zone("Europe/Berlin (CET, UTC+01:00)"))
    data, _ = parse_form(response, "session_form")
    assert (data["start_0"], data["start_1"]) == ("2031-03-29", "10:00:00")
    data.update(
        {"start_0": "2031-03-30", "start_1": "03:00", "end_0": "2031-03-30", "end_1": "04:00"}
    )

    response = admin_client.post(session_change_url(session), data)

    assert response.status_code == 302, response.content.decode()
    session.refresh_from_db()
    assert session.start == dt.datetime(2031, 3, 30, 1, 0, tzinfo=UTC)
    assert session.end == dt.datetime(2031, 3, 30, 2, 0, tzinfo=UTC)
    assert session.sequence == 1
    response = admin_client.get(session_change_url(session))
    content = response.content.decode()
    assert zone_note(response).startswith(in_event_zone("Europe/Berlin (CEST, UTC+02:00)"))
    assert 'name="start_1" value="03:00:00"' in content


def test_session_change_form_rejects_time_skipped_by_dst(admin_client):
    session = SessionFactory(event=EventFactory(timezone="Europe/Berlin"))
    data, _ = parse_form(admin_client.get(session_change_url(session)), "session_form")
    data.update(
        {"start_0": "2031-03-30", "start_1": "02:30", "end_0": "2031-03-30", "end_1": "04:00"}
    )

    content = errors_of(admin_client.post(session_change_url(session), data))

    assert "couldn’t be interpreted in time zone Europe/Berlin" in content


def test_session_add_form_reads_times_in_chosen_event_zone(admin_client):
    event = EventFactory(timezone="Asia/Kathmandu")
    url = reverse("admin:workshop_session_add")
    response = admin_client.get(url, {"event": event.pk})
    assert zone_note(response) == in_event_zone("Asia/Kathmandu (UTC+05:45)")
    data, _ = parse_form(response, "session_form")
    assert data["event"] == str(event.pk)
    data.update(
        {
            "title": "Talk",
            "start_0": "2021-07-01",
            "start_1": "12:00",
            "end_0": "2021-07-01",
            "end_1": "13:00",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert Session.objects.get().start == dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC)


def test_session_change_form_offers_only_event_sections(admin_client):
    event = EventFactory()
    first = SectionFactory(event=event, title="Trade")
    second = SectionFactory(event=event, title="Technology")
    other = SectionFactory(title="Elsewhere")
    session = SessionFactory(event=event)

    data, options = parse_form(admin_client.get(session_change_url(session)), "session_form")

    assert options["section"] == [
        ("", "---------"),
        (str(first.pk), "Trade"),
        (str(second.pk), "Technology"),
    ]
    data["section"] = str(other.pk)
    content = errors_of(admin_client.post(session_change_url(session), data))
    assert gettext("Choose one of the sections of this session’s event.") in content
    session.refresh_from_db()
    assert session.section is None


def test_session_change_form_rejects_overlap_with_other_session(admin_client):
    event = EventFactory(timezone="Europe/Berlin")
    SessionFactory(
        event=event,
        title="Keynote",
        start=dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 11, 0, tzinfo=UTC),
    )
    session = SessionFactory(
        event=event,
        title="Talk",
        start=dt.datetime(2021, 7, 1, 12, 0, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 13, 0, tzinfo=UTC),
    )
    data, _ = parse_form(admin_client.get(session_change_url(session)), "session_form")
    data.update({"start_1": "12:45", "end_1": "13:30"})

    content = errors_of(admin_client.post(session_change_url(session), data))

    expected = gettext(
        "“%(title_a)s” (%(span_a)s) overlaps “%(title_b)s” (%(span_b)s). "
        "Sessions of one event may not overlap."
    ) % {
        "title_a": "Talk",
        "span_a": "2021-07-01 12:45–13:30",
        "title_b": "Keynote",
        "span_b": "2021-07-01 12:00–13:00",
    }
    assert expected in content
    session.refresh_from_db()
    assert session.start == dt.datetime(2021, 7, 1, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Escaping


def test_admin_escapes_markup_in_titles_and_names(admin_client):
    event = EventFactory(title=XSS)
    person = PersonFactory(name=XSS)
    session = SessionFactory(event=event, title=XSS)
    SessionRoleFactory(session=session, person=person)
    EventPersonFactory(event=event, person=person)
    urls = [
        reverse("admin:workshop_event_changelist"),
        event_change_url(event),
        reverse("admin:workshop_session_changelist"),
        session_change_url(session),
        reverse("admin:workshop_person_changelist"),
        reverse("admin:workshop_person_change", args=[person.pk]),
    ]
    for url in urls:
        response = admin_client.get(url)
        content = response.content.decode()
        assert response.status_code == 200
        assert XSS not in content, url
        assert "<img src=x" not in content, url
        assert escape(XSS) in content, url
