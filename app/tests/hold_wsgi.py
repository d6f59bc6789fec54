"""Test harness only (never in the image's command): the real application behind a WSGI wrapper that
can hold a request, so a test can have requests verifiably in flight when it signals the server.

A request carrying `X-Test-Hold: <seconds>` first leaves a marker file in $TEST_HOLD_DIR (the test
counts them to know the request is being handled), then waits, then gets the real application's
answer. Every other request goes straight through.
"""

import os
import tempfile
import time

from config.wsgi import application as django_application


def application(environ, start_response):
    hold = environ.get("HTTP_X_TEST_HOLD")
    if hold:
        fd, _ = tempfile.mkstemp(dir=os.environ["TEST_HOLD_DIR"], prefix=f"{os.getpid()}-")
        os.close(fd)
        time.sleep(float(hold))
    return django_application(environ, start_response)
