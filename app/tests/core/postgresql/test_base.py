"""core.postgresql's DatabaseWrapper on a real PostgreSQL whose role logs in with a password (as RDS's
master user does), the password in moto's Secrets Manager. PostgreSQL pass only."""

import os
import unittest
from unittest import mock

from django.db import OperationalError, connection
from django.db.utils import load_backend
from django.test import SimpleTestCase

from core.exceptions import exception_handler
from core.postgresql import errors, secret
from core.postgresql.secret import REREAD_INTERVAL
from tests.core.postgresql.test_secret import Clock, CountingCredentials
from tests.live import MotoServer, PostgresCluster, free_port

ROLE, DATABASE = "app", "tasks"


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL (runs in test.sh's PostgreSQL pass)")
class SecretLoginTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = PostgresCluster("secret-login")
        cls.addClassCleanup(cls.cluster.remove)
        cls.cluster.create()
        cls.database_env = cls.cluster.password_login(ROLE, "first-password", DATABASE)
        cls.moto = MotoServer()
        cls.addClassCleanup(cls.moto.close)

    def setUp(self):
        self.set_password("first-password")
        self.arn = self.moto.create_database_secret(ROLE, "first-password")
        environment = mock.patch.dict(os.environ, self.moto.env())
        environment.start()
        self.addCleanup(environment.stop)
        self.clock = Clock()
        self.credentials = CountingCredentials(self.arn, clock=self.clock)
        registry = mock.patch.dict(secret._credentials, {self.arn: self.credentials})
        registry.start()
        self.addCleanup(registry.stop)

    def set_password(self, password):
        self.cluster.sql(f"ALTER ROLE {ROLE} PASSWORD '{password}'")

    def settings_dict(self, **overrides):
        options = {"sslmode": "disable", "connect_timeout": 5, "secret_arn": self.arn}
        return {
            **connection.settings_dict,
            "ENGINE": "core.postgresql",
            "HOST": self.database_env["DB_HOST"],
            "PORT": self.database_env["DB_PORT"],
            "NAME": DATABASE,
            "USER": "",
            "PASSWORD": "",
            "OPTIONS": options,
            **overrides,
        }

    def connect(self, **overrides):
        """A new connection, as Django opens one for a thread."""
        wrapper = load_backend("core.postgresql").DatabaseWrapper(self.settings_dict(**overrides), "secret-login")
        self.addCleanup(wrapper.close)
        wrapper.ensure_connection()
        return wrapper

    def current_user(self, wrapper):
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return cursor.fetchone()[0]

    def test_logs_in_with_the_login_in_the_secret(self):
        self.assertEqual(self.current_user(self.connect()), ROLE)
        self.assertEqual(self.credentials.reads, 1)

    def test_later_connections_reuse_the_login_without_asking_secrets_manager(self):
        for _ in range(3):
            self.connect()

        self.assertEqual(self.credentials.reads, 1)

    def test_after_a_rotation_a_new_connection_reads_the_secret_again_and_logs_in(self):
        self.connect()
        self.set_password("second-password")
        self.moto.put_database_secret(self.arn, ROLE, "second-password")
        self.clock.now += REREAD_INTERVAL

        self.assertEqual(self.current_user(self.connect()), ROLE)
        self.assertEqual(self.credentials.reads, 2)
        self.connect()
        self.assertEqual(self.credentials.reads, 2, "the new password is kept")

    def test_while_the_secret_is_stale_a_connection_fails_as_a_refused_login_and_asks_again_only_after_a_while(self):
        self.connect()
        self.set_password("second-password")  # the database first; the secret follows later
        self.clock.now += REREAD_INTERVAL

        with self.assertRaises(OperationalError) as caught:
            self.connect()
        self.assertEqual(errors.kind(caught.exception), "authentication")
        self.assertEqual(self.credentials.reads, 2)
        with self.assertRaises(OperationalError):
            self.connect()
        self.assertEqual(self.credentials.reads, 2, "read again within REREAD_INTERVAL")

        self.moto.put_database_secret(self.arn, ROLE, "second-password")
        self.clock.now += REREAD_INTERVAL
        self.assertEqual(self.current_user(self.connect()), ROLE)
        self.assertEqual(self.credentials.reads, 3)

    def test_an_unreachable_server_does_not_make_it_read_the_secret_again(self):
        self.connect()
        self.clock.now += REREAD_INTERVAL

        with self.assertRaises(OperationalError) as caught:
            self.connect(HOST="127.0.0.1", PORT=str(free_port()))

        self.assertEqual(errors.kind(caught.exception), "unreachable")
        self.assertEqual(self.credentials.reads, 1)

    def test_the_503_log_line_names_a_refused_login_and_never_the_password(self):
        self.connect()
        self.set_password("second-password")
        with self.assertRaises(OperationalError) as caught:
            self.connect()

        with self.assertLogs("core.exceptions", "WARNING") as logs:
            response = exception_handler(caught.exception, {})

        self.assertEqual(response.status_code, 503)
        (line,) = logs.output
        self.assertIn("the database refused the login", line)
        self.assertIn(f'password authentication failed for user "{ROLE}"', line)
        self.assertNotIn("first-password", line)
        self.assertNotIn("second-password", line)

    def test_without_a_secret_the_login_comes_from_the_settings(self):
        wrapper = self.connect(USER=ROLE, PASSWORD="first-password", OPTIONS={"sslmode": "disable"})

        self.assertEqual(self.current_user(wrapper), ROLE)
        self.assertEqual(self.credentials.reads, 0)
