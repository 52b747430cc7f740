"""Reads of the Zoom app: the personal join links a person has, for the apps that show them."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_noop

from mailing.message import WaitForData
from workshop.ics import JoinLinks, Meeting

from . import client
from .models import ZoomMeeting, ZoomRegistrant

# What an email with a Zoom meeting waits for, as the ledger shows it (translated there); the
# Zoom worker wakes it the moment the link is stored, else it looks again after this long.
WAITING_FOR_LINK = gettext_noop("the personal Zoom join link")
LINK_WAIT_SECONDS = 60


def wait_for_links(
    holder: models.Model,
    event_ids: Iterable[int],
    links: JoinLinks | None,
    meetings: Iterable[Meeting],
) -> None:
    """For email builders: WaitForData while a Zoom meeting among ``meetings`` has no
    personal link for ``holder`` yet (never send the shared one instead)."""
    meetings = list(meetings)
    if links is None or not links.missing(meetings):
        return
    event_ids = list(event_ids)

    def ready() -> bool:
        now = join_links(holder, event_ids=event_ids)
        return now is None or not now.missing(meetings)

    raise WaitForData(WAITING_FOR_LINK, retry_in=LINK_WAIT_SECONDS, ready=ready)


def join_links(holder: models.Model, *, event_ids: Iterable[int]) -> JoinLinks | None:
    """The holder's own links to the Zoom meetings of these events, and which meetings are
    Zoom's (nobody joins those with the shared link). None without Zoom settings: then the
    programme's fixed link is everyone's, as before Zoom."""
    if not client.is_configured():
        return None
    event_ids = list(event_ids)
    managed = {
        str(zoom_id)
        for zoom_id in ZoomMeeting.objects.filter(
            event_id__in=event_ids, state=ZoomMeeting.State.READY, zoom_id__isnull=False
        ).values_list("zoom_id", flat=True)
    }
    if not managed:
        return JoinLinks()
    personal = dict(
        ZoomRegistrant.objects.filter(
            holder_type=ContentType.objects.get_for_model(holder),
            holder_id=holder.pk,
            wanted=True,
            state=ZoomRegistrant.State.ADDED,
            meeting__state=ZoomMeeting.State.READY,
            meeting__event_id__in=event_ids,
        )
        .exclude(join_url="")
        .values_list("meeting__zoom_id", "join_url")
    )
    return JoinLinks(
        personal={str(key): url for key, url in personal.items()}, managed=frozenset(managed)
    )


@dataclass(frozen=True)
class LinkStatus:
    """How far a holder's personal links got, for organizers (admin) and the holder."""

    wanted: int
    added: int
    failed: int
    errors: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.wanted > 0 and self.added == self.wanted


def link_status(holders: Iterable[models.Model]) -> dict[int, LinkStatus]:
    """By holder id (all holders of one model): their registrant rows summed up."""
    rows = holder_rows(holders).filter(wanted=True).values_list("holder_id", "state", "last_error")
    summary: dict[int, list] = {}
    for holder_id, state, error in rows:
        wanted, added, failed, errors = summary.setdefault(holder_id, [0, 0, 0, []])
        summary[holder_id][0] += 1
        if state == ZoomRegistrant.State.ADDED:
            summary[holder_id][1] += 1
        if state == ZoomRegistrant.State.FAILED:
            summary[holder_id][2] += 1
        if error:
            errors.append(error)
    return {
        holder_id: LinkStatus(wanted, added, failed, tuple(errors))
        for holder_id, (wanted, added, failed, errors) in summary.items()
    }


def with_link_state(queryset: models.QuerySet) -> models.QuerySet:
    """Annotate holders (registrations, people) with how their personal links stand, for an
    admin list: ``zoom_failed``, ``zoom_waiting``, ``zoom_added`` (one query, any page)."""
    rows = ZoomRegistrant.objects.filter(
        holder_type=ContentType.objects.get_for_model(queryset.model),
        holder_id=models.OuterRef("pk"),
        wanted=True,
    )
    return queryset.annotate(
        zoom_failed=models.Exists(rows.filter(state=ZoomRegistrant.State.FAILED)),
        zoom_waiting=models.Exists(rows.filter(state=ZoomRegistrant.State.PENDING)),
        zoom_added=models.Exists(rows.filter(state=ZoomRegistrant.State.ADDED)),
    )


def holder_rows(holders: Iterable[models.Model]) -> models.QuerySet[ZoomRegistrant]:
    holders = list(holders)
    if not holders:
        return ZoomRegistrant.objects.none()
    return ZoomRegistrant.objects.filter(
        holder_type=ContentType.objects.get_for_model(holders[0]),
        holder_id__in=[holder.pk for holder in holders],
    )
