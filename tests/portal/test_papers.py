"""Papers in the portal: speakers upload a PDF (and only a PDF), the speakers, chairs and
commentators of that session download it, nobody else learns it exists."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.formats import date_format
from django.utils.translation import gettext

from portal.models import Paper
from portal.papers import content_disposition, safe_name, store_paper, validate_paper
from tests.factories import PersonFactory, SessionFactory, SessionRoleFactory
from tests.workshop.pages import texts
from workshop.models import Person, SessionRole

TRADE_FAIR = "China and the Leipzig Trade Fair (1950–1965)"
ZANIER_TALK = (
    "High hopes and low expectations. Introducing technology in the PRC in the years of the "
    "Sino-Soviet Alliance"
)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOT_A_PDF = (
    "This file is not a PDF (its content does not start like one). "
    "Export or save your paper as PDF and upload that file."
)
NOT_NAMED_PDF = "Only PDF files can be uploaded: the file name must end in .pdf."
SENT_AS = "Only PDF files can be uploaded: your browser sent this file as “%(type)s”."
TOO_LARGE = "The file is too large (%(size)s); a paper may have at most %(limit)s."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def media(settings, tmp_path):
    """MEDIA_ROOT and PRIVATE_MEDIA_ROOT in tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path


def test_papers_have_no_public_url(db):
    with pytest.raises(ValueError, match="no URL"):
        Paper._meta.get_field("file").storage.url("papers/x.pdf")


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def sign_in(client, person: Person) -> User:
    if person.user is None:
        person.user = User.objects.create_user(username=person.key, email=f"{person.key}@x.org")
        person.save()
    client.force_login(person.user)
    return person.user


def seed(key: str) -> Person:
    return Person.objects.get(key=key)


def pdf(name: str = "trade-fair.pdf", content: bytes = PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def upload_url(session) -> str:
    return f"/portal/sessions/{session.pk}/paper/"


def download_url(session) -> str:
    return f"/portal/sessions/{session.pk}/paper/download/"


@pytest.fixture
def trade_fair(sino_soviet):
    return sino_soviet.sessions.get(title=TRADE_FAIR)


@pytest.fixture
def uploaded(client, media, trade_fair, django_capture_on_commit_callbacks):
    """Tao Chen's paper for his Leipzig Trade Fair talk, uploaded through the portal."""
    sign_in(client, seed("tao-chen"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(upload_url(trade_fair), {"file": pdf()})
    assert response.status_code == 302
    client.logout()
    return Paper.objects.get(session=trade_fair)


# --- upload ----------------------------------------------------------------------------------


def test_upload_by_speaker_stores_the_pdf_privately(client, media, trade_fair):
    user = sign_in(client, seed("tao-chen"))

    response = client.post(upload_url(trade_fair), {"file": pdf()})

    assert response.status_code == 302
    assert response["Location"] == f"/portal/#session-{trade_fair.pk}"
    paper = Paper.objects.get(session=trade_fair)
    assert (paper.original_name, paper.size, paper.uploaded_by.key) == (
        "trade-fair.pdf",
        len(PDF),
        "tao-chen",
    )
    stored = files_under(media / "private")
    assert len(stored) == 1
    assert stored[0].read_bytes() == PDF
    assert stored[0] == media / "private" / paper.file.name
    assert paper.file.name.startswith(f"papers/sino-soviet-2021/{trade_fair.uid}/")
    assert files_under(media / "media") == []
    entry = LogEntry.objects.get(content_type__model="session", object_id=str(trade_fair.pk))
    assert entry.user == user
    assert json.loads(entry.change_message) == [
        {"added": {"name": "paper", "object": f"trade-fair.pdf ({TRADE_FAIR})"}}
    ]


def test_upload_shows_the_paper_status_on_my_slots(client, media, trade_fair):
    sign_in(client, seed("tao-chen"))
    client.post(upload_url(trade_fair), {"file": pdf()})

    response = client.get("/portal/")

    statuses = texts(response, "portal-paper-status")
    assert statuses[0] == gettext("No paper uploaded yet.")  # the Vámos talk he chairs
    paper = Paper.objects.get(session=trade_fair)
    when = date_format(paper.uploaded_at.astimezone(dt.UTC), "DATETIME_FORMAT")
    uploaded = gettext("uploaded by %(name)s on %(when)s %(zone)s.") % {
        "name": "Tao Chen",
        "when": when,
        "zone": "UTC",
    }
    assert statuses[1] == " ".join(f"trade-fair.pdf ({len(PDF)} bytes), {uploaded}".split())


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (pdf("figure.pdf", PNG, "application/pdf"), lambda: gettext(NOT_A_PDF)),
        (
            pdf("notes.pdf", b"Just some notes, honestly a PDF.", "application/pdf"),
            lambda: gettext(NOT_A_PDF),
        ),
        (pdf("paper.docx", PDF, "application/pdf"), lambda: gettext(NOT_NAMED_PDF)),
        (
            pdf("paper.pdf", PDF, "text/plain"),
            lambda: gettext(SENT_AS) % {"type": "text/plain"},
        ),
        # Django's own message: its FileField refuses an empty file before our check.
        (pdf("paper.pdf", b"", "application/pdf"), lambda: "The submitted file is empty."),
    ],
)
def test_upload_refuses_what_is_not_a_pdf(client, media, trade_fair, upload, message):
    sign_in(client, seed("tao-chen"))

    response = client.post(upload_url(trade_fair), {"file": upload})

    assert response.status_code == 400
    assert texts(response, "portal-upload-errors") == [message()]
    assert Paper.objects.count() == 0
    assert files_under(media) == []
    assert LogEntry.objects.count() == 0


def test_upload_refuses_an_oversize_file(client, media, trade_fair, settings):
    settings.PAPER_MAX_BYTES = 64
    sign_in(client, seed("tao-chen"))

    response = client.post(upload_url(trade_fair), {"file": pdf(content=PDF + b" " * 64)})

    assert response.status_code == 400
    assert texts(response, "portal-upload-errors") == [
        gettext(TOO_LARGE) % {"size": f"{len(PDF) + 64} bytes", "limit": "64 bytes"}
    ]
    assert Paper.objects.count() == 0
    assert files_under(media) == []


def test_upload_without_a_file_asks_for_one(client, media, trade_fair):
    sign_in(client, seed("tao-chen"))

    response = client.post(upload_url(trade_fair), {})

    assert response.status_code == 400
    assert texts(response, "portal-upload-errors") == [gettext("Choose a PDF file to upload.")]


@pytest.mark.parametrize("key", ["anna-belogurova", "max-trecker"])
def test_upload_by_chair_or_commentator_is_refused(client, media, trade_fair, key):
    sign_in(client, seed(key))

    response = client.post(upload_url(trade_fair), {"file": pdf()})

    assert response.status_code == 403
    assert texts(response, "portal-refusal") == [
        gettext(
            "Only the speakers of a session can upload its paper. "
            "You can download it once they have."
        )
    ]
    assert Paper.objects.count() == 0
    assert files_under(media) == []


def test_upload_by_someone_outside_the_session_is_404(client, media, trade_fair):
    sign_in(client, seed("huajie-jiang"))  # a speaker of the same event

    response = client.post(upload_url(trade_fair), {"file": pdf()})

    assert response.status_code == 404
    assert Paper.objects.count() == 0
    assert files_under(media) == []


def test_upload_is_post_only(client, media, trade_fair):
    sign_in(client, seed("tao-chen"))

    assert client.get(upload_url(trade_fair)).status_code == 405


def test_second_upload_replaces_the_first_and_removes_its_file(
    client, media, trade_fair, uploaded, django_capture_on_commit_callbacks
):
    first_file = media / "private" / uploaded.file.name
    assert first_file.read_bytes() == PDF
    sign_in(client, seed("tao-chen"))
    second = PDF.replace(b"Catalog", b"Catalog /Version /1.7")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(upload_url(trade_fair), {"file": pdf("revised.pdf", second)})

    assert response.status_code == 302
    paper = Paper.objects.get(session=trade_fair)
    assert paper.pk == uploaded.pk
    assert (paper.original_name, paper.size) == ("revised.pdf", len(second))
    assert not first_file.exists()
    assert files_under(media / "private") == [media / "private" / paper.file.name]
    assert (media / "private" / paper.file.name).read_bytes() == second
    messages = [
        json.loads(m)
        for m in LogEntry.objects.filter(content_type__model="session")
        .order_by("pk")
        .values_list("change_message", flat=True)
    ]
    assert messages[-1] == [
        {"changed": {"name": "paper", "object": f"revised.pdf ({TRADE_FAIR})", "fields": ["file"]}}
    ]


def test_store_paper_refuses_a_non_speaker(media, trade_fair):
    chair = seed("anna-belogurova")
    user = User.objects.create_user(username="anna")

    with pytest.raises(PermissionDenied):
        store_paper(session=trade_fair, person=chair, by=user, upload=pdf())

    assert Paper.objects.count() == 0
    assert files_under(media) == []


def test_validate_paper_lists_every_reason(db, settings):
    settings.PAPER_MAX_BYTES = 10

    with pytest.raises(ValidationError) as raised:
        validate_paper(pdf("photo.png", PNG, "image/png"))

    assert raised.value.messages == [
        gettext(NOT_NAMED_PDF),
        gettext(SENT_AS) % {"type": "image/png"},
        gettext(TOO_LARGE) % {"size": f"{len(PNG)}\xa0bytes", "limit": "10\xa0bytes"},
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("paper.pdf", "paper.pdf"),
        ("../../etc/passwd.PDF", "passwd.pdf"),
        ("C:\\Users\\tao\\Trade fair.pdf", "Trade fair.pdf"),
        ('evil"; filename=x.exe;.pdf', "evil_ filename=x.exe.pdf"),
        ('x"\r\nSet-Cookie: a=b.pdf', "x_Set-Cookie_ a=b.pdf"),
        ("Zhōngguó 中国.pdf", "Zhōngguó 中国.pdf"),
        (".pdf", "paper.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_safe_name_keeps_only_a_harmless_file_name(name, expected):
    assert safe_name(name) == expected


def test_content_disposition_adds_an_ascii_fallback_for_other_names():
    assert content_disposition("paper.pdf") == 'attachment; filename="paper.pdf"'
    assert content_disposition("Zhōngguó 中国.pdf") == (
        "attachment; filename=\"Zhongguo.pdf\"; filename*=UTF-8''Zh%C5%8Dnggu%C3%B3%20%E4%B8%AD"
        "%E5%9B%BD.pdf"
    )


# --- download --------------------------------------------------------------------------------


def assert_is_the_paper(response) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="trade-fair.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF))


@pytest.mark.parametrize(
    "key",
    [
        "tao-chen",  # speaker
        "anna-belogurova",  # chair
        "max-trecker",  # commentator
    ],
)
def test_download_by_the_sessions_people(client, uploaded, key):
    sign_in(client, seed(key))

    assert_is_the_paper(client.get(download_url(uploaded.session)))


def test_commentator_downloads_the_talk_they_comment_on_and_not_another(
    client, media, sino_soviet, django_capture_on_commit_callbacks
):
    zanier_talk = sino_soviet.sessions.get(title=ZANIER_TALK)
    trade_fair = sino_soviet.sessions.get(title=TRADE_FAIR)
    for key, session in [("valeria-zanier", zanier_talk), ("tao-chen", trade_fair)]:
        sign_in(client, seed(key))
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(upload_url(session), {"file": pdf()}).status_code == 302
    sign_in(client, seed("koji-hirata"))

    assert_is_the_paper(client.get(download_url(zanier_talk)))
    assert client.get(download_url(trade_fair)).status_code == 404


@pytest.mark.parametrize(
    "key",
    [
        "huajie-jiang",  # another speaker of the same event
        "peter-vamos",  # another speaker, also a chair elsewhere
        "valeria-zanier",
    ],
)
def test_download_by_other_people_of_the_event_is_404(client, uploaded, key):
    sign_in(client, seed(key))

    response = client.get(download_url(uploaded.session))

    assert response.status_code == 404
    assert PDF not in response.content


def test_download_by_a_user_without_a_person_is_refused(client, uploaded):
    client.force_login(User.objects.create_user(username="registrant"))

    response = client.get(download_url(uploaded.session))

    assert response.status_code == 403
    assert PDF not in response.content


def test_download_anonymous_is_sent_to_sign_in(client, uploaded):
    url = download_url(uploaded.session)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/sign-in/?next={url}"


def test_download_without_a_paper_is_404(client, media, trade_fair):
    sign_in(client, seed("tao-chen"))

    assert client.get(download_url(trade_fair)).status_code == 404


def test_download_of_an_unknown_session_is_404(client, media, sino_soviet):
    sign_in(client, seed("tao-chen"))

    assert client.get("/portal/sessions/999999/paper/download/").status_code == 404


def test_download_sends_a_safe_name_for_an_unusual_original(client, media, db):
    me = PersonFactory()
    session = SessionFactory()
    SessionRoleFactory(session=session, person=me, role=SessionRole.Role.SPEAKER)
    sign_in(client, me)
    client.post(upload_url(session), {"file": pdf("../../Zhōngguó; v2 100%.pdf")})

    response = client.get(download_url(session))

    assert response.status_code == 200
    assert Paper.objects.get().original_name == "Zhōngguó_ v2 100.pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="Zhongguo_ v2 100.pdf"; '
        "filename*=UTF-8''Zh%C5%8Dnggu%C3%B3_%20v2%20100.pdf"
    )
