"""What the programme tells the apps built on it, without knowing them.

`workshop` imports none of the apps that mail people about the programme; it announces
changes here and they subscribe (`registration.receivers`, `portal.receivers`). Both signals
are sent by `workshop.services` (from the admin and the importer) inside the transaction that
makes the change, after the change is saved: a receiver's writes — the email rows it queues —
commit or roll back with the change itself, and the outbox sends nothing before the commit.
"""

from django.dispatch import Signal

# A saved session's start or end changed. Keyword arguments: ``session`` (saved, with its
# roles as they are now) and ``changed_fields`` (a set of field names).
session_rescheduled = Signal()

# The meeting people join changed: the event's own (``session`` is None: every session that
# does not override it) or one session's override. Keyword arguments: ``event``, ``session``.
meeting_changed = Signal()
