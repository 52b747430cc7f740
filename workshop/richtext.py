"""Markdown as the programme uses it (descriptions, abstracts, bios): to sanitized HTML for
the pages, and to plain text for search snippets. One renderer, so both read the same text."""

import html

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["extra", "sane_lists"]
# No images: an abstract must not make every visitor's browser fetch from a third party.
ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img", "map", "area"}
ALLOWED_ATTRIBUTES = {
    tag: attrs for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in ALLOWED_TAGS
}


def _raw_html(text: str) -> str:
    return markdown_lib.markdown(text, extensions=EXTENSIONS)


def markdown_html(text: str | None) -> SafeString:
    """Markdown → HTML, sanitized with nh3 (no scripts, event handlers, images or
    ``javascript:`` links)."""
    if not text:
        return mark_safe("")
    cleaned = nh3.clean(
        _raw_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # nh3's output: only the allowed tags and attributes


def markdown_text(text: str | None) -> str:
    """What a Markdown text reads as: no markup (whitespace as the HTML left it)."""
    if not text:
        return ""
    return html.unescape(nh3.clean(_raw_html(text), tags=set()))
