"""Forms of the registration admin that are not a model's change form."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from workshop.addresses import AddressField
from workshop.models import Event
from workshop.validators import one_line_text, readable_text
from workshop.widgets import LongSelect
from workshop.zones import is_valid_zone, zone_choices

from . import organizer_messages
from .forms import CAREER_STAGE_LABELS, DEFAULT_CAREER_STAGES, OTHER, career_stage_from_typed
from .models import ParticipantMessage


class AddParticipantForm(forms.Form):
    """An organizer enters a participant (e.g. an invited guest). The choices are explicit:
    a hand-added participant is approved directly only when the organizer ticks it."""

    EMAIL = "email"
    CONFIRMED = "confirmed"

    event = forms.ModelChoiceField(
        label=_("Event"), queryset=Event.objects.order_by("-created_at", "-pk")
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    email = AddressField(label=_("Email address"))
    affiliation = forms.CharField(
        label=_("Affiliation"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    career_stage = forms.CharField(
        label=_("Career stage"),
        max_length=100,
        initial=CAREER_STAGE_LABELS[DEFAULT_CAREER_STAGES[0]],
        # The default stages are named in the admin's language and stored as the registration
        # form stores them (`career_stage_from_typed`).
        help_text=format_lazy(
            _(
                "As on the registration form: one of the event's target groups, "
                "{defaults} or {other}."
            ),
            defaults=lazy(
                lambda: ", ".join(str(CAREER_STAGE_LABELS[n]) for n in DEFAULT_CAREER_STAGES),
                str,
            )(),
            other=CAREER_STAGE_LABELS[OTHER],
        ),
    )
    country = CountryField(blank_label=_("Choose a country")).formfield(
        label=_("Country"), widget=LongSelect
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        widget=LongSelect,
        help_text=_("Times in their emails are shown in this zone."),
    )
    # The organizer chooses: the participant's language is not the organizer's admin language.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        # A post without it (an older form, a script) registers in the site's language.
        required=False,
        help_text=_("Their emails are written in this language."),
    )
    message = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "dir": "auto"}),
        help_text=_("Kept with the registration, like a registrant's message to the organizers."),
    )
    confirmation = forms.ChoiceField(
        label=_("Confirmation"),
        choices=[
            (EMAIL, _("Send the confirmation email (double opt-in)")),
            (CONFIRMED, _("Register as confirmed, without the confirmation email")),
        ],
        initial=EMAIL,
        widget=forms.RadioSelect,
        help_text=_(
            "Registered as confirmed, they go where a confirmation would take them (awaiting "
            "approval, or the waiting list when the event is full) and get that email."
        ),
    )
    approve = forms.BooleanField(
        label=_("Approve now (sends the invitation with the meeting link)"),
        required=False,
        help_text=_("Only together with “Register as confirmed”. Past the capacity it is refused."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [("", "---------"), *zone_choices()]

    def clean_name(self):
        name = one_line_text(self.cleaned_data["name"], gettext("The name"))
        if not name:
            raise forms.ValidationError(gettext("Enter the participant's name."))
        return name

    def clean_affiliation(self):
        return one_line_text(self.cleaned_data["affiliation"], gettext("Affiliation"))

    def clean_career_stage(self):
        typed = one_line_text(self.cleaned_data["career_stage"], gettext("Career stage"))
        return career_stage_from_typed(typed)

    def clean_message(self):
        return readable_text(self.cleaned_data["message"], gettext("The note"))

    def clean_timezone(self):
        zone = self.cleaned_data["timezone"]
        if not is_valid_zone(zone):
            raise forms.ValidationError(gettext("Choose a time zone from the list."))
        return zone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("approve") and cleaned.get("confirmation") != self.CONFIRMED:
            self.add_error(
                "approve",
                gettext(
                    "Approve only a participant registered as confirmed: one who still has to "
                    "confirm their address cannot be approved yet."
                ),
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
            "language": data["language"] or settings.LANGUAGE_CODE,
            "send_confirmation": data["confirmation"] == self.EMAIL,
            "approve": data["approve"],
        }


class ParticipantMessageForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=ParticipantMessage._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Placeholders: {name}, {event}."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=ParticipantMessage._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        help_text=_(
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
