"""Upgrading a database from before the outbox moved to the mailing app (and papers to the
portal): every ledger row keeps its id, state, attempts, timings, texts and what it was about;
every paper keeps its row; permissions given on the ledger stay given."""

import datetime as dt
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from mailing.models import OutgoingEmail
from portal.models import Paper
from registration.models import Registration
from tests.support.migrations import latest, migrate, schema_at
from workshop.models import Person

# The newest migrations of the schema before the move.
BEFORE = [
    ("registration", "0003_portal_signin_kind"),
    ("workshop", "0004_search_indexes"),
    ("mailing", None),
    ("portal", None),
]
LEDGER_FIELDS = (
    "id",
    "uuid",
    "kind",
    "to_address",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "claimed_at",
    "next_attempt_at",
    "sent_at",
    "subject",
    "body_text",
    "context",
)
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def old_schema(transactional_db):
    """The database as the previous release left it."""
    with schema_at(BEFORE) as apps:
        yield apps


def test_upgrade_keeps_every_ledger_row_and_what_it_was_about(old_schema):
    apps = old_schema
    Event = apps.get_model("workshop", "Event")
    OldPerson = apps.get_model("workshop", "Person")
    OldRegistration = apps.get_model("registration", "Registration")
    OldEmail = apps.get_model("registration", "OutgoingEmail")
    event = Event.objects.create(slug="old-event", title="Old event", timezone="Europe/Berlin")
    registration = OldRegistration.objects.create(
        event=event,
        name="Chen Tao",
        email="chen@example.org",
        career_stage="Scholar",
        country="CN",
        consented_at=AT,
        privacy_notice_version="2026-11-25",
        secret="a-secret",
        state="approved",
    )
    person = OldPerson.objects.create(key="tao-chen", name="Tao Chen", email="tao@example.org")
    rows = [
        OldEmail(
            kind="invitation",
            to_address="chen@example.org",
            registration=registration,
            state="sent",
            attempts=1,
            sent_at=AT,
            subject="Your access to Old event",
            body_text="Join online: https://zoom.us/j/1",
        ),
        OldEmail(
            kind="received",
            to_address="chen@example.org",
            registration=registration,
            state="failed",
            attempts=3,
            last_error="SMTPRecipientsRefused: 550",
        ),
        OldEmail(
            kind="session_changed",
            to_address="tao@example.org",
            person=person,
            state="queued",
            next_attempt_at=AT,
            context={"session_id": 7, "event_id": event.pk},
        ),
        OldEmail(
            kind="portal_signin",
            to_address="tao@example.org",
            person=person,
            state="sending",
            attempts=2,
            claimed_at=AT,
        ),
        OldEmail(kind="confirm", to_address="nobody@example.org", state="queued"),
    ]
    for row in rows:
        row.uuid = uuid.uuid4()
        row.save()
    before = {
        row["id"]: row
        for row in OldEmail.objects.values(*LEDGER_FIELDS, "registration_id", "person_id")
    }

    migrate(latest())

    after = {row.pk: row for row in OutgoingEmail.objects.all()}
    assert sorted(after) == sorted(before)
    for pk, old in before.items():
        row = after[pk]
        assert {field: getattr(row, field) for field in LEDGER_FIELDS} == {
            field: old[field] for field in LEDGER_FIELDS
        }
        if old["registration_id"]:
            assert row.recipient == Registration.objects.get(pk=old["registration_id"])
        elif old["person_id"]:
            assert row.recipient == Person.objects.get(pk=old["person_id"])
        else:
            assert (row.recipient_type, row.recipient_id) == (None, None)
    # The rows are found from what they are about, as the admin and the services find them.
    reg = Registration.objects.get(pk=registration.pk)
    assert sorted(reg.emails.values_list("kind", flat=True)) == ["invitation", "received"]
    assert OutgoingEmail._meta.db_table == "mailing_outgoingemail"
    assert "registration_outgoingemail" not in connection.introspection.table_names()


def test_upgrade_moves_the_ledger_permissions_and_the_papers_with_their_rows(old_schema):
    apps = old_schema
    OldContentType = apps.get_model("contenttypes", "ContentType")
    OldPermission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # As on a database of the previous release: the ledger's content type and permissions
    # are the registration app's, and the papers' the workshop app's.
    OldContentType.objects.filter(app_label__in=["mailing", "portal"]).delete()
    ledger_type, _ = OldContentType.objects.get_or_create(
        app_label="registration", model="outgoingemail"
    )
    view_ledger, _ = OldPermission.objects.get_or_create(
        content_type=ledger_type, codename="view_outgoingemail", defaults={"name": "Can view"}
    )
    group = Group.objects.create(name="Ledger readers")
    group.permissions.add(view_ledger)
    OldContentType.objects.get_or_create(app_label="workshop", model="paper")

    Session = apps.get_model("workshop", "Session")
    Event = apps.get_model("workshop", "Event")
    OldPerson = apps.get_model("workshop", "Person")
    OldPaper = apps.get_model("workshop", "Paper")
    event = Event.objects.create(slug="old-event", title="Old event", timezone="Europe/Berlin")
    session = Session.objects.create(
        event=event, title="Talk", start=AT, end=AT + dt.timedelta(hours=1)
    )
    speaker = OldPerson.objects.create(key="tao-chen", name="Tao Chen")
    paper = OldPaper.objects.create(
        session=session,
        uploaded_by=speaker,
        file="papers/old-event/x/paper.pdf",
        original_name="paper.pdf",
        size=1234,
    )

    migrate(latest())
    ContentType.objects.clear_cache()

    moved = ContentType.objects.get(app_label="mailing", model="outgoingemail")
    assert moved.pk == ledger_type.pk
    assert list(
        group.permissions.through.objects.filter(group_id=group.pk).values_list(
            "permission__content_type__app_label", "permission__codename"
        )
    ) == [("mailing", "view_outgoingemail")]
    assert ContentType.objects.filter(app_label="portal", model="paper").exists()
    [stored] = Paper.objects.all()
    assert (stored.pk, stored.session_id, stored.uploaded_by_id, stored.file.name) == (
        paper.pk,
        session.pk,
        speaker.pk,
        "papers/old-event/x/paper.pdf",
    )
    assert Paper._meta.db_table == "portal_paper"
