import json
import re
import subprocess
import sys
from pathlib import PurePosixPath

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


def test_compose_pins_every_image_to_a_release():
    """`latest` or a bare major version changes under a running deployment on the next pull."""
    dockerfile = (REPO_DIR / "Dockerfile").read_text()
    images = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE) + [
        service["image"]
        for service in load_compose()["services"].values()
        if "image" in service and "build" not in service
    ]
    for image in images:
        tag = image.partition("@")[0].rpartition(":")[2]
        assert re.match(r"v?\d+\.\d+", tag), f"{image} is not pinned to a release"


def container_paths_of_settings(names: list[str]) -> list[PurePosixPath]:
    """Where the production settings (compose's environment, its defaults filled in) put these
    paths, inside the container (the Dockerfile's WORKDIR holds the repository)."""
    environment = load_compose()["x-app"]["environment"]
    env = {
        key: re.sub(r"\$\{\w+:?[-?]([^}]*)\}", r"\1", str(value))
        for key, value in environment.items()
    }
    env.update({"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "k" * 50})
    code = "import config.settings as s; " + "; ".join(
        f"print(s.{name}.relative_to(s.BASE_DIR))" for name in names
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_DIR, env=env, capture_output=True, text=True
    )
    assert output.returncode == 0, output.stderr
    [workdir] = re.findall(r"^WORKDIR\s+(\S+)", (REPO_DIR / "Dockerfile").read_text(), re.M)
    return [PurePosixPath(workdir) / line for line in output.stdout.split()]


def test_every_path_the_stack_writes_is_on_a_named_volume_writable_by_the_app():
    """Uploads, uploaded papers and beat's schedule outlive a re-created container, and the
    app user can write to them."""
    compose = load_compose()
    services, named = compose["services"], set(compose["volumes"])
    media, private = container_paths_of_settings(["MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"])
    command = services["beat"]["command"]
    schedule = PurePosixPath(command[command.index("--schedule") + 1])
    writes = {"web": [media, private], "worker": [media, private], "beat": [schedule.parent]}
    # The directories the image makes, and those it gives to the user it runs as.
    dockerfile = (REPO_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    [user] = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    made = {
        PurePosixPath(p) for m in re.findall(r"mkdir -p ([^&;\n]+)", dockerfile) for p in m.split()
    }
    owned = [PurePosixPath(p) for p in re.findall(rf"chown -R {user}(?::\S+)? (\S+)", dockerfile)]
    for service, paths in writes.items():
        mounts = dict(reversed(mount.split(":")[:2]) for mount in services[service]["volumes"])
        for path in paths:
            targets = [PurePosixPath(t) for t in mounts if path.is_relative_to(t)]
            assert targets, f"{service} writes {path} on no volume"
            [target] = targets
            assert mounts[str(target)] in named, f"{service}: {target} is not a named volume"
            # A new named volume copies the owner of the image's directory; one the image
            # lacks is created root-owned, and the app (uid 1000) cannot write to it.
            assert target in made, f"the image does not make {target}: root would own it"
            assert any(target.is_relative_to(o) for o in owned), f"{user} does not own {target}"
