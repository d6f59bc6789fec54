"""`timestamptz` values read by psycopg's C loader instead of Django's pure-Python one.

Django 5.2 registers, on every connection, a subclass of psycopg's *Python* `TimestamptzLoader` that
parses each value with a regular expression and then replaces its tzinfo with the connection's
(`django/db/backends/postgresql/psycopg_any.py`). psycopg only swaps in its C implementation for its
own classes (`AdaptersMap._get_optimised`), so with Django's subclass every timestamp of every row is
parsed in Python: 22 % of a 20-task list's samples in py-spy (BENCHMARKS.md, "Profile").

psycopg's loader returns the value in the session's time zone, which Django has set to its own
(`DatabaseWrapper.ensure_timezone`). So when Django's zone is UTC, the default here, the C loader's
result is exactly what Django's loader returns: the same instant with `datetime.timezone.utc`
(psycopg's `_tz.get_tzinfo` maps the session's "UTC" to it). For any other zone Django's loader stays.
"""

from datetime import UTC
from functools import lru_cache

import psycopg
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format


class UTCTimestamptzLoader(Loader):
    """psycopg's default `timestamptz` text loader (C with psycopg[binary]), under a class Django accepts.

    Django's `create_cursor` compares its zone with the registered loader class's `timezone` and
    registers its own loader on the cursor when they differ, so the class carries it; psycopg's C class
    cannot carry it (it cannot be subclassed or given attributes), so each instance hands its `load`
    over to one.
    """

    timezone = UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        # psycopg's transformer looks `load` up on the instance once per result column, so the bound C
        # method is what runs for each value.
        self.load = psycopg.adapters.get_loader(oid, Format.TEXT)(oid, context).load

    def load(self, data):  # replaced per instance in __init__; declared for the abstract base class
        raise NotImplementedError


@lru_cache
def with_psycopg_timestamptz_loader(template, zone):
    """Django's adapters map for a connection, with the C loader when Django's zone is UTC."""
    if zone != UTC:
        return template
    adapters = AdaptersMap(template)
    adapters.register_loader("timestamptz", UTCTimestamptzLoader)
    return adapters
