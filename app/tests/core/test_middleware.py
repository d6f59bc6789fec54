import json
import re

from django.test import TestCase, override_settings

from tests.helpers import APP_DIR, APITestCase, database_unreachable, make_user

ALB_HOST = "10.0.1.23:8000"  # what the ALB health checker sends: the task's private IP
LIVENESS = "/api/v1/health/"
READINESS = "/api/v1/health/ready/"


@override_settings(DEBUG=False, ALLOWED_HOSTS=["api.example.com"])
class HealthCheckTests(TestCase):
    def test_liveness_answers_the_load_balancer_despite_its_host_header(self):
        response = self.client.get(LIVENESS, HTTP_HOST=ALB_HOST)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_the_same_host_header_is_still_refused_everywhere_else(self):
        self.assertEqual(self.client.get("/api/v1/tasks/", HTTP_HOST=ALB_HOST).status_code, 400)

    def test_every_stack_health_checks_a_path_this_app_answers(self):
        # The ALB and ECS probe the Pulumi.yaml default, or a stack file's healthCheckPath override.
        repo = APP_DIR.parent
        default = re.search(
            r"task-management-api:healthCheckPath:\n(?:\s+\w+: .*\n)*?\s+default: (\S+)",
            (repo / "Pulumi.yaml").read_text(),
        )
        self.assertIsNotNone(default, "Pulumi.yaml declares no healthCheckPath default")
        paths = {default.group(1)}
        for stack_file in repo.glob("Pulumi.*.yaml"):
            paths.update(re.findall(r"task-management-api:healthCheckPath: (\S+)", stack_file.read_text()))
        self.assertIn(LIVENESS, paths)
        for path in paths:
            self.assertEqual(self.client.get(path, HTTP_HOST=ALB_HOST).status_code, 200, path)

    def test_the_old_guides_health_path_answers_like_liveness(self):
        for path in ("/api/v1/", "/api/v1"):
            with self.subTest(path=path):
                response = self.client.get(path, HTTP_HOST=ALB_HOST)

                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json(), {"status": "ok"})
                self.assertEqual(self.client.head(path, HTTP_HOST=ALB_HOST).status_code, 200)
        with database_unreachable():
            self.assertEqual(self.client.get("/api/v1/", HTTP_HOST=ALB_HOST).status_code, 200)
        self.assertEqual(self.client.post("/api/v1/", HTTP_HOST="api.example.com").status_code, 405)

    def test_liveness_answers_the_container_health_check(self):
        self.assertEqual(self.client.get(LIVENESS, HTTP_HOST="127.0.0.1:8000").status_code, 200)
        self.assertEqual(self.client.head(LIVENESS, HTTP_HOST="127.0.0.1:8000").status_code, 200)
        self.assertEqual(self.client.get(LIVENESS.rstrip("/"), HTTP_HOST=ALB_HOST).status_code, 200)

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_plain_http_health_checks_are_not_redirected_when_https_is_enforced(self):
        self.assertEqual(self.client.get(LIVENESS, HTTP_HOST=ALB_HOST).status_code, 200)
        self.assertEqual(self.client.get("/api/v1/tasks/", HTTP_HOST="api.example.com").status_code, 301)

    def test_liveness_does_not_touch_the_database(self):
        with database_unreachable():
            response = self.client.get(LIVENESS, HTTP_HOST=ALB_HOST)

        self.assertEqual(response.status_code, 200)

    def test_readiness_is_200_when_the_database_answers(self):
        response = self.client.get(READINESS, HTTP_HOST=ALB_HOST)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "database": "ok"})

    def test_readiness_is_503_when_the_database_is_down(self):
        with database_unreachable():
            response = self.client.get(READINESS, HTTP_HOST=ALB_HOST)

        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"status": "unavailable", "database": "unreachable"})

    def test_readiness_recovers_when_the_database_is_back(self):
        with database_unreachable():
            self.client.get(READINESS, HTTP_HOST=ALB_HOST)

        self.assertEqual(self.client.get(READINESS, HTTP_HOST=ALB_HOST).status_code, 200)

    def test_other_methods_on_the_health_path_are_not_answered_by_the_health_check(self):
        self.assertNotEqual(self.client.post(LIVENESS, HTTP_HOST="api.example.com").status_code, 200)


class RequestBodyLimitTests(APITestCase):
    def setUp(self):
        super().setUp()
        self.log_in(make_user())

    def test_a_body_over_the_limit_is_a_413(self):
        body = json.dumps({"title": "big", "description": "x" * 300_000})

        response = self.client.post("/api/v1/tasks/", body, content_type="application/json")

        self.assertEqual(response.status_code, 413)
        self.assertIn("too large", response.json()["detail"])

    def test_the_limit_applies_before_authentication_too(self):
        self.log_out()
        body = json.dumps({"email": "a@example.com", "password": "x" * 300_000, "name": "A"})

        response = self.client.post("/api/v1/auth/register", body, content_type="application/json")

        self.assertEqual(response.status_code, 413)

    def test_a_body_under_the_limit_reaches_validation(self):
        body = json.dumps({"title": "big", "description": "x" * 200_000})

        response = self.client.post("/api/v1/tasks/", body, content_type="application/json")

        self.assertEqual(response.status_code, 400)
        self.assertIn("description", response.json()["fields"])

    def test_a_nonsense_content_length_is_a_400(self):
        response = self.client.generic(
            "POST", "/api/v1/tasks/", "{}", content_type="application/json", CONTENT_LENGTH="ten"
        )

        self.assertEqual(response.status_code, 400)
