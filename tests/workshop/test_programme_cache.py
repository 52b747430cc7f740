"""The event page's programme comes from a cache (workshop/fragments.py), keyed by the event's
programme_version: every kind of change shows on the very next request, and nothing that
belongs to one visitor is cached. Runs with a real local-memory cache."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings
from django.utils.translation import gettext

from portal.edits import update_abstract, update_profile
from tests.conftest import EXAMPLES_DIR
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.workshop.admin_forms import parse_form, session_change_url
from tests.workshop.pages import event_url, session_url, texts
from workshop import fragments
from workshop.importer import import_programme, import_programme_file
from workshop.models import Event, EventContact, EventPerson, Person, Session, SessionRole

UTC = dt.UTC


@pytest.fixture(autouse=True)
def real_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "programme-cache-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def programme(db):
    """A future event with one display zone, a section, two sessions, and a speaker with an
    affiliation."""
    event = EventFactory(slug="cached", timezone="Europe/Berlin")
    zone = DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    section = SectionFactory(event=event, title="Panel on trade")
    start = dt.datetime(2031, 7, 1, 10, tzinfo=UTC)
    session = SessionFactory(
        event=event, section=section, title="Old title", start=start, end=start.replace(hour=11)
    )
    other = SessionFactory(
        event=event, title="Second talk", start=start.replace(hour=12), end=start.replace(hour=13)
    )
    person = PersonFactory(key="tao-chen", name="Tao Chen")
    link = EventPersonFactory(event=event, person=person, affiliation="Tongji University")
    role = SessionRoleFactory(session=session, person=person, role=SessionRole.Role.SPEAKER)
    return SimpleNamespace(
        event=event,
        zone=zone,
        section=section,
        session=session,
        other=other,
        person=person,
        link=link,
        role=role,
    )


def page(client, event, **params) -> str:
    response = client.get(event_url(event), params)
    assert response.status_code == 200
    return response.content.decode()


def slot_texts(client, event, **params) -> list[str]:
    return texts(client.get(event_url(event), params), "programme-slot")


def version_of(event) -> int:
    return Event.objects.values_list("programme_version", flat=True).get(pk=event.pk)


# --- the cache is used -----------------------------------------------------------------------


def test_programme_is_rendered_once_and_then_read_from_the_cache(
    client, programme, django_assert_num_queries
):
    with django_assert_num_queries(9):
        first = slot_texts(client, programme.event)
    # get_event as before; the programme's three queries (affiliations, sessions, roles) go.
    with django_assert_num_queries(6):
        second = slot_texts(client, programme.event)

    assert second == first
    assert [("Old title" in text, "Tao Chen (Tongji University)" in text) for text in second] == [
        (True, True),
        (False, False),
    ]


def test_cached_programme_is_per_viewer_zone(client, programme):
    assert "10:00 UTC" in page(client, programme.event)

    shanghai = page(client, programme.event, tz="Asia/Shanghai")

    assert "18:00 Asia/Shanghai" in shanghai
    assert "10:00 UTC" not in shanghai
    assert "7:00 America/Sao_Paulo" in page(client, programme.event, tz="America/Sao_Paulo")


def test_cached_programme_holds_nothing_of_the_visitor(client, programme):
    page(client, programme.event, tz="Asia/Shanghai")
    key = fragments.programme_cache_key(
        Event.objects.get(pk=programme.event.pk), zone="Asia/Shanghai"
    )

    cached = cache.get(key)

    assert "Old title" in cached
    assert "csrf" not in cached.lower()
    assert "viewer-zone-form" not in cached


def test_each_visitor_gets_their_own_csrf_token_around_the_cached_programme(client, programme):
    open_event = programme.event  # sessions in 2031: registration is open
    other_client = type(client)()

    first, second = page(client, open_event), page(other_client, open_event)

    assert "csrfmiddlewaretoken" in first and "csrfmiddlewaretoken" in second
    assert client.cookies["csrftoken"].value != other_client.cookies["csrftoken"].value


def test_page_is_served_when_the_cache_is_down(client, programme):
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with override_settings(CACHES=dead_redis):
        assert "Old title" in page(client, programme.event)


# --- every kind of change shows on the next request ------------------------------------------


def test_admin_save_of_a_session_title_shows_at_once(client, admin_client, programme):
    assert "Old title" in page(client, programme.event)
    response = admin_client.get(session_change_url(programme.session))
    data, _ = parse_form(response, "session_form")
    data["title"] = "New title"

    assert admin_client.post(session_change_url(programme.session), data).status_code == 302

    html = page(client, programme.event)
    assert "New title" in html
    assert "Old title" not in html


def test_session_saved_in_code_shows_at_once(client, programme):
    page(client, programme.event)
    programme.other.title = "Renamed second talk"
    programme.other.save()

    assert "Renamed second talk" in page(client, programme.event)


def test_role_added_and_removed_shows_at_once(client, programme):
    page(client, programme.event)
    chair = PersonFactory(name="Jan Zofka")
    role = SessionRoleFactory(session=programme.other, person=chair, role=SessionRole.Role.CHAIR)

    assert f"{gettext('Chair:')} Jan Zofka" in " ".join(slot_texts(client, programme.event))

    role.delete()

    assert "Jan Zofka" not in page(client, programme.event)


def test_person_renamed_shows_at_once_in_every_event(client, programme):
    elsewhere = EventFactory(slug="elsewhere")
    talk = SessionFactory(event=elsewhere, title="Elsewhere talk")
    SessionRoleFactory(session=talk, person=programme.person)
    assert "Tao Chen" in page(client, programme.event)
    assert "Tao Chen" in page(client, elsewhere)

    person = Person.objects.get(pk=programme.person.pk)
    person.name = "Chen Tao"
    person.save()

    for event in (programme.event, elsewhere):
        html = page(client, event)
        assert "Chen Tao" in html
        assert "Tao Chen" not in html


def test_person_with_only_an_affiliation_renamed_shows_at_once(client, programme):
    """The EventPerson link alone ties a person to an event's programme version."""
    listed = PersonFactory(name="Ines Rößler")
    EventPersonFactory(event=programme.event, person=listed, affiliation="GWZO")
    before = version_of(programme.event)

    listed.name = "Ines Roessler"
    listed.save()

    assert version_of(programme.event) > before


def test_affiliation_changed_shows_at_once(client, programme):
    assert "Tongji University" in page(client, programme.event)
    link = EventPerson.objects.get(pk=programme.link.pk)
    link.affiliation = "Fudan University"
    link.save()

    html = page(client, programme.event)
    assert "(Fudan University)" in html
    assert "Tongji University" not in html


def test_section_renamed_shows_at_once(client, programme):
    assert "Panel on trade" in page(client, programme.event)
    programme.section.title = "Panel on technology"
    programme.section.save()

    html = page(client, programme.event)
    assert "Panel on technology" in html
    assert "Panel on trade" not in html


def test_display_zone_changed_shows_at_once(client, programme):
    assert "12:00 DE" in " ".join(slot_texts(client, programme.event))
    programme.zone.label, programme.zone.zone = "Shanghai", "Asia/Shanghai"
    programme.zone.save()

    slots = " ".join(slot_texts(client, programme.event))
    assert "18:00 Shanghai" in slots
    assert "12:00 DE" not in slots


def test_display_zone_added_and_deleted_shows_at_once(client, programme):
    page(client, programme.event)
    added = DisplayZoneFactory(
        event=programme.event, position=1, label="NY", zone="America/New_York"
    )
    assert "6:00 NY" in " ".join(slot_texts(client, programme.event))

    added.delete()

    assert "6:00 NY" not in " ".join(slot_texts(client, programme.event))


def test_event_zone_and_slug_changes_show_at_once(client, programme):
    """The event's own zone decides the programme's days; its slug is in every link."""
    headings = texts(client.get(event_url(programme.event)), "programme-day-heading")
    assert headings == ["Tuesday, 1 July 2031"]
    event = Event.objects.get(pk=programme.event.pk)
    event.timezone = "Pacific/Kiritimati"  # UTC+14: 10:00 UTC is the next day there
    event.slug = "renamed"
    event.save()

    response = client.get(event_url(event))

    assert texts(response, "programme-day-heading") == ["Wednesday, 2 July 2031"]
    assert f'href="/events/renamed/sessions/{programme.session.pk}/"' in response.content.decode()


def test_session_deleted_and_added_show_at_once(client, programme):
    page(client, programme.event)
    Session.objects.get(pk=programme.other.pk).delete()
    assert "Second talk" not in page(client, programme.event)

    SessionFactory(
        event=programme.event,
        title="Late addition",
        start=dt.datetime(2031, 7, 1, 14, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=UTC),
    )
    assert "Late addition" in page(client, programme.event)


def test_person_deleted_disappears_at_once(client, programme):
    assert "Tao Chen" in page(client, programme.event)
    Person.objects.get(pk=programme.person.pk).delete()

    assert "Tao Chen" not in page(client, programme.event)


def test_session_moved_to_another_event_shows_at_once_in_both(client, programme):
    target = EventFactory(slug="target")
    page(client, programme.event)
    page(client, target)
    moved = Session.objects.get(pk=programme.other.pk)
    moved.event = target
    moved.save()

    assert "Second talk" not in page(client, programme.event)
    assert "Second talk" in page(client, target)


def test_role_moved_to_another_session_of_another_event_shows_at_once(client, programme):
    target = EventFactory(slug="target")
    talk = SessionFactory(event=target, title="Target talk")
    page(client, programme.event)
    page(client, target)
    role = SessionRole.objects.get(pk=programme.role.pk)
    role.session = talk
    role.save()

    assert "Tao Chen" not in " ".join(slot_texts(client, programme.event))
    assert "Tao Chen" in " ".join(slot_texts(client, target))


def test_contact_changes_raise_the_programme_version(programme):
    before = version_of(programme.event)
    contact = EventContact.objects.create(
        event=programme.event, person=programme.person, role="Coordination"
    )
    assert version_of(programme.event) == before + 1

    contact.delete()

    assert version_of(programme.event) == before + 2


def test_saving_an_event_read_earlier_never_lowers_its_version(programme):
    stale = Event.objects.get(pk=programme.event.pk)
    programme.other.title = "Changed meanwhile"
    programme.other.save()
    meanwhile = version_of(programme.event)

    stale.title = "A new title"
    stale.save()

    assert version_of(programme.event) == meanwhile + 1
    assert stale.programme_version == meanwhile + 1  # read again when asked


def test_reimport_that_moves_a_session_shows_at_once(client, db):
    event = import_programme_file(EXAMPLES_DIR / "sino-soviet-2021.yaml").event
    text = (EXAMPLES_DIR / "sino-soviet-2021.yaml").read_text(encoding="utf-8")
    assert "14:30 DE" in " ".join(slot_texts(client, event))
    moved = 'start: "14:30"\n        end: "15:00"'
    assert text.count(moved) == 1

    import_programme(text.replace(moved, 'start: "14:40"\n        end: "15:00"'))

    slots = slot_texts(client, event)
    closing = [text for text in slots if "Toward a Political Economy of Socialism" in text]
    assert len(closing) == 1
    assert "14:40 DE | 8:40 Norfolk, VA | 20:40 Shanghai/Hongkong" in closing[0]


def test_reimport_that_adds_roles_shows_at_once(client, db):
    """Roles are written with bulk_create, which sends no signal: the importer touches the
    version itself (here nothing else is saved or deleted)."""
    path = EXAMPLES_DIR / "sino-soviet-2021.yaml"
    event = import_programme_file(path).event
    text = path.read_text(encoding="utf-8")
    discussion = 'kind: discussion\n        title: "Final Discussion"'
    assert text.count(discussion) == 1
    [before] = [t for t in slot_texts(client, event) if "Final Discussion" in t]
    assert "Jan Zofka" not in before

    import_programme(text.replace(discussion, discussion + "\n        chairs: [jan-zofka]"))

    [after] = [t for t in slot_texts(client, event) if "Final Discussion" in t]
    assert f"{gettext('Chair:')} Jan Zofka (GWZO)" in after


def test_portal_edits_show_at_once(client, programme):
    user = User.objects.create_user(username="tao")
    html = page(client, programme.event)
    assert "Tongji University" in html

    update_profile(
        person=programme.person,
        by=user,
        bio="",
        timezone_name="",
        affiliations={programme.link.pk: "Fudan University"},
    )

    assert "(Fudan University)" in page(client, programme.event)

    before = version_of(programme.event)
    assert update_abstract(
        session=programme.session, person=programme.person, by=user, abstract="New *abstract*"
    )
    assert version_of(programme.event) == before + 1
    assert "<em>abstract</em>" in client.get(session_url(programme.session)).content.decode()
