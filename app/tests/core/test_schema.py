"""The OpenAPI schema: valid, complete, served, and identical to the committed app/openapi.yaml, so that
every API change shows in review as a diff of that file."""

import difflib
import re
import tempfile
from pathlib import Path

import yaml
from django.core.management import call_command
from django.test import SimpleTestCase
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import APP_DIR

COMMITTED = APP_DIR / "openapi.yaml"


def generate():
    """What `make schema` writes; fails on any drf-spectacular warning, like the command."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "openapi.yaml"
        call_command("spectacular", "--validate", "--fail-on-warn", file=str(path))
        return path.read_text()


def api_routes(patterns=None, prefix=""):
    """Every routed path under /api/v1/, in the schema's spelling ({task_id}), slashed."""
    routes = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/") and route.endswith("/"):
            routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes


class SchemaTests(SimpleTestCase):
    def test_the_committed_schema_is_the_generated_one(self):
        generated, committed = generate(), COMMITTED.read_text()

        if generated != committed:
            diff = "".join(
                difflib.unified_diff(
                    committed.splitlines(True), generated.splitlines(True), "app/openapi.yaml", "generated", n=2
                )
            )
            self.fail(f"app/openapi.yaml is out of date: run `make schema` and commit it.\n{diff[:4000]}")

    def test_every_api_route_is_documented(self):
        documented = set(yaml.safe_load(COMMITTED.read_text())["paths"])

        self.assertEqual(api_routes() - {"/api/v1/schema/"}, documented)
        self.assertLessEqual({"/api/v1/health/", "/api/v1/health/ready/", "/api/v1/auth/login/"}, documented)

    def test_every_operation_documents_its_success_and_errors(self):
        schema = yaml.safe_load(COMMITTED.read_text())
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                codes = set(operation["responses"])
                with self.subTest(f"{method.upper()} {path}"):
                    self.assertTrue(any(code.startswith("2") for code in codes), codes)
                    self.assertIn("414", codes)  # the server's limit on the URL, before Django
                    if operation.get("security") != [{}]:
                        self.assertIn("401", codes)
                    if "{" in path:
                        self.assertIn("404", codes)
                    if method in ("post", "put", "patch"):
                        self.assertIn("400", codes)
                    if path not in ("/api/v1/", "/api/v1/health/"):  # liveness: no database
                        self.assertIn("503", codes)
                    if "201" in codes:
                        self.assertIn("Location", operation["responses"]["201"].get("headers", {}))
                    for code, response in operation["responses"].items():
                        if code.startswith("4") and "content" in response:  # 414 is the server's, with no body
                            schema = response["content"]["application/json"]["schema"]
                            self.assertEqual(schema, {"$ref": "#/components/schemas/Error"}, code)

    def test_the_schema_is_served_without_a_token(self):
        yaml_response = self.client.get("/api/v1/schema/", HTTP_HOST="localhost")
        json_response = self.client.get("/api/v1/schema/?format=json", HTTP_HOST="localhost")

        self.assertEqual(yaml_response.status_code, 200)
        self.assertEqual(yaml.safe_load(yaml_response.content), yaml.safe_load(COMMITTED.read_text()))
        self.assertEqual(json_response.json(), yaml.safe_load(COMMITTED.read_text()))

    def test_a_bad_token_does_not_hide_the_schema(self):
        response = self.client.get("/api/v1/schema/", HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer nonsense")

        self.assertEqual(response.status_code, 200)
