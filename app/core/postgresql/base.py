"""The PostgreSQL backend the settings select (ENGINE "core.postgresql"): Django's, with the login
taken from a Secrets Manager secret when OPTIONS has `secret_arn`.

Django calls get_connection_params() and then get_new_connection() each time it opens a connection
(BaseDatabaseWrapper.connect in Django 5.2), so the credentials are the secret's current ones, not
the ones the process started with. A login the database refuses is retried once with the secret read
again (secret.SecretCredentials.reread bounds how often); anything else fails as Django's would.

It also reads `timestamptz` columns with psycopg's own loader (timestamps.py): Django's is pure
Python and took a fifth of a task list's CPU.
"""

from django.db.backends.postgresql import base

from . import errors
from .secret import credentials_for
from .timestamps import with_psycopg_timestamptz_loader


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        arn = params.pop("secret_arn", None)  # ours, not a libpq parameter
        if arn:
            params["user"], params["password"] = credentials_for(arn).current()
        params["context"] = with_psycopg_timestamptz_loader(params["context"], self.timezone)
        return params

    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError as exc:
            arn = self.settings_dict["OPTIONS"].get("secret_arn")
            if not arn or not errors.is_authentication_failure(exc):
                raise
            rejected = (conn_params["user"], conn_params["password"])
            fresh = credentials_for(arn).reread(rejected)
            if fresh == rejected:
                raise  # the secret has nothing newer yet: a 503, and the client retries later
        user, password = fresh
        return super().get_new_connection({**conn_params, "user": user, "password": password})
