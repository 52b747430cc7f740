"""/healthz: is this web process able to serve? Checks the database and the broker.

Load balancers and `docker compose` health checks call it; 200 when every part answers,
503 naming the part that does not. Hand-written because it is small and must not fail
itself: every check is bounded in time and reports instead of raising.
"""

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
