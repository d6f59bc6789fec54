"""Read-side queries for accounts."""

from django.db import connections

from .models import User


def user_by_id(user_id):
    """The user with this primary key, or None.

    Every authenticated request runs this (the access token names the user, who must still exist and
    be active), so it is one written-out SELECT through raw(): the ORM's get() builds and compiles the
    same statement each time, which cost as much CPU as running it (BENCHMARKS.md, "Profile").
    """
    manager = User.objects
    quote = connections[manager.db].ops.quote_name
    sql = f"SELECT * FROM {quote(User._meta.db_table)} WHERE {quote(User._meta.pk.column)} = %s"
    return next(iter(manager.raw(sql, [user_id])), None)
