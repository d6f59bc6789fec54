"""JSON answers for errors raised outside DRF views (unknown URLs, crashes)."""

from django.http import JsonResponse


def bad_request(request, exception=None):
    # Also what a request with a Host outside DJANGO_ALLOWED_HOSTS gets.
    return JsonResponse({"detail": "Bad request."}, status=400)


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)
