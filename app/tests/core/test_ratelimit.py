import threading
import time
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TestCase, TransactionTestCase, override_settings
from rest_framework.test import APIRequestFactory

from core import ratelimit
from core.models import RateLimitCounter

RATES = {"REST_FRAMEWORK": {"DEFAULT_THROTTLE_RATES": {"test": "3/minute", "long": "2/15m"}}}


class ParseRateTests(unittest.TestCase):
    def test_drf_rates_and_multiples_of_a_unit(self):
        cases = {
            "10/minute": (10, 60),
            "60/min": (60, 60),
            "5/s": (5, 1),
            "1/hour": (1, 3600),
            "100/day": (100, 86400),
            "10/15m": (10, 900),
            "3/2h": (3, 7200),
        }
        for rate, expected in cases.items():
            with self.subTest(rate=rate):
                self.assertEqual(ratelimit.parse_rate(rate), expected)

    def test_anything_else_is_refused(self):
        for rate in ("10", "ten/minute", "10/fortnight", "10/", "/minute", "-1/minute"):
            with self.subTest(rate=rate), self.assertRaises(ValueError):
                ratelimit.parse_rate(rate)


@override_settings(**RATES)
class HitTests(TestCase):
    def test_counts_each_identity_separately_and_says_when_it_is_exceeded(self):
        counts = [ratelimit.hit("test", "192.0.2.1") for _ in range(4)]
        other = ratelimit.hit("test", "192.0.2.2")

        self.assertEqual([c.count for c in counts], [1, 2, 3, 4])
        self.assertEqual([c.exceeded for c in counts], [False, False, False, True])
        self.assertEqual((other.count, other.exceeded), (1, False))

    def test_scopes_count_separately(self):
        ratelimit.hit("test", "192.0.2.1")

        self.assertEqual(ratelimit.hit("long", "192.0.2.1").count, 1)

    def test_a_window_is_fixed_from_its_first_request_then_starts_afresh(self):
        start = 1_800_000_000.0
        with mock.patch("core.ratelimit.time.time", return_value=start):
            first = ratelimit.hit("long", "192.0.2.1")
        with mock.patch("core.ratelimit.time.time", return_value=start + 899):
            last_in_window = ratelimit.hit("long", "192.0.2.1")
        with mock.patch("core.ratelimit.time.time", return_value=start + 900):
            next_window = ratelimit.hit("long", "192.0.2.1")

        self.assertEqual((first.count, first.retry_after), (1, 900))
        self.assertEqual((last_in_window.count, last_in_window.retry_after), (2, 1))
        self.assertEqual((next_window.count, next_window.retry_after), (1, 900))

    def test_refund_takes_one_back_but_never_below_zero(self):
        ratelimit.hit("test", "192.0.2.1")
        ratelimit.hit("test", "192.0.2.1")

        ratelimit.refund("test", "192.0.2.1")
        ratelimit.refund("test", "192.0.2.1")
        ratelimit.refund("test", "192.0.2.1")
        ratelimit.refund("test", "never-counted")

        self.assertEqual(ratelimit.hit("test", "192.0.2.1").count, 1)

    def test_counters_of_ended_windows_are_removed_when_a_new_window_starts(self):
        start = time.time()
        for n in range(5):
            ratelimit.hit("test", f"192.0.2.{n}")
        with mock.patch("core.ratelimit.time.time", return_value=start + 61):
            ratelimit.hit("test", "192.0.2.200")

        self.assertEqual(RateLimitCounter.objects.count(), 1)

    def test_identities_are_stored_hashed_and_bounded(self):
        ratelimit.hit("test", "alice@example.com")
        ratelimit.hit("test", "x" * 10_000)

        keys = list(RateLimitCounter.objects.values_list("key", flat=True))
        self.assertFalse(any("alice" in key for key in keys))
        self.assertTrue(all(len(key) <= RateLimitCounter._meta.get_field("key").max_length for key in keys))


class ClientAddressTests(unittest.TestCase):
    def test_the_entry_the_load_balancer_appended_else_the_peer(self):
        factory = APIRequestFactory()
        cases = [
            ({"REMOTE_ADDR": "10.0.1.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "203.0.113.9"),
            ({"REMOTE_ADDR": "10.0.1.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}, "203.0.113.9"),
            ({"REMOTE_ADDR": "10.0.1.5"}, "10.0.1.5"),
        ]
        for meta, expected in cases:
            with self.subTest(meta=meta):
                self.assertEqual(ratelimit.client_address(factory.get("/", **meta)), expected)


@unittest.skipUnless(connection.vendor == "postgresql", "concurrent writers need PostgreSQL")
@override_settings(**RATES)
class ConcurrentHitTests(TransactionTestCase):
    def test_concurrent_requests_get_distinct_counts(self):
        # Read-then-write counting (DRF's throttles on Django's cache) gives some of them the same one.
        threads, barrier, counts = 8, threading.Barrier(8), []

        def count():
            try:
                barrier.wait()
                for _ in range(10):
                    counts.append(ratelimit.hit("test", "192.0.2.1").count)
            finally:
                connections.close_all()

        workers = [threading.Thread(target=count) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        self.assertEqual(sorted(counts), list(range(1, threads * 10 + 1)))
