#!/usr/bin/env python3
"""The two commands of this project, for a fresh machine with only Python 3.11 and pip.

    python3 dev.py run    # virtualenv, install, migrate, load the demo events, serve the site
    python3 dev.py test   # virtualenv, install with test extras, run pytest (args pass through)

and one for after changing the dependencies in pyproject.toml, one for after changing texts:

    python3 dev.py lock      # regenerate requirements/lock.txt and requirements/test-lock.txt
    python3 dev.py messages  # update locale/*/django.po from the sources (needs GNU gettext)

Both installs come from the lock files (exact versions, hashes), the same ones the Dockerfile
installs from, so the tests run against what ships. Everything else comes from environment
variables (see README and .env.example).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DEV_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

# The lock files, generated from pyproject.toml by `python3 dev.py lock`: the production
# dependencies (what the Dockerfile installs) and the same with the test extra (what CI
# installs). The test lock is resolved first and constrains the production one, so every
# package the image ships is pinned to the version the tests ran with.
LOCKS = {
    "": ROOT / "requirements" / "lock.txt",
    "test": ROOT / "requirements" / "test-lock.txt",
}
# The tool that writes them, in a virtualenv of its own (never part of the lock).
UV_VERSION = "0.13.9"
LOCK_VENV = Path(os.environ.get("DEV_LOCK_VENV", ROOT / ".venv-lock"))


def ensure_environment(extras: str) -> None:
    """Create the virtualenv and install from the lock; reinstall only when the lock changes."""
    if not PYTHON.exists():
        print(f"Creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock = LOCKS[extras]
    digest = hashlib.sha256(lock.read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing {lock.relative_to(ROOT)} (first run takes a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # Exactly the lock's pins, each checked against its hashes; nothing is resolved anew.
    subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(lock)], check=True)
    stamp.write_text(digest)


def ensure_uv() -> Path:
    """uv at UV_VERSION in its own virtualenv (LOCK_VENV), installed on first use."""
    uv = LOCK_VENV / BIN.name / ("uv.exe" if os.name == "nt" else "uv")
    if uv.exists():
        version = subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout
        if version.split()[1:2] == [UV_VERSION]:
            return uv
    print(f"Installing uv {UV_VERSION} into {LOCK_VENV}", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(LOCK_VENV)
    tool_python = LOCK_VENV / BIN.name / PYTHON.name
    pip = [str(tool_python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, f"uv=={UV_VERSION}"], check=True)
    return uv


def lock(argv: list[str]) -> int:
    """Resolve pyproject.toml's dependencies anew into the lock files. Pins already in a lock
    file are kept where pyproject.toml still allows them; `--upgrade` (or `--upgrade-package
    NAME`) moves them to the newest releases."""
    uv = ensure_uv()
    LOCKS[""].parent.mkdir(exist_ok=True)
    compile_ = [
        str(uv),
        "pip",
        "compile",
        "pyproject.toml",
        "--quiet",
        "--universal",  # one lock for every platform (Linux image, CI, a Mac)
        "--python-version",
        "3.11",
        "--generate-hashes",
        "--custom-compile-command",
        "python3 dev.py lock",
        *argv,
    ]
    test_lock, production_lock = (LOCKS["test"].relative_to(ROOT), LOCKS[""].relative_to(ROOT))
    subprocess.run([*compile_, "--extra", "test", "-o", str(test_lock)], check=True, cwd=ROOT)
    subprocess.run(
        [*compile_, "-c", str(test_lock), "-o", str(production_lock)], check=True, cwd=ROOT
    )
    print(f"Wrote {production_lock} and {test_lock}; commit both.", flush=True)
    return 0


def compile_catalogues() -> None:
    """The translations' .mo files, built in pure Python (no GNU gettext needed)."""
    subprocess.run([str(PYTHON), "-m", "config.catalogues"], check=True, cwd=ROOT)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT, env=env)


def run(argv: list[str]) -> int:
    ensure_environment("")
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    address = argv[0] if argv else os.environ.get("DEV_ADDRESS", "127.0.0.1:8000")
    compile_catalogues()
    manage("migrate", "--no-input", env=env)
    manage("setup_demo", env=env)
    print(f"\nServing on http://{address}/  (admin: http://{address}/admin/)", flush=True)
    try:
        return subprocess.call([str(PYTHON), "manage.py", "runserver", address], cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0


def messages(argv: list[str]) -> int:
    """Extract the texts into the catalogues (then translate the new entries in the .po)."""
    if shutil.which("xgettext") is None:
        print("Extracting texts needs GNU gettext (Debian: apt-get install gettext).")
        return 1
    ensure_environment("")
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    code = "from config.catalogues import extract; extract()"
    subprocess.run([str(PYTHON), "-c", code], check=True, cwd=ROOT, env=env)
    compile_catalogues()
    return 0


def test(argv: list[str]) -> int:
    ensure_environment("test")
    compile_catalogues()
    return subprocess.call([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT)


def main() -> int:
    commands = {"run": run, "test": test, "lock": lock, "messages": messages}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
