"""Throughput and latency of the API: the seed guide's gunicorn command against this project's
app/gunicorn.conf.py, on one PostgreSQL, driven by the same bounded wrk load, alternately.

    bash bench/throughput.sh [--rounds 5] [--duration 10] [--connections 16] [--threads 2]

  A "seed":  gunicorn config.wsgi:application   (gunicorn's defaults: 1 sync worker; no access log)
  B "ours":  gunicorn --config gunicorn.conf.py config.wsgi:application, WEB_CONCURRENCY=2
             (2 gthread workers x 4 threads, access log, no max_requests by default)

Both bind a free port on 127.0.0.1 instead of 0.0.0.0:8000, and A is given an empty config file:
without one, gunicorn would read app/gunicorn.conf.py from its working directory, which the seed's
image does not have. Everything else is identical: the same environment (DEBUG off, same secret,
same database), the same code, the same PostgreSQL cluster (scripts/pg.sh: unix socket,
fsync=off). Each round runs GET then POST /api/v1/tasks/, each on A then on B; the tables report
the medians over the rounds. wrk, both servers and PostgreSQL share this machine's cores.

Prints a Markdown summary; exits 1 if a server failed (a 5xx, a socket error) or a write was lost.
Cleans up (servers, cluster, files) on exit, Ctrl-C or SIGTERM.
"""
import argparse
import json
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
from tests.live import Gunicorn, PostgresCluster, register_and_log_in, request, server_env  # noqa: E402

SEED_COMMAND = "gunicorn config.wsgi:application --bind 0.0.0.0:8000"
RESTART_LINE = "Autorestarting worker after current request."  # gunicorn's log line at max_requests
ENDPOINTS = [("GET", "GET /api/v1/tasks/ (20 tasks)"), ("POST", "POST /api/v1/tasks/")]


def sh(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def python_versions():
    code = ("import django, rest_framework, rest_framework_simplejwt as j, gunicorn, psycopg, sys; "
            "print(f'Python {sys.version.split()[0]}, Django {django.__version__}, DRF {rest_framework.__version__}, "
            "simplejwt {j.__version__}, gunicorn {gunicorn.__version__}, psycopg {psycopg.__version__} "
            "(libpq {psycopg.pq.version() // 10000}.{psycopg.pq.version() % 10000}, {psycopg.pq.__impl__})')")
    return sh(sys.executable, "-c", code)


def machine_facts(cluster):
    cpu = next((line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines() if line.startswith("Model name")), "?")
    free = sh("free", "-g").splitlines()
    return [
        f"date (UTC): {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}",
        f"nproc: {sh('nproc')} ({cpu}); kernel {platform.release()}; Debian {sh('cat', '/etc/debian_version')}",
        "free -g: " + (" ".join(free[1].split()) if len(free) > 1 else "?"),
        python_versions(),
        f"PostgreSQL: {cluster.sql('SHOW server_version')} (pg.sh cluster: unix socket, fsync=off, synchronous_commit=off); "
        + (sh("wrk", "--version").splitlines() or ["wrk ?"])[0].split(" Copyright")[0],
        "load average before the run: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]


class CpuMeter:
    """CPU time of this benchmark's own processes (this script, wrk, both gunicorns, PostgreSQL)
    against everything else on the machine, from /proc, between start() and stop().

    A process's cutime/cstime hold its reaped children (recycled workers, wrk, PostgreSQL backends),
    so "sum over the live trees at the end minus at the start" counts each CPU second once.
    """

    def __init__(self, roots):
        self.roots = roots  # pids whose process trees are ours

    @staticmethod
    def _stat(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), sum(int(x) for x in fields[11:15])  # ppid, utime+stime+cutime+cstime

    def _ours(self):
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stats[int(entry)] = self._stat(entry)
                except (OSError, IndexError, ValueError):
                    pass
        children = {}
        for pid, (ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        total, todo = 0, [pid for pid in self.roots() if pid in stats]
        while todo:
            pid = todo.pop()
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
        return total

    @staticmethod
    def _machine():
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
        # busy: user, nice, system, steal. Interrupt time (irq, softirq: mostly the loopback traffic
        # itself) belongs to no process and is counted as neither ours nor others'.
        return sum(values), values[0] + values[1] + values[2] + values[7]

    def start(self):
        self.begin = (self._ours(), *self._machine())

    def stop(self):
        ours, total, busy = self._ours(), *self._machine()
        span = max(total - self.begin[1], 1) / (os.cpu_count() or 1)  # ticks of one core over the interval
        ours -= self.begin[0]
        others = max(busy - self.begin[2] - ours, 0)
        return 100 * ours / span, 100 * others / span  # percent of one core


def connections_per_worker(server):
    """Established client connections each live worker holds, largest first, plus those still
    waiting in the listen queue (accepted by the kernel, by no worker yet): e.g. "12/4", "1/0 +15"."""
    master = server.process.pid
    workers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        workers.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    lines = sh("ss", "-tnpH", "state", "established", f"( sport = :{server.port} )").splitlines()
    counts = [sum(f"pid={pid}," in line for line in lines) for pid in workers]
    queued = sum("pid=" not in line for line in lines)
    return "/".join(str(n) for n in sorted(counts, reverse=True)) + (f" +{queued}" if queued else "")


def wrk(server, method, token, seconds, connections, threads):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(LUA),
               f"http://127.0.0.1:{server.port}/api/v1/tasks/"]
    with subprocess.Popen(command, env={**os.environ, "BENCH_METHOD": method, "BENCH_TOKEN": token},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as running:
        time.sleep(seconds * 0.75)
        spread = connections_per_worker(server)  # sampled once, three quarters into the run
        stdout, stderr = running.communicate(timeout=seconds + 60)
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.split(" ", 1)[1])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
            result["spread"] = spread
            return result
    raise RuntimeError(f"wrk printed no result:\n{stdout}{stderr}")


def task_rows(cluster, user_id):
    return int(cluster.sql(f"SELECT count(*) FROM tasks_task WHERE owner_id = {int(user_id)}"))


def user(port, email):
    token = register_and_log_in(port, email)
    me = request(port, "GET", "/api/v1/auth/me", token=token)
    return token, me.json()["id"]


def check_server(server, worker_class, workers):
    deadline = time.monotonic() + 20
    while True:
        out = server.output()
        if f"Using worker: {worker_class}" in out and out.count("Booting worker") == workers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"expected {workers} {worker_class} worker(s):\n{out}")
        time.sleep(0.1)


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of discarded load per server and endpoint")
    parser.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for server B only, for experiments "
                             "(e.g. GUNICORN_CMD_ARGS='--max-requests 0'); shown in the report")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    cluster = PostgresCluster("bench-pg")
    servers = {}
    try:
        print("Setting up (PostgreSQL cluster, migrations, two servers) ...", file=sys.stderr)
        cluster.create()
        env = server_env(**cluster.env)  # DEBUG off, same secret, same database for both
        migrate = subprocess.run([sys.executable, "manage.py", "migrate_with_lock", "--noinput"], cwd=APP, env=env,
                                 capture_output=True, text=True, timeout=180)
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.stdout}{migrate.stderr}")
        facts = machine_facts(cluster)

        empty = scratch / "no-config.conf.py"
        empty.write_text("# Deliberately empty: gunicorn's defaults, as in the seed image (no gunicorn.conf.py).\n")
        servers["A"] = Gunicorn(env, config=str(empty))  # env has no WEB_CONCURRENCY: gunicorn's default 1
        extra = dict(item.split("=", 1) for item in args.ours_env)
        servers["B"] = Gunicorn({**env, "WEB_CONCURRENCY": "2", **extra})
        for server in servers.values():
            server.wait_until_healthy()
        check_server(servers["A"], "sync", 1)
        check_server(servers["B"], "gthread", 2)

        port = servers["B"].port
        get_token, _ = user(port, "bench-get@example.com")
        post_token, post_user = user(port, "bench-post@example.com")
        for i in range(20):
            made = request(port, "POST", "/api/v1/tasks/", {"title": f"task {i}", "priority": "medium"}, token=get_token)
            assert made.status == 201, made
        listed = request(port, "GET", "/api/v1/tasks/", token=get_token).json()
        assert listed["count"] == 20 and len(listed["results"]) == 20, listed["count"]
        tokens = {"GET": get_token, "POST": post_token}

        load = dict(seconds=args.duration, connections=args.connections, threads=args.threads)
        print("Warming up ...", file=sys.stderr)
        for method, _ in ENDPOINTS:
            for name in "AB":
                wrk(servers[name], method, tokens[method], args.warmup, args.connections, args.threads)

        postmaster = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])
        meter = CpuMeter(lambda: [os.getpid(), postmaster])
        runs = []  # dicts: round, method, server, result..., rows_added
        for round_number in range(1, args.rounds + 1):
            for method, _ in ENDPOINTS:
                for name in "AB":
                    rows = task_rows(cluster, post_user) if method == "POST" else None
                    restarts = servers[name].output().count(RESTART_LINE)
                    meter.start()
                    result = wrk(servers[name], method, tokens[method], **load)
                    result["cpu_ours"], result["cpu_others"] = meter.stop()
                    result["restarts"] = servers[name].output().count(RESTART_LINE) - restarts
                    if method == "POST":
                        result["rows_added"] = task_rows(cluster, post_user) - rows
                    if servers[name].process.poll() is not None:
                        raise RuntimeError(f"server {name} exited:\n{servers[name].output()}")
                    runs.append({"round": round_number, "method": method, "server": name, **result})
                    print(f"round {round_number} {method:4} {name}: {result['rps']:7.1f} req/s, p50 "
                          f"{result['p50_us'] / 1000:6.1f} ms, p99 {result['p99_us'] / 1000:6.1f} ms, "
                          f"non-2xx {result['non2xx']}, socket errors {result['socket_errors']}, CPU ours "
                          f"{result['cpu_ours']:.0f}% others {result['cpu_others']:.0f}%", file=sys.stderr)
        recycled = servers["B"].output().count(RESTART_LINE)
        facts.append("load average after the run: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

        print_report(args, facts, runs, recycled)
        failed = [r for r in runs if r["non2xx"] or r["socket_errors"]]
        lost = [r for r in runs if r["method"] == "POST" and r["rows_added"] < r["created"]]
        print()
        print(f"Check: {len(failed)} run(s) with non-2xx responses or socket errors; {len(lost)} POST run(s) with "
              f"fewer new rows than 201 responses (lost writes).")
        return 1 if failed or lost else 0
    finally:
        for server in servers.values():
            server.close()
        cluster.remove()
        shutil.rmtree(scratch, ignore_errors=True)


def print_report(args, facts, runs, recycled):
    label = {
        "A": "seed: `gunicorn config.wsgi:application` (defaults: 1 sync worker)",
        "B": "ours: `gunicorn.conf.py`, WEB_CONCURRENCY=2 (2 gthread workers × 4 threads)",
    }
    extra = "".join(f" --ours-env {shlex.quote(item)}" for item in args.ours_env)
    if args.ours_env:
        label["B"] += " + " + ", ".join(f"`{item}`" for item in args.ours_env)
    print(f"Command: bash bench/throughput.sh --rounds {args.rounds} --duration {args.duration} "
          f"--connections {args.connections} --threads {args.threads}{extra}")
    print()
    for fact in facts:
        print(f"- {fact}")
    print(f"- load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s --timeout 30s, "
          f"{args.rounds} rounds, each GET then POST, each on A then B ({args.warmup} s warm-up each, discarded)")
    print()
    print(f"Medians over {args.rounds} rounds; errors are summed over all rounds.")
    print()
    print("| endpoint | server | requests/s | p50 latency | p99 latency | non-2xx | socket errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for method, endpoint in ENDPOINTS:
        stats = {}
        for name in "AB":
            mine = [r for r in runs if r["method"] == method and r["server"] == name]
            stats[name] = (median([r["rps"] for r in mine]), median([r["p50_us"] for r in mine]) / 1000,
                           median([r["p99_us"] for r in mine]) / 1000, sum(r["non2xx"] for r in mine),
                           sum(r["socket_errors"] for r in mine))
            rps, p50, p99, bad, sock = stats[name]
            print(f"| {endpoint} | {label[name]} | {rps:.0f} | {p50:.1f} ms | {p99:.1f} ms | {bad} | {sock} |")
        (ra, la, qa, _, _), (rb, lb, qb, _, _) = stats["A"], stats["B"]
        print(f"| {endpoint} | **ratio ours / seed** | **{rb / ra:.2f}×** | {lb / la:.2f}× | {qb / qa:.2f}× | | |")
    print()
    print("Every run (A = seed, B = ours):")
    print()
    print("| round | endpoint | server | requests | requests/s | p50 | p90 | p99 | max | non-2xx | "
          "socket errors (connect/read/write/timeout) | worker restarts (max_requests) | connections per worker | "
          "201s | new rows | CPU: benchmark / other processes |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(f"| {r['round']} | {r['method']} | {r['server']} | {r['requests']} | {r['rps']:.1f} | "
              f"{r['p50_us'] / 1000:.1f} ms | {r['p90_us'] / 1000:.1f} ms | {r['p99_us'] / 1000:.1f} ms | "
              f"{r['max_us'] / 1000:.1f} ms | {r['non2xx']} | {r['socket_errors']} "
              f"({r['connect']}/{r['read']}/{r['write']}/{r['timeout']}) | {r['restarts']} | {r['spread']} | "
              f"{r['created'] if r['method'] == 'POST' else ''} | {r.get('rows_added', '')} | "
              f"{r['cpu_ours']:.0f}% / {r['cpu_others']:.0f}% |")
    print()
    print(f"CPU is in percent of one core ({os.cpu_count()} cores = {100 * (os.cpu_count() or 1)}%): the benchmark's "
          "own processes (wrk, both servers, PostgreSQL, this script)")
    print("and everything else (user, system and steal time outside those process trees; interrupt time is in")
    print(f"neither). The largest share of other processes during a run was {max(r['cpu_others'] for r in runs):.0f}%.")
    print("Connections per worker: wrk's connections each live worker held three quarters into the run, largest")
    print("first; \"+N\": connections waiting in the listen queue for a worker to accept them.")
    print(f"Server B's workers restarted {recycled} time(s) on max_requests (off unless GUNICORN_MAX_REQUESTS is set) "
          "during the measured runs.")
    print("New rows ≥ 201s means no acknowledged write is missing; the excess is requests still in flight when")
    print("wrk stopped (it does not count those).")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
