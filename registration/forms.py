from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from workshop.addresses import AddressField
from workshop.validators import one_line_text, readable_text
from workshop.widgets import LongSelect
from workshop.zones import is_valid_zone, zone_choices

DEFAULT_CAREER_STAGES = ["Scholar", "Student"]
OTHER = "Other"
# The stored values stay English (exports, admin filters); the form shows them translated.
# The event's own target groups are organizers' text, shown as typed.
CAREER_STAGE_LABELS = {
    "Scholar": _("Scholar"),
    "Student": _("Student"),
    OTHER: _("Other"),
}


def career_stage_label(value: str) -> str:
    """How a stored career stage reads in the active language: the default ones translated,
    an event's own target groups as the organizers wrote them."""
    label = CAREER_STAGE_LABELS.get(value)
    return str(label) if label is not None else value


def career_stage_from_typed(typed: str) -> str:
    """What an organizer typed, as it is stored: a default stage's label in the active
    language (``Wissenschaftler:in``) becomes its stored value (``Scholar``)."""
    for value, label in CAREER_STAGE_LABELS.items():
        if typed.casefold() in (value.casefold(), str(label).casefold()):
            return value
    return typed


def career_stage_choices(event) -> list[tuple[str, str]]:
    """The event's target groups (e.g. "Scientists and scholars", "Students") plus Other."""
    groups = [(group.name, group.name) for group in event.target_groups.all()]
    defaults = [(name, CAREER_STAGE_LABELS[name]) for name in DEFAULT_CAREER_STAGES]
    return (groups or defaults) + [(OTHER, CAREER_STAGE_LABELS[OTHER])]


class RegistrationForm(forms.Form):
    # dir="auto": an Arabic or Hebrew name is typed and shown right to left.
    name = forms.CharField(
        max_length=200,
        label=_("Full name"),
        widget=forms.TextInput(attrs={"dir": "auto"}),
        error_messages={"required": _("Please enter your name.")},
    )
    email = AddressField(
        label=_("Email address"),
        help_text=_("We send a confirmation link to this address."),
        error_messages={
            "required": _("Please enter your email address."),
            "invalid": _("Enter a valid email address, e.g. name@example.org."),
        },
    )
    affiliation = forms.CharField(
        max_length=300,
        required=False,
        label=_("Affiliation"),
        help_text=_("Institution, if any."),
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    career_stage = forms.ChoiceField(
        label=_("Career stage"),
        error_messages={
            "required": _("Please choose your career stage."),
            "invalid_choice": _("Please choose your career stage from the list."),
        },
    )
    country = CountryField(blank_label=_("Choose a country")).formfield(
        label=_("Country"),
        widget=LongSelect,
        error_messages={
            "required": _("Please choose your country."),
            "invalid_choice": _("Please choose your country from the list."),
        },
    )
    timezone = forms.ChoiceField(
        widget=LongSelect,
        label=_("Your time zone"),
        help_text=_("Times in your emails are shown in this zone."),
        error_messages={
            "required": _("Choose a time zone from the list."),
            "invalid_choice": _("Choose a time zone from the list."),
        },
    )
    message = forms.CharField(
        label=_("Message to the organizers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree to the storage of your data to register.")},
    )
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["career_stage"].choices = [
            ("", gettext("Choose…")),
            *career_stage_choices(event),
        ]
        self.fields["timezone"].choices = zone_choices()
        self.fields["timezone"].initial = event.timezone
        self.fields["consent"].label = format_html(
            gettext(
                "I agree that my data are stored to run this event, as the {link_start}privacy "
                "notice{link_end} explains."
            ),
            link_start=format_html(
                '<a href="{}" target="_blank">', reverse("registration:privacy")
            ),
            link_end=mark_safe("</a>"),
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("registration:register", kwargs={"slug": event.slug})
        self.helper.attrs = {"novalidate": "", **({"data-bound": "1"} if self.is_bound else {})}
        self.helper.layout = Layout(
            Div(Field("name", autocomplete="name"), css_class="col-md-6"),
            Div(Field("email", autocomplete="email"), css_class="col-md-6"),
            Div("affiliation", css_class="col-md-6"),
            Div("career_stage", css_class="col-md-6"),
            Div(Field("country", autocomplete="country"), css_class="col-md-6"),
            Div(Field("timezone", css_class="js-browser-timezone"), css_class="col-md-6"),
            Div("message", css_class="col-12"),
            Div("consent", css_class="col-12"),
            Div("website", css_class="visually-hidden", aria_hidden="true"),
            Div(Submit("register", gettext("Register")), css_class="col-12"),
        )
        self.helper.form_class = "row g-2"

    def clean_name(self):
        name = one_line_text(self.cleaned_data["name"], gettext("Your name"))
        if not name:
            raise forms.ValidationError(gettext("Please enter your name."))
        return name

    def clean_affiliation(self):
        return one_line_text(self.cleaned_data["affiliation"], gettext("Affiliation"))

    def clean_message(self):
        return readable_text(self.cleaned_data["message"], gettext("Your message"))

    def clean_timezone(self):
        zone = self.cleaned_data["timezone"]
        if not is_valid_zone(zone):
            raise forms.ValidationError(gettext("Choose a time zone from the list."))
        return zone

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class DetailsForm(forms.Form):
    """What a participant may correct on their status page: the registration form's own
    fields and rules. Not the address: it is the identity they confirmed (double opt-in)."""

    name = RegistrationForm.base_fields["name"]
    affiliation = RegistrationForm.base_fields["affiliation"]
    timezone = RegistrationForm.base_fields["timezone"]
    # The language of their emails (and, through the switcher, of the pages). Not required: a
    # post without it keeps the language the registration has.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Emails to you are written in this language."),
        error_messages={"invalid_choice": _("Choose a language from the list.")},
    )

    clean_name = RegistrationForm.clean_name
    clean_affiliation = RegistrationForm.clean_affiliation
    clean_timezone = RegistrationForm.clean_timezone

    def __init__(self, *args, registration, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": registration.name,
                "affiliation": registration.affiliation,
                "timezone": registration.timezone,
                "language": registration.language,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = zone_choices()
        self.helper = FormHelper()
        self.helper.form_action = reverse(
            "registration:edit", kwargs={"secret": registration.secret}
        )
        self.helper.attrs = {"novalidate": ""}
        self.helper.form_class = "row g-2"
        # No js-browser-timezone here: the browser's zone must not replace the one chosen.
        self.helper.layout = Layout(
            Div(Field("name", autocomplete="name"), css_class="col-md-6"),
            Div("affiliation", css_class="col-md-6"),
            Div("timezone", css_class="col-md-6"),
            Div("language", css_class="col-md-6"),
            Div(Submit("save", gettext("Save my details")), css_class="col-12"),
        )


class DeclineForm(forms.Form):
    """The organizer's optional note to declined registrants (admin intermediate page)."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        label=_("Reason"),
        help_text=_("Optional; included in the email to each declined registrant."),
    )
