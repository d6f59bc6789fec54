"""The DATABASES entry, from DB_* variables: PostgreSQL when DB_HOST is set, SQLite otherwise."""

from . import env


def default_database(base_dir):
    host = env.text("DB_HOST")
    if not host:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": base_dir / "db.sqlite3"}

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
