"""Requests per CPU-second, requests per second and latency of the API under the seed guide's
gunicorn command and under this project's server (app/config/server.py: granian), on one PostgreSQL, with the same
bounded wrk load, alternately; with the servers pinned to one core and on two.

    bash bench/throughput.sh                  # everything (13 min 22 s with --duration 5 on 2026-11-30)
    bash bench/throughput.sh --cores 1 --endpoints list,post --rounds 2 --duration 5

Servers (--servers picks some):
  seed-base  the seed's command, `gunicorn config.wsgi:application` (gunicorn's defaults: 1 sync
             worker, no access log, every connection closed after one request), on the app as it was
             before issue 14's optimizations (`git archive` of BASELINE_REF's app/)
  seed       the same command on this checkout's app/
  ours       `python -m config.server` (the container's command) on this checkout's app/, with
             WEB_CONCURRENCY = the cores it gets (1 or 2), as the stacks size it: one granian worker per
             vCPU, at least one (x 4 threads, keep-alive, access log, a listening socket per worker)

All bind a free port on 127.0.0.1 instead of 0.0.0.0:8000; the seed commands get an empty config file
(without one, gunicorn would read a gunicorn.conf.py from its working directory: there is none now,
and the seed's image had none either). Everything else is identical: the environment (DEBUG off, same secret, same
database), the PostgreSQL cluster (scripts/pg.sh: unix socket, fsync=off) and the load.

Endpoints (--endpoints): list = GET /api/v1/tasks/ (a user with exactly 20 tasks: one full page),
one = GET /api/v1/tasks/<id>/, post = POST /api/v1/tasks/, patch = PATCH /api/v1/tasks/<id>/,
login = POST /api/v1/auth/login (each request with its own X-Forwarded-For, so that the login throttle,
10 a minute per client, never answers 429).

Cores (--cores): "1" pins the servers to CPU 0 and wrk, PostgreSQL and this script to CPU 1, the
closest this machine gets to a small Fargate task; "2" leaves everything on both CPUs.

The main figure is requests per CPU-second: requests wrk completed / CPU time (user + system, from
/proc/<pid>/stat) of the server's own processes (master and workers) during the run. It does
not count wrk, PostgreSQL or anything else, so other load on the machine moves it much less than
requests/s. Every run also records the 1-minute load average when it started and the CPU that
processes outside the benchmark took during it.

Prints Markdown; exits 1 if any run had a non-2xx response or a socket error, or a POST lost a write.
Cleans up (servers, cluster, files) on exit, Ctrl-C or SIGTERM.
"""

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app"
LUA = Path(__file__).resolve().parent / "wrk-api.lua"
sys.path.insert(0, str(APP))
from tests.live import PostgresCluster, Server, migrate, register_and_log_in, request, server_env  # noqa: E402

# The app before issue 14's per-request CPU work (main when that work started): what "seed-base" runs.
BASELINE_REF = "54e9495"
SEED_COMMAND = "gunicorn config.wsgi:application --bind 0.0.0.0:8000"
RESTART_LINE = "Respawning worker-"  # granian's log line when it replaces a worker (ours; the seeds never do)
SERVERS = {
    "seed-base": f"seed command, app at {BASELINE_REF}",
    "seed": "seed command, this app",
    "ours": "config/server.py (granian, WEB_CONCURRENCY = cores), this app",
}
ENDPOINTS = {
    "list": "GET /api/v1/tasks/ (20 tasks)",
    "one": "GET /api/v1/tasks/{id}/",
    "post": "POST /api/v1/tasks/",
    "patch": "PATCH /api/v1/tasks/{id}/",
    "login": "POST /api/v1/auth/login",
}
PASSWORD = "LiveTestPass123"  # tests.live.register_and_log_in's
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def sh(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def python_versions():
    code = (
        "import django, granian, rest_framework, rest_framework_simplejwt as j, gunicorn, psycopg, sys; "
        "print(f'Python {sys.version.split()[0]}, Django {django.__version__}, DRF {rest_framework.__version__}, "
        "simplejwt {j.__version__}, granian {granian.__version__}, gunicorn {gunicorn.__version__} (seed commands), "
        "psycopg {psycopg.__version__} "
        "(libpq {psycopg.pq.version() // 10000}.{psycopg.pq.version() % 10000}, {psycopg.pq.__impl__})')"
    )
    return sh(sys.executable, "-c", code)


def machine_facts(cluster):
    cpu = next(
        (line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines() if line.startswith("Model name")), "?"
    )
    free = sh("free", "-g").splitlines()
    commit = sh("git", "-C", str(REPO), "log", "-1", "--format=%h %s")
    dirty = " (with uncommitted changes)" if sh("git", "-C", str(REPO), "status", "--porcelain", "app", "bench") else ""
    return [
        f"date (UTC): {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}; checkout: {commit}{dirty}",
        f"nproc: {sh('nproc')} ({cpu}); kernel {platform.release()}; Debian {sh('cat', '/etc/debian_version')}",
        "free -g: " + (" ".join(free[1].split()) if len(free) > 1 else "?"),
        python_versions(),
        f"PostgreSQL: {cluster.sql('SHOW server_version')} (pg.sh cluster: unix socket, fsync=off, "
        "synchronous_commit=off); " + (sh("wrk", "--version").splitlines() or ["wrk ?"])[0].split(" Copyright")[0],
        f"uptime before the run: {sh('uptime')}",
    ]


# ---------------------------------------------------------------------------------------------
# /proc


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), sum(int(x) for x in fields[11:15])  # ppid, utime+stime+cutime+cstime (ticks)


def all_stats():
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stats[int(entry)] = proc_stat(entry)
            except (OSError, IndexError, ValueError):
                pass
    return stats


def tree(stats, roots):
    """The pids of roots and all their descendants."""
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [pid for pid in roots if pid in stats]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def children_of(pid):
    kids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            kids.extend(int(x) for x in f.read().split())
    return kids


def server_ticks(master, split=False):
    """CPU ticks (user + system) of a server's master and its workers; a worker that exited and was
    reaped is in the master's cutime/cstime, so each tick counts once. split: (user, system) instead."""
    user = system = 0
    for pid in [master, *children_of(master)]:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile: the master's cutime has it once reaped
        user += int(fields[11]) + int(fields[13])
        system += int(fields[12]) + int(fields[14])
    return (user, system) if split else user + system


class OthersMeter:
    """CPU that processes outside the benchmark (this script, wrk, the servers, PostgreSQL) took
    between start() and stop(), in percent of one core."""

    def __init__(self, benchmark_roots):
        self.benchmark_roots = benchmark_roots

    def _read(self):
        stats = all_stats()
        benchmark = sum(stats[pid][1] for pid in tree(stats, self.benchmark_roots()))
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
        # busy: user, nice, system, steal. Interrupt time (mostly the loopback traffic itself) belongs to
        # no process and is counted as neither ours nor others'.
        return benchmark, sum(values), values[0] + values[1] + values[2] + values[7]

    def start(self):
        self.begin = self._read()

    def stop(self):
        benchmark, total, busy = (now - then for now, then in zip(self._read(), self.begin, strict=True))
        span = max(total, 1) / (os.cpu_count() or 1)  # ticks of one core over the interval
        return 100 * max(busy - benchmark, 0) / span


def memory(pid):
    """(RSS, PSS) in MiB. PSS shares each page among the processes mapping it: the workers' PSS add
    up to what they take together, which RSS (counting shared pages in every worker) overstates."""
    rss = pss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss / 1024, pss / 1024


def cpus_allowed(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(line.split()[1] for line in f if line.startswith("Cpus_allowed_list:"))


def pin_tree(roots, cpus):
    """Set the CPU affinity of every thread of these processes and their descendants; a process
    forked later (a PostgreSQL backend, a replaced worker) inherits its parent's."""
    for pid in tree(all_stats(), roots):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(tid), cpus)
        except (OSError, ValueError):
            pass  # exited meanwhile


# ---------------------------------------------------------------------------------------------
# Servers and load


def connections_per_worker(server, workers):
    """Established client connections each worker holds, largest first, plus those not accepted by
    any worker yet (in a listen queue): e.g. "12/4", "1/0 +15"."""
    lines = sh("ss", "-tnpH", "state", "established", f"( sport = :{server.port} )").splitlines()
    counts = [sum(f"pid={pid}," in line for line in lines) for pid in workers]
    queued = sum("pid=" not in line for line in lines)
    return "/".join(str(n) for n in sorted(counts, reverse=True)) + (f" +{queued}" if queued else "")


def sleep_until(moment):
    time.sleep(max(moment - time.time(), 0))


def wait_idle(server, timeout=120):
    """Until the server has used no CPU for half a second: requests left over from the previous run
    (the seed's listen queue keeps up to `connections` of them) must not run into this one."""
    deadline = time.monotonic() + timeout
    last = server_ticks(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server_ticks(server.process.pid)
        if now == last:
            return
        last = now


def wrk(server, target, seconds, connections, threads, cpus, measure=True, settle=1):
    """One wrk run. Measured: wrk runs `settle` s, then the `seconds`-long window on whole wall-clock
    seconds, then one more second; requests are those answered inside the window (wrk's script counts
    responses per second), CPU is the server's over the same window. Both ends of the window are in
    the middle of the load, with as many requests in flight at its end as at its start: a window from
    an idle server to the end of the run would charge the unfinished requests' CPU to the finished
    ones (login: ~0.2 s of CPU each, up to `connections` of them)."""
    master = server.process.pid
    total = seconds + settle + 1 if measure else seconds
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{total}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{server.port}{target['path']}",
    ]
    env = {
        **os.environ,
        "BENCH_METHOD": target["method"],
        "BENCH_TOKEN": target.get("token", ""),
        "BENCH_BODY": json.dumps(target["body"]) if "body" in target else "",
    }
    if target.get("unique_client"):
        env["BENCH_UNIQUE_CLIENT"] = "1"
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    ) as running:
        if measure:
            start = math.ceil(time.time() + settle)
            sleep_until(start)
            before = server_ticks(master, split=True)
            sleep_until(start + 0.75 * seconds)
            spread = connections_per_worker(server, children_of(master))
            sleep_until(start + seconds)
            user, system = (now - then for now, then in zip(server_ticks(master, split=True), before, strict=True))
        stdout, stderr = running.communicate(timeout=total + 60)
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.split(" ", 1)[1])
            break
    else:
        raise RuntimeError(f"wrk printed no result:\n{stdout}{stderr}")
    result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    if measure:
        per_second = {int(k): v for k, v in result.pop("per_second").items()}
        result["window"] = sum(per_second.get(start + i, 0) for i in range(seconds))
        result["rps"] = result["window"] / seconds
        result["cpu_s"] = (user + system) / CLOCK_TICKS
        result["system_share"] = 100 * system / max(user + system, 1)
        result["per_cpu_s"] = result["window"] / max(result["cpu_s"], 1e-9)
        result["cpu_pct"] = 100 * result["cpu_s"] / seconds
        result["spread"] = spread
    return result


def restarts(server):
    return server.output().count(RESTART_LINE)


def check_server(server, kind, started, workers):
    """Wait until the server's log shows its kind and `workers` lines of a worker having started."""
    deadline = time.monotonic() + 30
    while True:
        out = server.output()
        if kind in out and out.count(started) == workers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"expected {kind!r} and {workers} x {started!r}:\n{out}")
        time.sleep(0.1)


def start_servers(names, env, seed_config, base_app, extra_env, cpus):
    """The servers, started with this CPU affinity (their workers inherit it); ours with a worker per CPU."""
    extra_env = {"WEB_CONCURRENCY": str(len(cpus)), **extra_env}
    everything = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        servers = {}
        for name in names:
            seed = [sys.executable, "-m", "gunicorn", "--config", str(seed_config), "config.wsgi:application"]
            if name == "seed-base":
                servers[name] = Server(env, cwd=base_app, command=seed)
            elif name == "seed":
                servers[name] = Server(env, command=seed)  # no WEB_CONCURRENCY: gunicorn's 1
            else:
                servers[name] = Server({**env, **extra_env})
    finally:
        os.sched_setaffinity(0, everything)
    for name, server in servers.items():
        server.wait_until_healthy()
        if name == "ours":
            check_server(server, "Starting granian", "Started worker-", int(extra_env["WEB_CONCURRENCY"]))
        else:
            check_server(server, "Using worker: sync", "Booting worker", 1)
    return servers


def prepare_data(port, cluster, names):
    """Users and tasks for the endpoints, made through the API; returns each endpoint's request (for
    login, a template: see target())."""
    list_token = register_and_log_in(port, "bench-list@example.com")
    for i in range(20):
        made = request(port, "POST", "/api/v1/tasks/", {"title": f"task {i}", "priority": "medium"}, token=list_token)
        assert made.status == 201, made
    listed = request(port, "GET", "/api/v1/tasks/", token=list_token).json()
    assert listed["count"] == 20 and len(listed["results"]) == 20, listed["count"]
    post_token = register_and_log_in(port, "bench-post@example.com")
    post_user = request(port, "GET", "/api/v1/auth/me", token=post_token).json()["id"]
    patch_token = register_and_log_in(port, "bench-patch@example.com")
    patched = request(port, "POST", "/api/v1/tasks/", {"title": "patch me"}, token=patch_token).json()["id"]
    for name in names:
        register_and_log_in(port, login_email(name))
    return post_user, {
        "list": {"method": "GET", "path": "/api/v1/tasks/", "token": list_token, "email": "bench-list@example.com"},
        "one": {
            "method": "GET",
            "path": f"/api/v1/tasks/{listed['results'][0]['id']}/",
            "token": list_token,
            "email": "bench-list@example.com",
        },
        "post": {
            "method": "POST",
            "path": "/api/v1/tasks/",
            "token": post_token,
            "email": "bench-post@example.com",
            "body": {"title": "bench task", "priority": "high", "description": "created by bench/throughput.py"},
        },
        "patch": {
            "method": "PATCH",
            "path": f"/api/v1/tasks/{patched}/",
            "token": patch_token,
            "email": "bench-patch@example.com",
            "body": {"status": "in_progress", "priority": "low"},
        },
        "login": {
            "method": "POST",
            "path": "/api/v1/auth/login",
            "unique_client": True,
            "body": {"password": PASSWORD},  # and the server's own user: target()
        },
    }


def login_email(name):
    # A login user per server: a login re-hashes a password stored with a hasher other than the app's
    # first (seed-base's is PBKDF2, the others' Argon2id), so a shared user's hash went back and forth,
    # and the next server's first logins paid for the other's hash (found 2026-11-30, BENCHMARKS.md).
    return f"bench-login-{name}@example.com"


def target(targets, endpoint, name):
    """The request server `name` gets for `endpoint`."""
    if endpoint != "login":
        return targets[endpoint]
    request_ = targets[endpoint]
    return {**request_, "body": {**request_["body"], "email": login_email(name)}}


def renew_tokens(port, targets):
    """New access tokens for the endpoints' users. They last 15 minutes (SIMPLE_JWT's
    ACCESS_TOKEN_LIFETIME) and a whole run takes longer: renewed before each round, outside the windows."""
    tokens = {}
    for target in targets.values():
        if "email" in target:
            if target["email"] not in tokens:
                login = request(port, "POST", "/api/v1/auth/login", {"email": target["email"], "password": PASSWORD})
                if login.status != 200:
                    raise RuntimeError(f"login {target['email']}: {login!r} {login.body!r}")
                tokens[target["email"]] = login.json()["access"]
            target["token"] = tokens[target["email"]]


def task_rows(cluster, user_id):
    return int(cluster.sql(f"SELECT count(*) FROM tasks_task WHERE owner_id = {int(user_id)}"))


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of discarded load per server and endpoint")
    parser.add_argument("--cores", default="1,2", help="comma-separated: 1 (servers on CPU 0), 2 (both CPUs)")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help=f"comma-separated, of: {','.join(ENDPOINTS)}")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of: {','.join(SERVERS)}")
    parser.add_argument("--baseline", default=BASELINE_REF, help="git revision whose app/ seed-base runs")
    parser.add_argument(
        "--ours-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for server 'ours' only, for experiments (e.g. SERVER_THREADS=2); shown in the report",
    )
    parser.add_argument("--json", type=Path, help="also write every run's numbers to this file")
    args = parser.parse_args()
    cores = [int(c) for c in args.cores.split(",")]
    endpoints = args.endpoints.split(",")
    names = args.servers.split(",")
    if set(endpoints) - set(ENDPOINTS) or set(names) - set(SERVERS) or set(cores) - {1, 2}:
        parser.error("unknown endpoint, server or core count")
    if 1 in cores and os.cpu_count() < 2:
        parser.error("--cores 1 needs a second CPU for wrk and PostgreSQL")
    everything = os.sched_getaffinity(0)
    pinned = {1: ({0}, everything - {0}), 2: (everything, everything)}  # servers, the rest

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    cluster = PostgresCluster("bench-pg")
    servers = {}
    try:
        print("Setting up (PostgreSQL cluster, migrations) ...", file=sys.stderr)
        cluster.create()
        env = server_env(**cluster.env)  # DEBUG off, same secret, same database for every server
        migrate(env)
        facts = machine_facts(cluster)
        base_app = None
        if "seed-base" in names:
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", args.baseline, "app"], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
            base_app = scratch / "app"
            facts.append(
                f"seed-base: app/ of {sh('git', '-C', str(REPO), 'log', '-1', '--format=%h %s', args.baseline)}"
            )
        seed_config = scratch / "no-config.conf.py"
        seed_config.write_text(
            "# Deliberately empty: gunicorn's defaults, as in the seed image (no gunicorn.conf.py).\n"
        )
        extra_env = dict(item.split("=", 1) for item in args.ours_env)
        postmaster = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])

        runs, memories, post_user, targets = [], [], None, None
        for core_count in cores:
            server_cpus, rest_cpus = pinned[core_count]
            print(f"{core_count} core(s): starting servers ...", file=sys.stderr)
            servers = start_servers(names, env, seed_config, base_app, extra_env, server_cpus)
            pin_tree([postmaster], rest_cpus)
            os.sched_setaffinity(0, rest_cpus)
            if targets is None:
                post_user, targets = prepare_data(servers[names[-1]].port, cluster, names)
            affinity = {name: cpus_allowed(server.process.pid) for name, server in servers.items()}
            print(
                f"  CPUs: servers {affinity}, PostgreSQL {cpus_allowed(postmaster)}, wrk {sorted(rest_cpus)}",
                file=sys.stderr,
            )
            load = dict(seconds=args.duration, connections=args.connections, threads=args.threads, cpus=rest_cpus)
            renew_tokens(servers[names[-1]].port, targets)
            for endpoint in endpoints:
                for name in names:
                    wrk(
                        servers[name],
                        target(targets, endpoint, name),
                        args.warmup,
                        args.connections,
                        args.threads,
                        rest_cpus,
                        measure=False,
                    )
            for round_number in range(1, args.rounds + 1):
                renew_tokens(servers[names[-1]].port, targets)
                for endpoint in endpoints:
                    for name in names:
                        server = servers[name]
                        wait_idle(server)
                        rows = task_rows(cluster, post_user) if endpoint == "post" else None
                        restarted = restarts(server)
                        loadavg = os.getloadavg()[0]
                        others = OthersMeter(
                            lambda servers=servers: [
                                os.getpid(),
                                postmaster,
                                *(s.process.pid for s in servers.values()),
                            ]
                        )
                        others.start()
                        result = wrk(server, target(targets, endpoint, name), **load)
                        result["cpu_others"] = others.stop()
                        result["restarts"] = restarts(server) - restarted
                        if endpoint == "post":
                            wait_idle(server)
                            result["rows_added"] = task_rows(cluster, post_user) - rows
                        if server.process.poll() is not None:
                            raise RuntimeError(f"server {name} exited:\n{server.output()}")
                        run = {
                            "cores": core_count,
                            "round": round_number,
                            "endpoint": endpoint,
                            "server": name,
                            "load1": loadavg,
                            **result,
                        }
                        runs.append(run)
                        print(
                            f"{core_count}c round {round_number} {endpoint:5} {name:9}: {result['rps']:7.1f} req/s, "
                            f"{result['per_cpu_s']:6.1f} req/CPU-s ({result['cpu_pct']:.0f}% CPU, "
                            f"{result['system_share']:.0f}% system), p50 "
                            f"{result['p50_us'] / 1000:6.1f} ms, p99 {result['p99_us'] / 1000:6.1f} ms, "
                            f"non-2xx {result['non2xx']}, socket errors {result['socket_errors']}, "
                            f"spread {result['spread']}, load {loadavg:.2f}, others {result['cpu_others']:.0f}%",
                            file=sys.stderr,
                        )
            for name, server in servers.items():
                master = server.process.pid
                memories.append(
                    {
                        "cores": core_count,
                        "server": name,
                        "master": memory(master),
                        "workers": [memory(pid) for pid in children_of(master)],
                        "restarts": restarts(server),
                    }
                )
            for server in servers.values():
                server.close()
            servers = {}
            os.sched_setaffinity(0, everything)
            pin_tree([postmaster], everything)
        facts.append(f"uptime after the run: {sh('uptime')}")

        print_report(args, cores, endpoints, names, facts, runs, memories, extra_env)
        if args.json:
            args.json.write_text(json.dumps({"facts": facts, "runs": runs, "memory": memories}, indent=1))
        failed = [r for r in runs if r["non2xx"] or r["socket_errors"]]
        lost = [r for r in runs if r["endpoint"] == "post" and r["rows_added"] < r["created"]]
        print()
        print(
            f"Check: {len(failed)} run(s) with non-2xx responses or socket errors; {len(lost)} POST run(s) with "
            "fewer new rows than 201 responses (lost writes)."
        )
        return 1 if failed or lost else 0
    finally:
        for server in servers.values():
            server.close()
        cluster.remove()
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The report


def print_report(args, cores, endpoints, names, facts, runs, memories, extra_env):
    extra = "".join(f" --ours-env {shlex.quote(item)}" for item in args.ours_env)
    command = (
        f"bash bench/throughput.sh --rounds {args.rounds} --duration {args.duration} --connections "
        f"{args.connections} --threads {args.threads} --cores {args.cores} --endpoints {args.endpoints} "
        f"--servers {args.servers}{extra}"
    )
    if args.baseline != BASELINE_REF:
        command += f" --baseline {args.baseline}"
    print(f"Command: {command}")
    print()
    for fact in facts:
        print(f"- {fact}")
    print(
        f"- load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s --timeout 30s, {args.rounds} rounds; "
        f"in each round every endpoint, on each server in turn ({args.warmup} s warm-up each, discarded)"
    )
    label = dict(SERVERS)
    if extra_env:
        label["ours"] += " + " + ", ".join(f"`{k}={v}`" for k, v in extra_env.items())
    print("- servers: " + "; ".join(f"**{name}**: {label[name]}" for name in names))
    print()
    compare = [
        (b, a) for b, a in (("ours", "seed"), ("ours", "seed-base"), ("seed", "seed-base")) if a in names and b in names
    ]
    for core_count in cores:
        where = "servers pinned to CPU 0; wrk and PostgreSQL on CPU 1" if core_count == 1 else "all on both CPUs"
        print(f"#### {core_count} core{'s' if core_count > 1 else ''} ({where})")
        print()
        print(
            f"Medians over {args.rounds} rounds; errors summed over the rounds. req/CPU-s: requests per CPU-second "
            "of the server's processes."
        )
        print()
        print("| endpoint | server | req/CPU-s | requests/s | server CPU | p50 | p99 | non-2xx | socket errors |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for endpoint in endpoints:
            for name in names:
                mine = [
                    r for r in runs if r["cores"] == core_count and r["endpoint"] == endpoint and r["server"] == name
                ]
                if not mine:
                    continue
                med = {
                    k: statistics.median(r[k] for r in mine)
                    for k in ("per_cpu_s", "rps", "cpu_pct", "p50_us", "p99_us")
                }
                print(
                    f"| {ENDPOINTS[endpoint]} | {name} | {med['per_cpu_s']:.1f} | {med['rps']:.1f} | "
                    f"{med['cpu_pct']:.0f}% | {med['p50_us'] / 1000:.1f} ms | {med['p99_us'] / 1000:.1f} ms | "
                    f"{sum(r['non2xx'] for r in mine)} | {sum(r['socket_errors'] for r in mine)} |"
                )
        print()
        if compare:
            print(
                "Ratios, per round (same round, same endpoint): req/CPU-s and requests/s; smallest and median "
                "over the rounds."
            )
            print()
            print(
                "| endpoint | ratio | req/CPU-s: every round | smallest | median | requests/s: every round "
                "| smallest | median |"
            )
            print("| --- | --- | --- | ---: | ---: | --- | ---: | ---: |")
            for endpoint in endpoints:
                for b, a in compare:
                    pairs = []
                    for round_number in range(1, args.rounds + 1):
                        pick = {
                            r["server"]: r
                            for r in runs
                            if r["cores"] == core_count and r["endpoint"] == endpoint and r["round"] == round_number
                        }
                        if a in pick and b in pick and pick[a]["per_cpu_s"] and pick[a]["rps"]:
                            pairs.append((pick[b]["per_cpu_s"] / pick[a]["per_cpu_s"], pick[b]["rps"] / pick[a]["rps"]))
                    if not pairs:
                        continue
                    cpu, rps = [p[0] for p in pairs], [p[1] for p in pairs]
                    print(
                        f"| {ENDPOINTS[endpoint]} | {b} / {a} | {' '.join(f'{x:.2f}' for x in cpu)} | "
                        f"**{min(cpu):.2f}×** | {statistics.median(cpu):.2f}× | {' '.join(f'{x:.2f}' for x in rps)} | "
                        f"**{min(rps):.2f}×** | {statistics.median(rps):.2f}× |"
                    )
            print()
    print(
        "Memory after the runs (MiB; RSS counts pages shared with the master in every process, PSS splits them: "
        "the PSS column adds up to what the server takes):"
    )
    print()
    print("| cores | server | master RSS / PSS | each worker's RSS / PSS | PSS of master + workers | worker restarts |")
    print("| ---: | --- | ---: | --- | ---: | ---: |")
    for m in memories:
        workers = ", ".join(f"{rss:.0f} / {pss:.0f}" for rss, pss in m["workers"])
        total = m["master"][1] + sum(pss for _, pss in m["workers"])
        print(
            f"| {m['cores']} | {m['server']} | {m['master'][0]:.0f} / {m['master'][1]:.0f} | {workers} | "
            f"{total:.0f} | {m['restarts']} |"
        )
    print()
    print("<details><summary>Every run</summary>")
    print()
    print(
        "| cores | round | endpoint | server | requests in the window | requests/s | server CPU-s (system share) "
        "| req/CPU-s | p50 | p90 | p99 "
        "| max | non-2xx | socket errors (c/r/w/t) | connections per worker | 201s | new rows | load (1 min) "
        "| others' CPU |"
    )
    print(
        "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |"
    )
    for r in runs:
        post = r["endpoint"] == "post"
        print(
            f"| {r['cores']} | {r['round']} | {r['endpoint']} | {r['server']} | {r['window']} | {r['rps']:.1f} | "
            f"{r['cpu_s']:.2f} ({r['system_share']:.0f}%) | {r['per_cpu_s']:.1f} | {r['p50_us'] / 1000:.1f} ms | "
            f"{r['p90_us'] / 1000:.1f} ms | "
            f"{r['p99_us'] / 1000:.1f} ms | {r['max_us'] / 1000:.1f} ms | {r['non2xx']} | {r['socket_errors']} "
            f"({r['connect']}/{r['read']}/{r['write']}/{r['timeout']}) | {r['spread']} | "
            f"{r['created'] if post else ''} | {r.get('rows_added', '')} | {r['load1']:.2f} | {r['cpu_others']:.0f}% |"
        )
    print()
    print("</details>")
    print()
    print(
        f"Each run: wrk for 1 + {args.duration} + 1 s; the {args.duration} s window in the middle, "
        "on whole wall-clock seconds, "
        "is what requests, requests/s"
    )
    print("and server CPU-s count (latency percentiles and errors: the whole run). Server CPU-s: user + system time")
    print("of the server's master and workers in the window. Others' CPU: user, system and steal time")
    print("outside the benchmark's processes during the run, in percent of one core (interrupt time")
    print(
        f"is in neither); the largest during a run was {max(r['cpu_others'] for r in runs):.0f}%. "
        "Connections per worker: "
        "wrk's connections each"
    )
    print('worker held three quarters into the run, largest first; "+N": not yet accepted by a worker. New rows ≥ 201s')
    print("means no acknowledged write is missing (the excess: requests in flight when wrk stopped).")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
