#!/usr/bin/env python3
"""The two commands of this project, for a fresh machine with only Python 3.11 and pip.

    python3 dev.py run    # virtualenv, install, migrate, load the demo events, serve the site
    python3 dev.py test   # virtualenv, install with test extras, run pytest (args pass through)

Everything else comes from environment variables (see README and .env.example).
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DEV_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment(extras: str) -> None:
    """Create the virtualenv and install the project; reinstall only when pyproject changes."""
    if not PYTHON.exists():
        print(f"Creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing dependencies (first run takes a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([*pip, target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT, env=env)


def run(argv: list[str]) -> int:
    ensure_environment("")
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    address = argv[0] if argv else os.environ.get("DEV_ADDRESS", "127.0.0.1:8000")
    manage("migrate", "--no-input", env=env)
    manage("setup_demo", env=env)
    print(f"\nServing on http://{address}/  (admin: http://{address}/admin/)", flush=True)
    try:
        return subprocess.call([str(PYTHON), "manage.py", "runserver", address], cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0


def test(argv: list[str]) -> int:
    ensure_environment("test")
    return subprocess.call([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT)


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
