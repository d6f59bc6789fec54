"""core.postgresql's health check of a reused connection, on a real PostgreSQL: no round trip while
the connection is fresh and quiet, Django's check whenever the server may have ended the session.
PostgreSQL pass only."""

import time
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TransactionTestCase

from core.postgresql import base


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL (runs in test.sh's PostgreSQL pass)")
class HealthCheckTests(TransactionTestCase):
    def setUp(self):
        # A connection of its own, as a worker thread has, outside the test's transaction.
        self.wrapper = connections.create_connection("default")
        self.addCleanup(self.wrapper.close)
        self.wrapper.ensure_connection()
        self.assertTrue(self.wrapper.health_check_enabled)  # config/database.py: CONN_HEALTH_CHECKS

    def next_request(self):
        """What Django does when a request starts and then makes its first query; the backend's pid."""
        self.wrapper.close_if_unusable_or_obsolete()
        with self.wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def test_a_fresh_quiet_connection_is_reused_without_a_round_trip(self):
        pid = self.wrapper.connection.info.backend_pid
        with mock.patch.object(self.wrapper, "is_usable", wraps=self.wrapper.is_usable) as check:
            for _ in range(3):
                self.assertEqual(self.next_request(), pid)

        check.assert_not_called()

    def test_a_session_the_server_ended_is_replaced_before_the_request_uses_it(self):
        old = self.wrapper.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old])
        deadline = time.monotonic() + 5
        while not base._readable(self.wrapper.connection):  # the server's FATAL message arrives
            self.assertLess(time.monotonic(), deadline, "the terminated session's socket never became readable")
            time.sleep(0.01)

        with mock.patch.object(self.wrapper, "is_usable", wraps=self.wrapper.is_usable) as check:
            new = self.next_request()  # without the check this query fails: "terminating connection"

        check.assert_called_once()
        self.assertNotEqual(new, old)

    def test_past_the_interval_django_checks_again(self):
        pid = self.wrapper.connection.info.backend_pid
        later = time.monotonic() + base.HEALTH_CHECK_INTERVAL + 0.5
        with (
            mock.patch.object(base.time, "monotonic", return_value=later),
            mock.patch.object(self.wrapper, "is_usable", wraps=self.wrapper.is_usable) as check,
        ):
            self.assertEqual(self.next_request(), pid)
            self.assertEqual(self.next_request(), pid)  # verified again: no second round trip

        check.assert_called_once()
