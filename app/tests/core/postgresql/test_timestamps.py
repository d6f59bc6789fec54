"""core.postgresql.timestamps on a real PostgreSQL: psycopg's C loader reads `timestamptz` exactly as
Django's loader does. PostgreSQL pass only."""

import unittest
from datetime import UTC
from zoneinfo import ZoneInfo

import psycopg
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test import TestCase
from psycopg.pq import Format

from core.postgresql.timestamps import UTCTimestamptzLoader, with_psycopg_timestamptz_loader
from tasks.models import Task
from tests.helpers import make_user

TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid

# What a client can send and what the columns hold: whole seconds, every fraction length, offsets
# east and west (with minutes and seconds), a leap day, the first and last years Python can hold.
VALUES = [
    "2026-11-30 09:15:00+00",
    "2026-11-30 09:15:00.5+00",
    "2026-11-30 09:15:00.123456+00",
    "2026-11-30 09:15:00.000001+00",
    "2026-11-30 18:15:00.25+09",
    "2026-11-30 03:44:59.999999-05:30",
    "2024-02-29 23:59:59.9+05:45:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def read(cursor, values):
    cursor.execute("SELECT v::timestamptz FROM unnest(%s::text[]) AS v", [values])
    return [row[0] for row in cursor.fetchall()]


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL (runs in test.sh's PostgreSQL pass)")
class TimestamptzLoaderTests(TestCase):
    def test_every_value_reads_as_djangos_loader_reads_it(self):
        with connection.cursor() as cursor:
            ours = read(cursor, VALUES)
        with connection.cursor() as cursor:
            register_tzloader(connection.timezone, cursor.cursor)  # what Django 5.2 registers
            djangos = read(cursor, VALUES)
        self.assertEqual(len(ours), len(VALUES))
        for value, mine, theirs in zip(VALUES, ours, djangos, strict=True):
            with self.subTest(value=value):
                self.assertEqual(mine, theirs)
                self.assertIs(mine.tzinfo, theirs.tzinfo)
                self.assertIs(mine.tzinfo, UTC)

    def test_the_connection_reads_timestamps_with_psycopgs_own_loader(self):
        connection.ensure_connection()
        self.assertIs(connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT), UTCTimestamptzLoader)
        with connection.cursor() as cursor:
            # Django's create_cursor would register its own loader on a cursor whose zone differs.
            self.assertIs(cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT), UTCTimestamptzLoader)
            loader = UTCTimestamptzLoader(TIMESTAMPTZ, cursor.cursor)
        self.assertIs(type(loader.load.__self__), psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT))
        # psycopg[binary], as the locks install it: the C loader, which is the point.
        self.assertEqual(psycopg.pq.__impl__, "binary")
        self.assertEqual(type(loader.load.__self__).__module__, "psycopg_binary._psycopg")

    def test_a_task_read_back_keeps_its_timestamps(self):
        task = Task.objects.create(owner=make_user("clock@example.com"), title="read back")
        stored = Task.objects.get(pk=task.pk)
        self.assertEqual((stored.created_at, stored.updated_at), (task.created_at, task.updated_at))
        self.assertIs(stored.created_at.tzinfo, UTC)


class ZoneTests(unittest.TestCase):
    def test_djangos_loader_stays_for_any_zone_but_utc(self):
        template = psycopg.adapt.AdaptersMap(psycopg.adapters)
        for zone in (ZoneInfo("Asia/Tokyo"), ZoneInfo("UTC"), None):
            with self.subTest(zone=zone):
                self.assertIs(with_psycopg_timestamptz_loader(template, zone), template)
        utc = with_psycopg_timestamptz_loader(template, UTC)
        self.assertIsNot(utc, template)
        self.assertIs(utc.get_loader(TIMESTAMPTZ, Format.TEXT), UTCTimestamptzLoader)
