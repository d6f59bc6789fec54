from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from core.exceptions import DATABASE_RETRY_AFTER
from tests.helpers import PASSWORD, APITestCase, database_unreachable, make_user


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
        self.assertEqual(response.data["fields"], {"title": ["Too long."]})


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


class ErrorShapeTests(APITestCase):
    """Every 4xx (and the 503) has one body: {"detail": str, "code": str, "fields": {name: [str]}}."""

    def setUp(self):
        super().setUp()
        self.user = make_user()

    def assertError(self, response, status, code, fields=None):
        self.assertEqual(response.status_code, status, response.content)
        body = response.json()
        self.assertEqual(set(body), {"detail", "code", "fields"})
        self.assertIsInstance(body["detail"], str)
        self.assertTrue(body["detail"])
        self.assertEqual((body["code"], body["fields"]), (code, fields or {}))
        return body

    def test_invalid_input_names_each_field_with_its_messages(self):
        self.log_in(self.user)

        body = self.assertError(
            self.client.post("/api/v1/tasks/", {"title": "", "priority": "urgent"}, format="json"),
            400,
            "invalid",
            {"title": ["This field may not be blank."], "priority": ['"urgent" is not a valid choice.']},
        )
        self.assertEqual(body["detail"], "Invalid input.")

    def test_input_wrong_as_a_whole_says_why_in_detail(self):
        response = self.client.post("/api/v1/auth/register", "[]", content_type="application/json")

        body = self.assertError(response, 400, "invalid")
        self.assertIn("Expected a dictionary", body["detail"])

    def test_a_service_validation_error(self):
        self.assertError(
            self.client.post(
                "/api/v1/auth/register",
                {"email": "alice@example.com", "password": PASSWORD, "name": "A"},
                format="json",
            ),
            400,
            "invalid",
            {"email": ["An account with this email address already exists."]},
        )

    def test_authentication_errors_including_simplejwts(self):
        self.assertError(self.client.get("/api/v1/auth/me"), 401, "not_authenticated")
        self.client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
        self.assertError(self.client.get("/api/v1/auth/me"), 401, "token_not_valid")
        refresh = self.client.post("/api/v1/auth/refresh", {"refresh": "x"}, format="json")
        self.assertError(refresh, 401, "token_not_valid")
        self.assertError(
            self.client.post("/api/v1/auth/login", {"email": "alice@example.com", "password": "x"}, format="json"),
            401,
            "no_active_account",
        )

    def test_throttled_says_how_long_to_wait(self):
        for _ in range(10):
            self.client.post("/api/v1/auth/register", {}, format="json")

        response = self.client.post("/api/v1/auth/register", {}, format="json")

        body = self.assertError(response, 429, "throttled")
        self.assertIn(response["Retry-After"], body["detail"])

    def test_not_found_method_not_allowed_media_type_parse_error_too_large(self):
        self.log_in(self.user)
        self.assertError(self.client.get("/api/v1/tasks/12345/"), 404, "not_found")
        self.assertError(self.client.get("/api/v1/tasks/?page=9"), 404, "not_found")
        self.assertError(self.client.get("/api/v1/nothing-here/", HTTP_HOST="localhost"), 404, "not_found")
        self.assertError(self.client.delete("/api/v1/tasks/"), 405, "method_not_allowed")
        self.assertError(
            self.client.post("/api/v1/tasks/", "title=x", content_type="text/plain"), 415, "unsupported_media_type"
        )
        self.assertError(self.client.post("/api/v1/tasks/", "{", content_type="application/json"), 400, "parse_error")
        self.assertError(
            self.client.post("/api/v1/tasks/", "x" * 300_000, content_type="application/json"), 413, "request_too_large"
        )
        self.assertError(
            self.client.generic("POST", "/api/v1/tasks/", "{}", content_type="application/json", CONTENT_LENGTH="ten"),
            400,
            "invalid_content_length",
        )

    def test_the_database_being_away(self):
        self.log_in(self.user)
        with database_unreachable():
            self.assertError(self.client.get("/api/v1/tasks/"), 503, "database_unavailable")


class FlattenTests(SimpleTestCase):
    def test_nested_errors_get_dotted_names(self):
        from core.exceptions import _flatten

        detail = {"title": ["Too long."], "tags": [{"name": ["Required."]}, {}], "owner": {"email": ["Bad."]}}

        self.assertEqual(
            _flatten(detail), {"title": ["Too long."], "tags.0.name": ["Required."], "owner.email": ["Bad."]}
        )
