import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase
from gunicorn.config import KNOWN_SETTINGS, Config

from tests.helpers import APP_DIR

CONF = str(APP_DIR / "gunicorn.conf.py")

# The ECS task definition's container health check, verbatim (the test substitutes the port).
ECS_HEALTH_CHECK = (
    "import sys,urllib.request; sys.exit(0 if urllib.request.urlopen("
    "'http://127.0.0.1:8000/api/v1/health/', timeout=3).status == 200 else 1)"
)
SETTINGS_VARIABLES = ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_GRACEFUL_TIMEOUT")


def load_conf(**env):
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        namespace = runpy.run_path(CONF)
    return {k: v for k, v in namespace.items() if k in {s.name for s in KNOWN_SETTINGS}}


class GunicornConfTests(SimpleTestCase):
    def test_every_setting_is_one_gunicorn_knows_and_accepts(self):
        namespace = runpy.run_path(CONF)
        public = {k for k, v in namespace.items() if not k.startswith("_") and not isinstance(v, type(os))}
        known = {s.name for s in KNOWN_SETTINGS}

        self.assertEqual(public - known, set(), "gunicorn silently ignores unknown names")
        config = Config()
        for name in public:
            config.set(name, namespace[name])  # runs gunicorn's own validation

    def test_defaults_suit_a_small_fargate_task_behind_an_alb(self):
        conf = load_conf()

        self.assertEqual(conf["bind"], "0.0.0.0:8000")
        self.assertEqual(conf["workers"], 2)
        self.assertEqual((conf["worker_class"], conf["threads"]), ("gthread", 4))
        self.assertEqual(conf["timeout"], 30)
        self.assertEqual(conf["graceful_timeout"], 25)
        self.assertGreater(conf["keepalive"], 60)  # the ALB idle timeout
        self.assertGreater(conf["max_requests"], 0)
        self.assertGreater(conf["max_requests_jitter"], 0)
        self.assertEqual((conf["accesslog"], conf["errorlog"]), ("-", "-"))

    def test_sizes_come_from_the_environment(self):
        conf = load_conf(WEB_CONCURRENCY="5", GUNICORN_THREADS="1", GUNICORN_GRACEFUL_TIMEOUT="10")

        self.assertEqual((conf["workers"], conf["threads"], conf["worker_class"]), (5, 1, "sync"))
        self.assertEqual(conf["graceful_timeout"], 10)

    def test_the_cpu_count_is_never_consulted(self):
        with mock.patch("os.cpu_count", return_value=64), mock.patch("multiprocessing.cpu_count", return_value=64):
            self.assertEqual(load_conf()["workers"], 2)

    def test_a_bad_number_stops_gunicorn_with_the_variable_named(self):
        for value in ("two", "0"):
            with self.subTest(value=value), self.assertRaises(ImproperlyConfigured) as caught:
                load_conf(WEB_CONCURRENCY=value)
            self.assertIn("WEB_CONCURRENCY", str(caught.exception))


class LiveGunicornTests(SimpleTestCase):
    """The real server with this configuration, as the container runs it (apart from the port)."""

    def setUp(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEB_", "GUNICORN_"))}
        env.update(
            DJANGO_SECRET_KEY="live-gunicorn-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DJANGO_ALLOWED_HOSTS="api.example.com",
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="2",
            GUNICORN_GRACEFUL_TIMEOUT="5",
        )
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
             "config.wsgi:application"],
            cwd=APP_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def tearDown(self):
        if self.server.poll() is None:
            self.server.kill()
            self.server.communicate()

    def health_check(self):
        command = ECS_HEALTH_CHECK.replace(":8000/", f":{self.port}/")
        return subprocess.run([sys.executable, "-c", command], capture_output=True, timeout=10).returncode

    def wait_until_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                self.fail("gunicorn exited:\n" + self.server.communicate()[0])
            if self.health_check() == 0:
                return
            time.sleep(0.2)
        self.fail("gunicorn never became healthy")

    def test_serves_health_checks_and_the_api_then_stops_cleanly_on_sigterm(self):
        self.wait_until_healthy()

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/health/", timeout=5) as response:
            self.assertEqual(json.load(response), {"status": "ok"})
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v1/tasks/", headers={"Host": "api.example.com"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        self.assertEqual(caught.exception.code, 401)  # the app answered, and wants a token

        started = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        output = self.server.communicate(timeout=20)[0]

        self.assertEqual(self.server.returncode, 0, output)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(output.count("Booting worker with pid"), 2, output)
        self.assertIn('"GET /api/v1/health/ HTTP/1.1" 200', output)  # access log on stdout
