import json

import jsonschema
import yaml

from tests.conftest import REPO_DIR, SCHEMAS_DIR


def load_compose():
    return yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())


def test_compose_file_validates_against_compose_spec():
    schema = json.loads((SCHEMAS_DIR / "compose-spec.json").read_text())
    # The spec declares draft 7 by an id jsonschema does not know; name the validator.
    jsonschema.Draft7Validator(schema).validate(load_compose())


def test_compose_file_runs_the_documented_commands():
    services = load_compose()["services"]
    assert set(services) >= {"db", "redis", "web", "worker", "beat", "mailpit"}
    assert "gunicorn config.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_compose_file_health_checks_every_long_running_service():
    services = load_compose()["services"]
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
