import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from tests.conftest import REPO_DIR

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "events.example.org",
    "SITE_URL": "https://events.example.org",
    "DATABASE_URL": "postgres://events:events@db.invalid:5432/events",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
    "CACHE_URL": "redis://redis.invalid:6379/1",
    "EMAIL_HOST": "smtp.invalid",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_when_debug_is_left_on():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "DJANGO_DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_healthz_is_unavailable_when_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["broker"].startswith("error: ")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_public_pages_send_a_content_security_policy_without_inline_script(client, sino_soviet):
    response = client.get(sino_soviet.get_absolute_url())
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("loopback", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_healthz_answers_the_containers_own_check_under_production_settings(
    client, settings, loopback
):
    """compose's health check asks http://127.0.0.1:$PORT/healthz from inside the container:
    not an allowed host, not https. From loopback, /healthz answers anyway."""
    settings.ALLOWED_HOSTS = ["events.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR=loopback)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_keeps_the_host_check_and_https_redirect_for_everyone_else(client, settings):
    settings.ALLOWED_HOSTS = ["events.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    public = "203.0.113.9"
    assert client.get("/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR=public).status_code == 400
    response = client.get("/healthz", HTTP_HOST="events.example.org", REMOTE_ADDR=public)
    assert (response.status_code, response.headers["Location"]) == (
        301,
        "https://events.example.org/healthz",
    )
    # Loopback gets no exemption for any other page, nor for a write.
    assert client.get("/", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1").status_code == 400
    response = client.post("/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 400
    # Nor does the public through a reverse proxy on the same machine.
    response = client.get(
        "/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=public
    )
    assert response.status_code == 400


def test_deploy_check_fails_without_a_shared_cache_for_the_rate_limits():
    """Without CACHE_URL each gunicorn worker counts on its own: the deploy check refuses."""
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "CACHE_URL"}
    result = manage("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "workshop.E001" in output
    assert "CACHE_URL" in output
    assert "LocMemCache" in output


def test_deploy_check_leaves_the_single_process_debug_demo_its_local_cache():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "CACHE_URL"}
    result = manage("check", "--deploy", env={**env, "DJANGO_DEBUG": "1"})
    assert "workshop.E001" not in result.stdout + result.stderr
    assert "security.W018" in result.stdout + result.stderr
