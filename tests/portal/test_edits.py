"""Edits in the portal: a person's bio, time zone and affiliations at upcoming events, and a
speaker's abstract. Each shows on the public pages and leaves an admin LogEntry with the
signed-in user; past programmes keep what they printed; what was typed survives an error."""

import datetime as dt
import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from portal.edits import update_abstract, update_profile
from tests.factories import EventFactory, EventPersonFactory, PersonFactory, SessionFactory
from tests.workshop.pages import texts
from workshop.models import EventPerson, Person, Session, SessionRole

PROFILE_URL = "/portal/profile/"
EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
ZANIER_TALK = (
    "High hopes and low expectations. Introducing technology in the PRC in the years of the "
    "Sino-Soviet Alliance"
)
TRADE_FAIR = "China and the Leipzig Trade Fair (1950–1965)"


def sign_in(client, person: Person) -> User:
    if person.user is None:
        person.user = User.objects.create_user(username=person.key)
        person.save()
    client.force_login(person.user)
    return person.user


def seed(key: str) -> Person:
    return Person.objects.get(key=key)


def link_of(person: Person, event) -> EventPerson:
    return EventPerson.objects.get(person=person, event=event)


def log_messages(obj) -> list[tuple[int, list]]:
    return [
        (entry.user_id, json.loads(entry.change_message))
        for entry in LogEntry.objects.filter(
            content_type__app_label=obj._meta.app_label,
            content_type__model=obj._meta.model_name,
            object_id=str(obj.pk),
        ).order_by("pk")
    ]


def abstract_url(session: Session) -> str:
    return f"/portal/sessions/{session.pk}/abstract/"


@pytest.fixture
def hirata(sino_soviet, hirata_seminar):
    """Koji Hirata, in the 2021 workshop (over) and the 2027 seminar (upcoming)."""
    return seed("koji-hirata")


def profile_data(person: Person, seminar, **changes) -> dict:
    data = {
        "bio": person.bio,
        "timezone": person.timezone,
        f"affiliation_{link_of(person, seminar).pk}": link_of(person, seminar).affiliation,
    }
    data.update(changes)
    return data


# --- profile ---------------------------------------------------------------------------------


def test_profile_page_offers_upcoming_affiliations_and_shows_past_ones(
    client, hirata, sino_soviet, hirata_seminar
):
    sign_in(client, hirata)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    content = response.content.decode()
    seminar_link = link_of(hirata, hirata_seminar)
    assert f'name="affiliation_{seminar_link.pk}" value="Monash University"' in content
    assert f'name="affiliation_{link_of(hirata, sino_soviet).pk}"' not in content
    assert texts(response, "portal-past-affiliations") == [
        f"{gettext('Past events')} {gettext('A past programme keeps the affiliation it printed.')} "
        "Economic Dimensions of the Sino-Soviet Alliance and Split: Cambridge University"
    ]


def test_profile_edit_saves_and_shows_on_the_public_pages(
    client, hirata, sino_soviet, hirata_seminar
):
    user = sign_in(client, hirata)
    seminar_link = link_of(hirata, hirata_seminar)
    data = profile_data(
        hirata,
        hirata_seminar,
        bio="Historian of *industrial* Manchuria.",
        timezone="Australia/Melbourne",
        **{f"affiliation_{seminar_link.pk}": "Monash University, Melbourne"},
    )

    response = client.post(PROFILE_URL, data)

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    hirata.refresh_from_db()
    assert (hirata.bio, hirata.timezone) == (
        "Historian of *industrial* Manchuria.",
        "Australia/Melbourne",
    )
    assert link_of(hirata, hirata_seminar).affiliation == "Monash University, Melbourne"
    assert link_of(hirata, sino_soviet).affiliation == "Cambridge University"

    person_page = client.get(hirata.get_absolute_url())
    assert texts(person_page, "person-bio") == ["Historian of industrial Manchuria."]
    assert b"Historian of <em>industrial</em> Manchuria." in person_page.content
    talk = hirata_seminar.sessions.get()
    # The speakers line and the people section.
    assert (
        texts(client.get(talk.get_absolute_url()), "affiliation")
        == ["(Monash University, Melbourne)"] * 2
    )
    zanier = sino_soviet.sessions.get(title=ZANIER_TALK)
    assert "(Cambridge University)" in texts(client.get(zanier.get_absolute_url()), "affiliation")
    slots = client.get("/portal/")
    assert texts(slots, "portal-zone") == ["Australia/Melbourne"]
    assert texts(slots, "portal-my-affiliation") == [
        "Monash University, Melbourne",
        "Cambridge University",
    ]

    assert log_messages(hirata) == [
        (
            user.pk,
            [
                {"changed": {"fields": ["bio", "time zone"]}},
                {
                    "changed": {
                        "name": "person at event",
                        "object": "Koji Hirata (Monash University, Melbourne)",
                        "fields": ["affiliation"],
                    }
                },
            ],
        )
    ]
    assert log_messages(seminar_link) == [(user.pk, [{"changed": {"fields": ["affiliation"]}}])]
    entry = LogEntry.objects.filter(content_type__model="person").get()
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == (
        "Changed bio and time zone. Changed affiliation for person at event "
        "“Koji Hirata (Monash University, Melbourne)”."
    )


def test_profile_edit_of_the_bio_alone_logs_only_the_bio(client, hirata, hirata_seminar):
    user = sign_in(client, hirata)

    response = client.post(PROFILE_URL, profile_data(hirata, hirata_seminar, bio="New bio."))

    assert response.status_code == 302
    assert log_messages(hirata) == [(user.pk, [{"changed": {"fields": ["bio"]}}])]
    assert LogEntry.objects.count() == 1


def test_profile_edit_without_changes_writes_nothing(client, hirata, hirata_seminar):
    sign_in(client, hirata)

    response = client.post(PROFILE_URL, profile_data(hirata, hirata_seminar))

    assert response.status_code == 302
    assert LogEntry.objects.count() == 0


def test_profile_edit_cannot_reach_a_past_events_affiliation(client, hirata, sino_soviet):
    sign_in(client, hirata)
    past_link = link_of(hirata, sino_soviet)

    response = client.post(
        PROFILE_URL,
        {"bio": "", "timezone": "", f"affiliation_{past_link.pk}": "Rewritten"},
    )

    assert response.status_code == 302
    assert link_of(hirata, sino_soviet).affiliation == "Cambridge University"
    assert log_messages(past_link) == []


def test_update_profile_refuses_past_events_and_other_peoples_rows(hirata, sino_soviet):
    user = User.objects.create_user(username="koji")
    past_link = link_of(hirata, sino_soviet)
    other_link = link_of(seed("tao-chen"), sino_soviet)

    with pytest.raises(ValidationError) as raised:
        update_profile(
            person=hirata, by=user, bio="", timezone_name="", affiliations={past_link.pk: "X"}
        )
    assert raised.value.messages == [
        gettext("%(event)s is over: its programme keeps the affiliation it printed.")
        % {"event": "Economic Dimensions of the Sino-Soviet Alliance and Split"}
    ]
    with pytest.raises(PermissionDenied):
        update_profile(
            person=hirata, by=user, bio="", timezone_name="", affiliations={other_link.pk: "X"}
        )
    assert link_of(hirata, sino_soviet).affiliation == "Cambridge University"
    assert link_of(seed("tao-chen"), sino_soviet).affiliation == "Tongji University, Shanghai"
    assert LogEntry.objects.count() == 0


def test_profile_edit_for_an_event_without_sessions_yet(client, db):
    me = PersonFactory()
    event = EventFactory(title="To be announced")
    link = EventPersonFactory(event=event, person=me, affiliation="Old")
    sign_in(client, me)

    response = client.post(
        PROFILE_URL, {"bio": "", "timezone": "", f"affiliation_{link.pk}": "New"}
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.affiliation == "New"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "utc+8", "Europe/Berlin; DROP"])
def test_profile_invalid_zone_keeps_what_was_typed(client, hirata, hirata_seminar, zone):
    sign_in(client, hirata)
    seminar_link = link_of(hirata, hirata_seminar)
    data = profile_data(
        hirata,
        hirata_seminar,
        bio="Typed bio ☃ 中文",
        timezone=zone,
        **{f"affiliation_{seminar_link.pk}": "Typed affiliation"},
    )

    response = client.post(PROFILE_URL, data)

    assert response.status_code == 400
    content = response.content.decode()
    assert (
        gettext("“%(value)s” is not an IANA time zone name (e.g. Europe/Berlin).") % {"value": zone}
        in content
    )
    assert f'value="{zone}"' in content.replace("&quot;", '"')
    assert "Typed bio ☃ 中文</textarea>" in content
    assert 'value="Typed affiliation"' in content
    hirata.refresh_from_db()
    assert (hirata.bio, hirata.timezone) == (seed("koji-hirata").bio, "")
    assert link_of(hirata, hirata_seminar).affiliation == "Monash University"
    assert LogEntry.objects.count() == 0


def test_profile_refuses_a_multi_line_affiliation(client, hirata, hirata_seminar):
    sign_in(client, hirata)
    seminar_link = link_of(hirata, hirata_seminar)

    response = client.post(
        PROFILE_URL,
        profile_data(hirata, hirata_seminar, **{f"affiliation_{seminar_link.pk}": "A\r\nBcc: x"}),
    )

    assert response.status_code == 400
    assert gettext("An affiliation is a single line of text.") in response.content.decode()
    assert link_of(hirata, hirata_seminar).affiliation == "Monash University"


def test_profile_bio_and_affiliation_xss_is_escaped_and_sanitized(client, hirata, hirata_seminar):
    sign_in(client, hirata)
    seminar_link = link_of(hirata, hirata_seminar)

    client.post(
        PROFILE_URL,
        profile_data(
            hirata,
            hirata_seminar,
            bio=EVIL + "\n\n[x](javascript:alert(3))",
            **{f"affiliation_{seminar_link.pk}": EVIL},
        ),
    )

    talk = hirata_seminar.sessions.get()
    for url in [hirata.get_absolute_url(), talk.get_absolute_url(), "/portal/", PROFILE_URL]:
        content = client.get(url).content.decode()
        assert "<img src=x" not in content, url
        assert "<script>alert" not in content, url
        assert 'href="javascript:' not in content, url
    assert EVIL in link_of(hirata, hirata_seminar).affiliation


def test_profile_does_not_change_the_name(client, hirata, hirata_seminar):
    sign_in(client, hirata)

    client.post(PROFILE_URL, profile_data(hirata, hirata_seminar, name="Someone Else"))

    hirata.refresh_from_db()
    assert hirata.name == "Koji Hirata"


# --- abstract --------------------------------------------------------------------------------


@pytest.fixture
def trade_fair(sino_soviet):
    return sino_soviet.sessions.get(title=TRADE_FAIR)


def test_abstract_edit_by_speaker_shows_on_the_public_page(client, trade_fair):
    user = sign_in(client, seed("tao-chen"))

    form = client.get(abstract_url(trade_fair))
    response = client.post(
        abstract_url(trade_fair), {"abstract": "Exhibitors from the **PRC**, 1950–1965."}
    )

    assert form.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == f"/portal/#session-{trade_fair.pk}"
    trade_fair.refresh_from_db()
    assert trade_fair.abstract == "Exhibitors from the **PRC**, 1950–1965."
    public = client.get(trade_fair.get_absolute_url())
    assert b"<p>Exhibitors from the <strong>PRC</strong>, 1950\xe2\x80\x931965.</p>" in (
        public.content
    )
    assert log_messages(trade_fair) == [(user.pk, [{"changed": {"fields": ["abstract"]}}])]


@pytest.mark.parametrize(
    "key",
    [
        "anna-belogurova",  # chair of the talk
        "max-trecker",  # commentator of the talk
        "huajie-jiang",  # speaker of another talk
    ],
)
def test_abstract_edit_by_anyone_but_a_speaker_is_404(client, trade_fair, key):
    sign_in(client, seed(key))

    assert client.get(abstract_url(trade_fair)).status_code == 404
    assert client.post(abstract_url(trade_fair), {"abstract": "Mine now"}).status_code == 404
    trade_fair.refresh_from_db()
    assert trade_fair.abstract == ""
    assert LogEntry.objects.count() == 0


def test_abstract_edit_of_an_unknown_session_is_404(client, sino_soviet):
    sign_in(client, seed("tao-chen"))

    assert client.get("/portal/sessions/999999/abstract/").status_code == 404


def test_update_abstract_refuses_a_chair(trade_fair):
    with pytest.raises(PermissionDenied):
        update_abstract(
            session=trade_fair,
            person=seed("anna-belogurova"),
            by=User.objects.create_user(username="anna"),
            abstract="Mine now",
        )


def test_abstract_xss_is_sanitized(client, trade_fair):
    sign_in(client, seed("tao-chen"))

    client.post(abstract_url(trade_fair), {"abstract": EVIL + "\n\n[x](javascript:alert(3))"})

    for url in [trade_fair.get_absolute_url(), "/portal/", abstract_url(trade_fair)]:
        content = client.get(url).content.decode()
        assert "<img src=x" not in content, url
        assert "<script>alert" not in content, url
        assert 'href="javascript:' not in content, url


def test_abstract_too_long_keeps_what_was_typed(client, trade_fair):
    sign_in(client, seed("tao-chen"))
    typed = "Lorem ipsum. " * 2000

    response = client.post(abstract_url(trade_fair), {"abstract": typed})

    assert response.status_code == 400
    assert "Ensure this value has at most 20000 characters (it has 26000)." in (
        response.content.decode()
    )
    assert typed.strip() in response.content.decode()
    trade_fair.refresh_from_db()
    assert trade_fair.abstract == ""


def test_abstract_edit_by_one_of_several_speakers(client, db):
    session = SessionFactory(
        start=timezone.now() + dt.timedelta(days=3),
        end=timezone.now() + dt.timedelta(days=3, hours=1),
    )
    first, second = PersonFactory(), PersonFactory()
    for position, person in enumerate([first, second]):
        SessionRole.objects.create(
            session=session, person=person, role=SessionRole.Role.SPEAKER, position=position
        )
    sign_in(client, second)

    response = client.post(abstract_url(session), {"abstract": "Joint work."})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.abstract == "Joint work."
