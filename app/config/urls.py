"""URL layout: the JSON API under /api/v1/, Django's admin under /admin/.

The health endpoints (/api/v1/health/ and /api/v1/health/ready/) are answered by
core.middleware.HealthCheckMiddleware before URL routing.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/", include("tasks.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
