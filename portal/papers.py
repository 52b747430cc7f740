"""Papers of talks: what a speaker may upload, how it is stored, how it is served.

A paper is a PDF, and only a PDF: the name must end in ``.pdf``, the browser must declare it
``application/pdf`` and the file must start with the PDF signature ``%PDF-``; the declared type
and the name alone are whatever the uploader says. It is stored in the Paper model's private
storage (``PRIVATE_MEDIA_ROOT``, never under ``MEDIA_URL`` or static files) and served only by
the portal's download view, to the speakers, chairs and commentators of its session.
"""

import logging
import posixpath
import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from workshop.models import Person, Session, SessionRole

from .models import Paper

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf"})
NAME_MAX_LENGTH = 150
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;%]+')
_ASCII_FALLBACK_CHARS = re.compile(r"[^A-Za-z0-9._() -]+")


def validate_paper(upload: UploadedFile | None) -> None:
    """Refuses anything but a non-empty PDF within ``PAPER_MAX_BYTES``, with every reason."""
    if upload is None:
        raise ValidationError(_("Choose a PDF file to upload."), code="required")
    errors = []
    name = upload.name or ""
    if not name.lower().endswith(".pdf"):
        errors.append(
            ValidationError(
                _("Only PDF files can be uploaded: the file name must end in .pdf."),
                code="extension",
            )
        )
    content_type = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if content_type not in PDF_CONTENT_TYPES:
        errors.append(
            ValidationError(
                _("Only PDF files can be uploaded: your browser sent this file as “%(type)s”."),
                params={"type": content_type or _("unknown")},
                code="content_type",
            )
        )
    limit = settings.PAPER_MAX_BYTES
    if upload.size > limit:
        errors.append(
            ValidationError(
                _("The file is too large (%(size)s); a paper may have at most %(limit)s."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        )
    elif upload.size == 0:
        errors.append(ValidationError(_("The file is empty."), code="empty"))
    elif _head(upload) != PDF_MAGIC:
        errors.append(
            ValidationError(
                _(
                    "This file is not a PDF (its content does not start like one). "
                    "Export or save your paper as PDF and upload that file."
                ),
                code="not_pdf",
            )
        )
    if errors:
        raise ValidationError(errors)


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    return head


def safe_name(name: str) -> str:
    """The uploaded file's own name, fit to show and to send back in Content-Disposition:
    no folders, no control or quoting characters, at most NAME_MAX_LENGTH characters,
    ending in ``.pdf``."""
    name = unicodedata.normalize("NFC", name or "")
    name = posixpath.basename(name.replace("\\", "/"))
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip(" ._")
    stem = stem[: NAME_MAX_LENGTH - 4].rstrip(" ._") or "paper"
    return f"{stem}.pdf"


def ascii_name(name: str) -> str:
    """An ASCII stand-in for clients that do not read ``filename*``."""
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = _ASCII_FALLBACK_CHARS.sub("_", decomposed[:-4]).strip(" ._") or "paper"
    return f"{stem}.pdf"


def content_disposition(name: str) -> str:
    """``attachment; filename="…"``, plus RFC 6266's ``filename*`` when the name is not
    ASCII (the plain parameter then carries an ASCII stand-in)."""
    fallback = ascii_name(name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


@transaction.atomic
def store_paper(*, session: Session, person: Person, by, upload: UploadedFile | None) -> Paper:
    """Stores ``upload`` as the paper of ``session``, replacing an earlier one (whose file is
    deleted once the new paper is committed). Only a speaker of the session may; the upload
    must pass `validate_paper`. Writes an admin LogEntry on the session."""
    # Serializes uploads to one session (PostgreSQL; SQLite serializes writers anyway).
    session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
    if not SessionRole.objects.filter(
        session=session, person=person, role=SessionRole.Role.SPEAKER
    ).exists():
        raise PermissionDenied("Only the speakers of a session can upload its paper.")
    validate_paper(upload)

    paper = Paper.objects.filter(session=session).first()
    replaced = paper is not None
    old_file = paper.file.name if paper else None
    if paper is None:
        paper = Paper(session=session)
    paper.session = session
    paper.uploaded_by = person
    paper.original_name = safe_name(upload.name)
    paper.size = upload.size
    upload.seek(0)
    paper.file.save(paper.original_name, upload, save=False)
    new_file = paper.file.name
    storage = paper.file.storage
    # The admin History stores the model's name in English and translates it when shown.
    with translation.override(None):
        paper_name = str(Paper._meta.verbose_name)
    try:
        paper.save()
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[session],
            action_flag=CHANGE,
            change_message=[
                {
                    ("changed" if replaced else "added"): {
                        "name": paper_name,
                        "object": str(paper),
                        **({"fields": ["file"]} if replaced else {}),
                    }
                }
            ],
            single_object=True,
        )
    except BaseException:
        storage.delete(new_file)
        raise
    if old_file and old_file != new_file:
        transaction.on_commit(lambda: _delete_quietly(storage, old_file))
    logger.info(
        "Paper of session %s %s by person %s (%s bytes)",
        session.pk,
        "replaced" if replaced else "uploaded",
        person.pk,
        paper.size,
    )
    return paper


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete the replaced paper file %s", name)
