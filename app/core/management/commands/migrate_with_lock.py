"""`migrate`, serialized across processes by a PostgreSQL advisory lock.

Every container runs this before starting the server. When a deployment starts several tasks at
once, the first to take the lock applies the migrations; the others wait, then find nothing left
to apply. The lock is held on a connection of its own, so it lasts exactly as long as this
command (or until its process dies, when PostgreSQL releases it).

Under the same lock it then deletes the refresh tokens that have expired (simplejwt's
`flushexpiredtokens`): every login and refresh adds a row to the outstanding tokens, blacklisted
ones add another, and nothing else removes them. Tasks start at every deployment, scale-out and
replacement, so the tables keep the 7 days before the last start and what came since.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

# pg_advisory_lock takes one bigint; any fixed value that no other code uses will do. This is the
# first 8 bytes of sha256("task-management-api:migrate"), as a signed integer.
MIGRATION_LOCK_KEY = -3214890085231440614


class Command(BaseCommand):
    help = "Apply migrations while holding a PostgreSQL advisory lock (plain migrate elsewhere)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: %(default)s).")
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=300,
            help="Seconds to wait for another process's migration to finish (default: %(default)s).",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Accepted for symmetry with migrate; never prompts.",
        )

    def handle(self, *args, database, lock_timeout, verbosity, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            self.stdout.write(f"{connection.vendor} has no advisory locks: running migrate unlocked.")
            self._migrate_and_prune(database, verbosity)
            return

        # Requests get a statement timeout (config.database); waiting for the lock and migrating must
        # not: the container's MIGRATION_TIMEOUT bounds them (docker-entrypoint.sh).
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        lock = connections.create_connection(database)  # a session of its own
        try:
            with lock.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    self.stdout.write(f"Another process is migrating; waiting up to {lock_timeout}s for it.")
                    cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{lock_timeout}s"])
                    try:
                        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
                    except OperationalError as exc:
                        raise CommandError(
                            f"Gave up after {lock_timeout}s waiting for the migration lock: another "
                            f"process has been migrating for that long ({exc})."
                        ) from None
                self.stdout.write("Migration lock acquired.")
                try:
                    self._migrate_and_prune(database, verbosity)
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
        finally:
            lock.close()

    def _migrate_and_prune(self, database, verbosity):
        # migrate writes to the process's stdout itself ("Applying x... OK" on one line).
        call_command("migrate", database=database, interactive=False, verbosity=verbosity)
        # simplejwt's flushexpiredtokens runs this delete too, but on the default database only and
        # silently; here it follows --database and says how many went.
        expired = OutstandingToken.objects.using(database).filter(expires_at__lte=timezone.now())
        _, deleted = expired.delete()  # with their blacklist entries
        self.stdout.write(f"Expired refresh tokens deleted: {deleted.get(OutstandingToken._meta.label, 0)}.")
