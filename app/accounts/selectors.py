"""Read-side queries for accounts."""

from functools import cache

from django.db import connections

from .models import User


def user_by_id(user_id):
    """The user with this primary key, or None.

    Every authenticated request runs this (the access token names the user, who must still exist and
    be active), so it is one written-out SELECT of the model's columns on a cursor, turned into a User
    by Model.from_db as a queryset would. The ORM's get() builds and compiles the statement on every
    call, and raw(), used before, mapped the cursor's columns to fields on every call: reading it
    this way saved a sixth of the instructions of a POST and of a GET of one task (BENCHMARKS.md,
    "Profile").
    """
    alias = User.objects.db
    with connections[alias].cursor() as cursor:
        cursor.execute(_select_by_id(alias), [user_id])
        row = cursor.fetchone()
    return None if row is None else User.from_db(alias, _FIELDS, row)


_FIELDS = [field.attname for field in User._meta.concrete_fields]


@cache
def _select_by_id(alias):
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in User._meta.concrete_fields)
    return f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {quote(User._meta.pk.column)} = %s"
