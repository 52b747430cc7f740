"""Email addresses: the one form in which we store, compare and send them.

People type addresses; we must be able to deliver to what we accept, and two spellings of one
mailbox must be one address (or a look-alike could take someone's registration, or lock them
out). So every address is turned into its *canonical form* before it is stored:

- the part before the @ exactly as typed, and ASCII only: Django's SMTP sending cannot carry
  other characters there (that needs SMTPUTF8 end to end), so such an address is refused with a
  message rather than accepted and never delivered;
- the domain in lower case, internationalised domains as their IDNA (UTS #46) ASCII form,
  ``exämple.org`` → ``xn--exmple-cua.org``: what mail servers expect, and what maps look-alike
  forms of one domain (the Kelvin sign ``K``, full-width letters) onto the domain they mean;
- invisible characters (zero-width spaces, direction marks, soft hyphens) refused: UTS #46 would
  silently drop them, so a pasted address would not be the address the person sees.

A canonical address is all ASCII, so comparing them case-insensitively gives the same answer in
Python, in SQLite and in PostgreSQL (whose ``UPPER`` and ``LOWER`` disagree on ``İ`` and ``K``):
`address_key` is that comparison, and the unique constraints use ``Lower`` of the stored form.
"""

import unicodedata

import idna
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254
INVALID = _("Enter a valid email address, e.g. name@example.org.")
# What bytes that were not UTF-8 became on the way in.
UNREADABLE = "\ufffd"

# Characters that render as nothing (or nearly): format characters (zero-width space and
# joiners, direction marks, soft hyphen), controls, separators other than the plain space,
# private-use and unassigned code points, and the Hangul fillers that fonts draw blank.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn", "Cs"}
BLANK_LOOKING = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def _invisible(char: str) -> bool:
    if char.isascii():  # spaces and line breaks: refused as any malformed address is
        return False
    return char in BLANK_LOOKING or unicodedata.category(char) in INVISIBLE_CATEGORIES


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".strip()


def normalize_address(raw: str) -> str:
    """The canonical form of a typed address, or `ValidationError` with a message that says
    what to change."""
    address = str(raw).strip()
    if not address:
        raise ValidationError(gettext("Please enter your email address."), code="required")
    hidden = next((char for char in address if _invisible(char)), None)
    if hidden is not None:
        raise ValidationError(
            gettext(
                "The address contains an invisible character (%(char)s). Please type the "
                "address again instead of pasting it."
            ),
            code="invisible",
            params={"char": _describe(hidden)},
        )
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or UNREADABLE in address:
        raise ValidationError(INVALID, code="invalid")
    if not local.isascii():
        raise ValidationError(
            gettext(
                "The part before the @ can only use Latin letters without accents, digits and "
                "signs such as . _ - +: mail to other characters there cannot be delivered "
                "reliably. Please use another address."
            ),
            code="local_part",
        )
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(
            gettext(
                "“%(domain)s” is not a domain that can receive mail. Please check the part "
                "after the @."
            ),
            code="domain",
            params={"domain": domain},
        ) from None
    canonical = f"{local}@{ascii_domain}"
    if len(canonical) > MAX_LENGTH:
        raise ValidationError(
            gettext("This address is too long to deliver (at most %(max)d characters)."),
            code="max_length",
            params={"max": MAX_LENGTH},
        )
    validate_email(canonical)
    return canonical


def address_key(address: str) -> str | None:
    """What two addresses must share to be the same mailbox (compare it with ``Lower`` of a
    stored canonical address); None when the text cannot be an address at all."""
    try:
        return normalize_address(address).lower()
    except ValidationError:
        return None


def canonical_or_typed(address: str) -> str:
    """For data that arrives without a form (old rows, imports checked elsewhere): the
    canonical form where there is one, else the text unchanged."""
    try:
        return normalize_address(address)
    except ValidationError:
        return address


def display_address(address: str) -> str:
    """An address as people read it: the domain in its own script (``exämple.org``)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    try:
        return f"{local}@{idna.decode(domain)}"
    except (idna.IDNAError, UnicodeError):
        return address


def validate_address(value: str) -> None:
    """Model and form validator: the address can be delivered (see `normalize_address`)."""
    normalize_address(value)


class AddressField(forms.EmailField):
    """A form field whose cleaned value is the canonical address; every refusal says why."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values or len(value) > self.max_length:
            return value  # the length validator says what is wrong
        try:
            return normalize_address(value)
        except ValidationError as error:
            if error.code in self.error_messages:
                raise ValidationError(self.error_messages[error.code], code=error.code) from None
            raise
