"""The DATABASES entry, from DB_* variables: PostgreSQL when DB_HOST is set; SQLite in DEBUG or with
DB_SQLITE on; otherwise the process refuses to start."""

from django.core.exceptions import ImproperlyConfigured

from core.postgresql.secret import region_of

from . import env

# Seconds. A request must let go of its thread well before the ALB gives up on it (60 s idle timeout);
# the server does not cut a slow request short (config/server.py). A statement runs at most
# STATEMENT_TIMEOUT. A connection whose server vanished (a Multi-AZ failover moves the DNS name; the
# old host answers nothing) is dropped once data it sent has gone unacknowledged for TCP_USER_TIMEOUT;
# one waiting for a result is probed after 5 s of silence, then every 2 s, and dropped when the probes
# go unanswered (on Linux TCP_USER_TIMEOUT bounds that too: tcp(7)).
CONNECT_TIMEOUT = 5
STATEMENT_TIMEOUT = 15
TCP_USER_TIMEOUT = 10


def default_database(base_dir, debug):
    host = env.text("DB_HOST")
    sqlite = env.flag("DB_SQLITE")
    if host and sqlite:
        raise ImproperlyConfigured("DB_HOST and DB_SQLITE are both set: use PostgreSQL at DB_HOST or SQLite, not both")
    if not host:
        if not (debug or sqlite):
            raise ImproperlyConfigured(
                "DB_HOST is not set: the PostgreSQL server to use. Outside DEBUG the app does not fall back "
                "to SQLite by itself; set DB_SQLITE=1 for a SQLite file (tests, build steps)"
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": base_dir / "db.sqlite3"}

    name = env.required("DB_NAME", "the PostgreSQL database to use (DB_HOST is set)")
    options = {
        # TLS unless told otherwise: RDS accepts it, and the task talks to it across the VPC.
        "sslmode": env.text("DB_SSLMODE", "require") or "require",
        # Fail fast (and let readiness answer 503) instead of hanging on an unreachable host.
        "connect_timeout": CONNECT_TIMEOUT,
        "options": f"-c statement_timeout={STATEMENT_TIMEOUT}s",
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": TCP_USER_TIMEOUT * 1000,
        "application_name": "task-management-api",
    }
    secret_arn = env.text("DB_SECRET_ARN")
    if secret_arn:
        for variable in ("DB_USER", "DB_PASSWORD"):
            if env.text(variable):
                raise ImproperlyConfigured(f"{variable} is set together with DB_SECRET_ARN: the secret holds the login")
        try:
            region_of(secret_arn)
        except ValueError as exc:
            raise ImproperlyConfigured(f"DB_SECRET_ARN: {exc}") from None
        # core.postgresql reads the login from the secret whenever it opens a connection.
        options["secret_arn"] = secret_arn
        user, password = "", ""
    else:
        user = env.required("DB_USER", "the PostgreSQL role to connect as (DB_HOST is set, DB_SECRET_ARN is not)")
        password = env.text("DB_PASSWORD")

    return {
        "ENGINE": "core.postgresql",
        # A path (starting with "/") is a unix-socket directory, as in libpq.
        "HOST": host,
        "PORT": str(env.integer("DB_PORT", 5432, minimum=1)),
        "NAME": name,
        "USER": user,
        "PASSWORD": password,
        # Reuse a connection for a minute, and check it before reuse so a restarted database does
        # not surface as one failed request per worker thread.
        "CONN_MAX_AGE": env.integer("DB_CONN_MAX_AGE", 60, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
