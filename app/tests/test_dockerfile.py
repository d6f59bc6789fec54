"""The image can't be built here (no Docker engine); these check what the build and the
infrastructure rely on, by running the build's Django step for real and reading the Dockerfile."""
import json
import os
import re
import shlex
import tempfile

from django.test import SimpleTestCase

from tests.helpers import APP_DIR, run_app_process

DOCKERFILE = (APP_DIR / "Dockerfile").read_text()

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
    return DOCKERFILE[DOCKERFILE.rindex("\nFROM "):]


def instructions(text):
    """(instruction, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [tuple(line.strip().split(None, 1)) for line in joined.splitlines() if line.strip()]


class CollectstaticBuildStepTests(SimpleTestCase):
    def test_the_build_step_collects_static_files_that_whitenoise_then_serves(self):
        run_line = next(args for name, args in instructions(DOCKERFILE) if name == "RUN" and "collectstatic" in args)
        words = shlex.split(run_line)
        build_env = dict(word.split("=", 1) for word in words[: words.index("python")])
        self.assertEqual(set(build_env), {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"})

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
    def test_the_base_image_is_a_pinned_python_3_12_slim(self):
        self.assertRegex(DOCKERFILE, r"ARG PYTHON_IMAGE=python:3\.12\.\d+-slim-bookworm\n")
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

    def test_no_secret_is_baked_into_the_image_environment(self):
        for name, args in instructions(DOCKERFILE):
            if name in ("ENV", "ARG"):
                self.assertNotIn("SECRET", args)
