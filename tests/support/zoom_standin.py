"""A stand-in for Zoom's REST API v2 and its Server-to-Server OAuth token endpoint, for tests.

A real HTTP server on loopback (so a Celery worker in another process can call it too), not a
mock of the project's code. It implements the operations the project uses (see
`tests/support/zoom_api/README.md`), checks every request against the OpenAPI description in
`zoom_api/openapi.yaml` and every answer it gives against the same file, and can misbehave on
demand: 429 with Retry-After, 5xx, slow answers, expired tokens, and being down altogether.

Every request is answered over a fresh connection (HTTP/1.0, `Connection: close`), so that
`go_down()` really makes the next call fail instead of reaching a kept-alive handler.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hmac
import json
import logging
import re
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).parent / "zoom_api" / "openapi.yaml"

logger = logging.getLogger("zoom.standin")

UTC = dt.UTC
MAX_BODY_BYTES = 1_000_000
# Zoom truncates topics to the length its answers promise (RequestedMeetingDetails.topic).
MAX_TOPIC = 200
MAX_OCCURRENCES = 365
JOIN_HOST = "https://zoom-standin.test"


@dataclass(frozen=True)
class Call:
    """One request as received. `path` is the URL path (e.g. "/v2/meetings/1/registrants");
    `operation` the OpenAPI operationId ("token" for the OAuth endpoint, "" if unknown)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    operation: str = ""


# The OpenAPI description, turned into JSON Schema (draft 2020-12).

# Keywords whose values are schemas (or lists/maps of schemas); every other keyword is data.
_SUBSCHEMA = {"items", "not", "additionalProperties"}
_SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}
# OpenAPI-only keywords that JSON Schema does not know.
_OPENAPI_ONLY = {"nullable", "example", "examples", "discriminator", "readOnly", "writeOnly",
                 "xml", "externalDocs", "deprecated"}  # fmt: skip


def _json_schema(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: _json_schema(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA:
            out[key] = _json_schema(value)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [_json_schema(sub) for sub in value]
        else:
            out[key] = value
    # The description writes `maximum` on arrays where it means the number of items
    # (e.g. at most 30 registrants per status update).
    if out.get("type") == "array" and "maximum" in out:
        out["maxItems"] = out.pop("maximum")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class _Contract:
    def __init__(self, spec: dict) -> None:
        self.paths: dict[str, dict] = spec["paths"]
        schemas = spec.get("components", {}).get("schemas", {})
        self._components = {"schemas": {name: _json_schema(s) for name, s in schemas.items()}}
        self._validators: dict[str, Draft202012Validator] = {}
        self._lock = threading.Lock()

    def operation(self, template: str, method: str) -> dict:
        return self.paths[template][method.lower()]

    def errors(self, schema: dict, instance: Any) -> list[str]:
        key = json.dumps(schema, sort_keys=True, default=str)
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                root = {"allOf": [_json_schema(schema)], "components": self._components}
                validator = self._validators[key] = Draft202012Validator(root)
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{_where(error.absolute_path)}: {error.message}" for error in found]


def _where(path) -> str:
    return "/".join(str(part) for part in path) or "(top level)"


@cache
def _contract() -> _Contract:
    return _Contract(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


# Requests and answers.


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    raw: bytes


@dataclass(eq=False)
class _Answer(Exception):
    """An answer decided while handling; raised to leave the handler early."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def error(cls, status: int, code: int, message: str) -> _Answer:
        return cls(status, {"code": code, "message": message})


def _meeting_not_found(meeting_id: int) -> _Answer:
    return _Answer.error(404, 3001, f"Meeting does not exist: {meeting_id}.")


# (method, path pattern under /v2, OpenAPI path template, operationId)
_ROUTES = [
    ("POST", r"/users/(?P<userId>[^/]+)/meetings", "/users/{userId}/meetings", "createMeeting"),
    ("GET", r"/meetings/(?P<meetingId>[^/]+)", "/meetings/{meetingId}", "getMeetingById"),
    ("PATCH", r"/meetings/(?P<meetingId>[^/]+)", "/meetings/{meetingId}", "updateMeeting"),
    ("DELETE", r"/meetings/(?P<meetingId>[^/]+)", "/meetings/{meetingId}", "deleteMeeting"),
    ("POST", r"/meetings/(?P<meetingId>[^/]+)/registrants", "/meetings/{meetingId}/registrants",
     "addMeetingRegistrant"),
    ("GET", r"/meetings/(?P<meetingId>[^/]+)/registrants", "/meetings/{meetingId}/registrants",
     "listMeetingRegistrants"),
    ("PUT", r"/meetings/(?P<meetingId>[^/]+)/registrants/status",
     "/meetings/{meetingId}/registrants/status", "updateMeetingRegistrantStatus"),
    ("DELETE", r"/meetings/(?P<meetingId>[^/]+)/registrants/(?P<registrantId>[^/]+)",
     "/meetings/{meetingId}/registrants/{registrantId}", "deleteMeetingregistrant"),
]  # fmt: skip
_COMPILED_ROUTES = [(m, re.compile(p + r"/?"), t, op) for m, p, t, op in _ROUTES]


def _route(method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
    """(OpenAPI path template, operationId, path parameters) of a request under /v2."""
    for route_method, pattern, template, operation_id in _COMPILED_ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return template, operation_id, match.groupdict()
    return None


def _coerce(raw: str, schema: dict) -> tuple[Any, str | None]:
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(raw), None
        except ValueError:
            return raw, f"{raw!r} is not an integer"
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true", None
        return raw, f"{raw!r} is not a boolean"
    return raw, None


def _check_request(
    contract: _Contract, operation: dict, path_params: dict[str, str], request: _Request
) -> tuple[list[str], dict[str, Any], Any]:
    """(schema errors, parameter values, parsed body) for one request."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    declared = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
    supplied = {("path", k): v for k, v in path_params.items()}
    supplied |= {("query", k): v for k, v in request.query.items()}
    for where, name in supplied.keys() - declared.keys():
        errors.append(f"{where} parameter {name!r} is not defined for this operation")
    for (where, name), param in declared.items():
        if (where, name) not in supplied:
            if param.get("required"):
                errors.append(f"{where} parameter {name!r} is required")
            continue
        schema = param.get("schema", {})
        value, problem = _coerce(supplied[(where, name)], schema)
        problems = [problem] if problem else contract.errors(schema, value)
        errors.extend(f"{where} parameter {name!r}: {p}" for p in problems)
        values[name] = value

    body = None
    request_body = operation.get("requestBody")
    if request_body is None:
        if request.raw:
            errors.append("this operation takes no request body")
    elif not request.raw:
        if request_body.get("required"):
            errors.append("the request body is required")
    else:
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            errors.append(f"Content-Type is {content_type!r}, not application/json")
            return errors, values, None
        try:
            body = json.loads(request.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            errors.append(f"the request body is not JSON: {error}")
        else:
            schema = request_body["content"]["application/json"]["schema"]
            errors.extend(f"body {e}" for e in contract.errors(schema, body))
    return errors, values, body


def _response_errors(contract: _Contract, operation: dict, status: int, body: Any) -> list[str]:
    documented = {str(code): spec for code, spec in operation.get("responses", {}).items()}
    answer = documented.get(str(status))
    if answer is None:
        return [f"status {status} is not a documented answer"] if status < 300 else []
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return ["an answer documented without a body has one"] if body is not None else []
    return [f"body {e}" for e in contract.errors(schema, body)]


# Times.


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _Answer.error(400, 300, f"Invalid timezone: {name}.") from error


def _parse_time(value: str, zone: ZoneInfo) -> dt.datetime:
    """Zoom's two forms: UTC ("…Z" or an offset), or local time in the meeting's zone."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise _Answer.error(400, 300, f"Invalid start_time: {value}.") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _occurrences(
    start: dt.datetime, zone: ZoneInfo, duration: int, recurrence: dict
) -> list[dict[str, Any]]:
    """Daily occurrences at the same wall-clock time in the meeting's zone (across DST)."""
    if recurrence.get("type") != 1:
        raise _Answer.error(400, 300, "The stand-in supports daily recurrence (type 1) only.")
    end_times = recurrence.get("end_times")
    end_date_time = recurrence.get("end_date_time")
    if end_times is not None and end_date_time is not None:
        raise _Answer.error(400, 300, "Use either end_times or end_date_time, not both.")
    last_day = None
    if end_date_time is not None:
        # "The final date on which the meeting will recur", given in UTC: a date, not a moment.
        last_day = _parse_time(end_date_time, UTC).date()
    elif end_times is None:
        end_times = 1
    interval = max(int(recurrence.get("repeat_interval") or 1), 1)
    first = start.astimezone(zone).replace(tzinfo=None)
    found: list[dict[str, Any]] = []
    while len(found) < MAX_OCCURRENCES and (end_times is None or len(found) < end_times):
        local = first + dt.timedelta(days=len(found) * interval)
        moment = local.replace(tzinfo=zone).astimezone(UTC)
        if last_day is not None and moment.date() > last_day:
            break
        found.append(
            {
                "occurrence_id": str(int(moment.timestamp()) * 1000),
                "start_time": _iso(moment),
                "duration": duration,
                "status": "available",
            }
        )
    return found


# The server.

_DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "registration_type": 1,
    "audio": "voip",
    "auto_recording": "none",
    "waiting_room": False,
    "close_registration": False,
    "registrants_confirmation_email": True,
    "registrants_email_notification": True,
}
# The fields an occurrence may change on its own (see updateMeeting's occurrence_id).
_OCCURRENCE_FIELDS = {"agenda", "start_time", "duration", "settings", "timezone"}
_REGISTRANT_OUT = ("id", "email", "first_name", "last_name", "status", "join_url", "create_time")


@dataclass
class _Faults:
    rate_limited: int = 0
    retry_after: int = 1
    failing: int = 0
    fail_status: int = 500
    slow: int = 0
    slow_seconds: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, standin: ZoomStandIn) -> None:
        self.standin = standin
        # Set when this server stops, to cut short answers held back by slow_next.
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def abort_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "ZoomStandIn/1"

    def _serve(self) -> None:
        self.server.standin._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


class ZoomStandIn:
    """See the module docstring. Use as a context manager, or `start()` … `stop()`."""

    def __init__(
        self,
        *,
        account_id: str = "standin-account",
        client_id: str = "standin-client",
        client_secret: str = "standin-secret-do-not-log",
        token_lifetime: int = 3600,
        port: int = 0,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.host_id = "standin-host"
        self.host_email = "host@zoom-standin.test"
        self._port = port
        self._lock = threading.RLock()  # guards the state below
        self._life_lock = threading.Lock()  # guards starting and stopping
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tokens: dict[str, float] = {}  # token → monotonic expiry
        self._tokens_issued = 0
        self._meetings: dict[int, dict[str, Any]] = {}
        self._registrants: dict[int, list[dict[str, Any]]] = {}
        self._page_tokens: dict[str, tuple[int, str, int]] = {}  # → (meeting, status, offset)
        self._next_meeting_id = 81_234_567_890  # past 2**32, as Zoom's ids are
        self._calls: list[Call] = []
        self._violations: list[str] = []
        self._faults = {"api": _Faults(), "token": _Faults()}

    def __repr__(self) -> str:  # never the secret
        return f"<ZoomStandIn {self.api_url if self._port else 'not started'}>"

    # Lifecycle

    def start(self) -> ZoomStandIn:
        with self._life_lock:
            if self._server is not None:
                raise RuntimeError("the Zoom stand-in is already running")
            self._listen()
        return self

    def stop(self) -> None:
        with self._life_lock:
            self._unlisten()

    def go_down(self) -> None:
        """Stop listening (connections are refused) and cut open connections; keep the port
        and everything stored."""
        with self._life_lock:
            self._unlisten()

    def come_back(self) -> None:
        with self._life_lock:
            if self._server is None:
                self._listen()

    def __enter__(self) -> ZoomStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self) -> None:
        _contract()  # load the description before the first request needs it
        server = _Server(("127.0.0.1", self._port), _Handler, self)
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"zoom-standin:{self._port}",
            daemon=True,
        )
        self._thread.start()

    def _unlisten(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.abort_open_connections()
        if thread is not None:
            thread.join(timeout=10)

    # Addresses

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the Zoom stand-in has not been started")
        return self._port

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def oauth_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/token"

    def settings(self) -> dict[str, str]:
        return {
            "ZOOM_ACCOUNT_ID": self.account_id,
            "ZOOM_CLIENT_ID": self.client_id,
            "ZOOM_CLIENT_SECRET": self._client_secret,
            "ZOOM_API_URL": self.api_url,
            "ZOOM_OAUTH_URL": self.oauth_url,
        }

    # What it holds (copies, so tests can look without racing the server)

    def meetings(self) -> dict[int, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._meetings)

    def registrants(self, meeting_id: int | str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._registrants.get(int(meeting_id), []))

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    @property
    def tokens_issued(self) -> int:
        with self._lock:
            return self._tokens_issued

    # Faults

    def _target(self, token_endpoint: bool) -> _Faults:
        return self._faults["token" if token_endpoint else "api"]

    def rate_limit_next(self, n: int, *, retry_after: int = 1, token_endpoint: bool = False):
        with self._lock:
            faults = self._target(token_endpoint)
            faults.rate_limited, faults.retry_after = n, retry_after

    def fail_next(self, n: int, *, status: int = 500, token_endpoint: bool = False) -> None:
        with self._lock:
            faults = self._target(token_endpoint)
            faults.failing, faults.fail_status = n, status

    def slow_next(self, n: int, *, seconds: float, token_endpoint: bool = False) -> None:
        """The next n calls take effect at once but are answered `seconds` later (so a client
        that times out has still, e.g., added the registrant)."""
        with self._lock:
            faults = self._target(token_endpoint)
            faults.slow, faults.slow_seconds = n, seconds

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # Serving

    def _serve(self, handler: _Handler) -> None:
        started = time.monotonic()
        try:
            answer = self._answer(handler)
        except Exception as error:  # noqa: BLE001 — a stand-in bug must fail the test, not the server
            logger.exception("zoom stand-in failed on %s %s", handler.command, handler.path)
            with self._lock:
                self._violations.append(f"stand-in error on {handler.command}: {error!r}")
            answer = _Answer.error(500, 500, "Stand-in error.")
        remaining = answer.delay - (time.monotonic() - started)
        if remaining > 0 and handler.server.stopping.wait(remaining):
            return
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if answer.body is not None:
                handler.send_header("Content-Type", "application/json;charset=UTF-8")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout) or we went down meanwhile

    def _answer(self, handler: _Handler) -> _Answer:
        split = urllib.parse.urlsplit(handler.path)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES or "Transfer-Encoding" in handler.headers:
            with self._lock:
                self._violations.append(f"{handler.command} {split.path}: unusable body framing")
            return _Answer.error(400, 300, "Bad request body.")
        request = _Request(
            method=handler.command,
            path=split.path,
            query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
            headers=handler.headers,
            raw=handler.rfile.read(length) if length else b"",
        )
        if request.path.rstrip("/") == "/oauth/token":
            return self._token_endpoint(request)
        if request.path.startswith("/v2/"):
            return self._api(request, request.path[len("/v2") :])
        return self._unknown(request)

    def _unknown(self, request: _Request) -> _Answer:
        answer = _Answer.error(404, 404, "No such API.")
        with self._lock:
            self._violations.append(f"{request.method} {request.path}: no such operation")
            self._calls.append(Call(request.method, request.path, request.query, None, 404))
        return answer

    def _take_fault(self, faults: _Faults) -> _Answer | None:
        """The fault due for this call, if any (under the lock); also its delay."""
        delay = 0.0
        if faults.slow > 0:
            faults.slow -= 1
            delay = faults.slow_seconds
        answer = None
        if faults.rate_limited > 0:
            faults.rate_limited -= 1
            answer = _Answer.error(
                429, 429, "You have reached the maximum per-second rate limit for this API."
            )
            answer.headers["Retry-After"] = str(faults.retry_after)
        elif faults.failing > 0:
            faults.failing -= 1
            answer = _Answer.error(faults.fail_status, faults.fail_status, "Stand-in failure.")
        if answer is None and delay:
            return _Answer(0, delay=delay)  # status 0: no fault, only a delay
        if answer is not None:
            answer.delay = delay
        return answer

    # The OAuth token endpoint

    def _token_endpoint(self, request: _Request) -> _Answer:
        fields = dict(request.query)
        if request.raw:
            fields |= dict(urllib.parse.parse_qsl(request.raw.decode("utf-8", "replace")))
        problems, answer = [], None
        if request.method != "POST":
            problems.append(f"the token endpoint takes POST, not {request.method}")
            answer = _Answer(405, {"reason": "Method not allowed", "error": "invalid_request"})
        credentials = self._basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None:
            problems.append("token request without HTTP Basic client credentials")
        if fields.get("grant_type") != "account_credentials":
            problems.append(f"grant_type is {fields.get('grant_type')!r}")
        if not fields.get("account_id"):
            problems.append("token request without account_id")
        recorded = {k: v for k, v in fields.items() if k in ("grant_type", "account_id")}
        with self._lock:
            self._violations.extend(f"POST /oauth/token: {p}" for p in problems)
            fault = self._take_fault(self._faults["token"])
            if answer is not None:
                pass
            elif fault is not None and fault.status:
                answer = fault
            elif credentials is None or not self._credentials_match(*credentials):
                answer = _Answer(
                    401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
                )
            elif fields.get("grant_type") != "account_credentials":
                answer = _Answer(
                    400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
                )
            elif fields.get("account_id") != self.account_id:
                answer = _Answer(
                    400,
                    {
                        "reason": "Invalid request : Account ID is invalid",
                        "error": "invalid_request",
                    },
                )
            else:
                token = secrets.token_urlsafe(32)
                self._tokens[token] = time.monotonic() + self.token_lifetime
                self._tokens_issued += 1
                answer = _Answer(
                    200,
                    {
                        "access_token": token,
                        "token_type": "bearer",
                        "expires_in": self.token_lifetime,
                        "scope": "meeting:read:admin meeting:write:admin",
                    },
                )
            if fault is not None:
                answer.delay = fault.delay
            self._calls.append(
                Call(request.method, request.path, request.query, recorded, answer.status, "token")
            )
        return answer

    @staticmethod
    def _basic_credentials(header: str) -> tuple[str, str] | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        client_id, colon, secret = decoded.partition(":")
        return (client_id, secret) if colon else None

    def _credentials_match(self, client_id: str, secret: str) -> bool:
        return hmac.compare_digest(client_id.encode(), self.client_id.encode()) and (
            hmac.compare_digest(secret.encode(), self._client_secret.encode())
        )

    def _token_valid(self, headers: Any) -> bool:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and time.monotonic() < expiry

    # The API

    def _api(self, request: _Request, path: str) -> _Answer:
        route = _route(request.method, path)
        if route is None:
            return self._unknown(request)
        template, operation_id, path_params = route
        contract = _contract()
        operation = contract.operation(template, request.method)
        errors, params, body = _check_request(contract, operation, path_params, request)
        where = f"{operation_id} {request.method} {request.path}"
        with self._lock:
            self._violations.extend(f"request {where}: {e}" for e in errors)
            fault = self._take_fault(self._faults["api"])
            if fault is not None and fault.status:
                answer = fault
            elif not self._token_valid(request.headers):
                answer = _Answer.error(401, 124, "Invalid access token.")
            elif errors:
                answer = _Answer.error(400, 300, f"Invalid request: {errors[0]}")
            else:
                try:
                    answer = getattr(self, f"_op_{operation_id}")(params, body)
                except _Answer as decided:
                    answer = decided
            if fault is not None:
                answer.delay = fault.delay
            self._calls.append(
                Call(request.method, request.path, request.query, body, answer.status, operation_id)
            )
        if answer.status < 400:
            problems = _response_errors(contract, operation, answer.status, answer.body)
            if problems:
                with self._lock:
                    self._violations.extend(f"response {where}: {p}" for p in problems)
        return answer

    def _meeting(self, meeting_id: int) -> dict[str, Any]:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            raise _meeting_not_found(meeting_id)
        return meeting

    @staticmethod
    def _occurrence(meeting: dict[str, Any], occurrence_id: str) -> dict[str, Any]:
        for occurrence in meeting.get("occurrences", []):
            if occurrence["occurrence_id"] == occurrence_id:
                return occurrence
        raise _Answer.error(400, 3000, f"Invalid occurrence_id: {occurrence_id}.")

    def _schedule(self, meeting: dict[str, Any]) -> None:
        """(Re)build a recurring meeting's occurrences from its start, zone and recurrence."""
        if meeting["type"] != 8:
            meeting.pop("occurrences", None)
            return
        if "recurrence" not in meeting:
            raise _Answer.error(400, 300, "A recurring meeting (type 8) needs a recurrence.")
        start = _parse_time(meeting["start_time"], UTC)
        meeting["occurrences"] = _occurrences(
            start, _zone(meeting["timezone"]), meeting["duration"], meeting["recurrence"]
        )

    def _op_createMeeting(self, params: dict, body: dict) -> _Answer:
        if params["userId"] not in ("me", self.host_id, self.host_email):
            raise _Answer.error(404, 1001, f"User does not exist: {params['userId']}.")
        zone_name = body.get("timezone") or "UTC"
        zone = _zone(zone_name)
        start = (
            _parse_time(body["start_time"], zone)
            if body.get("start_time")
            else dt.datetime.now(UTC).replace(microsecond=0)
        )
        meeting_id = self._next_meeting_id
        self._next_meeting_id += 1
        settings = {**_DEFAULT_SETTINGS, **body.get("settings", {})}
        meeting: dict[str, Any] = {
            "id": meeting_id,
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "host_id": self.host_id,
            "host_email": self.host_email,
            "topic": (body.get("topic") or "Zoom Meeting")[:MAX_TOPIC],
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": _iso(start),
            "duration": body.get("duration", 60),
            "timezone": zone_name,
            "agenda": body.get("agenda", ""),
            "created_at": _iso(dt.datetime.now(UTC)),
            "password": body.get("password") or secrets.token_hex(3),
            "join_url": f"{JOIN_HOST}/j/{meeting_id}?pwd={secrets.token_urlsafe(12)}",
            "start_url": f"{JOIN_HOST}/s/{meeting_id}?zak={secrets.token_urlsafe(24)}",
            "pre_schedule": False,
            "settings": settings,
        }
        if settings.get("approval_type") in (0, 1):
            meeting["registration_url"] = (
                f"{JOIN_HOST}/meeting/register/{secrets.token_urlsafe(12)}"
            )
        if "recurrence" in body:
            meeting["recurrence"] = body["recurrence"]
        self._schedule(meeting)
        self._meetings[meeting_id] = meeting
        self._registrants[meeting_id] = []
        return _Answer(201, copy.deepcopy(meeting))

    def _op_getMeetingById(self, params: dict, body: None) -> _Answer:
        meeting = copy.deepcopy(self._meeting(params["meetingId"]))
        if "occurrence_id" in params:
            occurrence = self._occurrence(meeting, params["occurrence_id"])
            meeting["start_time"] = occurrence["start_time"]
            meeting["duration"] = occurrence["duration"]
        return _Answer(200, meeting)

    def _op_updateMeeting(self, params: dict, body: dict) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        if "occurrence_id" in params:
            self._update_occurrence(meeting, params["occurrence_id"], body)
            return _Answer(204)
        changed = copy.deepcopy(meeting)
        zone_name = body.get("timezone") or changed["timezone"]
        zone = _zone(zone_name)
        changed["timezone"] = zone_name
        for key in ("agenda", "duration", "password", "type", "recurrence"):
            if key in body:
                changed[key] = body[key]
        if "topic" in body:
            changed["topic"] = body["topic"][:MAX_TOPIC]
        if "start_time" in body:
            changed["start_time"] = _iso(_parse_time(body["start_time"], zone))
        if "settings" in body:
            changed["settings"] = {**changed["settings"], **body["settings"]}
        if changed["type"] != 8:
            changed.pop("recurrence", None)
        if body.keys() & {"start_time", "duration", "timezone", "recurrence", "type"}:
            self._schedule(changed)
        self._meetings[meeting["id"]] = changed
        return _Answer(204)

    def _update_occurrence(self, meeting: dict[str, Any], occurrence_id: str, body: dict) -> None:
        occurrence = self._occurrence(meeting, occurrence_id)
        if occurrence["status"] == "deleted":
            raise _Answer.error(400, 3000, f"Invalid occurrence_id: {occurrence_id}.")
        extra = sorted(body.keys() - _OCCURRENCE_FIELDS)
        if extra:
            raise _Answer.error(
                400, 300, f"Cannot change {', '.join(extra)} of a single occurrence."
            )
        if "start_time" in body:
            zone = _zone(body.get("timezone") or meeting["timezone"])
            occurrence["start_time"] = _iso(_parse_time(body["start_time"], zone))
        if "duration" in body:
            occurrence["duration"] = body["duration"]

    def _op_deleteMeeting(self, params: dict, body: None) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        if "occurrence_id" in params:
            self._occurrence(meeting, params["occurrence_id"])["status"] = "deleted"
        else:
            del self._meetings[meeting["id"]]
            self._registrants.pop(meeting["id"], None)
        return _Answer(204)

    def _op_addMeetingRegistrant(self, params: dict, body: dict) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        approval = meeting["settings"].get("approval_type", 2)
        if approval not in (0, 1):
            raise _Answer.error(
                400, 404, f"Registration has not been enabled for this meeting: {meeting['id']}."
            )
        everyone = self._registrants.setdefault(meeting["id"], [])
        email = body["email"].strip()
        registrant = next(
            (
                r
                for r in everyone
                if r["email"].casefold() == email.casefold()
                and r["status"] in ("approved", "pending")
            ),
            None,
        )
        if registrant is None:
            registrant = {
                "id": secrets.token_urlsafe(16),
                "email": email,
                "first_name": body["first_name"],
                "last_name": body.get("last_name", ""),
                "status": "approved" if approval == 0 else "pending",
                "create_time": _iso(dt.datetime.now(UTC)),
            }
            if "language" in body:
                registrant["language"] = body["language"]
            if approval == 0:
                registrant["join_url"] = self._personal_link(meeting["id"])
            everyone.append(registrant)
        answer = {
            "id": meeting["id"],
            "registrant_id": registrant["id"],
            "start_time": meeting["start_time"],
            "topic": meeting["topic"],
        }
        if "join_url" in registrant:
            answer["join_url"] = registrant["join_url"]
        if "occurrences" in meeting:
            answer["occurrences"] = copy.deepcopy(meeting["occurrences"])
        return _Answer(201, answer)

    @staticmethod
    def _personal_link(meeting_id: int) -> str:
        return f"{JOIN_HOST}/w/{meeting_id}?tk={secrets.token_urlsafe(24)}"

    def _op_listMeetingRegistrants(self, params: dict, body: None) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        status = params.get("status", "approved")
        page_size = params.get("page_size", 30)
        if page_size < 1:
            raise _Answer.error(400, 300, "Invalid page_size.")
        offset = 0
        if params.get("next_page_token"):
            state = self._page_tokens.get(params["next_page_token"])
            if state is None or state[:2] != (meeting["id"], status):
                raise _Answer.error(400, 300, "Invalid next_page_token.")
            offset = state[2]
        # A cancelled registrant is one Zoom no longer lets in: listed with the denied ones.
        wanted = {"denied": ("denied", "cancelled")}.get(status, (status,))
        matching = [r for r in self._registrants.get(meeting["id"], []) if r["status"] in wanted]
        page = matching[offset : offset + page_size]
        next_token = ""
        if offset + page_size < len(matching):
            next_token = secrets.token_urlsafe(24)
            self._page_tokens[next_token] = (meeting["id"], status, offset + page_size)
        return _Answer(
            200,
            {
                "page_count": max(1, -(-len(matching) // page_size)),
                "page_number": offset // page_size + 1,
                "page_size": page_size,
                "total_records": len(matching),
                "next_page_token": next_token,
                "registrants": [{k: r[k] for k in _REGISTRANT_OUT if k in r} for r in page],
            },
        )

    def _op_updateMeetingRegistrantStatus(self, params: dict, body: dict) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        everyone = self._registrants.get(meeting["id"], [])
        new_status = {"approve": "approved", "cancel": "cancelled", "deny": "denied"}
        for wanted in body.get("registrants", []):
            for registrant in self._find_registrants(everyone, wanted):
                registrant["status"] = new_status[body["action"]]
                if registrant["status"] == "approved" and "join_url" not in registrant:
                    registrant["join_url"] = self._personal_link(meeting["id"])
        return _Answer(204)

    @staticmethod
    def _find_registrants(everyone: list[dict], wanted: dict) -> list[dict]:
        # Zoom passes over registrants it does not know; so does the stand-in.
        if wanted.get("id"):
            return [r for r in everyone if r["id"] == wanted["id"]]
        email = (wanted.get("email") or "").casefold()
        return [r for r in everyone if email and r["email"].casefold() == email]

    def _op_deleteMeetingregistrant(self, params: dict, body: None) -> _Answer:
        meeting = self._meeting(params["meetingId"])
        everyone = self._registrants.get(meeting["id"], [])
        for index, registrant in enumerate(everyone):
            if registrant["id"] == params["registrantId"]:
                del everyone[index]
                return _Answer(204)
        raise _Answer.error(404, 3027, f"Registrant not found: {params['registrantId']}.")
