"""Rate limits that hold across server workers, tasks and restarts: counters in the database.

A limit is a scope's rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("10/minute", "10/15m": a
count per window of seconds, minutes, hours or days), counted per identity (a client address, an
account) in a fixed window that starts with the identity's first counted request.

DRF's own throttles keep a list of timestamps in Django's cache and write it back after reading it,
so concurrent requests overwrite each other's counts, and a database cache culls entries (live
counters included) once it holds MAX_ENTRIES keys. Here one INSERT … ON CONFLICT DO UPDATE …
RETURNING statement (PostgreSQL 9.5+, SQLite 3.35+) both counts and reads, so N concurrent requests
get N distinct counts.
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .models import RateLimitCounter

_PERIOD = re.compile(r"(?P<multiple>\d*)(?P<unit>[smhd])[a-z]*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Count:
    count: int  # this request's number in the window, counting it
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def exceeded(self):
        return self.count > self.limit


def parse_rate(rate):
    """ "10/minute" -> (10, 60); "10/15m" -> (10, 900)."""
    number, _, period = rate.partition("/")
    match = _PERIOD.fullmatch(period.strip())
    if not number.strip().isdigit() or not match:
        raise ValueError(f"not a rate: {rate!r} (expected e.g. 10/minute or 10/15m)")
    return int(number), int(match["multiple"] or 1) * _SECONDS[match["unit"]]


def client_address(request):
    """The client as DRF's throttles identify it: the X-Forwarded-For entry NUM_PROXIES from the
    right (the address the load balancer saw), else REMOTE_ADDR."""
    return BaseThrottle().get_ident(request)


def hit(scope, ident):
    """Count one request of `ident` against `scope`'s rate."""
    limit, seconds = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[scope])
    now = time.time()
    meta, quote = RateLimitCounter._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    key, count, window_ends = (quote(meta.get_field(name).column) for name in ("key", "count", "window_ends"))
    with connection.cursor() as cursor:
        # In ON CONFLICT DO UPDATE, bare column names are the stored row's (both right-hand sides
        # see the old values) and excluded.* the row this INSERT proposed.
        cursor.execute(
            f"INSERT INTO {table} ({key}, {count}, {window_ends}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{count} = CASE WHEN {table}.{window_ends} > %s THEN {table}.{count} + 1 ELSE 1 END, "
            f"{window_ends} = CASE WHEN {table}.{window_ends} > %s "
            f"THEN {table}.{window_ends} ELSE excluded.{window_ends} END "
            f"RETURNING {count}, {window_ends}",
            [_key(scope, ident), now + seconds, now, now],
        )
        number, ends = cursor.fetchone()
    if number == 1:
        # A new window: drop the counters whose windows are over (they count nothing any more), so
        # the table holds about one row per identity seen within the longest window.
        RateLimitCounter.objects.filter(window_ends__lt=now).delete()
    return Count(count=number, limit=limit, retry_after=max(1, math.ceil(ends - now)))


def refund(scope, ident):
    """Take back one counted request: one that turned out not to be what the limit counts."""
    RateLimitCounter.objects.filter(key=_key(scope, ident), count__gt=0).update(count=F("count") - 1)


def _key(scope, ident):
    # Hashed: bounded length whatever the identity, and no addresses or emails stored in clear.
    return f"{scope}:{hashlib.sha256(str(ident).encode()).hexdigest()}"
