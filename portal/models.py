"""What the portal keeps besides the programme: the papers of talks.

(A person's portal login, time zone and calendar-feed secret are fields of
`workshop.models.Person`, where they were first added.)
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from workshop.models import Person, Session


class PrivateStorage(FileSystemStorage):
    """Files only a view that checks who asks may serve: they have no URL, and they live in
    PRIVATE_MEDIA_ROOT (read when used, so settings overrides in tests apply)."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a checked view.")


def private_storage() -> FileSystemStorage:
    return PrivateStorage()


def paper_path(paper: "Paper", filename: str) -> str:
    return f"papers/{paper.session.event.slug}/{paper.session.uid}/{uuid.uuid4().hex}.pdf"


class Paper(models.Model):
    """The paper of a talk: readable by the session's speakers, chairs and commentators."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="paper", verbose_name=_("session")
    )
    uploaded_by = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        related_name="uploaded_papers",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(
        _("file"), upload_to=paper_path, storage=private_storage, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.session})"
