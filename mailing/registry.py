"""Which code builds each kind of email.

The outbox sends what feature apps ask it to, without knowing any of them: each app registers
its kinds in its ``AppConfig.ready()`` with a builder (``builder(row) -> Message``), and the
worker looks the builder up by the row's kind at send time. A kind without a builder is a
configuration error: ``queue_email`` refuses it at once, and the system check
``mailing.E001`` (run by ``migrate``, so at deploy time) reports queued rows that no code can
build any more.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

if TYPE_CHECKING:  # pragma: no cover — typing only
    from .message import Message
    from .models import OutgoingEmail

KIND_MAX_LENGTH = 30


@dataclass(frozen=True)
class EmailKind:
    name: str
    # Usually a lazy translation (``gettext_lazy``): kept lazy, so that the ledger admin shows
    # it in the language of whoever looks, not in the one active when the app registered it.
    label: "str | Promise"
    build: "Callable[[OutgoingEmail], Message]"


class UnknownKind(LookupError):
    """No builder is registered for this kind of email."""


_KINDS: dict[str, EmailKind] = {}


def register(
    name: str, *, label: "str | Promise", build: "Callable[[OutgoingEmail], Message]"
) -> None:
    """Make ``build`` the builder of emails of kind ``name``; ``label`` names the kind in the
    ledger admin (a lazy translation stays lazy). Registering the same builder again is
    harmless (``ready()`` may run twice in tests); another builder for a taken kind is a
    mistake."""
    name = str(name)  # a TextChoices member stands for its value
    if not name or len(name) > KIND_MAX_LENGTH:
        raise ImproperlyConfigured(f"Email kind {name!r} must have 1 to {KIND_MAX_LENGTH} chars.")
    existing = _KINDS.get(name)
    if existing is not None and existing.build is not build:
        raise ImproperlyConfigured(f"Email kind {name!r} has a builder already: {existing.build}")
    if not isinstance(label, Promise):
        label = str(label)
    _KINDS[name] = EmailKind(name=name, label=label, build=build)


def register_all(kinds, *, build: "Callable[[OutgoingEmail], Message]") -> None:
    """Register every member of a ``TextChoices`` of kinds (value: the kind, label: its
    label) with one builder."""
    for kind in kinds:
        register(kind.value, label=kind.label, build=build)


def get(name: str) -> EmailKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(f"no builder is registered for emails of kind {name!r}") from None


def is_registered(name: str) -> bool:
    return name in _KINDS


def label(name: str) -> "str | Promise":
    """The kind's label, in the active language (its registered label may be lazy)."""
    kind = _KINDS.get(name)
    return kind.label if kind is not None else name


def kinds() -> list[EmailKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)
