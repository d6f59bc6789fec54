"""What the health endpoints report."""

import logging

from django.db import DEFAULT_DB_ALIAS, Error, connections

from .postgresql import errors as database_errors

logger = logging.getLogger(__name__)


def liveness():
    """The process answers HTTP: no database, no cache, nothing that can be slow."""
    return {"status": "ok"}


def readiness(alias=DEFAULT_DB_ALIAS):
    """(ready, report): ready when the database answers a trivial query."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as exc:
        logger.warning("readiness: database %r unusable: %s", alias, database_errors.describe(exc))
        # Drop the broken connection so the next check reconnects instead of reusing it.
        connection.close()
        return False, {"status": "unavailable", "database": "unreachable"}
    return True, {"status": "ok", "database": "ok"}
