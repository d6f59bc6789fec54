from django.db import models


class RateLimitCounter(models.Model):
    """One rate limit's count for one client or account in its current window (core.ratelimit).

    In the database rather than a cache: every server worker of every task shares it, a restart
    keeps it, and core.ratelimit counts with one atomic statement.
    """

    key = models.CharField(max_length=100, primary_key=True)
    count = models.PositiveIntegerField()
    # When the window that began with the first counted request ends (Unix time, seconds).
    window_ends = models.FloatField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
