"""Forms of the speaker portal."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    """Ask for a sign-in link: the only thing a speaker ever types to sign in."""

    email = forms.EmailField(
        max_length=254,
        label=_("Your email address"),
        help_text=_("The address the organizers have for you as a speaker, chair or commentator."),
        error_messages={
            "required": _("Please enter your email address."),
            "invalid": _("Enter a valid email address, e.g. name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
