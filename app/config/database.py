"""The DATABASES entry, from DB_* variables: PostgreSQL when DB_HOST is set, SQLite otherwise."""

import sys

from django.core.exceptions import ImproperlyConfigured

from . import env


def default_database(base_dir):
    host = env.text("DB_HOST")
    if not host:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": base_dir / "db.sqlite3"}

    _use_a_postgres_driver_django_accepts()
    return {
        "ENGINE": "django.db.backends.postgresql",
        # A path (starting with "/") is a unix-socket directory, as in libpq.
        "HOST": host,
        "PORT": str(env.integer("DB_PORT", 5432, minimum=1)),
        "NAME": env.required("DB_NAME", "the PostgreSQL database to use (DB_HOST is set)"),
        "USER": env.required("DB_USER", "the PostgreSQL role to connect as (DB_HOST is set)"),
        "PASSWORD": env.text("DB_PASSWORD"),
        # Reuse a connection for a minute, and check it before reuse so a restarted database does
        # not surface as one failed request per worker thread.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # TLS unless told otherwise: RDS accepts it, and the task talks to it across the VPC.
            "sslmode": env.text("DB_SSLMODE", "require") or "require",
            # Fail fast (and let readiness answer 503) instead of hanging on an unreachable host.
            "connect_timeout": 5,
            "application_name": "task-management-api",
        },
    }


def _use_a_postgres_driver_django_accepts():
    """Django 4.2 refuses psycopg 3 older than 3.1.8, and Debian bookworm ships 3.1.7.

    Django picks psycopg 3 whenever it imports, so on such a machine hide it and let Django fall
    back to psycopg2. The production image installs a current psycopg 3, where this does nothing.
    """
    try:
        import psycopg
    except ImportError:
        return
    version = tuple(int(part) for part in psycopg.__version__.split(".")[:3] if part.isdigit())
    if version >= (3, 1, 8):
        return
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        raise ImproperlyConfigured(
            f"psycopg {psycopg.__version__} is too old for Django (3.1.8+ needed) and psycopg2 is "
            "not installed: install psycopg>=3.1.8, or psycopg2 (Debian: apt-get install python3-psycopg2)"
        ) from None
    sys.modules["psycopg"] = None  # makes `import psycopg` raise ImportError inside Django
