"""Every error the API answers has one JSON shape: {"detail": str, "code": str, "fields": {name: [str]}}.

`detail` is for people, `code` for programs (DRF's and simplejwt's codes: "not_authenticated",
"token_not_valid", "throttled", "not_found", …), `fields` names each invalid input field with its
messages ({} unless the input was invalid). DRF views get it from exception_handler below; Django's
own error answers (core.views, core.middleware) from error_response.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .postgresql import errors as database_errors

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER = 5


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "database_unavailable"
    wait = DATABASE_RETRY_AFTER


def error_body(detail, code, fields=None):
    return {"detail": str(detail), "code": str(code), "fields": fields or {}}


def error_response(detail, code, status):
    """The error shape outside DRF: for Django's handlers and middleware."""
    return JsonResponse(error_body(detail, code), status=status)


def exception_handler(exc, context):
    """DRF's handler (status, WWW-Authenticate, Retry-After), with the body in the error shape, plus:
    - a Django ValidationError raised by a service is a 400 with per-field messages, like a
      serializer's errors;
    - a lost database connection is a 503 with Retry-After, not a 500: the request did nothing and
      can be retried, which clients and the load balancer's metrics should be able to tell."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):  # as DRF's handler converts them, so that _body sees the result
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif database_unavailable(exc):
        # Django logs the 503 too, but as "Service Unavailable: <path>" only.
        logger.warning("answering 503: %s", database_errors.describe(exc))
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)  # also rolls the request's transaction back
    if response is not None:
        response.data = _body(exc)
    return response


def _body(exc):
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        # Errors of the input as a whole (a list instead of an object, two fields that disagree
        # with no one field to blame) say what is wrong in `detail`.
        general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, []) + fields.pop("", [])
        return error_body(" ".join(general) or "Invalid input.", "invalid", fields)
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's errors: {"detail", "code", and sometimes "messages"}
        return error_body(detail.get("detail", exc.default_detail), detail.get("code", exc.default_code))
    return error_body(detail, getattr(detail, "code", None) or exc.default_code)


def _flatten(detail, prefix=""):
    """DRF's nested error detail -> {"field": [messages]}, nested names joined with dots."""
    if isinstance(detail, dict):
        fields = {}
        for name, value in detail.items():
            fields.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return fields
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix: [str(message) for message in messages]}


def database_unavailable(exc):
    """Whether exc means the database could not be reached, rather than that a query was wrong."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    # A connection lost in the middle of a query surfaces as a bare DatabaseError ("server closed the
    # connection unexpectedly"); tell it from a bad query by whether the connection still works.
    if type(exc) is DatabaseError:
        return connection.connection is None or not connection.is_usable()
    return False
