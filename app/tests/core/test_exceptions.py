from django.core.exceptions import ValidationError

from core.exceptions import DATABASE_RETRY_AFTER
from tests.helpers import APITestCase, database_unreachable, make_user


class DatabaseUnavailableTests(APITestCase):
    def setUp(self):
        super().setUp()
        self.log_in(make_user())

    def test_a_lost_database_is_a_503_with_retry_after_not_a_500(self):
        for method, path, body in [
            ("post", "/api/v1/tasks/", {"title": "written during an outage"}),
            ("get", "/api/v1/tasks/", None),
            ("get", "/api/v1/auth/me", None),
        ]:
            with self.subTest(f"{method} {path}"), database_unreachable():
                response = getattr(self.client, method)(path, body, format="json")
                self.assertEqual(response.status_code, 503)
                self.assertEqual(response["Retry-After"], str(DATABASE_RETRY_AFTER))
                self.assertIn("database", response.json()["detail"])

    def test_the_cause_of_a_503_is_logged(self):
        from django.db import connection

        with database_unreachable(), self.assertLogs("core.exceptions", "WARNING") as logs:
            self.assertEqual(self.client.get("/api/v1/tasks/").status_code, 503)

        (line,) = logs.output
        if connection.vendor == "postgresql":
            self.assertIn("answering 503: the database server could not be reached", line)
            self.assertIn("Connection refused", line)
        else:
            self.assertIn("answering 503: database error: OperationalError: unable to open database file", line)

    def test_the_api_recovers_when_the_database_is_back(self):
        with database_unreachable():
            self.assertEqual(self.client.get("/api/v1/tasks/").status_code, 503)
        self.assertEqual(self.client.post("/api/v1/tasks/", {"title": "after"}, format="json").status_code, 201)


class ServiceValidationErrorTests(APITestCase):
    def test_a_service_validation_error_is_a_400_per_field(self):
        from core.exceptions import exception_handler

        response = exception_handler(ValidationError({"title": ["Too long."]}), {})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.data, {"title": ["Too long."]})


class DatabaseUnavailableClassificationTests(APITestCase):
    def test_a_connection_lost_mid_query_counts_as_unavailable_but_a_bad_query_does_not(self):
        from unittest import mock

        from django.db import DatabaseError, IntegrityError, ProgrammingError, connection

        from core.exceptions import database_unavailable

        connection.ensure_connection()
        self.assertFalse(database_unavailable(DatabaseError("bad query")), "the connection still works")
        self.assertFalse(database_unavailable(IntegrityError("duplicate key")))
        self.assertFalse(database_unavailable(ProgrammingError("no such column")))
        with mock.patch.object(connection, "is_usable", return_value=False):
            self.assertTrue(database_unavailable(DatabaseError("server closed the connection unexpectedly")))
