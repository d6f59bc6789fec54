"""The health endpoints, and JSON answers for errors raised outside DRF views (unknown URLs, crashes)."""

from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import health
from .exceptions import error_response
from .serializers import LivenessSerializer, ReadinessSerializer


class AlwaysJSON(BaseContentNegotiation):
    """Probes send whatever Accept header they like; a health check must never answer 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class HealthView(APIView):
    # core.middleware.HealthCheckMiddleware calls these for GET and HEAD before host validation; the
    # URL routes serve the other methods (405) and the schema.

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJSON

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class LivenessView(HealthView):
    """For the load balancer and ECS: the process answers HTTP. Any Host header; no database."""

    uses_database = False

    @extend_schema(
        tags=["health"],
        summary="Liveness: the process answers HTTP (no database involved)",
        responses={200: LivenessSerializer},
    )
    def get(self, request):
        return Response(health.liveness())


class ReadinessView(HealthView):
    """The database answers a trivial query (200), or not (503). Any Host header."""

    @extend_schema(
        tags=["health"],
        summary="Readiness: 200 when the database answers, 503 when it does not",
        responses={200: ReadinessSerializer, 503: ReadinessSerializer},
    )
    def get(self, request):
        ready, report = health.readiness()
        return Response(report, status=200 if ready else 503)


liveness = LivenessView.as_view()
readiness = ReadinessView.as_view()


def bad_request(request, exception=None):
    # Also what a request with a Host outside DJANGO_ALLOWED_HOSTS gets.
    return error_response("Bad request.", "bad_request", status=400)


def not_found(request, exception=None):
    return error_response("Not found.", "not_found", status=404)


def server_error(request):
    return error_response("Internal server error.", "server_error", status=500)
