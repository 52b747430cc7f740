from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django_countries.fields import CountryField

from workshop.addresses import AddressField
from workshop.validators import one_line_text, readable_text
from workshop.widgets import LongSelect
from workshop.zones import is_valid_zone, zone_choices

DEFAULT_CAREER_STAGES = ["Scholar", "Student"]
OTHER = "Other"


def career_stage_choices(event) -> list[tuple[str, str]]:
    """The event's target groups (e.g. "Scientists and scholars", "Students") plus Other."""
    names = [group.name for group in event.target_groups.all()] or DEFAULT_CAREER_STAGES
    return [(name, name) for name in names] + [(OTHER, OTHER)]


class RegistrationForm(forms.Form):
    # dir="auto": an Arabic or Hebrew name is typed and shown right to left.
    name = forms.CharField(
        max_length=200,
        label="Full name",
        widget=forms.TextInput(attrs={"dir": "auto"}),
        error_messages={"required": "Please enter your name."},
    )
    email = AddressField(
        label="Email address",
        help_text="We send a confirmation link to this address.",
        error_messages={
            "required": "Please enter your email address.",
            "invalid": "Enter a valid email address, e.g. name@example.org.",
        },
    )
    affiliation = forms.CharField(
        max_length=300,
        required=False,
        help_text="Institution, if any.",
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    career_stage = forms.ChoiceField(
        label="Career stage",
        error_messages={
            "required": "Please choose your career stage.",
            "invalid_choice": "Please choose your career stage from the list.",
        },
    )
    country = CountryField(blank_label="Choose a country").formfield(
        widget=LongSelect,
        error_messages={
            "required": "Please choose your country.",
            "invalid_choice": "Please choose your country from the list.",
        },
    )
    timezone = forms.ChoiceField(
        widget=LongSelect,
        label="Your time zone",
        help_text="Times in your emails are shown in this zone.",
        error_messages={
            "required": "Choose a time zone from the list.",
            "invalid_choice": "Choose a time zone from the list.",
        },
    )
    message = forms.CharField(
        label="Message to the organizers",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": "Please agree to the storage of your data to register."},
    )
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["career_stage"].choices = [("", "Choose…"), *career_stage_choices(event)]
        self.fields["timezone"].choices = zone_choices()
        self.fields["timezone"].initial = event.timezone
        self.fields["consent"].label = format_html(
            'I agree that my data are stored to run this event, as the <a href="{}" '
            'target="_blank">privacy notice</a> explains.',
            reverse("registration:privacy"),
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
            Div(Submit("register", "Register"), css_class="col-12"),
        )
        self.helper.form_class = "row g-2"

    def clean_name(self):
        name = one_line_text(self.cleaned_data["name"], "Your name")
        if not name:
            raise forms.ValidationError("Please enter your name.")
        return name

    def clean_affiliation(self):
        return one_line_text(self.cleaned_data["affiliation"], "Affiliation")

    def clean_message(self):
        return readable_text(self.cleaned_data["message"], "Your message")

    def clean_timezone(self):
        zone = self.cleaned_data["timezone"]
        if not is_valid_zone(zone):
            raise forms.ValidationError("Choose a time zone from the list.")
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
    # The language field joins here with the i18n issue (the registrant has none yet).

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
            Div(Submit("save", "Save my details"), css_class="col-12"),
        )


class DeclineForm(forms.Form):
    """The organizer's optional note to declined registrants (admin intermediate page)."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Optional; included in the email to each declined registrant.",
    )
