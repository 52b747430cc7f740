"""The name of a language code as people read it, in the active language."""

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext


def language_name(code: str) -> str:
    """``en`` → ``English`` (``Englisch`` in German: Django's own catalogue names the
    languages); a regional code (``zh-hans``) falls back as Django's does; an unknown code is
    shown as it is."""
    info = LANG_INFO.get((code or "").lower(), {})
    if "fallback" in info:
        info = LANG_INFO.get(info["fallback"][0], {})
    name = info.get("name")
    return gettext(name) if name else code
