"""How long the server keeps an idle kept-alive connection open, as the container runs it.

    bash bench/keepalive.sh        # about 80 s

The ALB reuses its connections to a target and closes one after 60 s idle (infra/loadbalancer.go);
a target that closes first can receive a request on a connection it is closing, which the ALB
answers with a 502. So the server must keep an idle connection longer than 60 s: config/server.py
sets granian's HTTP/1 header read timeout (which hyper also applies between requests) to
KEEPALIVE_SECONDS. One request on a fresh connection, then wait until the server closes it.
Prints the seconds; exits 1 if the server closed it within the ALB's 60 s, or if it never did.
"""

import http.client
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
from config.server import KEEPALIVE_SECONDS  # noqa: E402
from tests.live import Server, server_env  # noqa: E402

ALB_IDLE_TIMEOUT = 60


def main():
    server = Server(server_env(DB_SQLITE="1"))
    try:
        server.wait_until_healthy()
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        connection.request("GET", "/api/v1/health/")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b'{"status":"ok"}'), response.status
        idle = time.monotonic()
        connection.sock.settimeout(KEEPALIVE_SECONDS + 30)
        try:
            rest = connection.sock.recv(65536)  # b"" when the server closes it
        except TimeoutError:
            print(f"still open after {KEEPALIVE_SECONDS + 30} s idle: the server never closed it")
            return 1
        seconds = time.monotonic() - idle
        connection.close()
    finally:
        server.close()
    print(f"closed by the server after {seconds:.1f} s idle ({rest!r} read); the ALB closes after {ALB_IDLE_TIMEOUT} s")
    return 0 if seconds > ALB_IDLE_TIMEOUT else 1


if __name__ == "__main__":
    sys.exit(main())
