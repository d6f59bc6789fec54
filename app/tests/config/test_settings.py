"""Settings are read once per process, so each case starts a fresh Python with its own environment."""

import json
import re

from django.test import SimpleTestCase

from tests.helpers import run_app_process

DJANGO_VARIABLES = [
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_CORS_ALLOWED_ORIGINS",
    "DJANGO_HTTPS_ONLY",
    "DJANGO_ADMIN_ENABLED",
]
DB_VARIABLES = [
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_SSLMODE",
    "DB_SQLITE",
    "DB_SECRET_ARN",
    "DB_CONN_MAX_AGE",
]
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf"

KEYS = {
    "DJANGO_SECRET_KEY": "q8Vt3yJm0wR6cN1bZ4xL7pK2sH5dF9gA0eU3iO6uY8tR1wQ4zX7cV0bN3mL6kJ9h",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
}
# What the ECS task definition sets (infra/service.go), as far as the settings go.
PRODUCTION = {**KEYS, "DB_HOST": "db.internal", "DB_NAME": "tasks", "DB_SECRET_ARN": SECRET_ARN}

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "db = s.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'host': db.get('HOST'), 'port': db.get('PORT'), "
    "'user': db.get('USER'), 'password': db.get('PASSWORD'), 'max_age': db['CONN_MAX_AGE'], "
    "'options': {k: v for k, v in db.get('OPTIONS', {}).items() if k != 'sslmode'}, "
    "'sslmode': db.get('OPTIONS', {}).get('sslmode'), 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
    "'csrf': s.CSRF_TRUSTED_ORIGINS, 'cors': s.CORS_ALLOWED_ORIGINS}))"
)


def run_with(env, args):
    return run_app_process(
        args, {"DJANGO_SETTINGS_MODULE": "config.settings", **env}, drop=DJANGO_VARIABLES + DB_VARIABLES
    )


def effective_settings(env):
    result = run_with(env, ["-c", PRINT_SETTINGS])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class StartupRefusalTests(SimpleTestCase):
    def test_refuses_to_start_without_a_secret_key_outside_debug(self):
        result = run_with({"DJANGO_ALLOWED_HOSTS": "api.example.com"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        last_line = result.stderr.strip().splitlines()[-1]
        self.assertIn("DJANGO_SECRET_KEY is not set", last_line)
        self.assertIn("DJANGO_DEBUG=1", last_line)

    def test_refuses_to_start_without_allowed_hosts_outside_debug(self):
        result = run_with({"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"]}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_ALLOWED_HOSTS is not set", result.stderr)

    def test_refuses_a_debug_value_it_does_not_understand(self):
        result = run_with({**PRODUCTION, "DJANGO_DEBUG": "ture"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_DEBUG='ture' is not a boolean", result.stderr)

    def test_debug_runs_without_any_configuration(self):
        result = run_with({"DJANGO_DEBUG": "1"}, ["manage.py", "check"])

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_production_configuration_starts(self):
        result = run_with(PRODUCTION, ["manage.py", "check"])

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_the_admin_is_refused_without_https(self):
        result = run_with({**PRODUCTION, "DJANGO_ADMIN_ENABLED": "1"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_ADMIN_ENABLED is on but DJANGO_HTTPS_ONLY is not", result.stderr)

    def test_a_postgres_host_needs_a_database_name(self):
        result = run_with({**KEYS, "DB_HOST": "db.internal"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DB_NAME is not set", result.stderr)

    def test_without_a_secret_a_postgres_host_needs_a_user(self):
        result = run_with({**KEYS, "DB_HOST": "db.internal", "DB_NAME": "tasks"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DB_USER is not set", result.stderr)

    def test_refuses_to_start_without_a_database_outside_debug(self):
        result = run_with(KEYS, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        last_line = result.stderr.strip().splitlines()[-1]
        self.assertIn("DB_HOST is not set", last_line)
        self.assertIn("DB_SQLITE=1", last_line)

    def test_refuses_both_a_postgres_host_and_sqlite(self):
        result = run_with({**PRODUCTION, "DB_SQLITE": "1"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DB_HOST and DB_SQLITE are both set", result.stderr)

    def test_refuses_a_login_from_the_environment_next_to_the_secret(self):
        for name in ("DB_USER", "DB_PASSWORD"):
            with self.subTest(name):
                result = run_with({**PRODUCTION, name: "app"}, ["manage.py", "check"])

                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"{name} is set together with DB_SECRET_ARN", result.stderr)

    def test_refuses_a_secret_arn_it_cannot_read_a_region_from(self):
        result = run_with({**PRODUCTION, "DB_SECRET_ARN": "rds!db-0123"}, ["manage.py", "check"])

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DB_SECRET_ARN: 'rds!db-0123' is not a Secrets Manager secret ARN", result.stderr)


class EnvironmentContractTests(SimpleTestCase):
    def test_debug_is_off_unless_asked_for(self):
        self.assertFalse(effective_settings(PRODUCTION)["debug"])
        self.assertTrue(effective_settings({"DJANGO_DEBUG": "true"})["debug"])

    def test_lists_are_comma_separated(self):
        values = effective_settings(
            {
                **PRODUCTION,
                "DJANGO_ALLOWED_HOSTS": "api.example.com, alb-123.eu-west-1.elb.amazonaws.com",
                "DJANGO_CSRF_TRUSTED_ORIGINS": "https://api.example.com",
                "DJANGO_CORS_ALLOWED_ORIGINS": "https://app.example.com,https://admin.example.com,",
            }
        )

        self.assertEqual(values["hosts"], ["api.example.com", "alb-123.eu-west-1.elb.amazonaws.com"])
        self.assertEqual(values["csrf"], ["https://api.example.com"])
        self.assertEqual(values["cors"], ["https://app.example.com", "https://admin.example.com"])

    def test_sqlite_only_in_debug_or_when_asked_for(self):
        self.assertEqual(effective_settings({"DJANGO_DEBUG": "1"})["engine"], "django.db.backends.sqlite3")
        self.assertEqual(effective_settings({**KEYS, "DB_SQLITE": "1"})["engine"], "django.db.backends.sqlite3")

    def test_the_task_definitions_database_is_postgres_with_the_login_from_the_secret_over_tls(self):
        values = effective_settings(PRODUCTION)

        self.assertEqual(
            (values["engine"], values["host"], values["port"], values["sslmode"]),
            ("core.postgresql", "db.internal", "5432", "require"),
        )
        self.assertEqual((values["user"], values["password"]), ("", ""))
        self.assertEqual(values["options"]["secret_arn"], SECRET_ARN)

    def test_without_a_secret_the_login_comes_from_the_environment(self):
        values = effective_settings(
            {**KEYS, "DB_HOST": "db.internal", "DB_NAME": "tasks", "DB_USER": "app", "DB_PASSWORD": "local"}
        )

        self.assertEqual((values["engine"], values["user"], values["password"]), ("core.postgresql", "app", "local"))
        self.assertNotIn("secret_arn", values["options"])

    def test_a_hung_query_or_a_dead_connection_frees_its_thread_well_before_the_albs_60_seconds(self):
        options = effective_settings(PRODUCTION)["options"]

        self.assertEqual(options["options"], "-c statement_timeout=15s")
        self.assertEqual(options["connect_timeout"], 5)
        self.assertEqual(options["tcp_user_timeout"], 10000)  # ms
        keepalive = [options[k] for k in ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")]
        self.assertEqual(keepalive, [1, 5, 2, 3])

    def test_connections_live_a_minute_unless_told(self):
        self.assertEqual(effective_settings(PRODUCTION)["max_age"], 60)
        self.assertEqual(effective_settings({**PRODUCTION, "DB_CONN_MAX_AGE": "0"})["max_age"], 0)

    def test_tls_mode_and_port_can_be_set(self):
        values = effective_settings({**PRODUCTION, "DB_PORT": "6432", "DB_SSLMODE": "verify-full"})

        self.assertEqual((values["port"], values["sslmode"]), ("6432", "verify-full"))


class AdminSwitchTests(SimpleTestCase):
    """DJANGO_ADMIN_ENABLED decides whether /admin/ exists (config.urls), read in a fresh process."""

    STATUS_OF_ADMIN = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/admin/', HTTP_HOST='api.example.com', secure=True).status_code)"
    )

    def admin_status(self, env):
        result = run_with({**PRODUCTION, **env}, ["-c", self.STATUS_OF_ADMIN])
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip().splitlines()[-1]

    def test_off_unless_enabled(self):
        self.assertEqual(self.admin_status({"DJANGO_HTTPS_ONLY": "1"}), "404")
        self.assertEqual(self.admin_status({"DJANGO_HTTPS_ONLY": "1", "DJANGO_ADMIN_ENABLED": "0"}), "404")

    def test_served_when_enabled_with_https(self):
        # To its login page (rendering that needs collectstatic's manifest, as in the image).
        self.assertEqual(self.admin_status({"DJANGO_HTTPS_ONLY": "1", "DJANGO_ADMIN_ENABLED": "1"}), "302")


class DeployCheckTests(SimpleTestCase):
    """`manage.py check --deploy`: what an operator sees before going live."""

    def deploy_warnings(self, env):
        result = run_with(env, ["manage.py", "check", "--deploy"])
        self.assertEqual(result.returncode, 0, result.stderr)
        return set(re.findall(r"\(security\.(W\d+)\)", result.stdout + result.stderr))

    def test_behind_an_https_listener_nothing_is_left_to_fix(self):
        self.assertEqual(self.deploy_warnings({**PRODUCTION, "DJANGO_HTTPS_ONLY": "1"}), set())

    def test_over_plain_http_only_the_https_settings_are_reported(self):
        # HSTS, the HTTPS redirect and secure cookies would lock plain-HTTP clients out.
        self.assertEqual(self.deploy_warnings(PRODUCTION), {"W004", "W008", "W012", "W016"})
