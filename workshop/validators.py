"""Checks of what people type into our forms (registration, the speaker portal): text that
arrived unreadable is refused rather than stored damaged, and one-line fields (names,
affiliations) refuse line breaks and other control characters — a line break in a name is how
header injection starts."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# C0 controls, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# In text of several lines (Markdown: a description, a bio) tabs and line breaks belong.
MULTI_LINE_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a browser's bytes turn into when they are not UTF-8: the text is lost, not stored.
UNREADABLE = "\ufffd"


def is_unreadable(value: str) -> bool:
    return UNREADABLE in value


def has_control_chars(value: str) -> bool:
    return CONTROL_CHARS.search(value) is not None


def first_control_char(value: str, *, multi_line: bool = False) -> str | None:
    """The first character that has no place in one line of text (or, with `multi_line`, in
    text of several lines), or None. NUL is among them: PostgreSQL cannot store it."""
    found = (MULTI_LINE_CONTROL_CHARS if multi_line else CONTROL_CHARS).search(value)
    return found and found.group()


def readable_text(value: str, label: str) -> str:
    if is_unreadable(value):
        raise ValidationError(
            gettext("%(label)s contains characters that could not be read. Please type it again.")
            % {"label": label}
        )
    return value


def one_line_text(value: str, label: str) -> str:
    """Readable, on one line; returned stripped."""
    readable_text(value, label)
    if has_control_chars(value):
        raise ValidationError(
            gettext("%(label)s must be a single line of text.") % {"label": label}
        )
    return value.strip()
