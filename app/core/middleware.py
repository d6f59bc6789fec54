from django.conf import settings

from . import views
from .exceptions import error_response

# Request paths without their trailing slash. /api/v1/ is the old deployment guide's health check
# path: a load balancer still configured with it keeps getting its 200.
HEALTH_VIEWS = {
    "/api/v1/health": views.liveness,
    "/api/v1": views.liveness,
    "/api/v1/health/ready": views.readiness,
}


class HealthCheckMiddleware:
    """Answers the health endpoints before host validation, CORS, sessions or routing.

    The ALB's health checker sends the task's private IP as Host (e.g. "10.0.1.23:8000") and the
    ECS container check sends "127.0.0.1:8000"; neither is in ALLOWED_HOSTS, and Django would
    answer them 400. This must stay first in MIDDLEWARE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            view = HEALTH_VIEWS.get(request.path_info.rstrip("/"))
            if view:
                response = view(request)
                response.render()  # a view's response is rendered by URL routing, which this skips
                # Sized, not chunked: probes that hang up right after the status line still get it whole.
                response["Content-Length"] = str(len(response.content))
                return response
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """413 for a body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE, before anyone reads it.

    Django enforces that limit only when request.body is read; DRF's JSON parser reads the stream
    itself (before DRF 3.17.2), so without this an oversized body would be parsed in full.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            return error_response("Invalid Content-Length header.", "invalid_content_length", status=400)
        if limit is not None and length > limit:
            message = f"Request body too large: the limit is {limit} bytes."
            return error_response(message, "request_too_large", status=413)
        return self.get_response(request)
