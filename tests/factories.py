import datetime as dt

import factory

from workshop.models import (
    DisplayZone,
    Event,
    EventPerson,
    Person,
    Section,
    Session,
    SessionRole,
)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Event {n}")
    timezone = "Europe/Berlin"
    meeting_url = "https://zoom.us/j/5550001111"
    meeting_id = "555 000 1111"
    meeting_passcode = "s3cret-pass"


class DisplayZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisplayZone

    event = factory.SubFactory(EventFactory)
    position = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Zone {n}")
    zone = "Europe/Berlin"


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    position = factory.Sequence(lambda n: n)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    key = factory.Sequence(lambda n: f"person-{n}")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda o: f"{o.key}@example.org")


class EventPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventPerson

    event = factory.SubFactory(EventFactory)
    person = factory.SubFactory(PersonFactory)
    affiliation = "University of Somewhere"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    start = factory.Sequence(
        lambda n: dt.datetime(2031, 7, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=n)
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=45))


class SessionRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionRole

    session = factory.SubFactory(SessionFactory)
    person = factory.SubFactory(PersonFactory)
    role = SessionRole.Role.SPEAKER
    position = 0


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "registration.Registration"

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Registrant {n}")
    email = factory.Sequence(lambda n: f"registrant{n}@example.org")
    career_stage = "Scholar"
    country = "DE"
    timezone = "Asia/Shanghai"
    consented_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    privacy_notice_version = "test"
    state = "pending"
    confirmed_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
