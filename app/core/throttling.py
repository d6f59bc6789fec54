from rest_framework.throttling import BaseThrottle

from . import ratelimit


class ScopedRateThrottle(BaseThrottle):
    """DRF's ScopedRateThrottle (the view's `throttle_scope`, per client address), counted by
    core.ratelimit in the database instead of in each worker's memory."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        self.count = ratelimit.hit(scope, ratelimit.client_address(request))
        return not self.count.exceeded

    def wait(self):
        return self.count.retry_after
