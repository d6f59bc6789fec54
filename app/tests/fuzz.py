"""schemathesis against the live API (make app-fuzz): the server as the container runs it on a throwaway
PostgreSQL cluster, the schema the server itself serves at /api/v1/schema/, and a real access token of
a user registered through the API for the authenticated operations.

    cd app && python -m tests.fuzz [--max-examples N] [--seed S]     # in the tests' virtualenv

Bounded: at most --max-examples cases per operation and phase, and the run is stopped (and fails)
after --time-limit seconds. Fails on any failed check, on a 5xx or a traceback in the server's log,
and when an authenticated operation never succeeded (the token did not work). Prints
"fuzz: N passed, N failed" last.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.live import APP_DIR, PostgresCluster, Server, migrate, register_and_log_in, server_env

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ensure_resource_availability",  # a created task can be read back
    "use_after_free",  # a deleted task stays gone
    "unsupported_method",
    "ignored_auth",  # operations that need a token refuse requests without one
    "missing_required_header",
]
# Not run: negative_data_rejection and positive_data_acceptance. What Django's password validators
# and the NUL-character check reject cannot be said in OpenAPI, and a blank `?status=` means no filter.

# Operations that need the token, and the success each must have answered at least once.
AUTHENTICATED = {
    ("GET", r"/api/v1/auth/me/"): "200",
    ("GET", r"/api/v1/tasks/(\?.*)?"): "200",
    ("POST", r"/api/v1/tasks/"): "201",
    ("GET", r"/api/v1/tasks/\d+/"): "200",
    ("PUT", r"/api/v1/tasks/\d+/"): "200",
    ("PATCH", r"/api/v1/tasks/\d+/"): "200",
    ("DELETE", r"/api/v1/tasks/\d+/"): "204",
}
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("TASKAPI_FUZZ_EXAMPLES") or 100))
    parser.add_argument("--seed", default=os.environ.get("TASKAPI_FUZZ_SEED"), help="reproduce an earlier run")
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds for schemathesis (default: 240)")
    args = parser.parse_args()

    cluster = PostgresCluster("fuzz")
    server = None
    try:
        env = server_env(**cluster.create(), DJANGO_LOG_LEVEL="WARNING")
        try:
            migrate(env)
        except RuntimeError as exc:
            sys.exit(f"fuzz: {exc}")
        server = Server(env)
        server.wait_until_healthy()
        token = register_and_log_in(server.port, "fuzz@example.com")
        code, elapsed, output = run_schemathesis(server.port, token, args)
        problems = server_problems(server.output())
    finally:
        if server:
            server.close()
        cluster.remove()

    passed, failed = counts(output)
    if code != 0 and failed == 0:
        failed = 1  # schemathesis failed without a failed case (an error, the time limit)
    for problem in problems:
        print(f"fuzz: {problem}")
    failed += len(problems)
    print(f"fuzz: schemathesis exit status {code} after {elapsed:.1f}s ({args.max_examples} examples max)")
    print(f"fuzz: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def run_schemathesis(port, token, args):
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file", str(APP_DIR / "schemathesis.toml"),
        "run", f"http://127.0.0.1:{port}/api/v1/schema/",
        "--checks", ",".join(CHECKS),
        "--max-examples", str(args.max_examples),
        "--workers", "2",
        "--request-timeout", "10",
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    if args.seed:
        command += ["--seed", str(args.seed)]
    env = {**os.environ, "TASKAPI_FUZZ_TOKEN": token, "PYTHONPATH": str(APP_DIR)}
    started = time.monotonic()
    # From a scratch directory: schemathesis may leave files in its working directory.
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        try:
            result = subprocess.run(
                command, cwd=scratch, env=env, capture_output=True, text=True, timeout=args.time_limit
            )
            code, output = result.returncode, result.stdout + result.stderr
        except subprocess.TimeoutExpired as expired:
            code = "timeout"
            output = (expired.stdout or b"").decode(errors="replace") + f"\nstopped after {args.time_limit}s\n"
    print(output, flush=True)
    return code, time.monotonic() - started, output


def counts(output):
    """(passed, failed) test cases from schemathesis's summary."""
    summary = output[output.rfind("Test cases:") :]
    passed = re.search(r"(\d+) passed", summary)
    failed = re.search(r"found (\d+) unique failures", summary)
    return int(passed.group(1)) if passed else 0, int(failed.group(1)) if failed else 0


def server_problems(log):
    """What the server's own log shows: 5xx answers, tracebacks, authenticated operations that never
    succeeded."""
    problems, seen = [], set()
    for match in ACCESS_LINE.finditer(log):
        method, path, status = match.group("method", "path", "status")
        if status.startswith("5"):
            problems.append(f"the server answered {status} to {method} {path}")
        for (wanted_method, pattern), success in AUTHENTICATED.items():
            if method == wanted_method and status == success and re.fullmatch(pattern, path):
                seen.add((wanted_method, pattern))
    if "Traceback" in log:
        problems.append("the server logged a traceback:\n" + log[log.index("Traceback") :][:3000])
    for method, pattern in AUTHENTICATED.keys() - seen:
        problems.append(f"{method} {pattern} never succeeded: was the token used?")
    return problems


if __name__ == "__main__":
    main()
