"""Zoom REST API v2 client: the meeting and registrant calls the project makes, with
Server-to-Server OAuth.

Plain HTTP and nothing else: no models, no Celery. Every failure becomes one of the
exceptions below, split by what the caller should do about it: `ZoomUnavailable` (try again
later, `retry_after` says when if Zoom said so) or `ZoomRejected` (trying again will not help).

The client secret and access tokens never reach an exception message, a log line or a repr;
log lines carry method, path, status and elapsed time, never a query string, a body or a
header. Zoom's own error messages are passed on with email addresses blanked out.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables
from requests.auth import AuthBase

logger = logging.getLogger("zoom.client")

# Zoom's maximum page size for listMeetingRegistrants, and its limit of registrants per
# updateMeetingRegistrantStatus call.
REGISTRANT_PAGE_SIZE = 300
STATUS_BATCH_SIZE = 30
# A meeting holds at most 4999 registrants (17 full pages): a longer walk means a paging loop.
MAX_REGISTRANT_PAGES = 50
# A cached token is dropped this long before Zoom says it expires, so that no call sets out
# with a token that runs out on the way; never cached for less than TOKEN_MIN_TTL_SECONDS.
TOKEN_EARLY_SECONDS = 60
TOKEN_MIN_TTL_SECONDS = 30
DEFAULT_RETRY_AFTER = 1.0
# Zoom's messages may quote what was sent; logs and error reports must not carry addresses.
_EMAIL_RE = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")
_MAX_MESSAGE_CHARS = 300


class ZoomError(Exception):
    """A Zoom call that did not do what was asked. `status` is the HTTP status (None when no
    answer came), `code` Zoom's error code (None when the body had none)."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ZoomUnavailable(ZoomError):
    """A passing trouble (5xx, timeout, refused or reset connection): try again later."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ZoomRateLimited(ZoomUnavailable):
    """429: `retry_after` holds the seconds Zoom asked us to wait."""


class ZoomRejected(ZoomError):
    """A permanent answer (4xx other than 429, or a 401 that a new token did not cure)."""


class ZoomNotFound(ZoomRejected):
    """404: the meeting (code 3001) or registrant (3027) does not exist (any more)."""


class ZoomNotConfigured(ZoomError):
    """ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID or ZOOM_CLIENT_SECRET is empty."""


def is_configured() -> bool:
    return bool(
        settings.ZOOM_ACCOUNT_ID and settings.ZOOM_CLIENT_ID and settings.ZOOM_CLIENT_SECRET
    )


class _Bearer(AuthBase):
    """Sends the token as an auth object rather than a plain header: requests would otherwise
    replace the header with credentials from a ~/.netrc for the host."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"


class ZoomClient:
    """One Zoom account's API. Arguments left None are read from settings at each call, so a
    client made at import time follows settings changed later (tests, `override_settings`)."""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        oauth_url: str | None = None,
        account_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float | None = None,
    ):
        self._api_url = api_url
        self._oauth_url = oauth_url
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"<ZoomClient {self.api_url} account={self.account_id!r}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Settings, read at call time.
    @property
    def api_url(self) -> str:
        return (self._api_url or settings.ZOOM_API_URL).rstrip("/")

    @property
    def oauth_url(self) -> str:
        return self._oauth_url or settings.ZOOM_OAUTH_URL

    @property
    def account_id(self) -> str:
        return self._account_id if self._account_id is not None else settings.ZOOM_ACCOUNT_ID

    @property
    def client_id(self) -> str:
        return self._client_id if self._client_id is not None else settings.ZOOM_CLIENT_ID

    @property
    def timeout(self) -> float:
        return float(self._timeout if self._timeout is not None else settings.ZOOM_TIMEOUT_SECONDS)

    def _client_secret_value(self) -> str:
        # A method, not a property: nothing that lists attributes should meet the secret.
        if self._client_secret is not None:
            return self._client_secret
        return settings.ZOOM_CLIENT_SECRET

    # Meetings.
    def create_meeting(self, payload: dict) -> dict:
        return self._call("POST", "/users/me/meetings", json=payload)

    def get_meeting(self, meeting_id: int | str) -> dict:
        return self._call("GET", f"/meetings/{_segment(meeting_id)}")

    def update_meeting(
        self, meeting_id: int | str, payload: dict, *, occurrence_id: str | None = None
    ) -> None:
        self._call(
            "PATCH",
            f"/meetings/{_segment(meeting_id)}",
            params=_occurrence(occurrence_id),
            json=payload,
        )

    def delete_meeting(self, meeting_id: int | str, *, occurrence_id: str | None = None) -> None:
        self._call("DELETE", f"/meetings/{_segment(meeting_id)}", params=_occurrence(occurrence_id))

    # Registrants.
    def add_registrant(
        self,
        meeting_id: int | str,
        *,
        email: str,
        first_name: str,
        last_name: str = "",
        language: str = "",
    ) -> dict:
        """Register one participant; the answer carries their personal `join_url`.

        Zoom's answer names the registrant `registrant_id` and puts the *meeting* id in `id`;
        the result has the registrant id in both `id` and `registrant_id`, and the meeting id
        in `meeting_id`.
        """
        body = {"email": email, "first_name": first_name}
        if last_name:
            body["last_name"] = last_name
        if language:
            body["language"] = language
        path = f"/meetings/{_segment(meeting_id)}/registrants"
        answer = self._call("POST", path, json=body)
        registrant_id = answer.get("registrant_id")
        if not registrant_id:
            raise ZoomRejected(f"Zoom's answer to POST {path} names no registrant_id", status=201)
        return {**answer, "meeting_id": answer.get("id"), "id": str(registrant_id)}

    def find_registrant(self, meeting_id: int | str, email: str) -> dict | None:
        """The approved registrant with this email address (compared case-insensitively), or
        None. Walks every page of listMeetingRegistrants."""
        wanted = email.strip().casefold()
        path = f"/meetings/{_segment(meeting_id)}/registrants"
        params: dict[str, Any] = {"status": "approved", "page_size": REGISTRANT_PAGE_SIZE}
        seen_tokens: set[str] = set()
        for _page in range(MAX_REGISTRANT_PAGES):
            answer = self._call("GET", path, params=params)
            for registrant in answer.get("registrants") or []:
                if str(registrant.get("email", "")).strip().casefold() == wanted:
                    return registrant
            next_token = answer.get("next_page_token") or ""
            if not next_token or next_token in seen_tokens:
                return None
            seen_tokens.add(next_token)
            params = {**params, "next_page_token": next_token}
        raise ZoomUnavailable(f"Zoom's registrant list for GET {path} did not end")

    def cancel_registrants(self, meeting_id: int | str, registrants: list[dict]) -> None:
        """Cancel registrants ([{"id", "email"}]) so that their join links stop working; one
        call per STATUS_BATCH_SIZE, Zoom's limit. A batch that fails raises, and the batches
        before it stay done (cancelling twice is harmless, so the caller may send all again)."""
        path = f"/meetings/{_segment(meeting_id)}/registrants/status"
        entries = [{"id": str(r["id"]), "email": r["email"]} for r in registrants]
        for start in range(0, len(entries), STATUS_BATCH_SIZE):
            batch = entries[start : start + STATUS_BATCH_SIZE]
            self._call("PUT", path, json={"action": "cancel", "registrants": batch})

    def delete_registrant(self, meeting_id: int | str, registrant_id: str) -> None:
        self._call(
            "DELETE", f"/meetings/{_segment(meeting_id)}/registrants/{_segment(registrant_id)}"
        )

    # Plumbing.
    @sensitive_variables("token")
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict | None = None,
    ) -> dict:
        token = self._token()
        response = self._send(method, path, token, params, json)
        if response.status_code == 401:
            # Zoom may end a token before its time: one new token, one more try.
            self._forget_token(token)
            token = self._token()
            response = self._send(method, path, token, params, json)
            if response.status_code == 401:
                self._forget_token(token)
        return self._answer(f"{method} {path}", response)

    @sensitive_variables("token")
    def _send(
        self,
        method: str,
        path: str,
        token: str,
        params: dict[str, Any] | None,
        json: dict | None,
    ) -> requests.Response:
        what = f"{method} {path}"
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.api_url + path,
                params=params,
                json=json,
                auth=_Bearer(token),
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise self._no_answer(what, started, error) from None
        _log_answer(what, response.status_code, started)
        return response

    def _answer(self, what: str, response: requests.Response) -> dict:
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return {}
            try:
                body = response.json()
            except ValueError:
                # Typically a proxy's page in front of Zoom: passing.
                raise ZoomUnavailable(
                    f"Zoom's answer to {what} ({status}) is not JSON", status=status
                ) from None
            if not isinstance(body, dict):
                raise ZoomUnavailable(
                    f"Zoom's answer to {what} ({status}) is not a JSON object", status=status
                )
            return body
        raise self._error(what, response)

    def _error(self, what: str, response: requests.Response) -> ZoomError:
        status = response.status_code
        code, zoom_message = _error_body(response)
        text = f"Zoom answered {status}" + (f" (code {code})" if code is not None else "")
        text += f": {self._redact(zoom_message or response.reason or 'no message')} ({what})"
        if status == 429:
            return ZoomRateLimited(
                text,
                status=status,
                code=code,
                retry_after=_retry_after(response, DEFAULT_RETRY_AFTER),
            )
        if status >= 500:
            return ZoomUnavailable(
                text, status=status, code=code, retry_after=_retry_after(response, None)
            )
        if status == 404:
            return ZoomNotFound(text, status=status, code=code)
        return ZoomRejected(text, status=status, code=code)

    def _no_answer(self, what: str, started: float, error: requests.RequestException) -> ZoomError:
        elapsed = _elapsed_ms(started)
        if isinstance(error, requests.Timeout):
            reason = f"no answer within {self.timeout:g} s"
        elif isinstance(error, requests.ConnectionError):
            reason = "connection failed"
        elif isinstance(
            error,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema,
            ),
        ):
            logger.warning("zoom %s: unusable URL", what)
            return ZoomRejected(
                f"Zoom call {what} has an unusable URL: check ZOOM_API_URL and ZOOM_OAUTH_URL"
            )
        else:
            reason = "transfer failed"
        # The exception's own text may carry the URL with its query string: only its type.
        logger.warning(
            "zoom %s failed after %d ms: %s (%s)", what, elapsed, reason, type(error).__name__
        )
        return ZoomUnavailable(f"Zoom call {what}: {reason} ({type(error).__name__})")

    def _redact(self, text: str) -> str:
        text = _EMAIL_RE.sub("<email>", text)
        secret = self._client_secret_value()
        if secret:
            text = text.replace(secret, "<hidden>")
        return text[:_MAX_MESSAGE_CHARS]

    # OAuth token, shared by every process through the cache.
    def _check_configured(self) -> None:
        if not (self.account_id and self.client_id and self._client_secret_value()):
            raise ZoomNotConfigured(
                "Zoom is not configured: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
            )

    def _token_cache_key(self) -> str:
        # Hashed, so the key says nothing; the secret is not part of it at all.
        identity = "\n".join((self.oauth_url, self.account_id, self.client_id))
        return "zoom:oauth-token:" + hashlib.sha256(identity.encode()).hexdigest()[:40]

    @sensitive_variables("token")
    def _token(self) -> str:
        self._check_configured()
        key = self._token_cache_key()
        token = cache.get(key)
        if token:
            return token
        token, expires_in = self._fetch_token()
        cache.set(key, token, max(expires_in - TOKEN_EARLY_SECONDS, TOKEN_MIN_TTL_SECONDS))
        return token

    @sensitive_variables("token")
    def _forget_token(self, token: str) -> None:
        key = self._token_cache_key()
        # Another process may have cached a fresh token meanwhile: drop only the one that failed.
        if cache.get(key) == token:
            cache.delete(key)

    @sensitive_variables("secret", "body", "token")
    def _fetch_token(self) -> tuple[str, int]:
        what = f"POST {urlsplit(self.oauth_url).path or '/'} (OAuth token)"
        secret = self._client_secret_value()
        started = time.monotonic()
        try:
            response = self._session.post(
                self.oauth_url,
                data={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=(self.client_id, secret),
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise self._no_answer(what, started, error) from None
        _log_answer(what, response.status_code, started)
        status = response.status_code
        if status == 429:
            raise ZoomRateLimited(
                f"Zoom answered 429 to {what}",
                status=status,
                retry_after=_retry_after(response, DEFAULT_RETRY_AFTER),
            )
        if status >= 500:
            raise ZoomUnavailable(
                f"Zoom answered {status} to {what}",
                status=status,
                retry_after=_retry_after(response, None),
            )
        if status >= 300:
            raise ZoomRejected(
                f"Zoom refused the OAuth token ({status}{_oauth_reason(response, self._redact)}):"
                " check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET",
                status=status,
            )
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ZoomUnavailable(
                f"Zoom's answer to {what} ({status}) holds no access token", status=status
            ) from None
        if not isinstance(token, str) or not token:
            raise ZoomUnavailable(
                f"Zoom's answer to {what} ({status}) holds no access token", status=status
            )
        return token, expires_in


def _segment(value: int | str) -> str:
    return quote(str(value), safe="")


def _occurrence(occurrence_id: str | None) -> dict[str, str] | None:
    return {"occurrence_id": str(occurrence_id)} if occurrence_id else None


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _log_answer(what: str, status: int, started: float) -> None:
    level = logging.INFO if status < 400 else logging.WARNING
    logger.log(level, "zoom %s -> %d in %d ms", what, status, _elapsed_ms(started))


def _error_body(response: requests.Response) -> tuple[int | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    message = body.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else "",
    )


def _oauth_reason(response: requests.Response, redact) -> str:
    """Zoom's token endpoint answers errors as {"reason", "error"}; those name the problem
    (e.g. invalid_client) without echoing credentials, but are redacted all the same."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("error", "reason") if isinstance(body.get(k), str)]
    return f", {redact(': '.join(parts))}" if parts else ""


def _retry_after(response: requests.Response, default: float | None) -> float | None:
    """Retry-After in seconds: a number or an HTTP date; `default` when absent or garbled."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        if when.tzinfo is None:
            return default
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return default
    return max(seconds, 0.0)
