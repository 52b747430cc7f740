"""The one canonical form of email addresses (workshop.addresses): what is accepted can be
delivered, look-alike spellings of one mailbox become one address, and every refusal says what
to change."""

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.addresses import address_key, display_address, normalize_address


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("chen@example.org", "chen@example.org"),
        ("  Alice@Example.COM ", "Alice@example.com"),
        # Internationalised domains are sent in their IDNA form, which mail servers expect.
        ("idn@exämple.org", "idn@xn--exmple-cua.org"),
        ("tanaka@例え.jp", "tanaka@xn--r8jz45g.jp"),
        ("idn@xn--exmple-cua.org", "idn@xn--exmple-cua.org"),
        # Look-alikes of a domain map onto the domain they spell (UTS #46): the Kelvin sign
        # and full-width letters are the same mailbox as the plain letters.
        ("victim@gmail.\u212aom", "victim@gmail.kom"),
        ("victim@\uff47mail.com", "victim@gmail.com"),
        # ...and a dotted capital I is another domain, not gmail.com.
        ("victim@gma\u0130l.com", "victim@xn--gmail-bgd.com"),
    ],
)
def test_normalize_address_gives_the_form_we_store_and_send(typed, canonical):
    assert normalize_address(typed) == canonical
    assert canonical.isascii()


INVISIBLE = (
    "The address contains an invisible character (%(char)s). Please type the address again "
    "instead of pasting it."
)
LATIN_ONLY = (
    "The part before the @ can only use Latin letters without accents, digits and signs such "
    "as . _ - +: mail to other characters there cannot be delivered reliably. Please use "
    "another address."
)
NO_DOMAIN = "“%(domain)s” is not a domain that can receive mail. Please check the part after the @."
INVALID = "Enter a valid email address, e.g. name@example.org."
INVALID_FOR_DJANGO = "Enter a valid email address."  # Django's EmailValidator


@pytest.mark.parametrize(
    ("typed", "msgid", "params"),
    [
        ("a@exa\u200bmple.org", INVISIBLE, {"char": "U+200B ZERO WIDTH SPACE"}),
        ("a\u200d@example.org", INVISIBLE, {"char": "U+200D ZERO WIDTH JOINER"}),
        ("a@example.org\u202e", INVISIBLE, {"char": "U+202E RIGHT-TO-LEFT OVERRIDE"}),
        ("a@ex\u00adample.org", INVISIBLE, {"char": "U+00AD SOFT HYPHEN"}),
        ("\u212aim@example.org", LATIN_ONLY, {}),
        ("陈涛@例子.中国", LATIN_ONLY, {}),
        ("a@-example.org", NO_DOMAIN, {"domain": "-example.org"}),
        ("a@😀.com", NO_DOMAIN, {"domain": "😀.com"}),
        ("no-at-sign", INVALID, {}),
        ("a b@example.org", INVALID_FOR_DJANGO, {}),
    ],
)
def test_normalize_address_refuses_what_cannot_be_delivered_and_says_why(typed, msgid, params):
    with pytest.raises(ValidationError) as refused:
        normalize_address(typed)
    expected = gettext(msgid) % params if params else gettext(msgid)
    assert refused.value.messages == [expected]


def test_address_key_compares_look_alikes_as_the_database_constraint_does():
    assert address_key("Victim@GMAIL.com") == address_key("victim@gmail.com") == "victim@gmail.com"
    assert address_key("victim@gmail.\u212aom") == "victim@gmail.kom"
    assert address_key("victim@gma\u0130l.com") != address_key("victim@gmail.com")
    assert address_key("not an address") is None


def test_display_address_shows_the_domain_in_its_own_script():
    assert display_address("idn@xn--exmple-cua.org") == "idn@exämple.org"
    assert display_address("chen@example.org") == "chen@example.org"
    assert display_address("weird@xn--") == "weird@xn--"


@settings(max_examples=300, deadline=None)
@given(
    st.text(min_size=0, max_size=30),
    st.sampled_from(["@", "@@", ""]),
    st.text(
        alphabet=st.sampled_from(list("abcäö例え.-İ\u212a\u200b\u00ad\uff47 xn--0")),
        max_size=25,
    ),
)
def test_normalize_address_either_refuses_or_gives_a_stable_ascii_address(local, at, domain):
    typed = f"{local}{at}{domain}"
    try:
        canonical = normalize_address(typed)
    except ValidationError as error:
        assert error.messages and all(error.messages)
        return
    assert canonical.isascii()
    assert len(canonical) <= 254
    assert normalize_address(canonical) == canonical
    assert address_key(typed) == canonical.lower()
