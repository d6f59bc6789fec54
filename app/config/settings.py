"""Settings for the task-management API, read from the environment (see the README's table).

Outside DEBUG the process refuses to start without DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and a
database (DB_HOST, or DB_SQLITE=1).
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import env
from .database import default_database

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.flag("DJANGO_DEBUG", default=False)

if DEBUG:
    # A fixed, visibly insecure key so local restarts keep tokens valid; never used outside DEBUG.
    SECRET_KEY = env.text("DJANGO_SECRET_KEY") or "django-insecure-local-development-only"
    ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.required(
        "DJANGO_SECRET_KEY",
        "it signs sessions and JWTs and must be a long random secret in production "
        "(50+ characters); for local development set DJANGO_DEBUG=1 instead",
    )
    ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        env.required(
            "DJANGO_ALLOWED_HOSTS",
            "a comma-separated list of host names this API answers to (e.g. the load balancer's "
            "DNS name); health checks are answered regardless of the Host header",
        )

CSRF_TRUSTED_ORIGINS = env.items("DJANGO_CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env.items("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "core",
    "accounts",
    "tasks",
]

MIDDLEWARE = [
    # First: the load balancer's health checks carry the task's IP as Host, which host validation
    # would reject; these answer before anything looks at the Host header.
    "core.middleware.HealthCheckMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": default_database(BASE_DIR, DEBUG)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# New passwords are Argon2id (accounts.hashers); the PBKDF2 hashes stored before it still verify, and
# Django replaces each by an Argon2id hash at its account's next successful login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: collected into the image at build time, served by WhiteNoise with far-future
# caching (the file names carry a content hash).
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Request bodies: one limit for Django and the JSON API (see core.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# Behind the ALB: it terminates client connections and says which scheme the client used.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Only when clients reach the API over HTTPS (an HTTPS listener on the load balancer): redirect
# plain HTTP, mark cookies secure and send HSTS for this host.
HTTPS_ONLY = env.flag("DJANGO_HTTPS_ONLY", default=False)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 31536000 if HTTPS_ONLY else 0
SILENCED_SYSTEM_CHECKS = [
    # HSTS covers this host only: includeSubDomains and preload bind every sibling domain, which
    # is the domain owner's decision, not this service's.
    "security.W005",
    "security.W021",
]

# Django's admin at /admin/: off unless asked for, and then only over HTTPS (its password and session
# cookie would otherwise cross the internet in clear); see the README's "Operating the app".
ADMIN_ENABLED = env.flag("DJANGO_ADMIN_ENABLED", default=False)
if ADMIN_ENABLED and not (HTTPS_ONLY or DEBUG):
    raise ImproperlyConfigured(
        "DJANGO_ADMIN_ENABLED is on but DJANGO_HTTPS_ONLY is not: the admin's password and session "
        "cookie would cross the network in clear; serve HTTPS, or reach the admin's tasks with "
        "manage.py through ECS Exec instead (README, 'Operating the app')"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # Counted in the database (core.ratelimit), so each limit holds across workers, tasks and
    # restarts; per client address unless named per account. Rates: "N/<period>", e.g. "10/15m".
    "DEFAULT_THROTTLE_RATES": {
        "register": "10/minute",
        "tokens": "60/minute",  # refresh and logout
        # Failed logins only (accounts.services.login_attempt); the per-account one counts emails
        # without an account alike, and refuses even the right password until its window ends.
        "login_failures_per_address": "10/minute",
        "login_failures_per_account": "10/15m",
    },
    # The ALB appends the client's address to X-Forwarded-For; trust exactly that one entry, so
    # throttling counts clients rather than the load balancer, and a client cannot spoof it.
    "NUM_PROXIES": 1,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
}

# The OpenAPI schema at /api/v1/schema/ (YAML; ?format=json for JSON), public like the API's shape.
SPECTACULAR_SETTINGS = {
    "TITLE": "Task management API",
    "DESCRIPTION": "Tasks per user, behind email + password login with JWT bearer tokens.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Separate request and response components: ids and timestamps are never sent, always received.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["core.schema.slashed_paths_only"],
    # core.urls.IdConverter: a database id (larger ones are simply not found).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Refresh tokens are single-use and revocable: accounts.services rotates and blacklists them itself
    # (token_blacklist app), since simplejwt's refresh view lets two concurrent requests spend one token.
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
    },
    "root": {"handlers": ["stdout"], "level": env.text("DJANGO_LOG_LEVEL", "INFO").upper() or "INFO"},
    # Django's own loggers go through the root handler only (its DEBUG console handler would
    # print everything twice).
    "loggers": {"django": {"handlers": [], "level": "NOTSET", "propagate": True}},
}

TEST_RUNNER = "config.test_runner.CountingTestRunner"
