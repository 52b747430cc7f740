"""The participant's language: the page they registered on sets it, their emails are written in
it, they change it on their edit page (queued emails follow), and organizers choose it when they
add someone by hand."""

import json

import pytest
from django.core import mail
from django.utils import translation

from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind, subject
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from tests.registration.conftest import form_data, registrant_data

State = Registration.State

REGISTER_URL = "/events/open-workshop/register/"
ADD_URL = "/admin/registration/registration/add/"


def confirmation_subject(language: str, event_title: str) -> str:
    with translation.override(language):
        return subject(Kind.CONFIRM, event=event_title)


def edit_url(registration) -> str:
    return f"/registrations/{registration.secret}/edit/"


def details(registration, **overrides):
    data = {
        "name": registration.name,
        "affiliation": registration.affiliation,
        "timezone": registration.timezone,
        "language": registration.language,
    }
    data.update(overrides)
    return data


# --- registering -----------------------------------------------------------------------------


def test_registering_on_a_german_page_stores_german_and_sends_a_german_confirmation(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_URL, form_data(), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.language == "de"
    [row] = OutgoingEmail.objects.filter(kind=Kind.CONFIRM)
    assert row.language == "de"
    assert row.state == OutgoingEmail.State.SENT
    [message] = mail.outbox
    german = confirmation_subject("de", open_event.title)
    assert german != confirmation_subject("en", open_event.title)
    assert message.subject == german


def test_registering_on_an_english_page_stays_english(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER_URL, form_data(), HTTP_ACCEPT_LANGUAGE="en")
    registration = Registration.objects.get()
    assert registration.language == "en"
    [row] = OutgoingEmail.objects.filter(kind=Kind.CONFIRM)
    assert row.language == "en"
    [message] = mail.outbox
    assert message.subject == confirmation_subject("en", open_event.title)


def test_regional_browser_language_registers_its_language(client, open_event):
    client.post(REGISTER_URL, form_data(), HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9")
    assert Registration.objects.get().language == "de"


def test_language_cookie_wins_over_the_browser(client, open_event, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(REGISTER_URL, form_data(), HTTP_ACCEPT_LANGUAGE="de")
    assert Registration.objects.get().language == "en"


def test_language_is_not_a_field_of_the_registration_form(client, open_event):
    html = client.get(REGISTER_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<select name="language"' not in html
    assert (
        'name="language" type="hidden"' not in html and 'type="hidden" name="language"' not in html
    )
    # A posted language is ignored: the page's language counts.
    client.post(REGISTER_URL, {**form_data(), "language": "en"}, HTTP_ACCEPT_LANGUAGE="de")
    assert Registration.objects.get().language == "de"


def test_registering_again_after_cancelling_takes_the_new_page_language(open_event):
    registration, _ = services.register_participant(
        event=open_event, language="en", **registrant_data()
    )
    services.cancel_registration(registration=registration)
    again, created = services.register_participant(
        event=open_event, language="de", **registrant_data()
    )
    assert (again.pk, created, again.language) == (registration.pk, True, "de")


def test_service_refuses_nothing_but_falls_back_for_an_unknown_language(open_event):
    registration, _ = services.register_participant(
        event=open_event, language="fr", **registrant_data()
    )
    assert registration.language == "en"


# --- the edit page ---------------------------------------------------------------------------


@pytest.fixture
def chen(open_event):
    return RegistrationFactory(
        event=open_event,
        name="Chen Tao",
        email="chen@example.org",
        affiliation="Tongji University",
        timezone="Asia/Shanghai",
        state=State.APPROVED,
        language="en",
    )


def test_edit_page_offers_the_language_with_the_current_one_chosen(client, chen):
    html = client.get(edit_url(chen)).content.decode()
    assert '<select name="language"' in html
    assert '<option value="en" selected>' in html
    assert '<option value="de">' in html


def test_changing_the_language_on_the_edit_page_changes_it_and_moves_queued_emails(
    client, chen, organizer
):
    queued = OutgoingEmail.objects.create(
        kind=Kind.INVITATION,
        to_address=chen.email,
        recipient=chen,
        language="en",
        state=OutgoingEmail.State.QUEUED,
    )
    sent = OutgoingEmail.objects.create(
        kind=Kind.CONFIRM,
        to_address=chen.email,
        recipient=chen,
        language="en",
        state=OutgoingEmail.State.SENT,
    )
    response = client.post(edit_url(chen), details(chen, language="de"), follow=True)
    assert response.redirect_chain == [(chen.get_absolute_url(), 302)]
    chen.refresh_from_db()
    assert chen.language == "de"
    queued.refresh_from_db()
    sent.refresh_from_db()
    assert (queued.language, sent.language) == ("de", "en")
    # The language of their emails; the pages stay in the switcher's (here: English).
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'id="registration-language" data-language="de"' in html
    assert [str(m) for m in response.context["messages"]] == [
        "Your details are saved (changed: Language)."
    ]


def test_changing_the_language_is_logged_untranslated_for_the_admin_history(client, chen):
    from django.contrib.admin.models import LogEntry

    client.post(edit_url(chen), details(chen, language="de"), HTTP_ACCEPT_LANGUAGE="de")
    [entry] = LogEntry.objects.filter(object_id=str(chen.pk))
    assert json.loads(entry.change_message) == [{"changed": {"fields": ["Language"]}}]
    with translation.override("de"):
        german = entry.get_change_message()
    with translation.override("en"):
        assert entry.get_change_message() == "Changed Language."
    assert german != "Changed Language." and "Sprache" in german


def test_edit_without_a_language_keeps_it(client, chen):
    data = details(chen, name="Chen T.")
    del data["language"]
    client.post(edit_url(chen), data)
    chen.refresh_from_db()
    assert (chen.name, chen.language) == ("Chen T.", "en")


def test_edit_refuses_an_unknown_language(client, chen):
    response = client.post(edit_url(chen), details(chen, language="xx"))
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    chen.refresh_from_db()
    assert chen.language == "en"


def test_status_page_shows_the_language(client, chen):
    html = client.get(chen.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<span id="registration-language" data-language="en">Englisch</span>' in html


def test_update_service_leaves_the_language_alone_when_not_given(chen):
    changed = services.update_registration_details(
        registration=chen, name="Chen Tao", affiliation="Fudan", timezone_name="Asia/Shanghai"
    )
    assert changed == ["Affiliation"]
    chen.refresh_from_db()
    assert chen.language == "en"


# --- admin -----------------------------------------------------------------------------------


def add_data(event, **overrides):
    data = {
        "event": str(event.pk),
        "name": "Ilse Gast",
        "email": "ilse@example.org",
        "affiliation": "Universität Wien",
        "career_stage": "Scholar",
        "country": "AT",
        "timezone": "Europe/Vienna",
        "language": "de",
        "message": "",
        "confirmation": "email",
    }
    data.update(overrides)
    return data


def test_admin_add_with_german_sends_the_confirmation_in_german(
    organizer_client, django_capture_on_commit_callbacks
):
    event = EventFactory(slug="guests", title="Gastworkshop")
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(ADD_URL, add_data(event))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.language == "de"
    [row] = registration.emails.all()
    assert row.language == "de"
    [message] = mail.outbox
    assert message.subject == confirmation_subject("de", "Gastworkshop")


def test_admin_add_defaults_to_the_site_language_not_the_organizers(organizer_client, settings):
    EventFactory(slug="guests")
    html = organizer_client.get(ADD_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'<option value="{settings.LANGUAGE_CODE}" selected>' in html


def test_admin_change_form_changes_the_language_and_moves_queued_emails(organizer_client, chen):
    queued = OutgoingEmail.objects.create(
        kind=Kind.INVITATION,
        to_address=chen.email,
        recipient=chen,
        language="en",
        state=OutgoingEmail.State.QUEUED,
    )
    response = organizer_client.post(
        f"/admin/registration/registration/{chen.pk}/change/",
        {
            "name": chen.name,
            "affiliation": chen.affiliation,
            "career_stage": chen.career_stage,
            "country": chen.country.code,
            "timezone": chen.timezone,
            "language": "de",
            "message": "",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "emails-MIN_NUM_FORMS": "0",
            "emails-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302
    chen.refresh_from_db()
    queued.refresh_from_db()
    assert (chen.language, queued.language) == ("de", "de")


def test_admin_filters_registrations_by_language(organizer_client, open_event):
    RegistrationFactory(event=open_event, language="de", name="Deutsche Person")
    RegistrationFactory(event=open_event, language="en", name="English Person")
    html = organizer_client.get(
        "/admin/registration/registration/", {"language__exact": "de"}
    ).content.decode()
    assert "Deutsche Person" in html
    assert "English Person" not in html
