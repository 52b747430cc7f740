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
