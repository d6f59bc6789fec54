"""The PostgreSQL backend the settings select (ENGINE "core.postgresql"): Django's, with the login
taken from a Secrets Manager secret when OPTIONS has `secret_arn`.

Django calls get_connection_params() and then get_new_connection() each time it opens a connection
(BaseDatabaseWrapper.connect in Django 5.2), so the credentials are the secret's current ones, not
the ones the process started with. A login the database refuses is retried once with the secret read
again (secret.SecretCredentials.reread bounds how often); anything else fails as Django's would.

It also reads `timestamptz` columns with psycopg's own loader (timestamps.py): Django's is pure
Python and took a fifth of a task list's CPU; and it checks a reused connection with a round trip
only when it may be broken (close_if_health_check_failed).
"""

import select
import threading
import time

from django.db.backends.postgresql import base

from . import errors
from .secret import credentials_for
from .timestamps import with_psycopg_timestamptz_loader

# How long a connection that passed a health check (or just opened) is taken as healthy while its
# socket has nothing to read.
HEALTH_CHECK_INTERVAL = 1.0


def _readable(connection):
    """Whether the server sent something to an idle connection: when it ends a session (a restart, a
    crash, pg_terminate_backend, a failover that closes the socket) the socket reads as ready, with its
    FATAL message or end of file. An idle session is otherwise sent nothing."""
    try:
        return bool(select.select([connection.fileno()], [], [], 0)[0])
    except (OSError, ValueError):  # closed, or not a socket any more
        return True


class _ThreadsConnections:
    """The connections one thread opened, closed when the thread ends. Django keeps a connection per
    thread for CONN_MAX_AGE and never closes one whose thread is gone, and the server ends request
    threads that sat idle (granian: 30 s): without this each such thread left its connection open
    until a full garbage collection, which may not come for hours."""

    def __init__(self):
        self.connections = []

    def add(self, connection):
        self.connections = [c for c in self.connections if not c.closed] + [connection]

    def __del__(self):
        for connection in self.connections:
            connection.close()


_this_thread = threading.local()


def _close_when_this_thread_ends(connection):
    if not hasattr(_this_thread, "connections"):
        _this_thread.connections = _ThreadsConnections()
    _this_thread.connections.add(connection)
    return connection


class DatabaseWrapper(base.DatabaseWrapper):
    verified_at = float("-inf")

    def connect(self):
        super().connect()
        self.verified_at = time.monotonic()

    def close_if_health_check_failed(self):
        """Django's CONN_HEALTH_CHECKS sends `SELECT 1` before each request's first query: a round trip
        to the database per request (and 2 % of a POST's instructions, BENCHMARKS.md). A connection
        verified less than HEALTH_CHECK_INTERVAL ago whose socket has nothing to read skips it; any
        other gets Django's check (and is replaced if it fails), so a restarted database still costs
        no request an error. What this misses is a server that vanished without a word within the
        interval: that request's query fails (a 503, as for any request in flight at that moment) and
        the next one gets a new connection."""
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return super().close_if_health_check_failed()  # nothing to check, or the pool's own check
        if time.monotonic() - self.verified_at < HEALTH_CHECK_INTERVAL and not _readable(self.connection):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
        if self.connection is not None:  # passed: kept
            self.verified_at = time.monotonic()

    def get_connection_params(self):
        params = super().get_connection_params()
        arn = params.pop("secret_arn", None)  # ours, not a libpq parameter
        if arn:
            params["user"], params["password"] = credentials_for(arn).current()
        params["context"] = with_psycopg_timestamptz_loader(params["context"], self.timezone)
        return params

    def get_new_connection(self, conn_params):
        return _close_when_this_thread_ends(self._new_connection(conn_params))

    def _new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError as exc:
            arn = self.settings_dict["OPTIONS"].get("secret_arn")
            if not arn or not errors.is_authentication_failure(exc):
                raise
            rejected = (conn_params["user"], conn_params["password"])
            fresh = credentials_for(arn).reread(rejected)
            if fresh == rejected:
                raise  # the secret has nothing newer yet: a 503, and the client retries later
        user, password = fresh
        return super().get_new_connection({**conn_params, "user": user, "password": password})
