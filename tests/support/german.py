"""Does a German page, email or calendar leak English? Checked against the catalogue itself:
every English source text (msgid) whose German differs must not appear in the German render,
so a string someone forgot to mark, or marked but left out of the catalogue, is found without
a hand-picked list of strings."""

import functools
import html as html_lib
import re
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

# What splits a source text into the literal pieces that reach the output: placeholders
# (%(name)s, %s, {name}), template variables and HTML tags.
_SPLITTERS = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[^}]*\}|<[^>]*>|\n")
_MIN_LENGTH = 4


def catalogue() -> polib.POFile:
    return polib.pofile(str(Path(settings.LOCALE_PATHS[0]) / "de" / "LC_MESSAGES" / "django.po"))


@functools.cache
def _english_pattern() -> re.Pattern:
    phrases = set()
    for entry in catalogue():
        if entry.msgid_plural:
            german = " ".join(entry.msgstr_plural.values())
        else:
            german = entry.msgstr
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for piece in _SPLITTERS.split(source):
                piece = " ".join(piece.split()).strip(" .,:;!?()[]–-—“”\"'")
                if len(piece) < _MIN_LENGTH or not re.search("[A-Za-z]{3}", piece):
                    continue
                if piece in german:  # the same in German: "Workshop", "Zoom", "Abstract"
                    continue
                phrases.add(piece)
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-zÄÖÜäöüß])(?:{alternatives})(?![A-Za-zÄÖÜäöüß])")


_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_SHOWN_ATTRIBUTES = re.compile(
    r"""\b(?:aria-label|placeholder|title|alt|data-[a-z-]*label[a-z-]*)\s*=\s*("[^"]*"|'[^']*')""",
    re.I,
)


def visible_text(markup: str) -> str:
    """What a reader sees or hears of an HTML page: its text and its labelling attributes."""
    markup = _HIDDEN.sub(" ", markup)
    labels = [value[1:-1] for value in _SHOWN_ATTRIBUTES.findall(markup)]
    text = re.sub(r"<[^>]+>", "\n", markup)
    return html_lib.unescape("\n".join([text, *labels]))


def english_leaks(text: str, *, allow: tuple[str, ...] = ()) -> list[str]:
    """The English source texts found in ``text`` (a German render; HTML is reduced to its
    visible text). ``allow``: content written in English that the test put there (titles,
    names), never interface text."""
    if "<" in text:
        text = visible_text(text)
    for allowed in allow:
        text = text.replace(allowed, " ")
    text = re.sub(r"\b(?:https?|webcal|mailto):\S+", " ", text)  # addresses are not words
    text = " ".join(text.split())
    return sorted(set(_english_pattern().findall(text)))


def german(text: str) -> str:
    """The German of an English source text, as the catalogue has it."""
    with translation.override("de"):
        return gettext(text)
