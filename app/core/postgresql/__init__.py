"""Django's PostgreSQL backend, with database credentials resolved when a connection opens (base.py)."""
