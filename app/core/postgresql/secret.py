"""The database credentials in a Secrets Manager secret, read when a connection needs them.

RDS keeps the master user's credentials in a secret with JSON keys `username` and `password` and
rotates the password (every 7 days by default), so the app must not hold the value it started with.
A process reads the secret once, keeps it, and reads it again only after a login with it failed, at
most once every REREAD_INTERVAL seconds for all its threads together.
"""

import json
import logging
import os
import re
import threading
import time

from django.db import OperationalError

logger = logging.getLogger(__name__)

# During a rotation RDS changes the password in the database first and in the secret a moment later;
# re-reading more often than this would not shorten that window, only multiply the calls.
REREAD_INTERVAL = 2.0

ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:(?P<region>[a-z0-9-]+):\d{12}:secret:.+$")


class SecretUnavailable(OperationalError):
    """The secret could not be read: like an unreachable database, a 503 (an OperationalError)."""


def region_of(arn):
    """The region to call: AWS_REGION, else AWS_DEFAULT_REGION, else the secret's own (from its ARN).

    ECS documents both variables for tasks, but botocore reads only AWS_DEFAULT_REGION; the ARN
    names the region the secret lives in, so a task without either still finds it."""
    match = ARN.match(arn)
    if not match:
        raise ValueError(f"{arn!r} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:...)")
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or match["region"]


class SecretCredentials:
    """(username, password) from one secret, shared by every thread of the process."""

    def __init__(self, arn, clock=time.monotonic):
        self.arn = arn
        self.region = region_of(arn)
        self._clock = clock
        self._lock = threading.Lock()
        self._value = None
        self._read_at = None  # when the secret was last asked for, successfully or not

    def current(self):
        with self._lock:
            if self._value is None:
                if self._read_at is not None and self._clock() - self._read_at < REREAD_INTERVAL:
                    raise SecretUnavailable(f"the database secret {self.arn} could not be read a moment ago")
                self._read()
            return self._value

    def reread(self, rejected):
        """The credentials to retry a failed login with: the secret read again, unless another thread
        has already replaced `rejected`, or it was read less than REREAD_INTERVAL seconds ago (then the
        same ones, and the caller gives up)."""
        with self._lock:
            if self._value != rejected:
                return self._value
            if self._clock() - self._read_at < REREAD_INTERVAL:
                return self._value
            logger.warning("database login failed as %r: reading the secret %s again", rejected[0], self.arn)
            self._read()
            return self._value

    def _read(self):
        # Imported here: only a process that reads a secret pays the 0.3 s import.
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self._read_at = self._clock()
        # A client per read: reads are rare, and a client must not be shared across the server's fork.
        # The endpoint comes from AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL when set (tests).
        # Bounded, since a request waits for it (botocore's defaults: 60 s to connect, 60 s to read).
        config = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 2})
        client = boto3.session.Session().client("secretsmanager", region_name=self.region, config=config)
        try:
            secret = client.get_secret_value(SecretId=self.arn)["SecretString"]
        except ClientError as exc:
            raise SecretUnavailable(
                f"reading the database secret {self.arn} failed: {exc.response['Error'].get('Code')}"
            ) from None
        except BotoCoreError as exc:
            raise SecretUnavailable(f"reading the database secret {self.arn} failed: {exc}") from None
        # Never put the secret's text in a message: a parse error would quote it.
        try:
            data = json.loads(secret)
            username, password = data["username"], data["password"]
        except (ValueError, TypeError, KeyError):
            raise SecretUnavailable(
                f"the database secret {self.arn} is not JSON with the keys username and password"
            ) from None
        if not (isinstance(username, str) and isinstance(password, str) and username):
            raise SecretUnavailable(f"the database secret {self.arn} has no username or password string")
        self._value = (username, password)


_credentials = {}
_credentials_lock = threading.Lock()


def credentials_for(arn):
    """The process's one SecretCredentials for `arn` (Django opens a connection per thread)."""
    with _credentials_lock:
        if arn not in _credentials:
            _credentials[arn] = SecretCredentials(arn)
        return _credentials[arn]
