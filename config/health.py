"""/healthz: is this web process able to serve? Checks the database and the broker.

Load balancers and `docker compose` health checks call it; 200 when every part answers,
503 naming the part that does not. Hand-written because it is small and must not fail
itself: every check is bounded in time and reports instead of raising.
"""

import ipaddress
import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured (tasks run in-process)"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
def healthz(request):
    results, healthy = {}, True
    for name, check in (("database", check_database), ("broker", check_broker)):
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 — any failure is the answer
            logger.warning("health check %s failed: %s", name, error)
            results[name] = f"error: {type(error).__name__}"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503
    )


class LoopbackHealthCheckMiddleware:
    """Answer GET /healthz from this machine (or container) itself before any other middleware.

    The container's health check (docker-compose.yml) asks gunicorn over HTTP from inside the
    container, so it checks the real thing: gunicorn accepts, a worker runs Django, the
    database and the broker answer. But it has to ask for http://127.0.0.1:$PORT/healthz, and
    with production settings Django refuses that Host (400, it is not in ALLOWED_HOSTS) or
    redirects plain http to https (SECURE_SSL_REDIRECT). Adding 127.0.0.1 to ALLOWED_HOSTS
    would accept that name from everyone, and an exemption from the redirect alone still
    meets the host check, so this middleware, first in MIDDLEWARE (before SecurityMiddleware's
    redirect and CommonMiddleware's host check), answers the health check itself, and only
    for a client on the loopback interface: the peer address of the TCP connection, as
    gunicorn puts it in REMOTE_ADDR before any middleware runs. Published ports reach the
    container from the Docker network, never from its own loopback, so for the public nothing
    changes: /healthz and every other path keep the host check and the https redirect. A
    request that names a proxy (X-Forwarded-For, X-Forwarded-Proto, Forwarded) is the public's
    too: a reverse proxy on the same machine connects from loopback. The answer does not
    depend on the Host header (no URL is built from it).
    """

    PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED")

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path_info == self.PATH
            and request.method in ("GET", "HEAD")
            and is_loopback(request.META.get("REMOTE_ADDR", ""))
            and not any(header in request.META for header in self.PROXY_HEADERS)
        ):
            return healthz(request)
        return self.get_response(request)


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # empty (a Unix socket) or not an address: not loopback
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback
