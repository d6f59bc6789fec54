"""docker-entrypoint.sh, run with stand-ins for python and gunicorn that record how they were called."""

import subprocess
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from tests.helpers import APP_DIR

STAND_IN = """#!/bin/sh
echo "$(basename "$0") pid=$$ args=$*" >> "$CALLS"
exit "${EXIT_CODE:-0}"
"""


class EntrypointTests(SimpleTestCase):
    def setUp(self):
        self.bin = tempfile.TemporaryDirectory()
        self.addCleanup(self.bin.cleanup)
        self.calls = Path(self.bin.name) / "calls"
        for name in ("python", "gunicorn"):
            stand_in = Path(self.bin.name) / name
            stand_in.write_text(STAND_IN)
            stand_in.chmod(0o755)

    def run_entrypoint(self, *args, python_exit=0):
        # $$ in the wrapper is the entrypoint's own pid: print it first, then exec the script.
        wrapper = 'echo "entrypoint pid=$$" >> "$CALLS"; exec /bin/sh ./docker-entrypoint.sh "$@"'
        env = {"PATH": f"{self.bin.name}:/usr/bin:/bin", "CALLS": str(self.calls), "EXIT_CODE": str(python_exit)}
        result = subprocess.run(["/bin/sh", "-c", wrapper, "sh", *args], cwd=APP_DIR, env=env, timeout=30)
        return result.returncode, self.calls.read_text().splitlines()

    def test_migrates_then_replaces_itself_with_gunicorn(self):
        returncode, calls = self.run_entrypoint()

        self.assertEqual(returncode, 0)
        entrypoint, migrate, gunicorn = calls
        self.assertIn("args=manage.py migrate_with_lock --noinput", migrate)
        self.assertIn("args=--config gunicorn.conf.py config.wsgi:application", gunicorn)
        # exec: gunicorn runs as the entrypoint's own process, so it gets the container's SIGTERM.
        self.assertEqual(entrypoint.split()[1], gunicorn.split()[1])
        self.assertNotEqual(entrypoint.split()[1], migrate.split()[1])

    def test_a_failed_migration_stops_the_container_before_serving(self):
        returncode, calls = self.run_entrypoint(python_exit=3)

        self.assertEqual(returncode, 3)
        self.assertFalse(any(call.startswith("gunicorn") for call in calls))

    def test_a_one_off_command_runs_instead_of_the_server(self):
        returncode, calls = self.run_entrypoint("python", "manage.py", "createsuperuser")

        self.assertEqual(returncode, 0)
        self.assertEqual(len(calls), 2)
        self.assertIn("args=manage.py createsuperuser", calls[1])
