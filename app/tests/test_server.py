import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase
from granian import Granian
from granian.constants import HTTPModes, Interfaces

from config import server as server_module
from tests import live
from tests.live import Server, server_env

# The ECS task definition's container health check, verbatim (the test substitutes the port and the
# migration marker's path: nothing migrates here).
ECS_HEALTH_CHECK = (
    "import os,sys,urllib.request; sys.exit(0 if os.path.exists('/tmp/migrating') or urllib.request.urlopen("
    "'http://127.0.0.1:8000/api/v1/health/', timeout=3).status == 200 else 1)"
)
SETTINGS_VARIABLES = (
    "WEB_CONCURRENCY",
    "SERVER_THREADS",
    "SERVER_THREAD_IDLE_TIMEOUT",
    "SERVER_GRACEFUL_TIMEOUT",
    "SERVER_BIND",
    "SERVER_ACCESS_LOG",
)
ALB_IDLE_TIMEOUT = 60  # infra/loadbalancer.go


def load_options(**env):
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return server_module.options()


class ServerOptionsTests(SimpleTestCase):
    def test_granian_accepts_every_option(self):
        server = Granian(**load_options())  # an unknown name is a TypeError; granian checks the values

        self.assertEqual((server.bind_addr, server.bind_port, server.workers), ("0.0.0.0", 8000, 1))

    def test_defaults_suit_a_small_fargate_task_behind_an_alb(self):
        options = load_options()

        self.assertEqual((options["address"], options["port"]), ("0.0.0.0", 8000))
        self.assertEqual(options["target"], "config.wsgi:application")
        self.assertEqual(options["interface"], Interfaces.WSGI)
        self.assertEqual(options["workers"], 1)  # one per vCPU: Fargate's 0.25-1 vCPU sizes
        self.assertEqual(options["blocking_threads"], 4)
        self.assertEqual(options["blocking_threads_idle_timeout"], 30)
        self.assertEqual(options["http"], HTTPModes.http1)
        self.assertEqual(options["workers_kill_timeout"], 25)
        # The ALB must be the side that closes an idle connection (a 502 otherwise).
        self.assertGreater(options["http1_settings"].header_read_timeout, ALB_IDLE_TIMEOUT * 1000)
        self.assertTrue(options["log_access"])
        self.assertTrue(options["respawn_failed_workers"])

    def test_sizes_come_from_the_environment(self):
        options = load_options(
            WEB_CONCURRENCY="5",
            SERVER_THREADS="1",
            SERVER_THREAD_IDLE_TIMEOUT="600",
            SERVER_GRACEFUL_TIMEOUT="10",
            SERVER_BIND="127.0.0.1:9000",
            SERVER_ACCESS_LOG="off",
        )

        self.assertEqual((options["workers"], options["blocking_threads"]), (5, 1))
        self.assertEqual(options["blocking_threads_idle_timeout"], 600)
        self.assertEqual(options["workers_kill_timeout"], 10)
        self.assertEqual((options["address"], options["port"]), ("127.0.0.1", 9000))
        self.assertFalse(options["log_access"])

    def test_the_cpu_count_is_never_consulted(self):
        with mock.patch("os.cpu_count", return_value=64), mock.patch("multiprocessing.cpu_count", return_value=64):
            self.assertEqual(load_options()["workers"], 1)

    def test_a_bad_value_stops_the_server_with_the_variable_named(self):
        cases = [
            ("WEB_CONCURRENCY", "two"),
            ("WEB_CONCURRENCY", "0"),
            ("SERVER_THREADS", "0"),
            ("SERVER_THREAD_IDLE_TIMEOUT", "4"),
            ("SERVER_THREAD_IDLE_TIMEOUT", "601"),
            ("SERVER_GRACEFUL_TIMEOUT", "soon"),
            ("SERVER_BIND", "8000"),
            ("SERVER_BIND", "0.0.0.0:http"),
            ("SERVER_ACCESS_LOG", "sometimes"),
        ]
        for name, value in cases:
            with self.subTest(name=name, value=value), self.assertRaises(ImproperlyConfigured) as caught:
                load_options(**{name: value})
            self.assertIn(name, str(caught.exception))


class LiveServerTests(SimpleTestCase):
    """The real server with this configuration, as the container runs it (apart from the port)."""

    def start(self, app="config.wsgi:application", **env):
        server = Server(server_env(DJANGO_ALLOWED_HOSTS="api.example.com", DB_SQLITE=1, **env), app=app)
        self.addCleanup(server.close)
        return server

    def health_check(self, port):
        command = ECS_HEALTH_CHECK.replace(":8000/", f":{port}/").replace("/tmp/migrating", "/nonexistent/migrating")
        return subprocess.run([sys.executable, "-c", command], capture_output=True, timeout=10).returncode

    def wait_until_healthy(self, server, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                self.fail("the server exited:\n" + server.output())
            if self.health_check(server.port) == 0:
                return
            time.sleep(0.2)
        self.fail("the server never became healthy")

    def test_serves_health_checks_and_the_api_then_stops_cleanly_on_sigterm(self):
        server = self.start(WEB_CONCURRENCY=2, SERVER_THREADS=2, SERVER_GRACEFUL_TIMEOUT=5)
        self.wait_until_healthy(server)

        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/v1/health/", timeout=5) as response:
            self.assertEqual(json.load(response), {"status": "ok"})
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/v1/tasks/", headers={"Host": "api.example.com"}
        )
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        self.assertEqual(caught.exception.code, 401)  # the app answered, and wants a token

        started = time.monotonic()
        server.terminate()
        server.process.wait(timeout=20)
        output = server.output()

        self.assertEqual(server.process.returncode, 0, output)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(output.count("Started worker-"), 2, output)
        self.assertIn('"GET /api/v1/health/ HTTP/1.1" 200', output)  # access log on stdout

    def test_a_url_of_64_kib_is_refused_by_the_server_and_a_shorter_one_reaches_the_app(self):
        """What the schema's 414 says (core.schema.URI_TOO_LONG): hyper's limit, an empty body."""
        server = self.start()
        self.wait_until_healthy(server)

        def get(length):
            path = "/api/v1/tasks/?q=" + "a" * (length - len("/api/v1/tasks/?q="))
            return live.request(server.port, "GET", path, headers={"Host": "api.example.com"})

        shorter, longer = get(60 * 1024), get(64 * 1024)

        self.assertEqual(shorter.status, 401)  # the app's answer: no token
        self.assertEqual((longer.status, longer.body), (414, b""))

    def test_long_lived_connections_spread_over_the_workers(self):
        # The ALB keeps its connections open; each stays with the worker that accepted it. On one shared
        # socket a busy worker took them all (BENCHMARKS.md); granian gives each worker a socket of its
        # own on Linux (SO_REUSEPORT), and the kernel assigns connections to them by address.
        server = self.start(WEB_CONCURRENCY=2, SERVER_THREADS=2)
        self.wait_until_healthy(server)
        deadline = time.monotonic() + 10
        while len(server.sockets("0A")) < 2 and time.monotonic() < deadline:  # the second worker binds late
            time.sleep(0.05)

        listening = server.worker_sockets("0A")
        self.assertEqual(len(listening), 2, listening)
        self.assertTrue(all(len(inodes) == 1 for inodes in listening.values()), listening)
        self.assertEqual(len(set.union(*listening.values())), 2, f"the workers share one socket: {listening}")

        # All 24 connections on one of the 2 workers would have a probability of 2 in 2**24.
        connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(24)]
        try:
            for connection in connections:
                connection.request("GET", "/api/v1/health/")
                self.assertEqual(connection.getresponse().read(), b'{"status":"ok"}')

            counts = server.connections_per_worker()
        finally:
            for connection in connections:
                connection.close()

        self.assertEqual(sum(counts.values()), 24, counts)
        self.assertTrue(all(counts.values()), f"a worker holds none of the connections: {counts}")

    def test_sigterm_finishes_in_flight_requests_refuses_new_ones_and_exits_long_before_the_stop_timeout(self):
        """ECS stops a task with SIGTERM, then SIGKILL after stopTimeout (30 s).

        The production sizes (1 worker x 4 threads, graceful timeout 25 s); only the WSGI app is
        wrapped (tests/hold_wsgi.py) so that requests are verifiably inside the app at the signal.
        """
        hold_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, hold_dir, True)
        server = self.start("tests.hold_wsgi:application", TEST_HOLD_DIR=hold_dir)
        self.wait_until_healthy(server)
        slots, hold = 2 * 4, 2.0

        results = [None] * slots

        def call(i):
            results[i] = live.request(
                server.port, "GET", "/api/v1/health/", headers={"X-Test-Hold": str(hold)}, timeout=30
            )

        clients = [threading.Thread(target=call, args=(i,)) for i in range(slots)]
        for client in clients:
            client.start()
        # Signal once every request is inside the app, or (when one worker accepted more than its
        # 4 threads) inside the app or queued in that worker: half at least, and no new one for 0.3 s.
        deadline, seen, last_change = time.monotonic() + hold, 0, time.monotonic()
        while True:
            count = len(os.listdir(hold_dir))
            if count != seen:
                seen, last_change = count, time.monotonic()
            if count == slots or (count >= slots // 2 and time.monotonic() - last_change > 0.3):
                break
            self.assertLess(time.monotonic(), deadline, f"only {count} requests reached the app")
            time.sleep(0.01)

        signalled = time.monotonic()
        server.terminate()
        # A fresh connection every 50 ms after the signal, each in its own thread (one may wait
        # for a free worker thread), until the server is gone.
        probes, probe_threads = [], []

        def probe():
            probes.append(live.request(server.port, "GET", "/api/v1/health/", timeout=10))

        while server.process.poll() is None and time.monotonic() - signalled < 35:
            probe_threads.append(threading.Thread(target=probe))
            probe_threads[-1].start()
            time.sleep(0.05)
        server.process.wait(timeout=35)
        exited = time.monotonic() - signalled
        for thread in clients + probe_threads:
            thread.join(timeout=35)
        probes.sort(key=lambda o: o.started)
        output = server.output()

        self.assertEqual(server.process.returncode, 0, output)
        # Queued requests start when a thread frees up: at most two holds, then exit, not 25 s later.
        self.assertLess(exited, 2 * hold + 3, "exit should follow the last in-flight request")
        for outcome in results:
            self.assertEqual((outcome.kind, outcome.status), ("http", 200), outcome)
            self.assertEqual(outcome.json(), {"status": "ok"})
        in_flight = [o for o in results if o.finished > signalled]
        self.assertEqual(len(in_flight), slots, "every request was still in flight at SIGTERM")
        self.assertNotIn("Killing worker", output)  # every worker stopped by itself, none was SIGKILLed

        kinds = [o.kind if o.kind != "http" else f"http {o.status}" for o in probes]
        self.assertTrue(probes, "no probe ran before the server exited")
        self.assertLessEqual(set(kinds), {"refused", "reset", "http 200"}, kinds)  # never a hang or a 5xx
        # New connections stop being served once the workers notice the signal: granian's workers close
        # their listening sockets at once, so a new connection is refused (the ALB tries another target).
        unanswered = [i for i, kind in enumerate(kinds) if kind != "http 200"]
        self.assertTrue(unanswered, "every new connection was still served after the signal")
        first_unanswered = unanswered[0]
        self.assertLessEqual(set(kinds[first_unanswered:]), {"reset", "refused"}, kinds)
        live.report(
            "sigterm",
            f"{len(in_flight)} requests in flight at SIGTERM ({seen} inside the app, {slots - seen} queued in a "
            f"worker), all 200; probes after it: {_runs(kinds)}; first unanswered opened "
            f"{probes[first_unanswered].started - signalled:.2f}s after the signal; "
            f"exit code 0 after {exited:.2f}s (stop timeout 30 s)",
        )


def _runs(items):
    """["a", "a", "b"] -> "2x a, 1x b" (in order)."""
    out = []
    for item in items:
        if out and out[-1][1] == item:
            out[-1][0] += 1
        else:
            out.append([1, item])
    return ", ".join(f"{n}x {item}" for n, item in out)
