import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .postgresql import errors as database_errors

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER = 5


def exception_handler(exc, context):
    """DRF's handler, plus:
    - a Django ValidationError raised by a service is a 400 with per-field messages, shaped like a
      serializer's errors;
    - a lost database connection is a 503 with Retry-After, not a 500: the request did nothing and
      can be retried, which clients and the load balancer's metrics should be able to tell."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    if database_unavailable(exc):
        # Django logs the 503 too, but as "Service Unavailable: <path>" only.
        logger.warning("answering 503: %s", database_errors.describe(exc))
        set_rollback()
        return Response(
            {"detail": "The database is unavailable; retry shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    return drf_exception_handler(exc, context)


def database_unavailable(exc):
    """Whether exc means the database could not be reached, rather than that a query was wrong."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    # A connection lost in the middle of a query surfaces as a bare DatabaseError ("server closed the
    # connection unexpectedly"); tell it from a bad query by whether the connection still works.
    if type(exc) is DatabaseError:
        return connection.connection is None or not connection.is_usable()
    return False
