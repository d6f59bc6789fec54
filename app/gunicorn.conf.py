"""gunicorn settings for the container (gunicorn 27, as requirements.lock pins it).

Sized by environment variables, never by the CPU count: Fargate reports the host's CPUs, not the
task's share (a 0.25 vCPU task sees 2).
"""

import os

from config import env  # gunicorn puts its working directory (/app) on sys.path first

bind = "0.0.0.0:8000"

# One worker per vCPU, at least one: on a 0.25-1 vCPU task a second worker adds no CPU, and on one
# core two cost 9-21 % more CPU per request and 3-4x the p99 latency (BENCHMARKS.md, "Workers per core").
workers = env.integer("WEB_CONCURRENCY", 1, minimum=1)
threads = env.integer("GUNICORN_THREADS", 4, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"

# A worker whose main loop goes this long without a heartbeat is killed and replaced. A gthread
# worker's loop runs apart from its request threads, so a slow request is not killed (only a sync
# worker's would be): a request waiting on the database is bounded by config/database.py's timeouts.
timeout = 30
# On SIGTERM, let in-flight requests finish for this long; must stay below the ECS stopTimeout
# (30 s by default), or ECS sends SIGKILL mid-request.
graceful_timeout = env.integer("GUNICORN_GRACEFUL_TIMEOUT", 25, minimum=1)
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections
# over them by their address. With one shared socket, whichever worker happened to be awake took the
# ALB's long-lived connections, often all of them, leaving the other worker idle (BENCHMARKS.md,
# "Connection spread"). The kernel's choice ignores how busy a worker is; each keeps its share.
reuse_port = True

# Longer than the ALB's idle timeout (60 s), so the ALB, not gunicorn, closes idle connections:
# otherwise a request can arrive on a connection gunicorn is closing, and the client gets a 502.
keepalive = 75

# Worker recycling is off by default: a gthread worker restarted by max_requests drops the keep-alive
# connections it has queued (gunicorn issue #3038), which the ALB turns into 502s; bench/throughput.sh
# measured 49 dropped connections in 10 s runs with max_requests=1000. Set GUNICORN_MAX_REQUESTS to
# bound memory growth anyway; the jitter keeps workers from restarting at the same moment.
max_requests = env.integer("GUNICORN_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = max_requests // 10

# Import the application once in the master: a broken configuration stops the container at
# start-up with one clear error, and workers fork ready to serve.
preload_app = True

# Only the ALB can reach the container port, so its X-Forwarded-* headers are trusted.
forwarded_allow_ips = "*"

# Worker heartbeats are file writes: keep them in memory rather than on the container's overlay.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn 25.1+ opens a control socket (for `gunicornc`) under $HOME, which the app user has not
# got (/nonexistent): it logged an error at every start. Nothing here uses it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'
