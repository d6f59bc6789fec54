"""URL layout: the JSON API under /api/v1/, Django's admin under /admin/ when DJANGO_ADMIN_ENABLED is on.

GET and HEAD of the health endpoints (/api/v1/health/, /api/v1/health/ready/, and /api/v1/, which
answers like /api/v1/health/) are answered by core.middleware.HealthCheckMiddleware before URL
routing; /api/v1/schema/ is the OpenAPI schema (app/openapi.yaml is the committed copy).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core import views
from core.urls import slash_optional

urlpatterns = [
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/", include("tasks.urls")),
    *slash_optional("api/v1/health", views.liveness, name="health"),
    *slash_optional("api/v1/health/ready", views.readiness, name="health-ready"),
    *slash_optional("api/v1/schema", SpectacularAPIView.as_view(), name="schema"),
    *slash_optional("api/v1", views.liveness, name="api-root"),
]

if settings.ADMIN_ENABLED:
    urlpatterns.append(path("admin/", admin.site.urls))

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
