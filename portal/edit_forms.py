"""Forms of the signed-in portal pages: profile, abstract, paper upload.

The sign-in form lives in ``forms.py``; these only parse and validate what a person types.
The services in ``edits.py`` and ``papers.py`` do the writing.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workshop.models import EventPerson
from workshop.validators import has_control_chars, is_unreadable, readable_text
from workshop.zones import validate_timezone_name

from .papers import validate_paper

BIO_MAX_LENGTH = 10_000
ABSTRACT_MAX_LENGTH = 20_000
AFFILIATION_PREFIX = "affiliation_"


class ProfileForm(forms.Form):
    """Bio, time zone, language and one affiliation field per upcoming event
    (``affiliation_<id>``)."""

    bio = forms.CharField(
        label=_("Bio"),
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        help_text=_(
            "Shown on your public page and with your sessions. Markdown: *italic*, "
            "**bold**, [links](https://example.org), lists."
        ),
    )
    timezone = forms.CharField(
        label=_("Your time zone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_(
            "The portal shows your sessions in this zone as well as in the event's "
            "zones. An IANA name such as Asia/Shanghai or America/New_York; empty: UTC."
        ),
    )
    # Not required: a form without it (an older page) leaves the language as it is.
    language = forms.ChoiceField(
        label=_("Language of your emails"),
        required=False,
        choices=settings.LANGUAGES,
        help_text=_("The portal's emails to you (invitations, reminders, changes) use it."),
    )

    def __init__(self, *args, links: list[EventPerson] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.links = list(links)
        for link in self.links:
            self.fields[self.affiliation_field(link)] = forms.CharField(
                label=gettext("Affiliation at “%(event)s”") % {"event": link.event.title},
                required=False,
                max_length=EventPerson._meta.get_field("affiliation").max_length,
                initial=link.affiliation,
                widget=forms.TextInput(attrs={"dir": "auto"}),
            )

    @staticmethod
    def affiliation_field(link: EventPerson) -> str:
        return f"{AFFILIATION_PREFIX}{link.pk}"

    def affiliation_fields(self):
        return [self[self.affiliation_field(link)] for link in self.links]

    def clean_bio(self) -> str:
        return readable_text(self.cleaned_data["bio"], gettext("Your bio"))

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if value:
            validate_timezone_name(value)
        return value

    def clean(self):
        cleaned = super().clean()
        for link in self.links:
            name = self.affiliation_field(link)
            value = cleaned.get(name)
            if value is None:
                continue
            if is_unreadable(value):
                self.add_error(
                    name,
                    gettext(
                        "This contains characters that could not be read. Please type it again."
                    ),
                )
            elif has_control_chars(value):
                self.add_error(name, gettext("An affiliation is a single line of text."))
        return cleaned

    def chosen_language(self) -> str | None:
        """The language chosen, or None: not in the form, leave it."""
        return self.cleaned_data.get("language") or None

    def affiliations(self) -> dict[int, str]:
        return {link.pk: self.cleaned_data[self.affiliation_field(link)] for link in self.links}


class AbstractForm(forms.Form):
    abstract = forms.CharField(
        label=_("Abstract"),
        required=False,
        max_length=ABSTRACT_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}),
        help_text=_(
            "Shown on the public page of the session. Markdown: *italic*, **bold**, "
            "[links](https://example.org), lists."
        ),
    )

    def clean_abstract(self) -> str:
        return readable_text(self.cleaned_data["abstract"], gettext("The abstract")).strip()


class PaperForm(forms.Form):
    file = forms.FileField(
        label=_("Paper (PDF)"),
        error_messages={"required": _("Choose a PDF file to upload.")},
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_paper(upload)
        return upload
