"""The locks agree with the .in files they are made from (`make lock` regenerates them), and the
virtualenv the tests run in is exactly requirements-dev.lock: the only Python packages any test
imports are locked ones. Offline: the dependency closure is read from the installed packages'
metadata, which the last test proves are the locked ones."""

import sys
from importlib import metadata
from pathlib import Path

from django.test import SimpleTestCase
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import APP_DIR

REGENERATE = "run `make lock` and commit the .in and .lock files together"


def read_lock(path):
    """{name: (version, marker, hashes)} of the entries that apply to this interpreter and platform,
    and the set of every name in the file."""
    text = path.read_text().replace("\\\n", " ")
    entries, names = {}, set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        hashes = frozenset(w.removeprefix("--hash=") for w in words if w.startswith("--hash="))
        requirement = Requirement(" ".join(w for w in words if not w.startswith("--hash=")))
        (specifier,) = requirement.specifier
        if specifier.operator != "==" or not hashes:
            raise AssertionError(f"{path.name}: {line!r} is not an exact pin with hashes")
        name = canonicalize_name(requirement.name)
        names.add(name)
        if requirement.marker is None or requirement.marker.evaluate():
            entries[name] = (specifier.version, str(requirement.marker or ""), hashes)
    return entries, names


def read_in(path):
    """(requirements, constraint files) of a .in file, following -r includes."""
    requirements, constraints = [], []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            included, more = read_in(path.parent / line[3:].strip())
            requirements += included
            constraints += more
        elif line.startswith("-c "):
            constraints.append(path.parent / line[3:].strip())
        elif line:
            requirements.append(Requirement(line))
    return requirements, constraints


def closure(requirements):
    """Every distribution the requirements pull in here, from the installed packages' metadata."""
    needed, todo = set(), [(r, set(r.extras)) for r in requirements]
    environment = default_environment()
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker and not any(
            requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
        ):
            continue
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in needed:
            continue
        needed.add(key)
        for dependency in metadata.requires(name) or []:
            dependency = Requirement(dependency)
            # A dependency conditional on an extra applies only when that extra was asked for.
            if dependency.marker and "extra" in str(dependency.marker):
                if not any(dependency.marker.evaluate({**environment, "extra": e}) for e in requirement.extras):
                    continue
                dependency.marker = None
            todo.append((dependency, set(dependency.extras)))
    return {name for name, _ in needed}


class LockTests(SimpleTestCase):
    def check_lock(self, stem):
        lock, _ = read_lock(APP_DIR / f"{stem}.lock")
        requirements, constraints = read_in(APP_DIR / f"{stem}.in")

        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            self.assertTrue(name in lock, f"{stem}.in asks for {requirement}, {stem}.lock lacks it: {REGENERATE}")
            self.assertIn(
                lock[name][0],
                requirement.specifier,
                f"{stem}.lock pins {name} {lock[name][0]}, outside {requirement}: {REGENERATE}",
            )
        for constraint_file in constraints:
            constraint, _ = read_lock(constraint_file)
            for name in constraint.keys() & lock.keys():
                self.assertEqual(lock[name][:1], constraint[name][:1], f"{name}: {REGENERATE}")
        self.assertEqual(
            set(lock), closure(requirements), f"{stem}.lock holds other packages than {stem}.in pulls in: {REGENERATE}"
        )

    def test_the_runtime_lock_is_what_requirements_in_needs(self):
        self.check_lock("requirements")

    def test_the_dev_lock_is_what_requirements_dev_in_needs(self):
        self.check_lock("requirements-dev")

    def test_the_dev_lock_pins_every_runtime_package_as_the_image_does(self):
        runtime, _ = read_lock(APP_DIR / "requirements.lock")
        dev, _ = read_lock(APP_DIR / "requirements-dev.lock")

        for name, (version, _, hashes) in runtime.items():
            self.assertTrue(name in dev, f"requirements-dev.lock lacks {name}: {REGENERATE}")
            self.assertEqual((dev[name][0], dev[name][2]), (version, hashes), f"{name}: {REGENERATE}")


class VirtualenvTests(SimpleTestCase):
    def test_the_tests_run_in_a_virtualenv_without_the_systems_packages(self):
        self.assertNotEqual(sys.prefix, sys.base_prefix, "not a virtualenv")
        config = (Path(sys.prefix) / "pyvenv.cfg").read_text()
        self.assertRegex(config, r"include-system-site-packages = false")
        for entry in sys.path:
            if entry.endswith("site-packages"):
                self.assertTrue(entry.startswith(sys.prefix), f"{entry} is outside the virtualenv")

    def test_the_virtualenv_holds_exactly_the_dev_lock(self):
        lock, _ = read_lock(APP_DIR / "requirements-dev.lock")
        installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}

        self.assertEqual(
            installed,
            {name: version for name, (version, _, _) in lock.items()},
            "the virtualenv is not requirements-dev.lock: `make test` recreates it from the lock",
        )
