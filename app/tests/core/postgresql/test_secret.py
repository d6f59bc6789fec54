"""The database secret against moto's Secrets Manager (its server, reached through
AWS_ENDPOINT_URL_SECRETS_MANAGER as the app is in the tests that start it)."""

import os
import threading
from unittest import mock

from django.test import SimpleTestCase

from core.postgresql import secret
from core.postgresql.secret import REREAD_INTERVAL, SecretCredentials, SecretUnavailable, region_of
from tests.live import MotoServer, free_port

ARN = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!db-1-AbCdEf"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class CountingCredentials(SecretCredentials):
    """Counts the calls to Secrets Manager."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads = 0

    def _read(self):
        self.reads += 1
        super()._read()


class RegionTests(SimpleTestCase):
    def test_the_secrets_own_region_unless_the_environment_names_one(self):
        cases = [
            ({}, "ap-northeast-1"),
            ({"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
            ({"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "eu-west-1"}, "us-east-2"),
        ]
        for env, region in cases:
            with self.subTest(env=env), mock.patch.dict(os.environ, env):
                for name in {"AWS_REGION", "AWS_DEFAULT_REGION"} - set(env):
                    os.environ.pop(name, None)
                self.assertEqual(region_of(ARN), region)

    def test_refuses_what_is_not_a_secret_arn(self):
        for arn in ("rds!db-1", "arn:aws:rds:eu-west-1:123456789012:db:tasks", ""):
            with self.subTest(arn=arn), self.assertRaises(ValueError):
                region_of(arn)


class SecretCredentialsTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = MotoServer()
        cls.addClassCleanup(cls.moto.close)

    def setUp(self):
        self.arn = self.moto.create_database_secret("app", "first-password")
        environment = mock.patch.dict(os.environ, self.moto.env())
        environment.start()
        self.addCleanup(environment.stop)
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        self.clock = Clock()
        self.credentials = CountingCredentials(self.arn, clock=self.clock)

    def rotate(self):
        self.moto.put_database_secret(self.arn, "app", "second-password")

    def test_reads_the_secret_once_and_keeps_it(self):
        self.assertEqual(self.credentials.current(), ("app", "first-password"))
        self.rotate()

        self.assertEqual(self.credentials.current(), ("app", "first-password"))
        self.assertEqual(self.credentials.reads, 1)

    def test_a_rejected_login_reads_the_secret_again(self):
        rejected = self.credentials.current()
        self.rotate()
        self.clock.now += REREAD_INTERVAL

        self.assertEqual(self.credentials.reread(rejected), ("app", "second-password"))
        self.assertEqual(self.credentials.current(), ("app", "second-password"))
        self.assertEqual(self.credentials.reads, 2)

    def test_reads_again_at_most_once_per_interval(self):
        rejected = self.credentials.current()
        self.clock.now += REREAD_INTERVAL
        self.assertEqual(self.credentials.reread(rejected), rejected)  # the secret is stale too
        self.rotate()

        self.clock.now += REREAD_INTERVAL / 2
        self.assertEqual(self.credentials.reread(rejected), rejected, "read again too soon")
        self.assertEqual(self.credentials.reads, 2)
        self.clock.now += REREAD_INTERVAL / 2
        self.assertEqual(self.credentials.reread(rejected), ("app", "second-password"))
        self.assertEqual(self.credentials.reads, 3)

    def test_threads_rejected_together_read_the_secret_once(self):
        rejected = self.credentials.current()
        self.rotate()
        self.clock.now += REREAD_INTERVAL
        start, results = threading.Barrier(8), []

        def retry():
            start.wait()
            results.append(self.credentials.reread(rejected))

        threads = [threading.Thread(target=retry) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(results, [("app", "second-password")] * 8)
        self.assertEqual(self.credentials.reads, 2)

    def test_the_region_comes_from_the_environment_when_it_names_one(self):
        # moto keeps secrets per region: the secret is in eu-west-1, this asks us-east-2.
        with mock.patch.dict(os.environ, {"AWS_REGION": "us-east-2"}):
            credentials = SecretCredentials(self.arn)
        with self.assertRaisesMessage(SecretUnavailable, "ResourceNotFoundException"):
            credentials.current()

    def test_an_unreachable_secrets_manager_is_an_unavailable_database_and_is_not_asked_again_at_once(self):
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = f"http://127.0.0.1:{free_port()}"

        with self.assertRaisesMessage(SecretUnavailable, f"reading the database secret {self.arn} failed"):
            self.credentials.current()
        with self.assertRaises(SecretUnavailable):
            self.credentials.current()
        self.assertEqual(self.credentials.reads, 1)
        self.clock.now += REREAD_INTERVAL
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = self.moto.endpoint
        self.assertEqual(self.credentials.current(), ("app", "first-password"))

    def test_a_secret_of_another_shape_is_refused_without_quoting_it(self):
        for text in ('{"user": "app", "pass": "hunter2-secret"}', "hunter2-secret", '{"username": "app"}'):
            with self.subTest(text=text):
                arn = self.moto.client().create_secret(Name=f"odd-{abs(hash(text))}", SecretString=text)["ARN"]
                with self.assertRaises(SecretUnavailable) as caught:
                    SecretCredentials(arn).current()
                self.assertIn("is not JSON with the keys username and password", str(caught.exception))
                self.assertNotIn("hunter2", str(caught.exception))

    def test_one_instance_per_secret_for_the_whole_process(self):
        self.assertIs(secret.credentials_for(self.arn), secret.credentials_for(self.arn))
