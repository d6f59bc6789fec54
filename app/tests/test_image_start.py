"""The image as ECS starts it, without Docker: app/Dockerfile replayed by tests/image_start.py (a fresh
virtualenv from requirements.lock installed exactly as the Dockerfile does, collectstatic, compileall),
then its entrypoint as the non-root USER against a throwaway PostgreSQL, two instances at once, as a
deployment with maximumPercent 200 starts them. The database login is in moto's Secrets Manager
(DB_SECRET_ARN), as the task definition has it; the role logs in with a password, as RDS's master user.

Runs in the PostgreSQL pass of scripts/test.sh (skipped on SQLite), as root (it switches to the
image's uid). Set LIVE_TEST_REPORT=1 for a summary line.
"""

import json
import signal
import tempfile
import time
import unittest
import uuid
from pathlib import Path

import psycopg
from django.db import connection
from django.test import SimpleTestCase

from core.management.commands.migrate_with_lock import MIGRATION_LOCK_KEY
from tests import image_start, live
from tests.live import MotoServer, PostgresCluster, request

HOST = "api.example.com"
WORKERS = 1  # WEB_CONCURRENCY, as the task definition sets it (webConcurrency)
ROLE, PASSWORD, DATABASE = "app", "image-start-Pw-42", "tasks"


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL (runs in test.sh's PostgreSQL pass)")
@unittest.skipUnless(image_start.can_switch_user(), "needs root and setpriv to run the entrypoint as the image's uid")
class ImageStartTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = PostgresCluster("image-start")
        cls.addClassCleanup(cls.cluster.remove)
        cls.cluster.create()
        cls.database_env = cls.cluster.password_login(ROLE, PASSWORD, DATABASE)
        cls.moto = MotoServer()
        cls.addClassCleanup(cls.moto.close)
        cls.secret_arn = cls.moto.create_database_secret(ROLE, PASSWORD)
        root = tempfile.TemporaryDirectory(prefix="image-root-")
        cls.addClassCleanup(root.cleanup)
        started = time.monotonic()
        cls.image = image_start.Image(root.name).build()
        cls.build_seconds = time.monotonic() - started

        # Two tasks of one deployment, started together: both run the migration.
        cls.containers = [cls.image.start(cls.task_env()) for _ in range(2)]
        for container in cls.containers:
            cls.addClassCleanup(container.close)
        started = time.monotonic()
        for container in cls.containers:
            cls.wait_until_ready(container)
        cls.start_seconds = time.monotonic() - started

    @classmethod
    def task_env(cls, **overrides):
        # What the ECS task definition sets (infra/service.go), with this cluster as the database and
        # moto as Secrets Manager.
        return {
            **cls.database_env,
            **cls.moto.env(),
            "DB_SECRET_ARN": cls.secret_arn,
            "DJANGO_SECRET_KEY": live.LIVE_SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://{HOST}",
            "DJANGO_HTTPS_ONLY": "false",
            "WEB_CONCURRENCY": WORKERS,
            "SERVER_GRACEFUL_TIMEOUT": 25,
            "MIGRATION_TIMEOUT": 300,
            **overrides,
        }

    @staticmethod
    def wait_until_ready(container, timeout=120):
        """Ready, with every worker booted: one worker can answer before the next has forked."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if container.process.poll() is not None:
                raise AssertionError(
                    f"the entrypoint exited with {container.process.returncode}:\n{container.output()}"
                )
            if (
                request(container.port, "GET", "/api/v1/health/ready/", timeout=2).status == 200
                and container.output().count("Started worker-") >= WORKERS
            ):
                return
            time.sleep(0.2)
        raise AssertionError(f"not ready after {timeout}s:\n{container.output()}")

    def call(self, container, method, path, body=None, token=None):
        return request(container.port, method, path, body, token=token, headers={"Host": HOST})

    def test_the_instances_started_together_migrate_once(self):
        outputs = [c.output() for c in self.containers]

        for output in outputs:
            self.assertIn("Migration lock acquired.", output)
        applied = [o for o in outputs if "Applying accounts.0001_initial... OK" in o]
        self.assertEqual(len(applied), 1, "exactly one instance applies the migrations")
        duplicates = self.cluster.sql(
            "SELECT count(*) - count(DISTINCT (app, name)) FROM django_migrations", database=DATABASE
        )
        self.assertEqual(duplicates, "0")

    def test_the_app_logs_in_with_the_secrets_login(self):
        for container in self.containers:  # readiness queries the database; the connection stays open
            self.assertEqual(request(container.port, "GET", "/api/v1/health/ready/").status, 200)
        logins = self.cluster.sql(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'task-management-api'"
        )

        self.assertEqual(logins, ROLE)

    def marker(self):
        return Path(self.image.env["MIGRATION_MARKER"])

    def hold_migration_lock(self):
        """Another task's long migration: the advisory lock, held by a session of its own."""
        holder = psycopg.connect(
            host=self.cluster.env["DB_HOST"], user=self.cluster.env["DB_USER"], dbname=DATABASE, autocommit=True
        )
        self.addCleanup(holder.close)
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        return holder

    def wait_for_output(self, container, text, timeout=60):
        deadline = time.monotonic() + timeout
        while text not in container.output():
            if container.process.poll() is not None or time.monotonic() > deadline:
                self.fail(f"no {text!r} in the output:\n{container.output()}")
            time.sleep(0.1)

    def test_while_it_waits_for_another_migration_it_is_healthy_and_not_serving_then_it_serves(self):
        holder = self.hold_migration_lock()
        container = self.image.start(self.task_env())
        self.addCleanup(container.close)
        self.wait_for_output(container, "Another process is migrating")

        self.assertTrue(self.marker().exists())
        self.assertEqual(request(container.port, "GET", "/api/v1/health/").kind, "refused")
        probe = self.image.run_healthcheck(container.port, self.task_env())
        self.assertEqual(probe.returncode, 0, probe.stderr)  # healthy: the marker, nothing listens

        holder.close()
        self.wait_until_ready(container)
        self.assertFalse(self.marker().exists())
        self.assertIn("Migration lock acquired.", container.output())
        self.assertEqual(self.image.run_healthcheck(container.port, self.task_env()).returncode, 0)

    def test_past_migration_timeout_it_exits_without_serving_and_names_the_setting(self):
        self.hold_migration_lock()
        started = time.monotonic()
        container = self.image.start(self.task_env(MIGRATION_TIMEOUT=3))
        self.addCleanup(container.close)

        container.process.wait(timeout=30)
        output = container.output()

        self.assertNotEqual(container.process.returncode, 0, output)
        self.assertGreaterEqual(time.monotonic() - started, 3)
        self.assertIn("migrations did not finish within MIGRATION_TIMEOUT=3s", output)
        self.assertIn("migrationTimeout", output)
        self.assertNotIn("Starting granian", output)
        self.assertFalse(self.marker().exists())

    def test_health_checks_answer_whatever_the_host(self):
        for container in self.containers:
            for path, expected in (
                ("/api/v1/health/", {"status": "ok"}),
                ("/api/v1/health/ready/", {"status": "ok", "database": "ok"}),
            ):
                # The ALB sends the task's IP as Host, which is not an allowed host.
                outcome = request(container.port, "GET", path, headers={"Host": "10.0.1.23:8000"})
                self.assertEqual((outcome.status, outcome.json()), (200, expected), path)

    def test_the_dockerfile_healthcheck_passes_as_the_app_user(self):
        result = self.image.run_healthcheck(self.containers[0].port, self.task_env())

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_register_login_and_task_crud_across_both_instances(self):
        a, b = self.containers
        email, password = f"image-{uuid.uuid4().hex[:8]}@example.com", "ImageStart-Pass-123"

        self.assertEqual(
            self.call(
                a, "POST", "/api/v1/auth/register", {"email": email, "password": password, "name": "Image"}
            ).status,
            201,
        )
        login = self.call(b, "POST", "/api/v1/auth/login", {"email": email, "password": password})
        self.assertEqual(login.status, 200, login.body)
        token = login.json()["access"]
        created = self.call(a, "POST", "/api/v1/tasks/", {"title": "ship it", "priority": "high"}, token)
        self.assertEqual(created.status, 201, created.body)
        task = f"/api/v1/tasks/{created.json()['id']}/"
        self.assertEqual(self.call(b, "GET", task, token=token).json()["title"], "ship it")
        updated = self.call(b, "PATCH", task, {"status": "done"}, token)
        self.assertEqual((updated.status, updated.json()["status"]), (200, "done"))
        listed = self.call(a, "GET", "/api/v1/tasks/?status=done", token=token).json()
        self.assertEqual([t["id"] for t in listed["results"]], [created.json()["id"]])
        self.assertEqual(self.call(a, "DELETE", task, token=token).status, 204)
        self.assertEqual(self.call(b, "GET", task, token=token).status, 404)
        self.assertEqual(self.call(b, "GET", "/api/v1/tasks/").status, 401)

    def test_static_files_collected_at_build_are_served_with_far_future_caching(self):
        manifest = json.loads((self.image.host(self.image.workdir) / "staticfiles" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["admin/css/base.css"]

        outcome = self.call(self.containers[1], "GET", f"/static/{hashed}")

        self.assertEqual(outcome.status, 200)
        self.assertEqual(outcome.body, (self.image.host(self.image.workdir) / "staticfiles" / hashed).read_bytes())

    def test_the_server_is_the_entrypoint_process_and_runs_unprivileged(self):
        uid, gid = self.image.user
        self.assertNotEqual(uid, 0)
        for container in self.containers:
            master = container.process.pid  # setpriv exec'd sh, which exec'd the server: one process
            self.assertIn(b" -m config.server", b" ".join(image_start.cmdline(master)))
            workers = image_start.children(master)
            self.assertEqual(len(workers), WORKERS, container.output())
            for pid in [master, *workers]:
                self.assertEqual(image_start.owner_ids(pid), (uid,) * 4)

        probe = image_start.Path(self.image.host(self.image.workdir)) / "written-by-the-app-user"
        result = image_start.subprocess.run(
            self.image.as_user(["/bin/sh", "-c", f"echo x > {probe}"]), capture_output=True, text=True, timeout=10
        )
        self.assertNotEqual(result.returncode, 0, "the app user can write to the code")
        self.assertFalse(probe.exists())

    def test_sigterm_stops_an_instance_cleanly(self):
        container = self.image.start(self.task_env())
        self.addCleanup(container.close)
        self.wait_until_ready(container)

        signalled = time.monotonic()
        container.process.send_signal(signal.SIGTERM)
        container.process.wait(timeout=35)
        output = container.output()

        self.assertEqual(container.process.returncode, 0, output)
        self.assertIn("Shutting down", output)
        self.assertNotIn("Traceback", output)
        live.report(
            "image-start",
            f"replayed app/Dockerfile in {self.build_seconds:.1f}s; two instances ready {self.start_seconds:.1f}s "
            f"after starting together; a third exited 0 {time.monotonic() - signalled:.2f}s after SIGTERM",
        )

    def test_no_instance_logged_an_error(self):
        for container in self.containers:
            output = container.output()
            self.assertNotIn("Traceback", output)
            self.assertNotIn("[ERROR]", output)
            self.assertNotIn("[WARNING]", output)
            self.assertNotIn("[CRITICAL]", output)
