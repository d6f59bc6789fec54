from tests.helpers import APITestCase, make_user


class MalformedBodyTests(APITestCase):
    """Bad request bodies are the client's fault: always a 4xx with a reason, never a 500."""

    def setUp(self):
        super().setUp()
        self.log_in(make_user())

    def post(self, url, body, content_type="application/json"):
        return self.client.generic("POST", url, body, content_type=content_type)

    def test_malformed_json_is_a_400_on_every_endpoint(self):
        for url in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/tasks/"):
            with self.subTest(url=url):
                response = self.post(url, '{"email": "a@example.com",')

                self.assertEqual(response.status_code, 400)
                self.assertIn("JSON parse error", response.json()["detail"])

    def test_json_nested_thousands_deep_is_a_400(self):
        response = self.post("/api/v1/tasks/", "[" * 50_000 + "]" * 50_000)

        self.assertEqual(response.status_code, 400)
        self.assertIn("nested too deeply", response.json()["detail"])

    def test_nan_is_not_json(self):
        self.assertEqual(self.post("/api/v1/tasks/", '{"title": NaN}').status_code, 400)

    def test_bytes_that_are_not_utf8_are_a_400(self):
        self.assertEqual(self.post("/api/v1/tasks/", b'{"title": "\xff\xfe"}').status_code, 400)

    def test_a_body_that_is_not_json_is_a_415(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            with self.subTest(content_type=content_type):
                self.assertEqual(self.post("/api/v1/tasks/", "title=x", content_type=content_type).status_code, 415)

    def test_a_null_character_in_a_text_field_is_a_400(self):
        # PostgreSQL cannot store NUL in text; it must be refused before it reaches the database.
        response = self.client.post("/api/v1/tasks/", {"title": "a\x00b"}, format="json")

        self.assertEqual(response.status_code, 400)
        self.assertIn("title", response.json()["fields"])
