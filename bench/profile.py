"""Where one API request's CPU goes inside the app: the WSGI application called in-process (no
server, no sockets), on a throwaway PostgreSQL cluster, for the five requests bench/throughput.py
loads (GET list of 20, GET one, POST, PATCH, login).

    bash bench/profile.sh                                  # CPU µs and SQL queries per request
    bash bench/profile.sh --pyinstrument list              # a sampling profile of one endpoint
    bash bench/profile.sh --callgrind                      # instructions per request (valgrind)
    bash bench/profile.sh --app-dir /tmp/old-app ...       # the same, for another copy of app/
    bash bench/profile.sh --live list post                 # py-spy on the shipped server under wrk

CPU µs come from time.process_time(): this process only, so other load on the machine moves them
less than wall time, but still some (caches, frequency). Instruction counts from callgrind do not
move with load: each endpoint runs under `valgrind --tool=callgrind`, counted only after the
warm-up, N requests and then 2N more, each batch dumped; (I(2N) - I(N)) / N is what one request
costs, the cost of switching the counting cancelled out. PostgreSQL's own work is in neither
(another process).
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app"
ENDPOINTS = ("list", "one", "post", "patch", "login")
PASSWORD = "BenchPass-123"


# ---------------------------------------------------------------------------------------------
# The measured process: `python bench/profile.py --child ...`, with DJANGO_SETTINGS_MODULE and the
# database in its environment and the app directory first on sys.path.


def child(args):
    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from config.wsgi import application
    from tasks.models import Task

    def call(method, path, body=None, token=None, client="198.51.100.7"):
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "10.0.0.1",  # the load balancer
            "HTTP_X_FORWARDED_FOR": client,
            "HTTP_ACCEPT": "*/*",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if data:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)))
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status = []
        result = application(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            content = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return int(status[0].split()[0]), content

    def user(email):
        User.objects.filter(email=email).delete()
        made = User.objects.create_user(email=email, password=PASSWORD, name="Bench")
        code, body = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        assert code == 200, (code, body)
        return made, json.loads(body)["access"]

    lister, list_token = user("profile-list@example.com")
    for i in range(20):
        Task.objects.create(owner=lister, title=f"task {i}", priority=2)
    one = Task.objects.filter(owner=lister).first()
    _, post_token = user("profile-post@example.com")
    patcher, patch_token = user("profile-patch@example.com")
    patched = Task.objects.create(owner=patcher, title="patch me")
    user("profile-login@example.com")
    clients = iter(range(1, 2**24))

    def new_client():
        # One X-Forwarded-For per login, so that the auth throttle (10/minute per client) never answers 429.
        n = next(clients)
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    requests = {
        "list": lambda: call("GET", "/api/v1/tasks/", token=list_token),
        "one": lambda: call("GET", f"/api/v1/tasks/{one.pk}/", token=list_token),
        "post": lambda: call(
            "POST",
            "/api/v1/tasks/",
            {"title": "bench task", "priority": "high", "description": "created by bench"},
            token=post_token,
        ),
        "patch": lambda: call("PATCH", f"/api/v1/tasks/{patched.pk}/", {"status": "in_progress"}, token=patch_token),
        "login": lambda: call(
            "POST",
            "/api/v1/auth/login",
            {"email": "profile-login@example.com", "password": PASSWORD},
            client=new_client(),
        ),
    }
    expected = {"list": 200, "one": 200, "post": 201, "patch": 200, "login": 200}
    run = requests[args.endpoint]

    def checked():
        code, body = run()
        assert code == expected[args.endpoint], (args.endpoint, code, body[:300])
        return body

    # Warm-up: imports, compiled regexes, the database connection.
    for _ in range(args.warmup):
        checked()

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        body = checked()
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    if args.callgrind:
        # Instructions are counted only from here on, and dumped after N and again after 2N more requests.
        callgrind_control("--instr=on")
        for _ in range(args.requests):
            checked()
        callgrind_control("--dump=N")
        for _ in range(2 * args.requests):
            checked()
        callgrind_control("--dump=2N")
        cpu = 0.0
    else:
        started = time.process_time()
        for _ in range(args.requests):
            checked()
        cpu = time.process_time() - started
    if args.pyinstrument:
        profiler.stop()
        if args.pyinstrument_all:
            print(profiler.output_text(unicode=True, color=False, show_all=True, time="percent_of_total"))
        else:
            print(flat_profile(profiler.last_session.root_frame(), args.requests))
    print(
        "PROFILE_RESULT "
        + json.dumps(
            {
                "endpoint": args.endpoint,
                "requests": args.requests,
                "cpu_us": cpu / args.requests * 1e6,
                "queries": queries,
                "bytes": len(body),
            }
        )
    )


def callgrind_control(command):
    subprocess.run(["callgrind_control", command, str(os.getpid())], check=True, capture_output=True, timeout=600)


def flat_profile(root, requests, top=40):
    """Two flat tables from a pyinstrument tree, in µs per request: inclusive time per function
    (counted once per stack even when it recurses) and the functions' own time. pyinstrument samples
    wall time; the time psycopg waits for PostgreSQL's answer (its `wait`) is left out of every figure,
    so what remains is close to this process's CPU time."""
    inclusive, own = {}, {}

    def is_wait(frame):
        return frame.function == "wait" and "psycopg" in (frame.file_path or "")

    def walk(frame, seen):
        """Returns the time waited for PostgreSQL inside this frame."""
        if is_wait(frame):
            return frame.time
        where = (frame.file_path_short or frame.file_path or "").split("site-packages/")[-1]
        key = f"{frame.function} ({where}:{frame.line_no})"
        own[key] = own.get(key, 0) + frame.total_self_time
        waited = sum(walk(child_frame, seen | {key}) for child_frame in frame.children)
        if key not in seen:
            inclusive[key] = inclusive.get(key, 0) + frame.time - waited
        return waited

    waited = walk(root, frozenset())
    scale = 1e6 / requests
    lines = [f"waiting for PostgreSQL (left out below): {waited * scale:.0f} µs/request", ""]
    lines += ["inclusive µs/request (function, where):"]
    lines += [f"  {t * scale:8.0f}  {k}" for k, t in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["", "own µs/request:"]
    lines += [f"  {t * scale:8.0f}  {k}" for k, t in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The driver: a PostgreSQL cluster, migrations, then one child process per endpoint (and count).


def run_child(env, app_dir, endpoint, requests, warmup, pyinstrument=False, callgrind=False):
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        endpoint,
        "--requests",
        str(requests),
        "--warmup",
        str(warmup),
    ]
    if pyinstrument:
        command.append("--pyinstrument")
        if pyinstrument == "all":
            command.append("--all-frames")
    if callgrind:
        command.append("--callgrind")
        dumps = Path(tempfile.mkdtemp(prefix="callgrind-"))
        # Not instrumented until the child turns it on after its warm-up: start-up runs at near full speed.
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={dumps}/out.%p",
            *command,
        ]
    done = subprocess.run(command, cwd=app_dir, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{endpoint}: exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    result = next(
        json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("PROFILE_RESULT ")
    )
    if pyinstrument:
        result["profile"] = done.stdout.split("PROFILE_RESULT ")[0]
    if callgrind:
        totals = {}
        for dump in dumps.iterdir():
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: (?:Client Request: |)(?:Dump|dump|--dump=)?\s*(\S+)", text, re.M)
            summary = re.search(r"^summary: (\d+)", text, re.M)
            if trigger and summary:
                totals[trigger.group(1)] = int(summary.group(1))
        shutil.rmtree(dumps, ignore_errors=True)
        if "N" not in totals or "2N" not in totals:
            raise RuntimeError(f"callgrind dumps not found ({totals}):\n{done.stderr[-2000:]}")
        result["instructions"] = (totals["2N"] - totals["N"]) / requests
    return result


def live(args, cluster, app_dir):
    """py-spy on the shipped server (app/config/server.py, one worker) under wrk, the server on CPU 0 and
    wrk on CPU 1 as in bench/throughput.py: the server's Python code is in this profile too (granian's
    Rust code shows as time outside Python)."""
    import throughput  # bench/throughput.py: its server start, test data and wrk runs

    from tests.live import server_env

    venv_bin = Path(sys.executable).parent
    everything = os.sched_getaffinity(0)
    rest = everything - {0}
    servers = throughput.start_servers(["ours"], server_env(**cluster.env), None, None, {}, {0})
    server = servers["ours"]
    try:
        os.sched_setaffinity(0, rest)
        _, targets = throughput.prepare_data(server.port, cluster, ["ours"])
        for endpoint in args.endpoints:
            request = throughput.target(targets, endpoint, "ours")
            throughput.wrk(server, request, 3, 16, 2, rest, measure=False)  # warm-up
            out = Path(tempfile.mkstemp(prefix="py-spy-", suffix=".txt")[1])
            spy = subprocess.Popen(
                [
                    str(venv_bin / "py-spy"),
                    "record",
                    "--pid",
                    str(server.process.pid),
                    "--subprocesses",
                    "--nonblocking",
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(args.seconds + 2),
                    "--format",
                    "raw",
                    "--function",
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=lambda: os.sched_setaffinity(0, rest),
            )
            result = throughput.wrk(server, request, args.seconds, 16, 2, rest)
            spy.wait(timeout=args.seconds + 60)
            stacks = {}
            for line in out.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue  # not a stack line
                frames = tuple(f for f in stack.split(";") if not f.startswith(("process ", "thread ")))
                # granian's request threads only, less their waits for PostgreSQL: py-spy's --gil
                # sampled nothing of granian's threads (0 samples, 2026-11-30), and without it a
                # thread blocked in psycopg's wait counts as running.
                if not any(f.startswith(REQUEST_THREAD) for f in frames) or any(f.startswith(DB_WAIT) for f in frames):
                    continue
                stacks[frames] = stacks.get(frames, 0) + int(count)
            out.unlink()
            # py-spy sampled args.seconds + 2 s of wrk's args.seconds + 2 s: scale to the window's requests.
            requests = result["window"] * (args.seconds + 2) / args.seconds
            print(
                f"### {endpoint}: {result['rps']:.0f} requests/s, {result['per_cpu_s']:.0f} requests per CPU-second "
                f"of the server ({1e6 / result['per_cpu_s']:.0f} µs each)"
            )
            print()
            print(flat_stacks(stacks, 1e6 / args.rate / requests))
            print()
    finally:
        server.close()


REQUEST_THREAD = "_callback_wrapper.<locals>."  # granian/wsgi.py: calls the application
DB_WAIT = "Connection.wait (psycopg/"


def flat_stacks(stacks, scale, top=45):
    """Inclusive and own µs per request from py-spy's collapsed stacks (frames "function (file:line)")."""
    inclusive, own = {}, {}
    for frames, count in stacks.items():
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + count
    total = sum(stacks.values())
    lines = [
        f"request-thread samples, waits for PostgreSQL left out: {total} = {total * scale:.0f} µs/request",
        "",
        "inclusive µs/request:",
    ]
    lines += [f"  {n * scale:8.0f}  {k}" for k, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["", "own µs/request:"]
    lines += [f"  {n * scale:8.0f}  {k}" for k, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=ENDPOINTS, dest="endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=None, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--pyinstrument", action="store_true", help="print a sampling profile of each endpoint")
    parser.add_argument(
        "--all-frames", action="store_true", dest="pyinstrument_all", help="with --pyinstrument: library frames too"
    )
    parser.add_argument("--callgrind", action="store_true", help="instructions per request under callgrind")
    parser.add_argument(
        "--live", action="store_true", help="py-spy on the shipped server under wrk instead (server code included)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="with --live: seconds of load per endpoint")
    parser.add_argument("--rate", type=int, default=250, help="with --live: py-spy samples per second")
    parser.add_argument("--app-dir", type=Path, default=APP, help="the app/ directory to measure (default: this one)")
    parser.add_argument(
        "endpoints", nargs="*", metavar="ENDPOINT", help=f"some of: {' '.join(ENDPOINTS)} (default: all)"
    )
    args = parser.parse_args()
    if set(args.endpoints) - set(ENDPOINTS):
        parser.error(f"endpoints are some of: {' '.join(ENDPOINTS)}")
    args.endpoints = args.endpoints or list(ENDPOINTS)
    if args.endpoint:
        args.requests = args.requests or 500
        return child(args)

    sys.path.insert(0, str(APP))
    from tests.live import PostgresCluster, migrate, server_env

    app_dir = args.app_dir.resolve()
    cluster = PostgresCluster("bench-profile")
    try:
        cluster.create()
        env = server_env(
            **cluster.env, DJANGO_SETTINGS_MODULE="config.settings", PYTHONHASHSEED="0", PYTHONPATH=app_dir
        )
        env["DJANGO_LOG_LEVEL"] = "WARNING"
        migrate(env, app_dir=app_dir, timeout=300)
        commit = subprocess.run(
            ["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"], capture_output=True, text=True
        ).stdout.strip()
        print(f"app: {app_dir} ({commit or 'not a git checkout'}); load average {os.getloadavg()[0]:.2f}")
        print()
        if args.live:
            return live(args, cluster, app_dir)
        if args.callgrind:
            n = args.requests or 40
            print(
                f"Instructions per request: callgrind, (I({2 * n} requests) - I({n} requests)) / {n}, "
                f"after {args.warmup} warm-up requests"
            )
            print()
            print("| endpoint | instructions per request | SQL queries | response bytes |")
            print("| --- | ---: | ---: | ---: |")
        else:
            n = args.requests or 500
            print(f"CPU per request: time.process_time() over {n} requests, after {args.warmup} warm-up requests")
            print()
            print("| endpoint | CPU µs per request | SQL queries | response bytes |")
            print("| --- | ---: | ---: | ---: |")
        for endpoint in args.endpoints:
            count = n if endpoint != "login" else max(n // 20, 3)  # login hashes a password: ~0.3 s each
            if args.callgrind:
                result = run_child(env, app_dir, endpoint, count, args.warmup, callgrind=True)
                value = f"{result['instructions']:,.0f}"
            else:
                result = run_child(
                    env,
                    app_dir,
                    endpoint,
                    count,
                    args.warmup,
                    pyinstrument=args.pyinstrument and ("all" if args.pyinstrument_all else True),
                )
                value = f"{result['cpu_us']:,.0f}"
            print(f"| {endpoint} | {value} | {len(result['queries'])} | {result['bytes']} |", flush=True)
            if args.pyinstrument:
                print(result["profile"])
            if os.environ.get("PROFILE_SHOW_SQL"):
                for sql in result["queries"]:
                    print(f"    {sql}")
    finally:
        cluster.remove()


if __name__ == "__main__":
    sys.exit(main())
