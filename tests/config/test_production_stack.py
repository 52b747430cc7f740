"""The production stack as docker-compose.yml runs it, without Docker: the web and worker
commands and the web health check are read from the compose file and run as they are, against
the local PostgreSQL (or SQLite), Redis and an SMTP server on loopback. The site must answer, a
mail must go out, and the health check must pass under production settings.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_DIR
from tests.support.smtp import free_port
from tests.support.worker import TEST_BROKER_URL, subprocess_database_url, wait_until
from workshop.importer import import_programme_file

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

VENV_BIN = str(Path(sys.executable).parent)


def compose_command(service: str) -> list[str]:
    return yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())["services"][service][
        "command"
    ]


def compose_healthcheck(service: str) -> tuple[list[str], float, int]:
    """The service's health check as Docker runs it inside the container: the argv, the
    timeout in seconds and the number of tries."""
    check = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())["services"][service][
        "healthcheck"
    ]
    test = check["test"]
    if isinstance(test, str):
        argv = ["sh", "-c", test]
    elif test[0] == "CMD":
        argv = list(test[1:])
    elif test[0] == "CMD-SHELL":
        argv = ["sh", "-c", test[1]]
    else:
        raise AssertionError(f"{service}: health check {test!r} runs nothing")
    return argv, compose_duration(check.get("timeout", "30s")), int(check.get("retries", 3))


def compose_duration(value: str) -> float:
    """Compose's duration syntax: 5s, 1m30s, 500ms."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(value))
    assert parts and "".join(n + u for n, u in parts) == str(value), value
    return sum(float(number) * units[unit] for number, unit in parts)


def compose_environment() -> dict[str, str]:
    """The fixed (non-interpolated) variables the compose file gives the app containers."""
    environment = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())["x-app"][
        "environment"
    ]
    return {key: str(value) for key, value in environment.items() if "${" not in str(value)}


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=REPO_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def fetch(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def fetch_or_none(opener, url: str) -> int | None:
    try:
        return fetch(opener, url)[0]
    except OSError:  # not listening yet
        return None


def test_compose_web_and_worker_commands_serve_the_site_and_send_mail(
    tmp_path, redis_broker, smtp_server
):
    import_programme_file(REPO_DIR / "workshop" / "fixtures" / "seminar-hirata.yaml")
    port = free_port()
    env = {
        **os.environ,
        **compose_environment(),
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PORT": str(port),
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "DJANGO_SECRET_KEY": "stack-test-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_DEBUG": "0",
    }
    env.pop("DJANGO_MANIFEST_STATIC", None)  # production: hashed, compressed static files
    # The image's build step (Dockerfile): collect static files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=REPO_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    web = start(compose_command("web"), env, tmp_path / "web.log")
    worker = start(compose_command("worker"), env, tmp_path / "worker.log")
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        try:
            wait_until(
                lambda: web.poll() is None and fetch_or_none(opener, f"{base}/healthz") == 200,
                timeout=60,
                what="gunicorn to answer /healthz",
            )
        except AssertionError:
            print((tmp_path / "web.log").read_text(errors="replace")[-3000:])
            raise
        status, health = fetch(opener, f"{base}/healthz")
        assert '"broker": "ok"' in health and '"database": "ok"' in health

        status, page = fetch(opener, f"{base}/events/hirata-156-projects/")
        assert status == 200
        assert "17:00 Melbourne" in page
        stylesheet = re.search(r'href="(/static/vendor/[^"]+\.css)"', page).group(1)
        assert re.search(r"bootstrap\.min\.[0-9a-f]{12}\.css$", stylesheet)  # hashed name
        assert fetch(opener, base + stylesheet)[0] == 200

        status, form = fetch(opener, f"{base}/events/hirata-156-projects/register/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        status, _ = fetch(
            opener,
            f"{base}/events/hirata-156-projects/register/",
            {
                "csrfmiddlewaretoken": token,
                "name": "Lin Chaochao",
                "email": "lin@example.org",
                "career_stage": "Scholar",
                "country": "CN",
                "timezone": "Asia/Shanghai",
                "consent": "on",
            },
        )
        assert status == 200  # followed the redirect to "check your inbox"
        [message] = smtp_server.wait_for(1, timeout=60)
        assert message.rcpt_tos == ("lin@example.org",)
        body = message.message.get_body(preferencelist=("plain",)).get_content()
        assert f"{base}/registrations/" in body

        # The worker container's health check, as Docker runs it, finds this worker.
        check, timeout, _ = compose_healthcheck("worker")
        result = subprocess.run(check, cwd=REPO_DIR, env=env, capture_output=True, timeout=timeout)
        assert result.returncode == 0, result
    finally:
        stop(web)
        stop(worker)
        for name in ("web.log", "worker.log"):  # shown by pytest only when the test failed
            print(f"--- {name} ---\n" + (tmp_path / name).read_text(errors="replace")[-3000:])


def test_compose_web_health_check_passes_under_production_settings(tmp_path, redis_broker):
    """The web container's health check, run as Docker runs it (inside the container, with the
    container's environment), against gunicorn started by compose's web command with the
    settings of a real deployment: https SITE_URL (so SSL redirect, HSTS, secure cookies) and
    only the public name in DJANGO_ALLOWED_HOSTS. The check must pass while gunicorn serves,
    fail when it does not, and the public keeps the host check and the https redirect."""
    port = free_port()
    env = {
        **os.environ,
        **compose_environment(),
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PORT": str(port),
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "DJANGO_SECRET_KEY": "stack-test-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "events.example.org",
        "SITE_URL": "https://events.example.org",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_DEBUG": "0",
    }
    for name in ("DJANGO_MANIFEST_STATIC", "DJANGO_SSL_REDIRECT", "DJANGO_BEHIND_TLS_PROXY"):
        env.pop(name, None)  # production defaults
    check, timeout, retries = compose_healthcheck("web")

    def run_check() -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                check, cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as expired:  # Docker counts a timeout as a failure
            return subprocess.CompletedProcess(check, -1, "", f"timed out: {expired}")

    web = start(compose_command("web"), env, tmp_path / "web.log")
    try:
        wait_until(
            lambda: web.poll() is not None or listening(port),
            timeout=60,
            what="gunicorn to listen (after migrate)",
        )
        assert web.poll() is None, "the web command exited"
        # Docker marks the container healthy at the first success within its retries.
        for _ in range(retries):
            result = run_check()
            if result.returncode == 0:
                break
            time.sleep(1)
        assert result.returncode == 0, (
            f"health check {check} failed: {result.stdout}{result.stderr}"
        )

        # The public: another host name is refused, plain http is sent to https.
        opener = urllib.request.build_opener(NoRedirect)
        base = f"http://127.0.0.1:{port}"
        assert fetch_with_host(opener, f"{base}/", "attacker.example")[0] == 400
        status, location = fetch_with_host(opener, f"{base}/", "events.example.org")
        assert (status, location) == (301, "https://events.example.org/")
    finally:
        stop(web)
        print("--- web.log ---\n" + (tmp_path / "web.log").read_text(errors="replace")[-3000:])
    # It checks the server itself: with gunicorn gone, the check fails.
    assert run_check().returncode != 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch_with_host(opener, url: str, host: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location")
