import subprocess
import sys

from tests.conftest import REPO_DIR


def settings_value(expression: str, env: dict[str, str]) -> str:
    """Evaluate a settings expression in a fresh interpreter with exactly this environment."""
    code = f"import config.settings as s; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        return "ERROR: " + result.stderr.strip().splitlines()[-1]
    return result.stdout.strip()


def test_settings_default_to_sqlite_in_the_project(tmp_path):
    env = {"DJANGO_DEBUG": "1", "DJANGO_VAR_DIR": str(tmp_path)}
    assert settings_value("s.DATABASES['default']['ENGINE']", env) == "django.db.backends.sqlite3"
    assert settings_value("s.DATABASES['default']['NAME']", env) == str(tmp_path / "db.sqlite3")


def test_settings_database_url_selects_postgresql():
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.internal:5432/events"}
    assert settings_value("s.DATABASES['default']['ENGINE']", env) == (
        "django.db.backends.postgresql"
    )
    assert settings_value("s.DATABASES['default']['HOST']", env) == "db.internal"
    assert settings_value("s.DATABASES['default']['CONN_HEALTH_CHECKS']", env) == "True"


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    assert settings_value("s.SECRET_KEY", {}).startswith("ERROR: django.core.exceptions.Improperly")
    assert settings_value("s.SECRET_KEY", {"DJANGO_SECRET_KEY": "k" * 50}) == "k" * 50


def test_settings_time_is_utc_and_aware():
    env = {"DJANGO_DEBUG": "1"}
    assert settings_value("s.TIME_ZONE, s.USE_TZ", env) == "UTC True"


def test_settings_without_broker_run_tasks_in_process():
    assert settings_value("s.CELERY_TASK_ALWAYS_EAGER", {"DJANGO_DEBUG": "1"}) == "True"
    env = {"DJANGO_DEBUG": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    assert settings_value("s.CELERY_TASK_ALWAYS_EAGER", env) == "False"


def test_settings_trusted_proxy_count_defaults_to_none_and_reads_the_environment():
    assert settings_value("s.TRUSTED_PROXY_COUNT", {"DJANGO_DEBUG": "1"}) == "0"
    env = {"DJANGO_DEBUG": "1", "TRUSTED_PROXY_COUNT": "2"}
    assert settings_value("s.TRUSTED_PROXY_COUNT", env) == "2"
    for wrong in ["-1", "two", "1.5"]:
        env = {"DJANGO_DEBUG": "1", "TRUSTED_PROXY_COUNT": wrong}
        assert settings_value("s.TRUSTED_PROXY_COUNT", env) == (
            "ERROR: django.core.exceptions.ImproperlyConfigured: "
            "TRUSTED_PROXY_COUNT must be a whole number of at least 0."
        )


def test_settings_former_ratelimit_ip_meta_key_still_means_one_proxy():
    """What the README used to recommend now means: one proxy (nginx) appends to the header."""
    env = {"DJANGO_DEBUG": "1", "RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"}
    assert settings_value("s.TRUSTED_PROXY_COUNT", env) == "1"
    assert settings_value("s.RATELIMIT_IP_META_KEY", env) == (
        "workshop.client_address.client_address"
    )
    assert settings_value("s.TRUSTED_PROXY_COUNT", {**env, "TRUSTED_PROXY_COUNT": "2"}) == "2"
    env = {"DJANGO_DEBUG": "1", "RATELIMIT_IP_META_KEY": "REMOTE_ADDR"}
    assert settings_value("s.TRUSTED_PROXY_COUNT", env) == "0"
    env = {"DJANGO_DEBUG": "1", "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP"}
    assert settings_value("s.TRUSTED_PROXY_COUNT", env).startswith(
        "ERROR: django.core.exceptions.ImproperlyConfigured: "
        "RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP is no longer supported: set TRUSTED_PROXY_COUNT"
    )


def test_settings_admin_sign_in_limits_read_the_environment():
    expression = "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()"
    assert settings_value(expression, {"DJANGO_DEBUG": "1"}) == "5 900.0"
    env = {
        "DJANGO_DEBUG": "1",
        "ADMIN_LOGIN_FAILURE_LIMIT": "3",
        "ADMIN_LOGIN_COOLOFF_MINUTES": "60",
    }
    assert settings_value(expression, env) == "3 3600.0"
    env = {"DJANGO_DEBUG": "1", "ADMIN_LOGIN_COOLOFF_MINUTES": "0"}
    assert settings_value(expression, env).endswith(
        "ADMIN_LOGIN_COOLOFF_MINUTES must be a whole number of at least 1."
    )
