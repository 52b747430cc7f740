"""What the Zoom app tells the apps that have people to register, without knowing them."""

from django.dispatch import Signal

# A Zoom meeting was created and is now the meeting of its event (or session). Keyword
# argument: ``meeting`` (a ZoomMeeting). Receivers register everyone who may join by now
# (`services.request_links`); sent inside the worker's transaction.
meeting_ready = Signal()
