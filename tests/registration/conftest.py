import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import DisplayZoneFactory, EventFactory, SessionFactory


@pytest.fixture
def open_event(db):
    """A two-session event next month whose registration is open now."""
    start = (timezone.now() + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    event = EventFactory(
        slug="open-workshop",
        title="Open Workshop",
        timezone="Europe/Berlin",
        requires_approval=True,
        organizer="Institute of Testing",
    )
    DisplayZoneFactory(event=event, label="DE", zone="Europe/Berlin", position=0)
    DisplayZoneFactory(event=event, label="Shanghai", zone="Asia/Shanghai", position=1)
    SessionFactory(
        event=event, title="Opening talk", start=start, end=start + dt.timedelta(hours=1)
    )
    SessionFactory(
        event=event,
        title="Coffee",
        kind="break",
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=1, minutes=30),
    )
    return event


def registrant_data(**overrides):
    data = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji University",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone_name": "Asia/Shanghai",
        "message": "",
    }
    data.update(overrides)
    return data
