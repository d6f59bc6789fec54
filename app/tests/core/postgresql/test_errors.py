"""How a database failure is told apart for the log, from the messages psycopg 3.3 / libpq 18 give
(recorded from real connection attempts: a wrong password, a closed port, an unknown host)."""

import psycopg
from django.db import utils
from django.test import SimpleTestCase

from core.postgresql import errors
from core.postgresql.secret import SecretUnavailable

SOCKET = 'connection to server on socket "/tmp/pg/run/.s.PGSQL.5432" failed'
MESSAGES = {
    "authentication": [
        f'connection failed: {SOCKET}: FATAL:  password authentication failed for user "app"',
        'connection failed: connection to server at "10.0.1.5", port 5432 failed: fe_sendauth: no password supplied',
        'connection failed: connection to server at "10.0.1.5", port 5432 failed: FATAL:  no pg_hba.conf entry for '
        'host "10.0.2.9", user "app", database "tasks", no encryption',
    ],
    "unreachable": [
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server '
        "running on that host and accepting TCP/IP connections?",
        "failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
        'connection failed: connection to server at "10.255.255.1", port 5432 failed: timeout expired',
        f"connection failed: {SOCKET}: No such file or directory",
        f"connection failed: {SOCKET}: FATAL:  the database system is starting up",
    ],
    "connection lost": [
        "consuming input failed: server closed the connection unexpectedly\n\tThis probably means the server "
        "terminated abnormally",
        "terminating connection due to administrator command",
    ],
    "error": ['relation "tasks_task" does not exist'],
}


def as_django_raises_it(message):
    """Django's OperationalError from psycopg's, as DatabaseErrorWrapper makes it."""
    try:
        try:
            raise psycopg.OperationalError(message)
        except psycopg.OperationalError as exc:
            raise utils.OperationalError(*exc.args) from exc
    except utils.OperationalError as wrapped:
        return wrapped


class ClassificationTests(SimpleTestCase):
    def test_each_failure_is_told_apart(self):
        for kind, messages in MESSAGES.items():
            for message in messages:
                with self.subTest(message=message):
                    self.assertEqual(errors.kind(as_django_raises_it(message)), kind)
                    self.assertEqual(errors.kind(psycopg.OperationalError(message)), kind)

    def test_only_a_refused_login_counts_as_an_authentication_failure(self):
        self.assertTrue(errors.is_authentication_failure(as_django_raises_it(MESSAGES["authentication"][0])))
        for message in MESSAGES["unreachable"]:
            self.assertFalse(errors.is_authentication_failure(as_django_raises_it(message)), message)

    def test_an_unreadable_secret_is_its_own_kind(self):
        exc = SecretUnavailable("reading the database secret arn:… failed: AccessDeniedException")

        self.assertEqual(errors.kind(exc), "credentials")
        self.assertIn("could not be read from Secrets Manager", errors.describe(exc))

    def test_the_description_is_one_line_with_the_kind_and_the_drivers_message(self):
        line = errors.describe(as_django_raises_it(MESSAGES["unreachable"][0]))

        self.assertNotIn("\n", line)
        self.assertTrue(line.startswith("the database server could not be reached"), line)
        self.assertIn('OperationalError: connection failed: connection to server at "127.0.0.1", port 1', line)
