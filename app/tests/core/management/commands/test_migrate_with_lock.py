import os
import subprocess
import sys
import threading
import time
import unittest
from contextlib import redirect_stdout
from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.test import SimpleTestCase, TestCase
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from core.management.commands.migrate_with_lock import MIGRATION_LOCK_KEY
from tests.helpers import APP_DIR, make_user


class MigrateWithLockTests(TestCase):
    def test_with_nothing_to_apply_it_says_so_and_succeeds(self):
        out = StringIO()

        with redirect_stdout(out):
            call_command("migrate_with_lock", "--noinput")

        self.assertIn("No migrations to apply.", out.getvalue())

    def test_expired_refresh_tokens_are_deleted_and_the_others_kept(self):
        user = make_user()
        now = timezone.now()
        expired = [RefreshToken.for_user(user) for _ in range(3)]  # each login's refresh token
        kept = RefreshToken.for_user(user)
        OutstandingToken.objects.filter(jti__in=[t["jti"] for t in expired]).update(
            expires_at=now - timedelta(seconds=1)
        )
        BlacklistedToken.objects.create(token=OutstandingToken.objects.get(jti=expired[0]["jti"]))
        out = StringIO()

        with redirect_stdout(out):
            call_command("migrate_with_lock", "--noinput", stdout=out)

        self.assertEqual(list(OutstandingToken.objects.values_list("jti", flat=True)), [kept["jti"]])
        self.assertFalse(BlacklistedToken.objects.exists())
        self.assertIn("Expired refresh tokens deleted: 3.", out.getvalue())


@unittest.skipUnless(connection.vendor == "postgresql", "advisory locks exist only on PostgreSQL")
class ConcurrentMigrationTests(SimpleTestCase):
    """Two containers starting at once, against a fresh database, as in a deployment."""

    def setUp(self):
        self.database = f"migrate_race_{id(self)}"
        self.admin = self.connect(connection.settings_dict["NAME"])
        with self.admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        self.lock = self.connect(self.database)
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
        self.lock.close()
        with self.admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin.close()

    def connect(self, name):
        settings_dict = {**connection.settings_dict, "NAME": name}
        return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, f"test-{name}")

    def query(self, sql, params=()):
        with self.lock.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def start_migration(self, *extra_args):
        process = subprocess.Popen(
            [sys.executable, "manage.py", "migrate_with_lock", "--noinput", *extra_args],
            cwd=APP_DIR,
            # Same server as this test run (DB_* variables), fresh database.
            env={**os.environ, "DB_NAME": self.database},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        return process

    def wait_for_lock_waiters(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = self.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0][0]
            if waiting == count:
                return
            time.sleep(0.05)
        self.fail(f"expected {count} processes waiting for the migration lock, saw {waiting}")

    def test_two_concurrent_runs_both_succeed_and_apply_each_migration_once(self):
        # Hold the lock so both processes are started and queued before either can migrate: the
        # race is then certain, not a matter of timing.
        self.query("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        first, second = self.start_migration(), self.start_migration()
        self.wait_for_lock_waiters(2)
        self.query("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])

        outputs = [process.communicate(timeout=120)[0] for process in (first, second)]

        for process, output in zip((first, second), outputs, strict=True):
            self.assertEqual(process.returncode, 0, output)
        appliers = [output for output in outputs if "Applying tasks.0001_initial... OK" in output]
        self.assertEqual(len(appliers), 1, outputs)
        self.assertTrue(any("No migrations to apply." in output for output in outputs), outputs)

        applied = self.query("SELECT app, name FROM django_migrations")
        self.assertEqual(len(applied), len(set(applied)), "a migration was recorded twice")
        on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        self.assertEqual(set(applied), on_disk)

    def test_gives_up_with_a_clear_message_when_the_lock_is_never_released(self):
        self.query("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])

        stuck = self.start_migration("--lock-timeout", "1")
        output = stuck.communicate(timeout=60)[0]

        self.assertNotEqual(stuck.returncode, 0)
        self.assertIn("Gave up after 1s waiting for the migration lock", output)
        self.assertEqual(self.query("SELECT to_regclass('django_migrations') IS NULL")[0][0], True)


@unittest.skipUnless(connection.vendor == "postgresql", "statement timeouts are PostgreSQL's")
class StatementTimeoutTests(SimpleTestCase):
    """Requests' statements time out (config.database); waiting for the lock and migrating must not."""

    databases = {"default"}

    def setUp(self):
        # A 1 s statement timeout for this test's connections, instead of the configured one.
        options = connection.settings_dict["OPTIONS"]
        original = options["options"]
        options["options"] = "-c statement_timeout=1s"
        connection.close()
        self.addCleanup(connection.close)
        self.addCleanup(options.__setitem__, "options", original)
        self.holder = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
            {**connection.settings_dict}, "lock-holder"
        )
        self.holder.inc_thread_sharing()  # released from a timer thread
        self.addCleanup(self.holder.close)

    def test_the_lock_wait_and_the_migration_are_not_cut_by_the_statement_timeout(self):
        with self.holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        release = threading.Timer(2.5, self._release)
        release.start()
        self.addCleanup(release.cancel)
        seen = []

        def migrate(command, database, verbosity):
            with connection.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                seen.append(cursor.fetchone()[0])

        out = StringIO()
        with (
            mock.patch("core.management.commands.migrate_with_lock.Command._migrate_and_prune", migrate),
            redirect_stdout(out),
        ):
            call_command("migrate_with_lock", "--noinput", "--lock-timeout", "30")

        self.assertIn("Migration lock acquired.", out.getvalue())
        self.assertEqual(seen, ["0"])

    def _release(self):
        with self.holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
