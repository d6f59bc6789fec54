"""The OpenAPI schema (drf-spectacular): the error responses each endpoint can give, read off its view,
so that every documented endpoint documents its failures too (schemathesis checks that they match)."""

from drf_spectacular import openapi
from rest_framework.permissions import AllowAny

from .serializers import ErrorSerializer

RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}
LOCATION = {
    "Location": {"schema": {"type": "string", "format": "uri"}, "required": True, "description": "The new resource."}
}
# The server (granian: hyper) refuses a URL of 64 KiB or more before Django sees it, with an empty
# body: no schema for it.
URI_TOO_LONG = {"description": "The URL is longer than the server accepts (64 KiB); the body is empty."}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {}
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters() or self._query_serializer():
            errors["400"] = ErrorSerializer
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = ErrorSerializer
        if "{" in self.path or (self.method == "GET" and self._get_paginator()):  # no such id, or no such page
            errors["404"] = ErrorSerializer
        if self.method in ("POST", "PUT", "PATCH"):
            errors["413"] = ErrorSerializer  # core.middleware.RequestBodyLimitMiddleware
            errors["415"] = ErrorSerializer
        if self.view.get_throttles():
            errors["429"] = ErrorSerializer
        if getattr(self.view, "uses_database", True):
            errors["503"] = ErrorSerializer  # core.exceptions: the database is unreachable
        for code, serializer in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code, direction=direction)
                if code == "503":  # not readiness's own 503, a report
                    responses[code]["headers"] = RETRY_AFTER
        if "429" in responses:  # DRF's throttles, and the login limits declared by LoginView
            responses["429"]["headers"] = RETRY_AFTER
        if "201" in responses:
            responses["201"]["headers"] = LOCATION
        responses.setdefault("414", URI_TOO_LONG)
        return dict(sorted(responses.items()))

    def _query_serializer(self):
        return getattr(self.view, "query_serializer_class", None) if self.method == "GET" else None

    def get_override_parameters(self):
        query = self._query_serializer()
        return [*super().get_override_parameters(), *([query] if query else [])]


def slashed_paths_only(endpoints, **kwargs):
    """Preprocessing hook: every route is served with and without its trailing slash
    (core.urls.slash_optional); the schema lists the slashed one."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]
