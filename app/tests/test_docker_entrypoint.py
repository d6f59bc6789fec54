"""docker-entrypoint.sh, run with a stand-in for python that records how it was called
(tests/test_image_start.py runs it for real, against PostgreSQL)."""

import signal
import subprocess
import tempfile
import time
from pathlib import Path

from django.test import SimpleTestCase

from tests.helpers import APP_DIR

# Records its name, pid, arguments and whether the migration marker exists; then sleeps if asked
# (as a slow migration) and exits with EXIT_CODE.
STAND_IN = """#!/bin/sh
marker=absent; [ -e "$MIGRATION_MARKER" ] && marker=present
echo "$(basename "$0") pid=$$ marker=$marker args=$*" >> "$CALLS"
if [ -n "${SLEEP:-}" ]; then exec sleep "$SLEEP"; fi
exit "${EXIT_CODE:-0}"
"""


class EntrypointTests(SimpleTestCase):
    def setUp(self):
        self.bin = tempfile.TemporaryDirectory()
        self.addCleanup(self.bin.cleanup)
        self.calls = Path(self.bin.name) / "calls"
        self.marker = Path(self.bin.name) / "migrating"
        for name in ("python",):
            stand_in = Path(self.bin.name) / name
            stand_in.write_text(STAND_IN)
            stand_in.chmod(0o755)

    def start_entrypoint(self, *args, **env):
        # $$ in the wrapper is the entrypoint's own pid: print it first, then exec the script.
        wrapper = 'echo "entrypoint pid=$$" >> "$CALLS"; exec /bin/sh ./docker-entrypoint.sh "$@"'
        env = {
            "PATH": f"{self.bin.name}:/usr/bin:/bin",
            "CALLS": str(self.calls),
            "MIGRATION_MARKER": str(self.marker),
            **{k: str(v) for k, v in env.items()},
        }
        return subprocess.Popen(
            ["/bin/sh", "-c", wrapper, "sh", *args], cwd=APP_DIR, env=env, stderr=subprocess.PIPE, text=True
        )

    def run_entrypoint(self, *args, **env):
        process = self.start_entrypoint(*args, **env)
        _, stderr = process.communicate(timeout=30)
        return process.returncode, self.calls.read_text().splitlines(), stderr

    def test_migrates_with_the_marker_then_removes_it_and_replaces_itself_with_the_server(self):
        returncode, calls, _ = self.run_entrypoint()

        self.assertEqual(returncode, 0)
        entrypoint, migrate, server = calls
        self.assertIn("marker=present args=manage.py migrate_with_lock --noinput --lock-timeout 300", migrate)
        self.assertIn("marker=absent args=-m config.server", server)
        # exec: the server runs as the entrypoint's own process, so it gets the container's SIGTERM.
        self.assertEqual(entrypoint.split()[1], server.split()[1])
        self.assertNotEqual(entrypoint.split()[1], migrate.split()[1])

    def test_the_lock_wait_gets_the_whole_migration_timeout(self):
        _, calls, _ = self.run_entrypoint(MIGRATION_TIMEOUT=1800)

        self.assertIn("args=manage.py migrate_with_lock --noinput --lock-timeout 1800", calls[1])

    def test_a_failed_migration_stops_the_container_before_serving(self):
        returncode, calls, stderr = self.run_entrypoint(EXIT_CODE=3)

        self.assertEqual(returncode, 3)
        self.assertFalse(any("config.server" in call for call in calls))
        self.assertIn("migrations failed (exit status 3)", stderr)
        self.assertFalse(self.marker.exists())

    def test_a_migration_longer_than_migration_timeout_is_stopped_and_named(self):
        started = time.monotonic()
        returncode, calls, stderr = self.run_entrypoint(MIGRATION_TIMEOUT=1, SLEEP=30)

        self.assertLess(time.monotonic() - started, 10)
        self.assertNotEqual(returncode, 0)
        self.assertFalse(any("config.server" in call for call in calls))
        self.assertIn("did not finish within MIGRATION_TIMEOUT=1s", stderr)
        self.assertIn("migrationTimeout", stderr)
        self.assertFalse(self.marker.exists())

    def test_sigterm_while_migrating_stops_the_migration_at_once(self):
        process = self.start_entrypoint(SLEEP=30)
        self.addCleanup(process.kill)
        deadline = time.monotonic() + 10
        while not (self.calls.exists() and "python" in self.calls.read_text()):
            self.assertLess(time.monotonic(), deadline, "the migration never started")
            time.sleep(0.05)
        migration_pid = int(self.calls.read_text().splitlines()[1].split()[1].removeprefix("pid="))

        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)

        self.assertLess(time.monotonic() - signalled, 5)
        self.assertNotEqual(process.returncode, 0)
        self.assertFalse(Path(f"/proc/{migration_pid}").exists(), "the migration outlived the entrypoint")
        self.assertFalse(self.marker.exists())

    def test_refuses_a_migration_timeout_that_is_not_a_number_of_seconds(self):
        for value in ("five", "0", "-3"):
            with self.subTest(value=value):
                self.calls.unlink(missing_ok=True)
                returncode, calls, stderr = self.run_entrypoint(MIGRATION_TIMEOUT=value)
                self.assertEqual(returncode, 2)
                self.assertIn(f"MIGRATION_TIMEOUT={value} is not a positive number", stderr)
                self.assertEqual(len(calls), 1)  # only the wrapper's line: nothing ran

    def test_a_one_off_command_runs_instead_of_the_server(self):
        returncode, calls, _ = self.run_entrypoint("python", "manage.py", "createsuperuser")

        self.assertEqual(returncode, 0)
        self.assertEqual(len(calls), 2)
        self.assertIn("args=manage.py createsuperuser", calls[1])
        self.assertFalse(self.marker.exists())
