"""Real processes for the live tests: the server as the container runs it (config/server.py), a throwaway PostgreSQL
cluster (scripts/pg.sh) that a test may stop and start again, moto's AWS emulator holding the
database secret, and a small HTTP client that reports every outcome (status, refused, reset,
timeout) instead of raising.

Nothing here is imported by the product; bench/ scripts use it too.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent
PG_SH = APP_DIR / "scripts" / "pg.sh"

# A secret for the servers the tests start (never used anywhere else).
LIVE_SECRET_KEY = "live-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
# Variables that would change the server's behaviour if inherited from the test run's environment.
SERVER_VARIABLE_PREFIXES = ("DJANGO_", "WEB_", "SERVER_", "GRANIAN_", "GUNICORN_", "DB_", "AWS_", "MIGRATION_")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(**overrides):
    """The test process's environment without the server's settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_VARIABLE_PREFIXES)}
    env.update(DJANGO_SECRET_KEY=LIVE_SECRET_KEY, DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def migrate(env, app_dir=APP_DIR, timeout=180):
    """`manage.py migrate_with_lock`, as the container's entrypoint runs it, in a child process."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate_with_lock", "--noinput"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{done.stdout}{done.stderr}")


def report(name, line):
    """One summary line per live test on stderr, only when LIVE_TEST_REPORT=1 (for BENCHMARKS.md)."""
    if os.environ.get("LIVE_TEST_REPORT"):
        print(f"\n[{name}] {line}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# HTTP


class Outcome:
    """What one request ended in: an HTTP status, or "refused", "reset", "timeout", "error:<type>"."""

    __slots__ = ("kind", "status", "body", "started", "finished", "headers")

    def __init__(self, kind, status=None, body=None, started=0.0, finished=0.0, headers=None):
        self.kind, self.status, self.body, self.started, self.finished = kind, status, body, started, finished
        self.headers = headers or {}

    @property
    def seconds(self):
        return self.finished - self.started

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.kind}{'' if self.status is None else ' ' + str(self.status)} in {self.seconds:.3f}s>"


def request(port, method, path, body=None, token=None, headers=None, timeout=10.0):
    """One request on a fresh connection; never raises for network trouble, returns an Outcome."""
    all_headers = {"Connection": "close", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        # response.headers: case-insensitive, as HTTP header names are (granian sends them in lower case).
        return Outcome("http", response.status, data, started, time.monotonic(), response.headers)
    except ConnectionRefusedError:
        return Outcome("refused", started=started, finished=time.monotonic())
    except (ConnectionResetError, BrokenPipeError):  # includes http.client.RemoteDisconnected
        return Outcome("reset", started=started, finished=time.monotonic())
    except TimeoutError:
        return Outcome("timeout", started=started, finished=time.monotonic())
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(f"error:{type(exc).__name__}", started=started, finished=time.monotonic())
    finally:
        connection.close()


def register_and_log_in(port, email, password="LiveTestPass123"):
    """A new user through the API; returns its access token."""
    created = request(port, "POST", "/api/v1/auth/register", {"email": email, "password": password, "name": "Live"})
    if created.status != 201:
        raise AssertionError(f"register {email}: {created!r} {created.body!r}")
    login = request(port, "POST", "/api/v1/auth/login", {"email": email, "password": password})
    if login.status != 200:
        raise AssertionError(f"login {email}: {login!r} {login.body!r}")
    return login.json()["access"]


def list_all_tasks(port, token):
    """Every task the user sees in GET /api/v1/tasks/, following the pages."""
    tasks, page = [], 1
    while True:
        outcome = request(port, "GET", f"/api/v1/tasks/?page_size=100&page={page}", token=token)
        if outcome.status != 200:
            raise AssertionError(f"list page {page}: {outcome!r} {outcome.body!r}")
        data = outcome.json()
        tasks.extend(data["results"])
        if not data.get("next"):
            return tasks
        page += 1


def list_all_task_ids(port, token):
    return [task["id"] for task in list_all_tasks(port, token)]


# ---------------------------------------------------------------------------------------------
# The HTTP server


class Server:
    """The server as the container runs it (`python -m config.server`), bound to a free loopback port;
    `command` replaces that command and gets `--bind` (bench/throughput.py runs the seed's gunicorn).

    Its output goes to a file, not a pipe: a busy server's access log would fill a pipe nobody
    reads and block the server. It stays in the caller's process group, so a Ctrl-C or a
    `timeout` that ends the caller's group ends it too.
    """

    def __init__(self, env, app="config.wsgi:application", cwd=APP_DIR, command=None):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)
        bind = f"127.0.0.1:{self.port}"
        if command:
            command = [*command, "--bind", bind]
        else:
            command, env = [sys.executable, "-m", "config.server", "--app", app], {**env, "SERVER_BIND": bind}
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def wait_until_healthy(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the server exited:\n" + self.output())
            if request(self.port, "GET", "/api/v1/health/", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"the server is not healthy after {timeout}s:\n" + self.output())

    def workers(self):
        """The pids of the master's worker processes."""
        pids = []
        for tid in os.listdir(f"/proc/{self.process.pid}/task"):
            pids += [int(pid) for pid in Path(f"/proc/{self.process.pid}/task/{tid}/children").read_text().split()]
        return pids

    def sockets(self, state):
        """Inodes of the TCP sockets on the server's port in this state ("01" established, "0A" listening)."""
        found = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == self.port and fields[3] == state:
                    found.add(fields[9])
        return found

    def worker_sockets(self, state):
        """{worker pid: inodes of the sockets on the server's port in this state that it holds}."""
        wanted = self.sockets(state)
        held = {}
        for pid in self.workers():
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir() if fd.is_symlink()]
            held[pid] = {link[8:-1] for link in links if link.startswith("socket:[") and link[8:-1] in wanted}
        return held

    def connections_per_worker(self):
        """{worker pid: established TCP connections it has accepted on the server's port} (Linux /proc)."""
        return {pid: len(inodes) for pid, inodes in self.worker_sockets("01").items()}

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)

    def close(self):
        """Stop the server and remove its log. After a SIGKILL of the master its workers notice
        within a second that their parent is gone and exit."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


class PostgresCluster:
    """A throwaway cluster made by scripts/pg.sh, whose server can be stopped and started again
    with its data (pg.sh itself only creates fresh clusters and removes them).

    The directory is per checkout, so a run killed before its cleanup is replaced by the next one.
    """

    def __init__(self, name):
        self.dir = Path(tempfile.gettempdir()) / f"task-api-{name}-{zlib.crc32(str(APP_DIR).encode())}"
        self.env = {}

    def create(self):
        result = subprocess.run(
            ["bash", str(PG_SH), "start", str(self.dir)], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise AssertionError(f"pg.sh start failed:\n{result.stderr}")
        for line in result.stdout.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            self.env[name] = value.strip("'")
        return self.env

    def remove(self):
        subprocess.run(["bash", str(PG_SH), "stop", str(self.dir)], capture_output=True, timeout=120)

    def _pg(self, program, *args, timeout=60):
        # The programs pg.sh started the server with (first word of postmaster.opts), as its owner.
        postgres = (self.dir / "data" / "postmaster.opts").read_text().split()[0].strip('"')
        command = [str(Path(postgres).parent / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=timeout)

    def password_login(self, role, password, database):
        """The RDS master user's position: `role` logs in with a password and owns `database`. The
        superuser the tests administer the cluster with keeps logging in without one. Returns the
        DB_* variables that reach `database` (without a login: that is the secret's)."""
        self.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        self.sql(f"CREATE DATABASE {database} OWNER {role}")
        hba = self.dir / "data" / "pg_hba.conf"
        hba.write_text(f"local all {self.env['DB_USER']} trust\nlocal all all scram-sha-256\n")
        result = self._pg("pg_ctl", "-D", str(self.dir / "data"), "reload")
        if result.returncode != 0:
            raise AssertionError(f"pg_ctl reload: {result.stderr}")
        env = {k: v for k, v in self.env.items() if k not in ("DB_USER", "DB_PASSWORD")}
        return {**env, "DB_NAME": database}

    def sql(self, statement, database=None):
        result = self._pg(
            "psql",
            "-h",
            self.env["DB_HOST"],
            "-p",
            self.env["DB_PORT"],
            "-U",
            self.env["DB_USER"],
            "-d",
            database or self.env["DB_NAME"],
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            statement,
        )
        if result.returncode != 0:
            raise AssertionError(f"psql {statement!r}: {result.stderr}")
        return result.stdout.strip()

    def stop_server(self, mode="immediate"):
        """Stop the server; "immediate" is a crash as far as clients and recovery are concerned."""
        result = self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "30", "stop")
        if result.returncode != 0:
            raise AssertionError(f"pg_ctl stop: {result.stderr}")

    def start_server(self):
        """Start the stopped server again with pg.sh's options (`pg_ctl restart` reads them back
        from postmaster.opts when the server is not running)."""
        result = self._pg(
            "pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-t", "60", "restart"
        )
        if result.returncode != 0:
            raise AssertionError(f"pg_ctl restart: {result.stdout}{result.stderr}")

    def is_running(self):
        return self._pg("pg_ctl", "-D", str(self.dir / "data"), "status").returncode == 0


# ---------------------------------------------------------------------------------------------
# AWS


class MotoServer:
    """moto's AWS emulator (moto[server], in the tests' virtualenv) on a free loopback port, holding
    the RDS-managed database secret. `env()` points boto3, in any process, at it."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while request(self.port, "GET", "/moto-api/", timeout=2).status != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("moto_server did not start:\n" + Path(self.log.name).read_text())
            time.sleep(0.1)

    def env(self):
        return {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # Nothing from this machine's AWS configuration.
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }

    def client(self, region="eu-west-1"):
        import boto3

        return boto3.session.Session().client(
            "secretsmanager",
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def create_database_secret(self, username, password, name=None, region="eu-west-1"):
        """A secret shaped like RDS's (JSON username and password); returns its ARN."""
        secret = json.dumps({"username": username, "password": password})
        name = name or f"rds!db-{uuid.uuid4()}"
        return self.client(region).create_secret(Name=name, SecretString=secret)["ARN"]

    def put_database_secret(self, arn, username, password):
        """A new current version, as a rotation's last step makes it."""
        self.client(arn.split(":")[3]).put_secret_value(
            SecretId=arn, SecretString=json.dumps({"username": username, "password": password})
        )

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
