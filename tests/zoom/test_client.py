"""zoom.client against the stand-in Zoom (a real HTTP server on loopback that checks every
request and answer against Zoom's OpenAPI description)."""

import logging
import time

import pytest
from django.core.cache import cache

from tests.support.zoom_standin import ZoomStandIn
from zoom import client as zoom_client
from zoom.client import (
    ZoomClient,
    ZoomNotConfigured,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnavailable,
    is_configured,
)

SECRET = "standin-secret-do-not-log"

MEETING = {
    "topic": "Client test meeting",
    "type": 2,
    "start_time": "2031-07-01T08:00:00Z",
    "duration": 90,
    "timezone": "Europe/Berlin",
    "settings": {"approval_type": 0, "registration_type": 1},
}
RECURRING = {
    **MEETING,
    "type": 8,
    "recurrence": {"type": 1, "repeat_interval": 1, "end_times": 3},
}


def _serve(settings, server: ZoomStandIn):
    """Point the ZOOM_* settings at a started stand-in, with a short timeout."""
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.ZOOM_TIMEOUT_SECONDS = 2.0


@pytest.fixture
def standin(settings):
    cache.clear()
    with ZoomStandIn(client_secret=SECRET) as server:
        _serve(settings, server)
        yield server
        assert server.violations == []
    cache.clear()


@pytest.fixture
def zoom(standin):
    with ZoomClient() as client:
        yield client


def api_calls(server: ZoomStandIn, method: str, path_end: str) -> list:
    return [c for c in server.calls if c.method == method and c.path.endswith(path_end)]


def register(zoom: ZoomClient, meeting_id: int, count: int, *, prefix: str = "p") -> list[dict]:
    return [
        zoom.add_registrant(
            meeting_id, email=f"{prefix}{i}@example.org", first_name=f"P{i}", last_name="Test"
        )
        for i in range(count)
    ]


# Configuration


def test_is_configured_needs_all_three_credentials(settings):
    settings.ZOOM_ACCOUNT_ID, settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET = "a", "c", "s"
    assert is_configured()
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        setattr(settings, name, "")
        assert not is_configured()
        setattr(settings, name, "x")
    assert is_configured()


def test_an_unconfigured_client_calls_nobody(standin, settings):
    settings.ZOOM_CLIENT_SECRET = ""
    with pytest.raises(ZoomNotConfigured), ZoomClient() as client:
        client.get_meeting(1)
    assert standin.calls == [] and standin.tokens_issued == 0


def test_settings_are_read_at_call_time(standin, settings):
    client = ZoomClient()
    settings.ZOOM_API_URL = standin.api_url + "/"  # a trailing slash does no harm
    meeting = client.create_meeting(MEETING)
    assert client.get_meeting(meeting["id"])["topic"] == MEETING["topic"]
    client.close()


# Meetings and registrants


def test_meeting_round_trip(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    assert isinstance(meeting["id"], int) and meeting["join_url"]
    assert meeting["id"] in standin.meetings()
    zoom.update_meeting(meeting["id"], {"topic": "Renamed", "duration": 60})
    fetched = zoom.get_meeting(str(meeting["id"]))
    assert (fetched["topic"], fetched["duration"]) == ("Renamed", 60)
    zoom.delete_meeting(meeting["id"])
    with pytest.raises(ZoomNotFound):
        zoom.get_meeting(meeting["id"])


def test_one_occurrence_of_a_recurring_meeting(zoom, standin):
    meeting = zoom.create_meeting(RECURRING)
    first, second, third = (o["occurrence_id"] for o in meeting["occurrences"])
    zoom.update_meeting(meeting["id"], {"start_time": "2031-07-02T09:00:00Z"}, occurrence_id=second)
    zoom.delete_meeting(meeting["id"], occurrence_id=third)
    patch, delete = api_calls(standin, "PATCH", ""), api_calls(standin, "DELETE", "")
    assert [c.query for c in patch + delete] == [
        {"occurrence_id": second},
        {"occurrence_id": third},
    ]
    occurrences = {o["occurrence_id"]: o for o in zoom.get_meeting(meeting["id"])["occurrences"]}
    assert occurrences[first]["start_time"] == "2031-07-01T08:00:00Z"
    assert occurrences[second]["start_time"] == "2031-07-02T09:00:00Z"
    assert occurrences[third]["status"] == "deleted"


def test_add_registrant_gives_each_a_personal_link(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    ada, bo = register(zoom, meeting["id"], 2)
    assert ada["id"] == ada["registrant_id"] and isinstance(ada["id"], str)
    assert ada["meeting_id"] == meeting["id"]
    assert ada["join_url"] != bo["join_url"]
    held = {r["id"]: r for r in standin.registrants(meeting["id"])}
    assert held[ada["id"]]["email"] == "p0@example.org"
    # Only what was given is sent: an empty language is left out rather than sent as "".
    assert "language" not in api_calls(standin, "POST", "/registrants")[0].body


def test_find_registrant_walks_every_page_and_ignores_case(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    added = register(zoom, meeting["id"], 305, prefix="Page.Walker")
    found = zoom.find_registrant(meeting["id"], "page.WALKER304@Example.ORG")
    assert found is not None and found["id"] == added[304]["id"]
    lists = api_calls(standin, "GET", "/registrants")
    assert len(lists) == 2
    assert lists[0].query["status"] == "approved"
    assert lists[0].query["page_size"] == "300"
    assert "next_page_token" not in lists[0].query and lists[1].query["next_page_token"]
    assert zoom.find_registrant(meeting["id"], "nobody@example.org") is None


def test_find_registrant_skips_cancelled_registrants(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    (gone,) = register(zoom, meeting["id"], 1)
    zoom.cancel_registrants(meeting["id"], [{"id": gone["id"], "email": "p0@example.org"}])
    assert zoom.find_registrant(meeting["id"], "p0@example.org") is None


def test_cancel_registrants_sends_batches_of_thirty(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    added = register(zoom, meeting["id"], 70)
    leaving = [{"id": r["id"], "email": f"p{i}@example.org"} for i, r in enumerate(added[:65])]
    zoom.cancel_registrants(meeting["id"], leaving)
    puts = api_calls(standin, "PUT", "/registrants/status")
    assert [len(p.body["registrants"]) for p in puts] == [30, 30, 5]
    assert {p.body["action"] for p in puts} == {"cancel"}
    status = {r["id"]: r["status"] for r in standin.registrants(meeting["id"])}
    assert [status[r["id"]] for r in added[:65]] == ["cancelled"] * 65
    assert [status[r["id"]] for r in added[65:]] == ["approved"] * 5


def test_cancel_nobody_calls_nobody(zoom, standin):
    zoom.cancel_registrants(123, [])
    assert standin.calls == []


def test_delete_registrant(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    (ada,) = register(zoom, meeting["id"], 1)
    zoom.delete_registrant(meeting["id"], ada["id"])
    assert api_calls(standin, "DELETE", f"/registrants/{ada['id']}")[0].status == 204


# The OAuth token


def test_token_is_fetched_once_and_shared_by_clients(standin):
    with ZoomClient() as first, ZoomClient() as second:
        meeting = first.create_meeting(MEETING)
        first.get_meeting(meeting["id"])
        second.get_meeting(meeting["id"])
        register(second, meeting["id"], 2)
    assert standin.tokens_issued == 1


def test_token_is_fetched_again_when_its_cache_time_is_up(settings, monkeypatch):
    cache.clear()
    # Cached for 61 - 60 = 1 s, while the stand-in honours it for a whole minute: the new
    # token comes from the cache running out, not from a 401.
    monkeypatch.setattr(zoom_client, "TOKEN_MIN_TTL_SECONDS", 1)
    with ZoomStandIn(client_secret=SECRET, token_lifetime=61) as server, ZoomClient() as zoom:
        _serve(settings, server)
        meeting = zoom.create_meeting(MEETING)
        zoom.get_meeting(meeting["id"])
        assert server.tokens_issued == 1
        time.sleep(1.2)
        zoom.get_meeting(meeting["id"])
        assert server.tokens_issued == 2
        assert all(c.status != 401 for c in server.calls)
        assert server.violations == []


def test_a_token_that_runs_out_early_is_replaced(settings):
    cache.clear()
    # Cached for at least 30 s, but the stand-in ends it after 1 s: the 401 path renews it.
    with ZoomStandIn(client_secret=SECRET, token_lifetime=1) as server, ZoomClient() as zoom:
        _serve(settings, server)
        meeting = zoom.create_meeting(MEETING)
        time.sleep(1.5)
        assert zoom.get_meeting(meeting["id"])["id"] == meeting["id"]
        assert server.tokens_issued == 2
        assert [c.status for c in server.calls if c.method == "GET"] == [401, 200]
        assert server.violations == []


def test_an_expired_token_costs_one_new_token_and_the_call_succeeds(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    standin.expire_tokens()
    assert zoom.get_meeting(meeting["id"])["id"] == meeting["id"]
    assert standin.tokens_issued == 2
    gets = [c.status for c in standin.calls if c.method == "GET"]
    assert gets == [401, 200]
    # The new token is cached for the next calls.
    zoom.get_meeting(meeting["id"])
    assert standin.tokens_issued == 2


def test_a_401_that_persists_is_a_rejection(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    standin.fail_next(2, status=401)
    with pytest.raises(ZoomRejected) as caught:
        zoom.get_meeting(meeting["id"])
    assert caught.value.status == 401 and not isinstance(caught.value, ZoomUnavailable)
    assert standin.tokens_issued == 2  # one new token, not a loop of them


def test_wrong_credentials_are_a_rejection_naming_the_settings(standin, settings):
    settings.ZOOM_CLIENT_SECRET = "wrong-secret-do-not-log"
    with pytest.raises(ZoomRejected) as caught, ZoomClient() as zoom:
        zoom.get_meeting(1)
    assert "ZOOM_CLIENT_SECRET" in str(caught.value)
    assert "wrong-secret-do-not-log" not in str(caught.value)
    assert standin.tokens_issued == 0


def test_token_endpoint_trouble_is_passing(standin):
    standin.fail_next(1, status=503, token_endpoint=True)
    standin.rate_limit_next(1, retry_after=4, token_endpoint=True)
    with ZoomClient() as zoom:
        with pytest.raises(ZoomRateLimited) as limited:
            zoom.create_meeting(MEETING)
        with pytest.raises(ZoomUnavailable) as failed:
            zoom.create_meeting(MEETING)
        assert zoom.create_meeting(MEETING)["id"]
    assert limited.value.retry_after == 4.0
    assert failed.value.status == 503 and not isinstance(failed.value, ZoomRateLimited)
    assert standin.tokens_issued == 1
    assert [c.operation for c in standin.calls] == ["token", "token", "token", "createMeeting"]


# Failures


def test_429_is_rate_limited_with_retry_after(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    standin.rate_limit_next(1, retry_after=7)
    with pytest.raises(ZoomRateLimited) as caught:
        zoom.get_meeting(meeting["id"])
    error = caught.value
    assert isinstance(error, ZoomUnavailable)
    assert (error.status, error.code, error.retry_after) == (429, 429, 7.0)
    assert zoom.get_meeting(meeting["id"])["id"] == meeting["id"]


def test_500_is_unavailable(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    standin.fail_next(1, status=500)
    with pytest.raises(ZoomUnavailable) as caught:
        zoom.get_meeting(meeting["id"])
    assert caught.value.status == 500 and not isinstance(caught.value, ZoomRateLimited)
    assert zoom.get_meeting(meeting["id"])["id"] == meeting["id"]


def test_a_slow_answer_is_unavailable(zoom, standin, settings):
    meeting = zoom.create_meeting(MEETING)
    settings.ZOOM_TIMEOUT_SECONDS = 0.5
    standin.slow_next(1, seconds=2.0)
    started = time.monotonic()
    with pytest.raises(ZoomUnavailable) as caught:
        zoom.get_meeting(meeting["id"])
    assert time.monotonic() - started < 1.5
    assert caught.value.status is None and "0.5 s" in str(caught.value)


def test_a_stand_in_that_is_down_is_unavailable(zoom, standin):
    meeting = zoom.create_meeting(MEETING)
    standin.go_down()
    with pytest.raises(ZoomUnavailable):
        zoom.get_meeting(meeting["id"])
    cache.clear()  # the token endpoint is down too
    with pytest.raises(ZoomUnavailable):
        zoom.get_meeting(meeting["id"])
    standin.come_back()
    assert zoom.get_meeting(meeting["id"])["id"] == meeting["id"]


def test_an_unknown_meeting_is_not_found(zoom, standin):
    with pytest.raises(ZoomNotFound) as caught:
        zoom.get_meeting(4242424242)
    error = caught.value
    assert isinstance(error, ZoomRejected)
    assert (error.status, error.code) == (404, 3001)
    assert str(error).startswith("Zoom answered 404 (code 3001): ")
    with pytest.raises(ZoomNotFound):
        zoom.delete_meeting(4242424242)


def test_retry_after_forms():
    class Answer:
        def __init__(self, value):
            self.headers = {} if value is None else {"Retry-After": value}

    assert zoom_client._retry_after(Answer("3"), 1.0) == 3.0
    assert zoom_client._retry_after(Answer("2.5"), 1.0) == 2.5
    assert zoom_client._retry_after(Answer(None), 1.0) == 1.0
    assert zoom_client._retry_after(Answer("soon"), 1.0) == 1.0
    assert zoom_client._retry_after(Answer("nan"), 1.0) == 1.0
    assert zoom_client._retry_after(Answer("-4"), 1.0) == 0.0
    assert zoom_client._retry_after(Answer("Wed, 21 Oct 2015 07:28:00 GMT"), 1.0) == 0.0


# Secrets


def test_no_secret_token_or_address_in_messages_logs_or_repr(zoom, standin, caplog):
    caplog.set_level(logging.DEBUG)
    said: list[str] = [repr(zoom)]
    tokens: set[str] = set()

    def note_token():
        token = cache.get(zoom._token_cache_key())
        if token:
            tokens.add(token)

    def attempt(call):
        try:
            call()
        except Exception as error:  # noqa: BLE001 — every message is checked below
            said.extend([str(error), repr(error)])
        note_token()

    meeting = zoom.create_meeting(MEETING)
    note_token()
    (ada,) = register(zoom, meeting["id"], 1, prefix="secret.person")
    standin.expire_tokens()
    attempt(lambda: zoom.find_registrant(meeting["id"], "secret.person0@example.org"))
    standin.fail_next(2, status=401)
    attempt(lambda: zoom.get_meeting(meeting["id"]))
    standin.rate_limit_next(1)
    attempt(lambda: zoom.add_registrant(meeting["id"], email="x@example.org", first_name="X"))
    standin.fail_next(1, status=500)
    attempt(lambda: zoom.cancel_registrants(meeting["id"], [{**ada, "email": "a@example.org"}]))
    attempt(lambda: zoom.get_meeting(999))
    standin.go_down()
    attempt(lambda: zoom.get_meeting(meeting["id"]))
    standin.come_back()

    assert len(tokens) >= 2 and len(said) >= 6
    text = "\n".join(said) + "\n" + caplog.text
    # Not even a part of one: any 12 characters of the secret or a token in a row.
    for hidden in [SECRET, *tokens]:
        assert not [
            hidden[i : i + 12] for i in range(len(hidden) - 11) if hidden[i : i + 12] in text
        ]
    assert "Bearer" not in text and "Authorization" not in text
    assert "@example.org" not in caplog.text
    assert [r for r in caplog.records if r.name == "zoom.client"]
