"""Django's test runner, plus a closing count line and a failure when no test ran."""

import warnings

from django.db import connection
from django.test.runner import DiscoverRunner
from django.test.utils import override_settings


class CountingTestRunner(DiscoverRunner):
    def setup_test_environment(self, **kwargs):
        super().setup_test_environment(**kwargs)
        # Production-strength hashing costs ~0.3 s a password and the suite hashes hundreds; what
        # the tests check (hashed, verifiable, never echoed) does not depend on the algorithm.
        self._fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
        self._fast_hashing.enable()
        # The suite runs without collectstatic; in the image the directory exists.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    def teardown_test_environment(self, **kwargs):
        self._fast_hashing.disable()
        super().teardown_test_environment(**kwargs)

    def suite_result(self, suite, result, **kwargs):
        failures = super().suite_result(suite, result, **kwargs)
        skipped = len(result.skipped) + len(result.expectedFailures)
        # A test whose subtests fail is reported once per subtest; count each failing test once.
        failed = len({getattr(test, "test_case", test).id() for test, _ in result.failures + result.errors})
        failed += len(result.unexpectedSuccesses)
        # max: an error in setUpClass is a failure of no test that ran.
        passed = max(result.testsRun - failed - skipped, 0)
        # One line a CI log reader can parse: "<database>: N passed, N failed, N skipped".
        print(f"{connection.vendor}: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
        if result.testsRun == 0:
            print("no test ran: that is a failure, not a pass", flush=True)
            return failures or 1
        return failures
