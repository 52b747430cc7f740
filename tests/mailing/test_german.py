"""The mail ledger in a German admin (states, kinds, columns, filters, the retry action), and
the shared email layout in German. The ledger's stored error reasons are data and stay as
they were written (English)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, ngettext

from mailing import registry
from mailing.models import OutgoingEmail
from portal.emails import Kind as PortalKind
from registration.emails import Kind
from tests.factories import EventFactory, PersonFactory, RegistrationFactory
from tests.support.admin import messages_of
from tests.support.german import english_leaks, visible_text

LEDGER = "/admin/mailing/outgoingemail/"
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
State = OutgoingEmail.State

SMTP_ERROR = "SMTPRecipientsRefused: <recipient>: 550 5.1.1 user unknown"
SKIP_REASON = "The participant cancelled before the reminder was due."
# Content the test wrote (names, titles, addresses, stored emails, error reasons).
CONTENT = (
    SMTP_ERROR,
    SKIP_REASON,
    "Sinologie-Tagung 2031",
    "Chen Tao",
    "Ines Rößler",
    "chen@example.org",
    "ines@example.org",
    "Ihre Einladung",
    "Guten Tag Ines Rößler, hier ist Ihr Link.",
)


def leaks(html: str) -> list[str]:
    """English in a German admin page: its visible text (lines joined, so that the allowed
    breadcrumb matches), less the content the test wrote."""
    text = " ".join(visible_text(html).split())
    for allowed in (*CONTENT, home()):
        text = text.replace(allowed, " ")
    return english_leaks(text)


def home() -> str:
    """Django admin's own German for "Home" ("Start"), which is also an English word of the
    catalogue: the breadcrumbs' first link."""
    with translation.override("de"):
        return f"{gettext('Home')} ›"


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    ContentType.objects.clear_cache()


@pytest.fixture
def ledger(db):
    event = EventFactory(title="Sinologie-Tagung 2031")
    chen = RegistrationFactory(event=event, name="Chen Tao", email="chen@example.org")
    ines = PersonFactory(name="Ines Rößler", email="ines@example.org")
    rows = {
        "failed": OutgoingEmail.objects.create(
            kind=Kind.RECEIVED,
            to_address=chen.email,
            recipient=chen,
            state=State.FAILED,
            attempts=3,
            last_error=SMTP_ERROR,
        ),
        "sent": OutgoingEmail.objects.create(
            kind=PortalKind.PORTAL_INVITATION,
            to_address=ines.email,
            recipient=ines,
            state=State.SENT,
            attempts=1,
            subject="Ihre Einladung",
            body_text="Guten Tag Ines Rößler, hier ist Ihr Link.",
        ),
        "queued": OutgoingEmail.objects.create(
            kind="programme_change", to_address=chen.email, recipient=chen
        ),
        "sending": OutgoingEmail.objects.create(
            kind=Kind.INVITATION,
            to_address=chen.email,
            recipient=chen,
            state=State.SENDING,
            attempts=1,
        ),
        "skipped": OutgoingEmail.objects.create(
            kind="reminder",
            to_address=chen.email,
            recipient=chen,
            state=State.SKIPPED,
            last_error=SKIP_REASON,
        ),
        "message": OutgoingEmail.objects.create(
            kind="message", to_address=chen.email, recipient=chen, state=State.SENT
        ),
    }
    return rows


def german(text) -> str:
    with translation.override("de"):
        return str(text)


def test_ledger_changelist_is_german(organizer_client, ledger):
    response = organizer_client.get(LEDGER, **GERMAN)
    assert response.status_code == 200
    html = response.content.decode()
    assert leaks(html) == []
    assert '<html lang="de"' in html
    header = [str(h["text"]) for h in response.context["result_headers"]]
    with translation.override("de"):
        assert header[1:] == [
            gettext("to address"),
            gettext("kind"),
            gettext("state"),
            gettext("attempts"),
            gettext("created at"),
            gettext("sent at"),
            gettext("last error"),
        ]
    # Each state and each kind by its German label (kinds: as their apps registered them).
    for state in State:
        assert f'<td class="field-state">{german(state.label)}</td>' in html
    for row in ledger.values():
        assert f'<td class="field-kind">{german(registry.label(row.kind))}</td>' in html
    assert german(State.FAILED.label) == "Fehlgeschlagen"
    # The stored error reason is data: as it was written.
    assert "SMTPRecipientsRefused: &lt;recipient&gt;: 550 5.1.1 user unknown" in html
    # Filters and the action, in German.
    assert german(gettext("Retry failed emails")) in html
    assert "?kind=portal_invitation" in html
    assert "?state__exact=failed" in html


def test_ledger_kind_filter_lists_kinds_by_their_german_labels(organizer_client, ledger):
    response = organizer_client.get(LEDGER, **GERMAN)
    [kind_filter] = [
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "kind"
    ]
    labels = [str(label) for _, label in kind_filter.lookup_choices]
    assert labels == sorted(labels)
    with translation.override("de"):
        assert set(labels) == {str(kind.label) for kind in registry.kinds()}
        assert str(kind_filter.title) == gettext("kind")


@pytest.mark.parametrize("name", ["failed", "sent", "skipped"])
def test_ledger_change_page_is_german(organizer_client, ledger, name):
    row = ledger[name]
    response = organizer_client.get(f"{LEDGER}{row.pk}/change/", **GERMAN)
    assert response.status_code == 200
    html = response.content.decode()
    assert leaks(html) == []
    with translation.override("de"):
        for label in ("about", "kind", "to address", "last error", "next attempt at"):
            assert f"{gettext(label)[:1].upper()}{gettext(label)[1:]}" in html
        assert str(row.get_state_display()) in html


def test_ledger_names_a_deleted_recipient_in_german(organizer_client, ledger):
    row = ledger["sent"]
    OutgoingEmail.objects.filter(pk=row.pk).update(recipient_id=10**9)  # its person is gone
    response = organizer_client.get(f"{LEDGER}{row.pk}/change/", **GERMAN)
    html = response.content.decode()
    with translation.override("de"):
        model = str(row.recipient_type.model_class()._meta.verbose_name)
        assert gettext("%(model)s (deleted)") % {"model": model} in html
    assert leaks(html) == []


def test_retry_action_reports_in_german(organizer_client, ledger):
    response = organizer_client.post(
        LEDGER,
        {
            "action": "retry",
            "index": "0",
            ACTION_CHECKBOX_NAME: [str(ledger["failed"].pk), str(ledger["sent"].pk)],
        },
        **GERMAN,
    )
    assert response.status_code == 302
    with translation.override("de"):
        expected = ngettext(
            "%(count)d failed email queued again.", "%(count)d failed emails queued again.", 1
        ) % {"count": 1}
    assert messages_of(response) == [expected]
    assert expected.startswith("1 fehlgeschlagene E-Mail")
    assert english_leaks(expected) == []


def test_email_layout_greets_in_the_recipients_language():
    with translation.override("de"):
        text = render_to_string("mailing/base.txt", {"recipient_name": "Chen Tao"})
        html = render_to_string("mailing/base.html", {"recipient_name": "Chen Tao"})
        greeting = gettext("Dear %(name)s,") % {"name": "Chen Tao"}
    assert text.startswith(greeting)
    assert greeting.startswith("Guten Tag")
    assert '<html lang="de">' in html
    assert f"<p>{greeting}</p>" in html
    assert english_leaks(text, allow=CONTENT) == []
    assert english_leaks(html, allow=CONTENT) == []
    # English recipients keep the English greeting.
    with translation.override("en"):
        assert render_to_string("mailing/base.txt", {"recipient_name": "Chen Tao"}).startswith(
            "Dear Chen Tao,"
        )
