"""The programme of an event as HTML (days, sections, slots), rendered once per viewer zone
and kept in Django's cache (`CACHE_URL`: Redis shared by every process; per-process memory
otherwise).

Nothing is ever deleted from the cache: the key names everything the fragment depends on, so
a changed programme simply has a new key.

- the event: pk and creation time (a recreated database, or a pk SQLite reuses, is another
  event);
- its `programme_version`, raised in the same transaction as every change of what the
  programme shows (`workshop.receivers`, `services.touch_programme`); it is read with the event,
  so checking freshness costs no query;
- the viewer's zone (the "your time" of every slot);
- the code that renders it (the templates and modules below, hashed once per process): a
  deploy that changes the markup does not serve the old markup from a shared cache;
- the URL prefix and the language (links, month and day names).

Nothing else about the visitor goes in: the page's CSRF token, messages, zone form and the
registration window stay outside the fragment and are rendered for every request.
"""

import hashlib
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as fragment_cache
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from . import selectors
from .models import Event

logger = logging.getLogger(__name__)

PROGRAMME_TEMPLATE = "workshop/partials/programme.html"
# What the fragment's markup is made by: a change to any of them is a new cache key.
RENDERING_TEMPLATES = (
    PROGRAMME_TEMPLATE,
    "workshop/partials/slot.html",
    "workshop/partials/people_inline.html",
)
RENDERING_MODULES = (
    "fragments.py",
    "models.py",
    "selectors.py",
    "templatetags/programme.py",
    "urls.py",
    "zones.py",
)
# The key changes with every edit, so old entries are never served; they just expire.
TIMEOUT_SECONDS = 24 * 60 * 60


@cache
def code_version() -> str:
    digest = hashlib.sha256()
    paths = [Path(get_template(name).origin.name) for name in RENDERING_TEMPLATES]
    paths += [Path(__file__).parent / name for name in RENDERING_MODULES]
    # The words of the fragment: a changed translation is new markup too.
    paths += sorted(
        path for locale in settings.LOCALE_PATHS for path in Path(locale).glob("*/LC_MESSAGES/*.po")
    )
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def programme_cache_key(event: Event, *, zone: str) -> str:
    context = "|".join(
        [
            code_version(),
            f"{event.created_at.timestamp():.6f}",
            zone,
            get_script_prefix(),
            translation.get_language() or "",
        ]
    )
    digest = hashlib.sha256(context.encode()).hexdigest()[:32]
    return f"programme:{event.pk}:{event.programme_version}:{digest}"


def render_programme(event: Event, *, zone: str) -> str:
    # No request: context processors (user, CSRF token, messages) cannot reach the fragment.
    return render_to_string(
        PROGRAMME_TEMPLATE,
        {"event": event, "programme": selectors.get_programme(event), "viewer": {"zone": zone}},
    )


def programme_html(event: Event, *, zone: str) -> SafeString:
    """The event's programme with "your time" in `zone`, from the cache when it has it.
    A cache that does not answer (Redis down) costs a render, never the page."""
    key = programme_cache_key(event, zone=zone)
    try:
        html = fragment_cache.get(key)
    except Exception:  # noqa: BLE001 — any cache failure: render without it
        logger.warning("programme cache unavailable; rendering without it", exc_info=True)
        return mark_safe(render_programme(event, zone=zone))
    if html is None:
        html = render_programme(event, zone=zone)
        try:
            fragment_cache.set(key, html, TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("programme cache unavailable; not stored", exc_info=True)
    # Our own rendering, escaped by the template engine when it was made.
    return mark_safe(html)
