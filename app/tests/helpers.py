"""Shared test helpers: users, tokens, and a client with the throttle counters reset."""
import os
import subprocess
import sys
from pathlib import Path

from django.core.cache import cache
from rest_framework import test
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services as account_services

APP_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "TestPass123"


class APITestCase(test.APITestCase):
    def setUp(self):
        super().setUp()
        cache.clear()  # throttle counters live in the cache and would leak between tests

    def log_in(self, user):
        """Send an access token for `user` with every following request."""
        token = RefreshToken.for_user(user).access_token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def log_out(self):
        self.client.credentials()


def make_user(email="alice@example.com", password=PASSWORD, name="Alice Example"):
    return account_services.register_user(email=email, password=password, name=name)


def run_app_process(args, env_overrides=None, drop=(), timeout=60):
    """Run `python <args>` in the app directory with the current environment, adjusted."""
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, *args], cwd=APP_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
