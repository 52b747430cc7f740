"""The registration form and the organizers' decline form, without HTTP."""

import pytest
from django.utils.translation import gettext

from registration.forms import DeclineForm, RegistrationForm
from tests.registration.conftest import form_data as valid_data
from workshop.models import TargetGroup

# The messages of workshop.validators; Django's own texts (the length limits, null characters)
# are left as Django words them.
SINGLE_LINE = gettext("%(label)s must be a single line of text.")
UNREADABLE = gettext("%(label)s contains characters that could not be read. Please type it again.")
INVALID_EMAIL = gettext("Enter a valid email address, e.g. name@example.org.")
CHOOSE_CAREER_STAGE = gettext("Please choose your career stage from the list.")
CHOOSE_ZONE = gettext("Choose a time zone from the list.")


def errors(event, **overrides) -> dict[str, list[str]]:
    form = RegistrationForm(valid_data(**overrides), event=event)
    form.is_valid()
    return dict(form.errors)


def test_registration_form_valid_data_is_cleaned(open_event):
    form = RegistrationForm(
        valid_data(name="  Chen Tao ", email=" Alice@Example.com ", affiliation=" Tongji "),
        event=open_event,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "Chen Tao",
        "email": "Alice@example.com",  # the domain in canonical (lower) case
        "affiliation": "Tongji",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "message": "",
        "consent": True,
        "website": "",
    }
    assert form.is_bot is False


def test_registration_form_empty_gives_a_clear_message_per_required_field(open_event):
    form = RegistrationForm({}, event=open_event)
    assert form.is_valid() is False
    assert dict(form.errors) == {
        "name": [gettext("Please enter your name.")],
        "email": [gettext("Please enter your email address.")],
        "career_stage": [gettext("Please choose your career stage.")],
        "country": [gettext("Please choose your country.")],
        "timezone": [CHOOSE_ZONE],
        "consent": [gettext("Please agree to the storage of your data to register.")],
    }


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "   ", [gettext("Please enter your name.")]),
        ("name", "N" * 201, ["Ensure this value has at most 200 characters (it has 201)."]),
        ("name", "Eve\r\nBcc: x@example.org", [SINGLE_LINE % {"label": gettext("Your name")}]),
        ("name", "Eve\nBcc: x@example.org", [SINGLE_LINE % {"label": gettext("Your name")}]),
        ("name", "Eve\u2028Bcc: x@example.org", [SINGLE_LINE % {"label": gettext("Your name")}]),
        ("name", "Eve\tTab", [SINGLE_LINE % {"label": gettext("Your name")}]),
        ("name", "Eve\x00", ["Null characters are not allowed."]),
        (
            "name",
            "R\ufffd\ufffdler",
            [UNREADABLE % {"label": gettext("Your name")}],
        ),
        ("affiliation", "A" * 301, ["Ensure this value has at most 300 characters (it has 301)."]),
        (
            "affiliation",
            "Uni\r\nBcc: x@example.org",
            [SINGLE_LINE % {"label": gettext("Affiliation")}],
        ),
        ("message", "M" * 2001, ["Ensure this value has at most 2000 characters (it has 2001)."]),
        (
            "message",
            "Hello \ufffd",
            [UNREADABLE % {"label": gettext("Your message")}],
        ),
        ("email", "not-an-email", [INVALID_EMAIL]),
        ("email", "a@b@example.org", [INVALID_EMAIL]),
        (
            "email",
            "eve@example.org\r\nBcc: x@example.org",
            [INVALID_EMAIL],
        ),
        (
            "email",
            "x" * 250 + "@example.org",
            ["Ensure this value has at most 254 characters (it has 262)."],
        ),
        ("career_stage", "Emperor", [CHOOSE_CAREER_STAGE]),
        ("country", "XX", [gettext("Please choose your country from the list.")]),
        ("timezone", "Mars/Olympus_Mons", [CHOOSE_ZONE]),
        ("timezone", "localtime", [CHOOSE_ZONE]),
        ("consent", None, [gettext("Please agree to the storage of your data to register.")]),
    ],
)
def test_registration_form_rejects_bad_input_with_a_clear_message(
    open_event, field, value, expected
):
    assert errors(open_event, **{field: value}) == {field: expected}


@pytest.mark.parametrize(
    "name",
    ["N" * 200, "Rößler", "陈涛", "مريم", "Ada 🎓 Lovelace", "👩🏽‍🔬", "O'Brien-Smith, Jr."],
)
def test_registration_form_accepts_names_of_every_script(open_event, name):
    form = RegistrationForm(valid_data(name=name), event=open_event)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == name


def test_registration_form_message_may_span_lines(open_event):
    text = "First line.\r\nSecond line: 你好, مرحبا.\n" + "x" * 1900
    form = RegistrationForm(valid_data(message=text), event=open_event)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["message"] == text.strip()


def test_registration_form_honeypot_marks_a_bot(open_event):
    form = RegistrationForm(valid_data(website="http://spam.example"), event=open_event)
    assert form.is_valid()
    assert form.is_bot is True


def test_registration_form_career_stages_are_the_event_target_groups_plus_other(open_event):
    open_event.target_groups.set(
        [
            TargetGroup.objects.create(name="Scientists and scholars"),
            TargetGroup.objects.create(name="Students"),
        ]
    )
    form = RegistrationForm(event=open_event)
    assert form.fields["career_stage"].choices == [
        ("", gettext("Choose…")),
        ("Scientists and scholars", "Scientists and scholars"),
        ("Students", "Students"),
        ("Other", gettext("Other")),
    ]
    assert errors(open_event, career_stage="Scholar") == {"career_stage": [CHOOSE_CAREER_STAGE]}


def test_registration_form_career_stages_default_without_target_groups(open_event):
    assert RegistrationForm(event=open_event).fields["career_stage"].choices == [
        ("", gettext("Choose…")),
        ("Scholar", gettext("Scholar")),
        ("Student", gettext("Student")),
        ("Other", gettext("Other")),
    ]


def test_registration_form_preselects_the_event_zone(open_event):
    form = RegistrationForm(event=open_event)
    assert form.fields["timezone"].initial == "Europe/Berlin"
    assert form["timezone"].value() == "Europe/Berlin"


def test_timezone_choices_are_places_with_readable_labels(open_event):
    choices = dict(RegistrationForm(event=open_event).fields["timezone"].choices)
    assert choices["America/St_Johns"] == "America/St Johns"
    assert choices["Asia/Shanghai"] == "Asia/Shanghai"
    assert choices["UTC"] == "UTC"
    assert "localtime" not in choices
    assert "Factory" not in choices
    names = list(choices)
    assert names == sorted(names)


def test_registration_form_marks_bound_forms_so_the_script_keeps_the_chosen_zone(open_event):
    assert "data-bound" not in RegistrationForm(event=open_event).helper.attrs
    bound = RegistrationForm(valid_data(), event=open_event)
    assert bound.helper.attrs["data-bound"] == "1"


def test_registration_form_consent_label_links_the_privacy_notice(open_event):
    label = RegistrationForm(event=open_event).fields["consent"].label
    assert label == gettext(
        "I agree that my data are stored to run this event, as the {link_start}privacy "
        "notice{link_end} explains."
    ).format(link_start='<a href="/privacy/" target="_blank">', link_end="</a>")


def test_registration_form_posts_to_the_event_register_url(open_event):
    assert RegistrationForm(event=open_event).helper.form_action == (
        "/events/open-workshop/register/"
    )


def test_decline_form_reason_is_optional_and_bounded():
    assert DeclineForm({}).is_valid()
    assert DeclineForm({"reason": "  Full.  "}).is_valid()
    form = DeclineForm({"reason": "x" * 2001})
    assert form.errors == {
        "reason": ["Ensure this value has at most 2000 characters (it has 2001)."]
    }
