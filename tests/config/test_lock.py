"""The lock files (requirements/, written by `python3 dev.py lock`) against pyproject.toml and
the Dockerfile: CI installs requirements/test-lock.txt, the image requirements/lock.txt. Both
must pin what pyproject.toml asks for, and the image must ship only versions CI tested."""

import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import dev
from tests.conftest import REPO_DIR

RELOCK = "run `python3 dev.py lock` and commit requirements/"


def read_lock(path: Path) -> dict[str, list[Requirement]]:
    """Name → its entries; a lock for every platform may pin a package once per marker."""
    entries: dict[str, list[Requirement]] = {}
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line.split(" --hash=")[0])
        assert " --hash=sha256:" in line, f"{path.name}: {requirement.name} has no hash"
        assert pinned(requirement), f"{path.name}: {requirement} is not one exact version"
        entries.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return entries


def pinned(requirement: Requirement) -> Version | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==":
        return Version(specifiers[0].version)
    return None


def project_requirements(extras: str) -> list[Requirement]:
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    texts = project["dependencies"] + (project["optional-dependencies"][extras] if extras else [])
    return [Requirement(text) for text in texts]


def lock_disagreements(requirements: list[Requirement], lock: dict) -> list[str]:
    problems = []
    for requirement in requirements:
        entries = lock.get(canonicalize_name(requirement.name))
        if not entries:
            problems.append(f"{requirement.name} is not in the lock")
            continue
        for entry in entries:
            version = pinned(entry)
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{requirement} but the lock pins {version}")
        if requirement.extras:
            problems += missing_extra_dependencies(requirement, entries, lock)
    return problems


def missing_extra_dependencies(requirement: Requirement, entries, lock) -> list[str]:
    """What `name[extra]` adds (celery[redis] → redis), read from the installed package."""
    installed = Version(metadata.version(requirement.name))
    if installed not in {pinned(entry) for entry in entries}:
        return [f"{requirement.name} {installed} is installed, not the locked version"]
    problems = []
    for text in metadata.requires(requirement.name) or []:
        dependency = Requirement(text)
        if dependency.marker is None or not any(
            dependency.marker.evaluate({"extra": extra}) for extra in requirement.extras
        ):
            continue
        if canonicalize_name(dependency.name) not in lock:
            problems.append(f"{requirement} needs {dependency.name}, not in the lock")
    return problems


@pytest.mark.parametrize("extras", ["", "test"], ids=["lock.txt", "test-lock.txt"])
def test_lock_pins_every_dependency_of_pyproject_within_its_range(extras):
    problems = lock_disagreements(project_requirements(extras), read_lock(dev.LOCKS[extras]))
    assert not problems, f"{dev.LOCKS[extras].name} disagrees with pyproject.toml ({RELOCK}):\n" + (
        "\n".join(problems)
    )


def test_lock_check_notices_a_dependency_added_or_narrowed_without_relocking():
    lock = read_lock(dev.LOCKS[""])
    django = pinned(lock["django"][0])
    assert lock_disagreements([Requirement("django-not-locked>=1")], lock) == [
        "django-not-locked is not in the lock"
    ]
    assert lock_disagreements([Requirement(f"Django>{django}")], lock) == [
        f"Django>{django} but the lock pins {django}"
    ]


def dockerfile_pip_installs() -> list[list[str]]:
    """The arguments of every `pip install` the Dockerfile runs."""
    text = (REPO_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    installs = []
    for line in text.splitlines():
        if not line.strip().upper().startswith("RUN "):
            continue
        for command in re.split(r"&&|\|\||;", line.strip()[4:]):
            words = shlex.split(command, comments=True)
            if "pip" in words and "install" in words:
                installs.append(words[words.index("install") + 1 :])
    return installs


def test_the_image_installs_the_lock_and_ships_only_versions_ci_tested():
    installs = dockerfile_pip_installs()
    assert installs, "the Dockerfile installs no Python packages"
    for arguments in installs:
        files = [arguments[i + 1] for i, a in enumerate(arguments) if a in ("-r", "--requirement")]
        targets = [a for a in arguments if not a.startswith("-") and a not in files]
        # Nothing resolved anew at build time (`pip install .` would take today's releases).
        assert [REPO_DIR / name for name in files] == [dev.LOCKS[""]], arguments
        assert targets == [] and "--require-hashes" in arguments, arguments
    # CI (dev.py test) installs the test lock: it must pin every package of the image alike.
    shipped, tested = read_lock(dev.LOCKS[""]), read_lock(dev.LOCKS["test"])
    differ = {
        name: (list(map(str, entries)), list(map(str, tested.get(name, []))))
        for name, entries in shipped.items()
        if {str(e) for e in entries} != {str(e) for e in tested.get(name, [])}
    }
    assert not differ, f"the image would ship versions CI did not test ({RELOCK}): {differ}"
