"""The container's HTTP server: granian running the WSGI application, sized by environment variables.

    python -m config.server [--app MODULE:ATTRIBUTE]

It listens on SERVER_BIND (HOST:PORT, default 0.0.0.0:8000: the port the task definition maps;
the tests bind a free loopback port instead). --app serves another WSGI application (the tests').

granian parses HTTP and keeps the connections in Rust, and calls the application on a pool of
Python threads. gunicorn's gthread worker, before it, handed every request between Python threads in
its main loop: measured against the seed command in the same rounds, granian takes 6-18 % less CPU per
request (BENCHMARKS.md, "The server" and "Reading these numbers").

Sized by environment variables, never by the CPU count: Fargate reports the host's CPUs, not the
task's share (a 0.25 vCPU task sees 2).
"""

import argparse
import importlib

from django.core.exceptions import ImproperlyConfigured
from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings

from config import env

BIND = "0.0.0.0:8000"
APPLICATION = "config.wsgi:application"

# Longer than the ALB's idle timeout (60 s), so the ALB, not the server, closes idle connections:
# otherwise a request can arrive on a connection the server is closing, and the client gets a 502.
# granian's HTTP/1 header read timeout is that idle limit too: it runs from the end of a response
# until the next request's headers are in (hyper), so it also bounds a client that is slow to send.
KEEPALIVE_SECONDS = 75

# The access log: the client (the ALB puts it in X-Forwarded-For), request, status, duration, agent.
ACCESS_LOG_FORMAT = (
    '%(header{x-forwarded-for})s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms "%(header{user-agent})s"'
)


def options(application=APPLICATION):
    """granian's arguments for this environment; a bad variable raises ImproperlyConfigured naming it."""
    bind = env.text("SERVER_BIND", BIND)
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(f"SERVER_BIND={bind!r} is not HOST:PORT")
    workers = env.integer("WEB_CONCURRENCY", 1, minimum=1)  # one per vCPU: BENCHMARKS.md "Workers per core"
    threads = env.integer("SERVER_THREADS", 4, minimum=1)  # requests a worker runs at once
    # A thread idle this long ends, and its database connection is closed with it (core.postgresql).
    idle = env.integer("SERVER_THREAD_IDLE_TIMEOUT", 30, minimum=5, maximum=600)  # granian's bounds
    graceful = env.integer("SERVER_GRACEFUL_TIMEOUT", 25, minimum=1)
    return {
        "target": application,
        "address": host,
        "port": int(port),
        "interface": Interfaces.WSGI,
        "workers": workers,
        "blocking_threads": threads,
        "blocking_threads_idle_timeout": idle,
        "http": HTTPModes.http1,  # the ALB speaks HTTP/1.1 to its targets
        "websockets": False,
        "http1_settings": HTTP1Settings(header_read_timeout=KEEPALIVE_SECONDS * 1000),
        # On SIGTERM a worker stops accepting, finishes its requests and exits; one that has not after
        # this many seconds is killed. Must stay below the ECS stopTimeout (30 s by default), or ECS
        # sends SIGKILL mid-request (infra.GracefulTimeout sets it from the stack's stopTimeout).
        "workers_kill_timeout": graceful,
        "respawn_failed_workers": True,  # a crashed worker is replaced, as gunicorn's master did
        # A line per request on stdout (CloudWatch Logs); off where the ALB's access logs cover it.
        "log_access": env.flag("SERVER_ACCESS_LOG", True),
        "log_access_format": ACCESS_LOG_FORMAT,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m config.server", description=__doc__.splitlines()[0])
    parser.add_argument("--app", default=APPLICATION, help=f"WSGI application (default {APPLICATION})")
    args = parser.parse_args(argv)
    server = Granian(**options(args.app))
    # Import the application before the workers fork: a broken configuration stops the container at
    # start-up with one clear error, and the workers start with it loaded (and its pages shared).
    module, _, attribute = args.app.partition(":")
    getattr(importlib.import_module(module), attribute)
    server.serve()


if __name__ == "__main__":
    main()
