"""The image can't be built here (no Docker engine); these check what the build and the
infrastructure rely on, by running the build's Django step for real and reading the Dockerfile.
tests/test_image_start.py replays the whole Dockerfile; the drift tests below keep that replay, the
tests' virtualenv and the Dockerfile saying the same thing."""

import json
import os
import re
import shlex
import sys
import tempfile

from django.test import SimpleTestCase

from tests import dockerfile, image_start
from tests.dockerfile import instructions
from tests.helpers import APP_DIR, run_app_process

DOCKERFILE = dockerfile.PATH.read_text()

COLLECT_AND_SERVE = """
import json, sys, django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
url = staticfiles_storage.url("admin/css/base.css")
response = Client().get(url, HTTP_HOST=settings.ALLOWED_HOSTS[0])
print(json.dumps([url, response.status_code, response.get("Cache-Control")]))
"""


def final_stage():
    return DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]


class CollectstaticBuildStepTests(SimpleTestCase):
    def test_the_build_step_collects_static_files_that_whitenoise_then_serves(self):
        run_line = next(args for name, args in instructions(DOCKERFILE) if name == "RUN" and "collectstatic" in args)
        words = shlex.split(run_line)
        build_env = dict(word.split("=", 1) for word in words[: words.index("python")])
        self.assertEqual(set(build_env), {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DB_SQLITE"})

        with tempfile.TemporaryDirectory() as static_root:
            # Only what the build has: those variables, no database, no DEBUG.
            result = run_app_process(
                ["-c", COLLECT_AND_SERVE, static_root],
                {**build_env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                drop=[key for key in os.environ if key.startswith(("DJANGO_", "DB_"))],
            )

        self.assertEqual(result.returncode, 0, result.stderr)
        url, status, cache_control = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertRegex(url, r"^/static/admin/css/base\.[0-9a-f]{12}\.css$")
        self.assertEqual(status, 200)
        self.assertIn("immutable", cache_control)


class DockerfileContractTests(SimpleTestCase):
    def test_the_base_image_is_a_pinned_slim_python_of_the_tests_minor_version(self):
        minor = f"{sys.version_info.major}.{sys.version_info.minor}"
        self.assertRegex(DOCKERFILE, rf"ARG PYTHON_IMAGE=python:{re.escape(minor)}\.\d+-slim-bookworm\n")
        self.assertEqual(DOCKERFILE.count("FROM ${PYTHON_IMAGE}"), 2)

    def test_the_runtime_runs_as_a_non_root_user_on_port_8000(self):
        stage = dict(instructions(final_stage()))
        self.assertNotIn(stage["USER"].split(":")[0], {"0", "root"})
        self.assertEqual(stage["EXPOSE"], "8000")
        self.assertEqual(stage["WORKDIR"], "/app")
        self.assertIn("PYTHONUNBUFFERED=1", stage["ENV"])

    def test_the_entrypoint_is_exec_form(self):
        entrypoint = dict(instructions(final_stage()))["ENTRYPOINT"]
        self.assertTrue(entrypoint.startswith("["), entrypoint)

    def test_the_healthcheck_passes_while_the_entrypoint_keeps_its_migration_marker(self):
        stage = dict(instructions(final_stage()))
        marker = dict(dockerfile.env_assignments(stage["ENV"]))["MIGRATION_MARKER"]
        command = dockerfile.exec_form(stage["HEALTHCHECK"][stage["HEALTHCHECK"].index("CMD ") + 4 :])

        self.assertEqual(marker, "/tmp/migrating")  # infra.MigrationMarker
        self.assertEqual(command[:2], ["python", "-c"])
        self.assertIn(f"os.path.exists('{marker}') or urllib.request.urlopen(", command[2])
        self.assertIn('marker="${MIGRATION_MARKER:?', (APP_DIR / "docker-entrypoint.sh").read_text())

    def test_no_secret_is_baked_into_the_image_environment(self):
        for name, args in instructions(DOCKERFILE):
            if name in ("ENV", "ARG"):
                self.assertNotIn("SECRET", args)


class DriftTests(SimpleTestCase):
    """The Dockerfile, the replay in tests/image_start.py and the tests' virtualenv agree."""

    def test_the_replay_understands_every_instruction(self):
        image = image_start.Image("/nonexistent-image-root").plan()  # raises on anything it cannot replay

        self.assertEqual(image.entrypoint, dockerfile.exec_form(dict(instructions(final_stage()))["ENTRYPOINT"]))
        self.assertIsNotNone(image.healthcheck)

    def test_the_image_installs_exactly_the_runtime_lock_by_hash_from_wheels(self):
        build = dockerfile.stages()[0]
        words = dockerfile.pip_install_words(build)

        self.assertEqual(words[:2], ["pip", "install"])
        self.assertEqual(
            set(words[2:]),
            {"--require-hashes", "--only-binary=:all:", "--no-deps", "--requirement", "/tmp/requirements.lock"},
        )
        self.assertEqual(words[words.index("--requirement") + 1], "/tmp/requirements.lock")
        self.assertIn("requirements.lock /tmp/requirements.lock", build.all("COPY"))

    def test_the_tests_virtualenv_installs_by_hash_from_wheels_too(self):
        script = (APP_DIR / "scripts" / "venv.sh").read_text()

        self.assertRegex(script, r"uv\" pip sync [^\n]*--require-hashes --only-binary :all:")
        self.assertIn("requirements-dev.lock", script)

    def test_the_user_the_replay_runs_as_is_the_one_the_image_creates(self):
        image = image_start.Image("/nonexistent-image-root").plan()
        uid, gid = image.user

        self.assertNotEqual(uid, 0)
        self.assertRegex(image.user_creation, rf"groupadd [^&]*--gid {gid} ")
        self.assertRegex(image.user_creation, rf"useradd [^&]*--uid {uid} ")
        self.assertEqual(image.home, "/nonexistent")

    def test_the_entrypoint_is_the_script_in_the_build_context(self):
        entrypoint = image_start.Image("/nonexistent-image-root").plan().entrypoint

        self.assertEqual(entrypoint[0], "/bin/sh")
        workdir = dict(instructions(final_stage()))["WORKDIR"]
        self.assertTrue((APP_DIR / entrypoint[1].removeprefix(workdir + "/")).is_file(), entrypoint)

    def test_dockerignore_keeps_dev_files_and_local_state_out_of_the_image(self):
        patterns = [image_start.ignore_regex(p) for p in dockerfile.ignore_patterns()]

        def ignored(path):
            return any(p.fullmatch(path) for p in patterns)

        for path in (
            "requirements-dev.lock",
            "requirements-uv.lock",
            "db.sqlite3",
            "staticfiles",
            "tasks/__pycache__",
            "config/__pycache__/settings.cpython-311.pyc",
        ):
            self.assertTrue(ignored(path), path)
        for path in ("requirements.lock", "manage.py", "docker-entrypoint.sh", "config/server.py", "tasks/models.py"):
            self.assertFalse(ignored(path), path)
