"""schemathesis hooks for tests/fuzz.py (loaded through app/schemathesis.toml)."""

import itertools

import schemathesis

_client_numbers = itertools.count(1)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Registration and failed logins are limited per client address (10 a minute), which the server
    # reads from X-Forwarded-For (NUM_PROXIES = 1, as behind the ALB). Each request comes from a client
    # of its own (IPv6 documentation addresses, never contacted), so the fuzzer reaches the logic
    # behind the limits instead of collecting 429s. (The per-account login limit still answers 429
    # when one generated address fails 10 times, which the schema documents.)
    case.headers = {**(case.headers or {}), "X-Forwarded-For": f"2001:db8::{next(_client_numbers):x}"}
