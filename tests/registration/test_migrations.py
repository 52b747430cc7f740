"""Upgrading a database from before addresses were canonical (workshop.addresses): stored
addresses of registrants and people get the canonical form, so lookups find them and the outbox
can deliver to them; a row whose canonical form would collide with another keeps its address."""

import datetime as dt

import pytest

from registration.models import Registration
from tests.support.migrations import latest, migrate, schema_at
from workshop.models import Person

BEFORE = [
    ("registration", "0004_outgoingemail_moves_to_mailing"),
    ("workshop", "0005_paper_moves_to_portal"),
]
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def old_schema(transactional_db):
    with schema_at(BEFORE) as apps:
        yield apps


def test_upgrade_gives_stored_addresses_their_canonical_form(old_schema):
    apps = old_schema
    Event = apps.get_model("workshop", "Event")
    OldRegistration = apps.get_model("registration", "Registration")
    OldPerson = apps.get_model("workshop", "Person")
    event = Event.objects.create(slug="old-event", title="Old event", timezone="Europe/Berlin")

    def register(email):
        return OldRegistration.objects.create(
            event=event,
            name="Someone",
            email=email,
            career_stage="Scholar",
            country="CN",
            consented_at=AT,
            privacy_notice_version="2026-11-25",
            secret=email,
        ).pk

    idn = register("idn@Ex\u00e4mple.org")
    upper = register("Chen@EXAMPLE.org")
    undeliverable = register("\u9648@example.org")
    # Two rows that become one address: the second keeps what it had.
    kept = register("twin@xn--exmple-cua.org")
    clash = register("twin@ex\u00e4mple.org")
    person = OldPerson.objects.create(key="kim", name="Kim", email="Kim@\u212aelvin.org").pk

    migrate(latest())

    emails = dict(Registration.objects.values_list("pk", "email"))
    assert emails[idn] == "idn@xn--exmple-cua.org"
    assert emails[upper] == "Chen@example.org"
    assert emails[undeliverable] == "\u9648@example.org"
    assert emails[kept] == "twin@xn--exmple-cua.org"
    assert emails[clash] == "twin@ex\u00e4mple.org"
    assert Person.objects.get(pk=person).email == "Kim@kelvin.org"
