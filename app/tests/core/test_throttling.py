from django.test import TestCase, override_settings
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.throttling import ScopedRateThrottle


class LimitedView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "test"

    def get(self, request):
        return Response({})


class UnscopedView(LimitedView):
    throttle_scope = None


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"test": "2/minute"}, "NUM_PROXIES": 1})
class ScopedRateThrottleTests(TestCase):
    def call(self, view, address="203.0.113.9"):
        return view.as_view()(APIRequestFactory().get("/", HTTP_X_FORWARDED_FOR=address))

    def test_the_scopes_rate_per_client_address_then_429_with_retry_after(self):
        statuses = [self.call(LimitedView).status_code for _ in range(2)]
        refused = self.call(LimitedView)

        self.assertEqual(statuses, [200, 200])
        self.assertEqual(refused.status_code, 429)
        self.assertEqual(refused["Retry-After"], "60")
        self.assertEqual(self.call(LimitedView, address="198.51.100.1").status_code, 200)

    def test_a_view_without_a_scope_is_not_limited(self):
        self.assertEqual([self.call(UnscopedView).status_code for _ in range(5)], [200] * 5)
