"""The CSV export of registrations (admin action): every column organizers need to account
for their decisions, opened by Excel with non-ASCII names intact, formulas defused."""

import csv
import datetime as dt
import io

import pytest

from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from tests.support.admin import post_action

State = Registration.State

CHANGELIST = "/admin/registration/registration/"
HEADER = [
    "event",
    "name",
    "email",
    "affiliation",
    "career_stage",
    "country",
    "timezone",
    "state",
    "created_at",
    "confirmed_at",
    "message",
    "decision",
    "decided_by",
    "decided_at",
    "decline_note",
    "consent_version",
    "consented_at",
    "added_by",
    "language",
]


def export(client, objects):
    return post_action(client, CHANGELIST, "export_csv", objects)


def read_csv(response) -> list[dict]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows[0] == HEADER
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_export_csv_starts_with_a_bom_and_keeps_non_ascii_names(organizer_client):
    RegistrationFactory(name="陈涛", affiliation="Universität zu Köln", email="chen@example.org")
    response = export(organizer_client, Registration.objects.all())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="registrations-')
    assert response.content.startswith(b"\xef\xbb\xbfevent,name,")
    [row] = read_csv(response)
    assert (row["name"], row["affiliation"]) == ("陈涛", "Universität zu Köln")


def test_export_csv_defuses_formulas_and_keeps_line_breaks(organizer_client):
    event = EventFactory(slug="seminar")
    RegistrationFactory(
        event=event,
        name='=HYPERLINK("http://evil.example","x")',
        email="a@example.org",
        affiliation="+Uni",
        career_stage="-Scholar",
        country="DE",
        timezone="Europe/Berlin",
        message="@SUM(1)",
        decline_reason="=1+1",
        state=State.DECLINED,
    )
    RegistrationFactory(
        event=event,
        name="Tao",
        email="tao@example.org",
        affiliation="Tongji, Shanghai",
        message='Line one\nLine "two"',
        state=State.APPROVED,
    )
    rows = read_csv(export(organizer_client, Registration.objects.all()))
    by_email = {row["email"]: row for row in rows}
    evil = by_email["a@example.org"]
    assert (evil["name"], evil["affiliation"], evil["career_stage"], evil["message"]) == (
        '\'=HYPERLINK("http://evil.example","x")',
        "'+Uni",
        "'-Scholar",
        "'@SUM(1)",
    )
    assert evil["decline_note"] == "'=1+1"
    plain = by_email["tao@example.org"]
    assert (plain["affiliation"], plain["message"]) == ("Tongji, Shanghai", 'Line one\nLine "two"')


def test_export_csv_has_the_decision_consent_and_who_added(organizer_client, organizer):
    event = EventFactory(slug="seminar")
    decided = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    consented = dt.datetime(2026, 2, 27, 23, 5, tzinfo=dt.UTC)
    declined = RegistrationFactory(
        event=event,
        email="declined@example.org",
        state=State.DECLINED,
        decided_by=organizer,
        decided_at=decided,
        decline_reason="Sorry, full.",
        consented_at=consented,
        privacy_notice_version="2026-11-29",
    )
    guest = RegistrationFactory(
        event=event,
        email="guest@example.org",
        state=State.UNCONFIRMED,
        confirmed_at=None,
        added_by=organizer,
        privacy_notice_version="by organizer",
    )
    rows = {row["email"]: row for row in read_csv(export(organizer_client, [declined, guest]))}
    row = rows["declined@example.org"]
    assert {key: row[key] for key in HEADER[7:8] + HEADER[11:]} == {
        "state": "declined",
        "decision": State.DECLINED.label,
        "decided_by": "olga",
        "decided_at": "2026-03-01T09:30:15+00:00",
        "decline_note": "Sorry, full.",
        "consent_version": "2026-11-29",
        "consented_at": "2026-02-27T23:05:00+00:00",
        "added_by": "",
        "language": "en",
    }
    row = rows["guest@example.org"]
    assert (row["decision"], row["decided_by"], row["decided_at"], row["confirmed_at"]) == (
        State.UNCONFIRMED.label,
        "",
        "",
        "",
    )
    assert (row["added_by"], row["consent_version"]) == ("olga", "by organizer")
    assert row["created_at"].endswith("+00:00")


def test_export_csv_datetimes_are_utc_whatever_the_site_zone(organizer_client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    registration = RegistrationFactory(
        consented_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    )
    [row] = read_csv(export(organizer_client, [registration]))
    assert row["consented_at"] == "2026-01-01T19:04:05+00:00"


@pytest.mark.parametrize("count", [1, 30])
def test_export_csv_queries_bounded(
    organizer_client, organizer, count, django_assert_max_num_queries
):
    for event in EventFactory.create_batch(3):
        RegistrationFactory.create_batch(
            count, event=event, decided_by=organizer, added_by=organizer, state=State.APPROVED
        )
    with django_assert_max_num_queries(12):
        response = export(organizer_client, Registration.objects.all())
    assert len(read_csv(response)) == 3 * count


def test_export_csv_is_offered_to_staff_who_only_view(viewer_client):
    RegistrationFactory(name="Ada")
    response = export(viewer_client, Registration.objects.all())
    assert response.status_code == 200
    assert [row["name"] for row in read_csv(response)] == ["Ada"]
