"""What kind of failure made the database unusable, for the log line of a 503 and of readiness.

psycopg reports a failed login without a SQLSTATE (libpq has no error fields before a session
exists: psycopg issue #1188), so it is recognised by libpq's and the server's messages; the server's
are English unless its lc_messages says otherwise (RDS: English by default).
"""

from .secret import SecretUnavailable

AUTHENTICATION = (
    "password authentication failed",  # 28P01 invalid_password
    "no password supplied",  # libpq: the server asked for a password and there was none
    "no pg_hba.conf entry",  # 28000 invalid_authorization_specification
    "pam authentication failed",
)
UNREACHABLE = (
    "connection refused",
    "timeout expired",  # libpq's connect_timeout
    "failed to resolve host",  # psycopg's own DNS lookup
    "could not translate host name",
    "no route to host",
    "network is unreachable",
    "no such file or directory",  # a unix socket that is not there
    "the database system is starting up",
    "the database system is shutting down",
)
LOST = ("server closed the connection", "terminating connection", "connection is closed", "connection already closed")


def driver_error(exc):
    """The driver's exception behind Django's wrapper (Django raises its own from psycopg's)."""
    return exc.__cause__ if exc.__cause__ is not None else exc


def is_authentication_failure(exc):
    return _contains(driver_error(exc), AUTHENTICATION)


def kind(exc):
    """One of "credentials", "authentication", "unreachable", "connection lost" and "error"."""
    if isinstance(exc, SecretUnavailable):
        return "credentials"
    if is_authentication_failure(exc):
        return "authentication"
    if _contains(driver_error(exc), UNREACHABLE):
        return "unreachable"
    if _contains(driver_error(exc), LOST):
        return "connection lost"
    return "error"


EXPLANATIONS = {
    "credentials": "the database credentials could not be read from Secrets Manager",
    "authentication": "the database refused the login (wrong or rotated password, or an unknown user)",
    "unreachable": "the database server could not be reached or is not accepting connections",
    "connection lost": "the connection to the database broke",
    "error": "database error",
}


def describe(exc):
    """One line: what happened, then the driver's message (libpq's messages name the host and the
    user, never the password)."""
    message = " ".join(str(driver_error(exc)).split())
    return f"{EXPLANATIONS[kind(exc)]}: {type(driver_error(exc)).__name__}: {message}"


def _contains(exc, fragments):
    text = str(exc).lower()
    return any(fragment in text for fragment in fragments)
