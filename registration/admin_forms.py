"""Forms of the registration admin that are not a model's change form."""

from django import forms
from django.core.exceptions import ValidationError
from django_countries.fields import CountryField

from workshop.addresses import AddressField
from workshop.models import Event
from workshop.validators import one_line_text, readable_text
from workshop.widgets import LongSelect
from workshop.zones import is_valid_zone, zone_choices

from . import organizer_messages
from .forms import DEFAULT_CAREER_STAGES, OTHER
from .models import ParticipantMessage


class AddParticipantForm(forms.Form):
    """An organizer enters a participant (e.g. an invited guest). The choices are explicit:
    a hand-added participant is approved directly only when the organizer ticks it."""

    EMAIL = "email"
    CONFIRMED = "confirmed"

    event = forms.ModelChoiceField(queryset=Event.objects.order_by("-created_at", "-pk"))
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"dir": "auto"}))
    email = AddressField(label="Email address")
    affiliation = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    career_stage = forms.CharField(
        max_length=100,
        initial=DEFAULT_CAREER_STAGES[0],
        help_text=(
            "As on the registration form: one of the event's target groups, "
            f"{', '.join(DEFAULT_CAREER_STAGES)} or {OTHER}."
        ),
    )
    country = CountryField(blank_label="Choose a country").formfield(widget=LongSelect)
    timezone = forms.ChoiceField(
        label="Time zone",
        widget=LongSelect,
        help_text="Times in their emails are shown in this zone.",
    )
    message = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "dir": "auto"}),
        help_text="Kept with the registration, like a registrant's message to the organizers.",
    )
    confirmation = forms.ChoiceField(
        label="Confirmation",
        choices=[
            (EMAIL, "Send the confirmation email (double opt-in)"),
            (CONFIRMED, "Register as confirmed, without the confirmation email"),
        ],
        initial=EMAIL,
        widget=forms.RadioSelect,
        help_text=(
            "Registered as confirmed, they go where a confirmation would take them (awaiting "
            "approval, or the waiting list when the event is full) and get that email."
        ),
    )
    approve = forms.BooleanField(
        label="Approve now (sends the invitation with the meeting link)",
        required=False,
        help_text="Only together with “Register as confirmed”. Past the capacity it is refused.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [("", "---------"), *zone_choices()]

    def clean_name(self):
        name = one_line_text(self.cleaned_data["name"], "The name")
        if not name:
            raise forms.ValidationError("Enter the participant's name.")
        return name

    def clean_affiliation(self):
        return one_line_text(self.cleaned_data["affiliation"], "Affiliation")

    def clean_career_stage(self):
        return one_line_text(self.cleaned_data["career_stage"], "Career stage")

    def clean_message(self):
        return readable_text(self.cleaned_data["message"], "The note")

    def clean_timezone(self):
        zone = self.cleaned_data["timezone"]
        if not is_valid_zone(zone):
            raise forms.ValidationError("Choose a time zone from the list.")
        return zone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("approve") and cleaned.get("confirmation") != self.CONFIRMED:
            self.add_error(
                "approve",
                "Approve only a participant registered as confirmed: one who still has to "
                "confirm their address cannot be approved yet.",
            )
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "event": data["event"],
            "name": data["name"],
            "email": data["email"],
            "affiliation": data["affiliation"],
            "career_stage": data["career_stage"],
            "country": data["country"],
            "timezone_name": data["timezone"],
            "message": data["message"],
            "send_confirmation": data["confirmation"] == self.EMAIL,
            "approve": data["approve"],
        }


class ParticipantMessageForm(forms.Form):
    subject = forms.CharField(
        max_length=ParticipantMessage._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Placeholders: {name}, {event}.",
    )
    body = forms.CharField(
        label="Text",
        max_length=ParticipantMessage._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        help_text=(
            # Admin renders help text as HTML: no angle brackets in it.
            "Plain text. The email begins with “Dear” and the participant's name, and ends "
            "with their personal status link. Placeholders: {name}, {event}, {status_link}, "
            "{join_link}. Write {{ and }} for literal braces."
        ),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def clean_body(self):
        # Browsers post a textarea's line breaks as CRLF; the email's text part uses LF.
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")

    def clean(self):
        data = super().clean()
        try:
            organizer_messages.validate_placeholders(
                subject=data.get("subject", ""), body=data.get("body", "")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return data
