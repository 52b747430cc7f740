"""The stand-in Zoom server itself: the tests of the Zoom integration rely on it behaving like
Zoom (as the OpenAPI description and Zoom's documentation say) and misbehaving on demand."""

import datetime as dt
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.support.zoom_standin import SPEC_PATH, ZoomStandIn, _contract

TIMEOUT = 5


@pytest.fixture
def standin():
    with ZoomStandIn() as server:
        yield server


def fetch_token(standin: ZoomStandIn, *, secret: str | None = None) -> requests.Response:
    return requests.post(
        standin.oauth_url,
        data={"grant_type": "account_credentials", "account_id": standin.account_id},
        auth=(standin.client_id, secret or standin.settings()["ZOOM_CLIENT_SECRET"]),
        timeout=TIMEOUT,
    )


class Api:
    """A minimal client: the stand-in's tests must not depend on the project's client."""

    def __init__(self, standin: ZoomStandIn) -> None:
        self.standin = standin
        self.session = requests.Session()
        self.renew_token()

    def renew_token(self) -> None:
        token = fetch_token(self.standin).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.standin.api_url + path, **kwargs)

    def create_meeting(self, **fields) -> dict:
        body = {
            "topic": "Sino-Soviet relations",
            "type": 2,
            "start_time": "2031-07-01T09:00:00",
            "timezone": "Europe/Berlin",
            "duration": 90,
            "settings": {"approval_type": 0, "registration_type": 1},
            **fields,
        }
        answer = self("POST", "/users/me/meetings", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def add_registrant(
        self, meeting_id: int, email: str, *, timeout: float = TIMEOUT
    ) -> requests.Response:
        body = {"email": email, "first_name": "Ada", "last_name": "Lovelace"}
        return self("POST", f"/meetings/{meeting_id}/registrants", json=body, timeout=timeout)


@pytest.fixture
def api(standin):
    return Api(standin)


def recurring(api: Api, **recurrence) -> dict:
    return api.create_meeting(
        type=8,
        start_time="2031-03-29T09:00:00",  # Berlin moves to summer time on 30 March 2031
        recurrence={"type": 1, "repeat_interval": 1, **recurrence},
    )


def epoch_ms(text: str) -> str:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return str(int(moment.timestamp()) * 1000)


# The token endpoint


def test_token_for_the_right_credentials_only(standin):
    answer = fetch_token(standin)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"] and body["scope"]
    assert standin.tokens_issued == 1

    wrong = fetch_token(standin, secret="not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert standin.tokens_issued == 1

    other_account = requests.post(
        standin.oauth_url,
        data={"grant_type": "account_credentials", "account_id": "someone-else"},
        auth=(standin.client_id, standin.settings()["ZOOM_CLIENT_SECRET"]),
        timeout=TIMEOUT,
    )
    assert other_account.status_code == 400
    # Wrong credentials are a configuration problem, not a broken request.
    assert standin.violations == []


def test_token_request_without_basic_auth_is_a_violation(standin):
    answer = requests.post(
        standin.oauth_url,
        data={"grant_type": "account_credentials", "account_id": standin.account_id},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 401
    assert any("Basic" in v for v in standin.violations)


def test_the_secret_is_neither_recorded_nor_shown(standin):
    secret = standin.settings()["ZOOM_CLIENT_SECRET"]
    fetch_token(standin)
    (call,) = standin.calls
    assert call.operation == "token"
    assert call.body == {"grant_type": "account_credentials", "account_id": standin.account_id}
    assert secret not in repr(standin) + repr(standin.calls)


def test_api_needs_a_valid_bearer_token(standin, api):
    meeting = api.create_meeting()
    for header in ({}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic eDp5"}):
        answer = requests.get(
            f"{standin.api_url}/meetings/{meeting['id']}", headers=header, timeout=TIMEOUT
        )
        assert answer.status_code == 401
        assert answer.json() == {"code": 124, "message": "Invalid access token."}


def test_expired_tokens_get_401_code_124_and_a_new_token_works(standin, api):
    meeting = api.create_meeting()
    standin.expire_tokens()
    answer = api("GET", f"/meetings/{meeting['id']}")
    assert answer.status_code == 401
    assert answer.json()["code"] == 124
    api.renew_token()
    assert api("GET", f"/meetings/{meeting['id']}").status_code == 200
    assert standin.tokens_issued == 2


def test_tokens_run_out_after_their_lifetime():
    with ZoomStandIn(token_lifetime=1) as standin:
        api = Api(standin)
        assert api("GET", "/meetings/1").status_code == 404
        time.sleep(1.1)
        assert api("GET", "/meetings/1").status_code == 401


# Meetings


def test_scheduled_meeting_create_get_update_delete(standin, api):
    meeting = api.create_meeting()
    assert isinstance(meeting["id"], int) and meeting["id"] > 2**32
    assert meeting["type"] == 2
    assert meeting["start_time"] == "2031-07-01T07:00:00Z"  # 09:00 in Berlin, summer time
    assert meeting["timezone"] == "Europe/Berlin"
    assert meeting["join_url"] and meeting["password"]
    assert meeting["settings"]["approval_type"] == 0
    assert "occurrences" not in meeting
    assert standin.meetings() == {meeting["id"]: meeting}

    got = api("GET", f"/meetings/{meeting['id']}")
    assert got.status_code == 200
    assert got.json() == meeting

    patched = api(
        "PATCH",
        f"/meetings/{meeting['id']}",
        json={"topic": "Moved", "start_time": "2031-07-02T12:30:00Z", "duration": 45},
    )
    assert patched.status_code == 204
    assert patched.content == b""
    stored = standin.meetings()[meeting["id"]]
    assert (stored["topic"], stored["start_time"], stored["duration"]) == (
        "Moved",
        "2031-07-02T12:30:00Z",
        45,
    )

    assert api("DELETE", f"/meetings/{meeting['id']}").status_code == 204
    gone = api("GET", f"/meetings/{meeting['id']}")
    assert gone.status_code == 404
    assert gone.json()["code"] == 3001
    assert standin.meetings() == {}
    assert standin.violations == []


def test_unknown_meeting_is_404_code_3001(api):
    for method, path in [
        ("GET", "/meetings/123"),
        ("PATCH", "/meetings/123"),
        ("DELETE", "/meetings/123"),
        ("GET", "/meetings/123/registrants"),
    ]:
        body = {"topic": "x"} if method == "PATCH" else None
        answer = api(method, path, json=body)
        assert answer.status_code == 404, (method, path)
        assert answer.json() == {"code": 3001, "message": "Meeting does not exist: 123."}


def test_recurring_meeting_gets_its_occurrences(standin, api):
    meeting = recurring(api, end_times=3)
    starts = [o["start_time"] for o in meeting["occurrences"]]
    # Same wall-clock time in Berlin across the change to summer time.
    assert starts == ["2031-03-29T08:00:00Z", "2031-03-30T07:00:00Z", "2031-03-31T07:00:00Z"]
    for occurrence in meeting["occurrences"]:
        assert occurrence["occurrence_id"] == epoch_ms(occurrence["start_time"])
        assert occurrence["status"] == "available"
        assert occurrence["duration"] == 90
    assert api("GET", f"/meetings/{meeting['id']}").json()["occurrences"] == meeting["occurrences"]

    by_date = recurring(api, end_date_time="2031-04-02T23:00:00Z")
    assert len(by_date["occurrences"]) == 5  # 29 March to 2 April
    assert standin.violations == []


def test_patch_and_delete_one_occurrence(standin, api):
    meeting = recurring(api, end_times=3)
    first, second, third = (o["occurrence_id"] for o in meeting["occurrences"])
    path = f"/meetings/{meeting['id']}"

    answer = api(
        "PATCH",
        path,
        params={"occurrence_id": second},
        json={"start_time": "2031-03-30T14:00:00Z", "duration": 30},
    )
    assert answer.status_code == 204
    assert api("DELETE", path, params={"occurrence_id": third}).status_code == 204

    occurrences = {o["occurrence_id"]: o for o in standin.meetings()[meeting["id"]]["occurrences"]}
    assert occurrences[first] == meeting["occurrences"][0]
    assert (occurrences[second]["start_time"], occurrences[second]["duration"]) == (
        "2031-03-30T14:00:00Z",
        30,
    )
    assert occurrences[third]["status"] == "deleted"

    one = api("GET", path, params={"occurrence_id": second}).json()
    assert one["start_time"] == "2031-03-30T14:00:00Z"

    unknown = api("DELETE", path, params={"occurrence_id": "1"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, 3000)
    topic = api("PATCH", path, params={"occurrence_id": first}, json={"topic": "x"})
    assert topic.status_code == 400
    assert standin.violations == []


def test_patching_start_or_recurrence_regenerates_occurrences(standin, api):
    meeting = recurring(api, end_times=3)
    path = f"/meetings/{meeting['id']}"
    answer = api(
        "PATCH",
        path,
        json={
            "start_time": "2031-04-10T10:00:00",
            "recurrence": {"type": 1, "repeat_interval": 2, "end_times": 2},
        },
    )
    assert answer.status_code == 204
    starts = [o["start_time"] for o in standin.meetings()[meeting["id"]]["occurrences"]]
    assert starts == ["2031-04-10T08:00:00Z", "2031-04-12T08:00:00Z"]

    assert api("PATCH", path, json={"type": 2}).status_code == 204
    stored = standin.meetings()[meeting["id"]]
    assert "occurrences" not in stored and "recurrence" not in stored
    assert standin.violations == []


# Registrants


def test_each_registrant_gets_a_distinct_join_url(standin, api):
    meeting = api.create_meeting()
    answers = [api.add_registrant(meeting["id"], f"p{i}@example.org") for i in range(5)]
    assert {a.status_code for a in answers} == {201}
    bodies = [a.json() for a in answers]
    assert len({b["join_url"] for b in bodies}) == 5
    assert len({b["registrant_id"] for b in bodies}) == 5
    assert meeting["join_url"] not in {b["join_url"] for b in bodies}
    assert all(b["id"] == meeting["id"] for b in bodies)

    stored = standin.registrants(meeting["id"])
    assert [r["email"] for r in stored] == [f"p{i}@example.org" for i in range(5)]
    assert {r["status"] for r in stored} == {"approved"}
    assert [r["join_url"] for r in stored] == [b["join_url"] for b in bodies]
    assert standin.violations == []


def test_adding_an_approved_email_again_returns_the_same_registrant(standin, api):
    meeting = api.create_meeting()
    first = api.add_registrant(meeting["id"], "ada@example.org").json()
    again = api.add_registrant(meeting["id"], "Ada@Example.org").json()
    assert (again["registrant_id"], again["join_url"]) == (
        first["registrant_id"],
        first["join_url"],
    )
    assert len(standin.registrants(meeting["id"])) == 1


def test_registration_needs_a_meeting_with_registration(standin, api):
    meeting = api.create_meeting(settings={"approval_type": 2})
    answer = api.add_registrant(meeting["id"], "ada@example.org")
    assert answer.status_code == 400
    assert standin.registrants(meeting["id"]) == []


def test_manual_approval_gives_the_link_on_approval(standin, api):
    meeting = api.create_meeting(settings={"approval_type": 1, "registration_type": 1})
    added = api.add_registrant(meeting["id"], "ada@example.org").json()
    assert "join_url" not in added
    assert standin.registrants(meeting["id"])[0]["status"] == "pending"
    answer = api(
        "PUT",
        f"/meetings/{meeting['id']}/registrants/status",
        json={"action": "approve", "registrants": [{"id": added["registrant_id"]}]},
    )
    assert answer.status_code == 204
    (registrant,) = standin.registrants(meeting["id"])
    assert registrant["status"] == "approved" and registrant["join_url"]
    assert standin.violations == []


def test_listing_registrants_pages_with_next_page_token(standin, api):
    meeting = api.create_meeting()
    emails = [f"p{i}@example.org" for i in range(7)]
    for email in emails:
        api.add_registrant(meeting["id"], email)

    seen, pages, token = [], [], ""
    while True:
        params = {"status": "approved", "page_size": 3}
        if token:
            params["next_page_token"] = token
        answer = api("GET", f"/meetings/{meeting['id']}/registrants", params=params)
        assert answer.status_code == 200
        body = answer.json()
        assert body["total_records"] == 7
        pages.append(len(body["registrants"]))
        seen += [r["email"] for r in body["registrants"]]
        token = body["next_page_token"]
        if not token:
            break
    assert pages == [3, 3, 1]
    assert seen == emails
    assert all(set(r) >= {"id", "email", "join_url", "status"} for r in body["registrants"])

    bad = api("GET", f"/meetings/{meeting['id']}/registrants", params={"next_page_token": "x"})
    assert bad.status_code == 400
    assert standin.violations == []


def test_page_size_above_300_is_a_violation(standin, api):
    meeting = api.create_meeting()
    answer = api("GET", f"/meetings/{meeting['id']}/registrants", params={"page_size": 301})
    assert (answer.status_code, answer.json()["code"]) == (400, 300)
    assert len(standin.violations) == 1 and "page_size" in standin.violations[0]


def test_cancel_registrants(standin, api):
    meeting = api.create_meeting()
    added = [api.add_registrant(meeting["id"], f"p{i}@example.org").json() for i in range(4)]
    cancel = [{"id": a["registrant_id"], "email": f"p{i}@example.org"} for i, a in enumerate(added)]
    path = f"/meetings/{meeting['id']}/registrants"

    answer = api("PUT", f"{path}/status", json={"action": "cancel", "registrants": cancel[:2]})
    assert answer.status_code == 204
    status = {r["email"]: r["status"] for r in standin.registrants(meeting["id"])}
    assert status == {
        "p0@example.org": "cancelled",
        "p1@example.org": "cancelled",
        "p2@example.org": "approved",
        "p3@example.org": "approved",
    }
    approved = api("GET", path, params={"status": "approved"}).json()["registrants"]
    assert [r["email"] for r in approved] == ["p2@example.org", "p3@example.org"]
    denied = api("GET", path, params={"status": "denied"}).json()["registrants"]
    assert [r["email"] for r in denied] == ["p0@example.org", "p1@example.org"]

    # Registering a cancelled participant again gives a new link, not the cancelled one.
    back = api.add_registrant(meeting["id"], "p0@example.org").json()
    assert back["join_url"] != added[0]["join_url"]
    assert standin.violations == []


def test_cancelling_more_than_30_at_once_is_rejected(standin, api):
    meeting = api.create_meeting()
    many = [{"id": f"r{i}", "email": f"p{i}@example.org"} for i in range(31)]
    answer = api(
        "PUT",
        f"/meetings/{meeting['id']}/registrants/status",
        json={"action": "cancel", "registrants": many},
    )
    assert (answer.status_code, answer.json()["code"]) == (400, 300)
    assert len(standin.violations) == 1 and "registrants" in standin.violations[0]


def test_delete_registrant(standin, api):
    meeting = api.create_meeting()
    added = api.add_registrant(meeting["id"], "ada@example.org").json()
    path = f"/meetings/{meeting['id']}/registrants/{added['registrant_id']}"
    assert api("DELETE", path).status_code == 204
    assert standin.registrants(meeting["id"]) == []
    again = api("DELETE", path)
    assert (again.status_code, again.json()["code"]) == (404, 3027)


# Contract checks


def test_registrant_without_email_is_a_violation(standin, api):
    meeting = api.create_meeting()
    answer = api("POST", f"/meetings/{meeting['id']}/registrants", json={"first_name": "Ada"})
    assert answer.status_code == 400
    assert answer.json()["code"] == 300
    (violation,) = standin.violations
    assert "addMeetingRegistrant" in violation and "'email' is a required property" in violation
    assert standin.registrants(meeting["id"]) == []
    assert standin.calls[-1].status == 400


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"topic": "x", "type": 5}, "type"),
        ({"topic": "x", "duration": "ninety"}, "duration"),
        ({"topic": "x", "settings": {"approval_type": 7}}, "approval_type"),
        ({"topic": "x", "start_time": "next tuesday"}, None),
    ],
)
def test_bad_meeting_bodies_are_rejected(standin, api, body, expected):
    answer = api("POST", "/users/me/meetings", json=body)
    assert answer.status_code == 400
    assert standin.meetings() == {}
    if expected:
        assert len(standin.violations) == 1 and expected in standin.violations[0]


def test_form_bodies_unknown_parameters_and_routes_are_violations(standin, api):
    meeting = api.create_meeting()
    path = f"/meetings/{meeting['id']}/registrants"
    form = api("POST", path, data={"email": "ada@example.org", "first_name": "Ada"})
    assert form.status_code == 400
    typo = api("GET", path, params={"pagesize": 10})
    assert typo.status_code == 400
    route = api("GET", "/meeting/1")
    assert route.status_code == 404
    not_a_number = api("GET", "/meetings/abc")
    assert not_a_number.status_code == 400
    assert len(standin.violations) == 4


def test_answers_are_checked_against_the_description():
    # The stand-in's own answers pass through this check; prove it notices a bad one.
    contract = _contract()
    schema = {"$ref": "#/components/schemas/CreateMeetingResponse"}
    assert contract.errors(schema, {"id": 1, "topic": "x", "occurrences": []}) == []
    assert contract.errors(schema, {"topic": "x"})  # no id
    assert contract.errors(schema, {"id": "1"})  # not an integer
    assert SPEC_PATH.is_file()


# Faults


def test_rate_limit_next_answers_429_with_retry_after(standin, api):
    meeting = api.create_meeting()
    standin.rate_limit_next(2, retry_after=7)
    for _ in range(2):
        answer = api("GET", f"/meetings/{meeting['id']}")
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "7"
        assert answer.json()["code"] == 429
    assert fetch_token(standin).status_code == 200  # the token endpoint is not limited
    assert api("GET", f"/meetings/{meeting['id']}").status_code == 200
    assert [c.status for c in standin.calls if c.operation == "getMeetingById"] == [429, 429, 200]


def test_fail_next(standin, api):
    standin.fail_next(1)
    assert api("GET", "/meetings/1").status_code == 500
    standin.fail_next(1, status=503)
    assert api("GET", "/meetings/1").status_code == 503
    assert api("GET", "/meetings/1").status_code == 404


def test_faults_on_the_token_endpoint(standin):
    standin.fail_next(1, status=502, token_endpoint=True)
    assert fetch_token(standin).status_code == 502
    standin.rate_limit_next(1, retry_after=3, token_endpoint=True)
    limited = fetch_token(standin)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert fetch_token(standin).status_code == 200
    assert standin.tokens_issued == 1


def test_slow_next_takes_effect_but_answers_late(standin, api):
    meeting = api.create_meeting()
    standin.slow_next(1, seconds=1.5)
    with pytest.raises(requests.Timeout):
        api.add_registrant(meeting["id"], "ada@example.org", timeout=0.3)
    # As with the real Zoom, a call that timed out may still have been done.
    assert [r["email"] for r in standin.registrants(meeting["id"])] == ["ada@example.org"]
    started = time.monotonic()
    assert api.add_registrant(meeting["id"], "ada@example.org").status_code == 201
    assert time.monotonic() - started < 1
    assert len(standin.registrants(meeting["id"])) == 1


def test_slow_answer_arrives_when_waited_for(standin, api):
    standin.slow_next(1, seconds=0.4)
    started = time.monotonic()
    assert api("GET", "/meetings/1").status_code == 404
    assert time.monotonic() - started >= 0.4


def test_go_down_refuses_connections_and_come_back_serves_again(standin, api):
    meeting = api.create_meeting()
    port = standin.port
    standin.go_down()
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/meetings/{meeting['id']}")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    standin.come_back()
    assert standin.port == port
    # Everything it held, tokens included, survives the outage.
    assert api("GET", f"/meetings/{meeting['id']}").json()["id"] == meeting["id"]


def test_go_down_cuts_a_call_in_progress(standin, api):
    standin.slow_next(1, seconds=10)
    outcome = {}

    def call():
        try:
            outcome["status"] = api("GET", "/meetings/1", timeout=20).status_code
        except requests.ConnectionError as error:
            outcome["error"] = error

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    standin.go_down()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert "error" in outcome
    assert time.monotonic() - started < 3


# Robustness


def test_garbage_never_stops_the_server(standin, api):
    # A request line of one word is HTTP/0.9: answered without a status line.
    for raw, expected in [
        (b"NONSENSE\r\n\r\n", b"Bad request"),
        (b"\x00\xff\xfe" * 50 + b"\r\n\r\n", b"Bad request"),
        (b"POST /v2/users/me/meetings HTTP/1.1\r\nContent-Length: banana\r\n\r\n", b" 400 "),
        (b"POST /v2/users/me/meetings HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b" 400 "),
        (b"GET /v2/meetings/1 HTTP/1.1\r\nAuthorization: \xff\xfe\r\n\r\n", b" 401 "),
    ]:
        with socket.create_connection(("127.0.0.1", standin.port), timeout=TIMEOUT) as sock:
            sock.sendall(raw)
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
            assert expected in answer, raw
    broken_json = api(
        "POST",
        "/users/me/meetings",
        data=b'{"topic": ',
        headers={"Content-Type": "application/json"},
    )
    assert (broken_json.status_code, broken_json.json()["code"]) == (400, 300)
    assert api.create_meeting()["id"]


def test_a_stand_in_bug_answers_500_and_is_recorded(standin, api, monkeypatch):
    def broken(*args):
        raise KeyError("oops")

    monkeypatch.setattr(standin, "_op_getMeetingById", broken)
    assert api("GET", "/meetings/1").status_code == 500
    assert any("stand-in error" in v for v in standin.violations)
    assert api.create_meeting()["id"]


def test_concurrent_calls(standin, api):
    meeting = api.create_meeting()
    answers = []

    def register(i):
        answers.append(api.add_registrant(meeting["id"], f"p{i}@example.org").status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * 20
    stored = standin.registrants(meeting["id"])
    assert len({r["join_url"] for r in stored}) == 20
    assert standin.violations == []


def test_another_process_can_call_it(standin):
    script = (
        "import sys, urllib.request, urllib.error\n"
        "try:\n"
        "    urllib.request.urlopen(sys.argv[1] + '/meetings/1', timeout=5)\n"
        "except urllib.error.HTTPError as error:\n"
        "    print(error.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, standin.api_url],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "401"


def test_stop_closes_the_port():
    standin = ZoomStandIn().start()
    port = standin.port
    standin.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    assert not [t for t in threading.enumerate() if t.name == f"zoom-standin:{port}"]
    standin.stop()  # twice is harmless
