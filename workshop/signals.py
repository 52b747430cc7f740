"""What the programme tells the apps built on it, without knowing them.

`workshop` imports none of the apps that mail people about the programme; it announces
changes here and they subscribe (`registration.receivers`, `portal.receivers`). The first
two are sent by `workshop.services` (from the admin and the importer); `session_added` and
`session_cancelled` by `workshop.receivers`, on every write path. All are sent inside the
transaction that makes the change, after the change is saved: a receiver's writes — the
email rows it queues — commit or roll back with the change itself, and the outbox sends
nothing before the commit.
"""

from django.dispatch import Signal

# A saved session's start or end changed. Keyword arguments: ``session`` (saved, with its
# roles as they are now), ``changed_fields`` (a set of field names) and ``previous`` (the
# ``(start, end)`` it had before this save, or None when unknown).
session_rescheduled = Signal()

# A session was added to an event's programme (every write path: admin, importer, shell).
# Keyword argument: ``session`` (saved; its roles may follow later in the transaction).
session_added = Signal()

# A session was removed from the programme. Keyword argument: ``session``, the deleted row as
# it was (its pk, uid, sequence, title, times and event_id still readable).
session_cancelled = Signal()

# The meeting people join changed: the event's own (``session`` is None: every session that
# does not override it) or one session's override. Keyword arguments: ``event``, ``session``.
meeting_changed = Signal()
