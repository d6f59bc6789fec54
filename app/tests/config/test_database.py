"""The database settings (config/database.py) as a real connection applies them: PostgreSQL pass only.
The server listens on a unix socket only, so the TCP options are checked through a loopback relay:
what libpq sets on its TCP socket is what the kernel then enforces against a vanished server."""

import os
import socket
import threading
import unittest
from pathlib import Path

from django.db import connection
from django.db.utils import load_backend
from django.test import SimpleTestCase

from config import database


class UnixSocketRelay:
    """127.0.0.1:<port> -> the server's unix socket, one pair of pump threads per connection."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.socket_path)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL (runs in test.sh's PostgreSQL pass)")
class ConnectionTimeoutTests(SimpleTestCase):
    databases = {"default"}

    def test_statements_time_out(self):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            self.assertEqual(cursor.fetchone()[0], f"{database.STATEMENT_TIMEOUT}s")

    def test_the_tcp_socket_has_keepalives_and_a_user_timeout(self):
        server = connection.settings_dict
        relay = UnixSocketRelay(str(Path(server["HOST"]) / f".s.PGSQL.{server['PORT']}"))
        self.addCleanup(relay.close)
        settings_dict = {**server, "HOST": "127.0.0.1", "PORT": str(relay.port)}
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "tcp")
        self.addCleanup(wrapper.close)
        wrapper.ensure_connection()

        tcp = socket.socket(fileno=os.dup(wrapper.connection.fileno()))
        self.addCleanup(tcp.close)
        self.assertEqual(tcp.family, socket.AF_INET)
        self.assertEqual(tcp.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1)
        self.assertEqual(
            [tcp.getsockopt(socket.IPPROTO_TCP, option) for option in (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL)],
            [5, 2],
        )
        self.assertEqual(tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT), 3)
        self.assertEqual(tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT), database.TCP_USER_TIMEOUT * 1000)
