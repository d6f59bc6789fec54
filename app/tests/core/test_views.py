from django.test import TestCase, override_settings


@override_settings(DEBUG=False, ALLOWED_HOSTS=["api.example.com"])
class ErrorPageTests(TestCase):
    def test_an_unknown_url_is_a_json_404(self):
        response = self.client.get("/api/v1/nothing-here/", HTTP_HOST="api.example.com")

        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"detail": "Not found.", "code": "not_found", "fields": {}})

    def test_a_host_outside_the_allowed_hosts_is_a_json_400(self):
        response = self.client.get("/api/v1/tasks/", HTTP_HOST="evil.example.net")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"detail": "Bad request.", "code": "bad_request", "fields": {}})
