"""Shared test helpers: users, tokens, the admin's URLs, processes, an unreachable database."""

import importlib
import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connections
from django.db.utils import load_backend
from django.test import override_settings
from django.urls import clear_url_caches
from rest_framework import test
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services as account_services

APP_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "TestPass123"


class APITestCase(test.APITestCase):
    # Rate-limit counters are database rows (core.ratelimit): each test's transaction rolls them back.

    def log_in(self, user):
        """Send an access token for `user` with every following request."""
        token = RefreshToken.for_user(user).access_token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def log_out(self):
        self.client.credentials()


@contextmanager
def admin_enabled():
    """DJANGO_ADMIN_ENABLED on for the block. config.urls reads it when imported, so import it again."""
    import config.urls

    def reload_urls():
        importlib.reload(config.urls)
        clear_url_caches()

    try:
        with override_settings(ADMIN_ENABLED=True):
            reload_urls()
            yield
    finally:
        reload_urls()  # with the setting restored: no admin again


def make_user(email="alice@example.com", password=PASSWORD, name="Alice Example"):
    return account_services.register_user(email=email, password=password, name=name)


def run_app_process(args, env_overrides=None, drop=(), timeout=60):
    """Run `python <args>` in the app directory with the current environment, adjusted."""
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, *args], cwd=APP_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


@contextmanager
def database_unreachable():
    """Swap the default connection for one to a database that is not there (for this thread)."""
    original = connections["default"]
    settings_dict = dict(original.settings_dict)
    if original.vendor == "postgresql":
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    else:
        settings_dict.update(NAME="/nonexistent-directory/db.sqlite3")
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = broken
    try:
        yield
    finally:
        connections["default"] = original
        broken.close()
