from unittest import mock

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.test import TestCase
from rest_framework.exceptions import Throttled
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from core.models import RateLimitCounter
from tests.helpers import PASSWORD


class RegisterUserTests(TestCase):
    def test_stores_the_address_trimmed_and_lower_cased(self):
        user = services.register_user(email="  Alice@Example.COM ", password=PASSWORD, name=" Alice ")

        self.assertEqual(user.email, "alice@example.com")
        self.assertEqual(user.name, "Alice")

    def test_reports_every_problem_at_once(self):
        services.register_user(email="alice@example.com", password=PASSWORD, name="Alice")

        with self.assertRaises(ValidationError) as caught:
            services.register_user(email="alice@example.com", password="123", name="Alice")

        self.assertEqual(set(caught.exception.message_dict), {"email", "password"})

    def test_two_simultaneous_registrations_of_one_address_end_in_a_400_not_a_crash(self):
        services.register_user(email="alice@example.com", password=PASSWORD, name="Alice")

        # The other request checked for duplicates just before this one committed.
        with mock.patch.object(QuerySet, "exists", return_value=False):
            with self.assertRaises(ValidationError) as caught:
                services.register_user(email="alice@example.com", password=PASSWORD, name="Alice again")

        self.assertIn("already exists", caught.exception.message_dict["email"][0])
        self.assertEqual(User.objects.count(), 1)


class LogInTests(TestCase):
    def setUp(self):
        self.user = services.register_user(email="alice@example.com", password=PASSWORD, name="Alice")

    def test_gives_tokens_of_the_account_and_records_the_login(self):
        tokens = services.log_in(email="alice@example.com", password=PASSWORD, client="192.0.2.1")

        self.assertEqual(RefreshToken(tokens["refresh"])["user_id"], str(self.user.id))
        self.user.refresh_from_db()
        self.assertIsNotNone(self.user.last_login)

    def test_a_deactivated_account_fails_like_a_wrong_password(self):
        self.user.is_active = False
        self.user.save()

        with self.assertRaises(AuthenticationFailed) as inactive:
            services.log_in(email="alice@example.com", password=PASSWORD, client="192.0.2.1")
        with self.assertRaises(AuthenticationFailed) as wrong:
            services.log_in(email="alice@example.com", password="nope", client="192.0.2.1")

        self.assertEqual(inactive.exception.detail, wrong.exception.detail)


class LoginAttemptTests(TestCase):
    def counts(self):
        return sorted(RateLimitCounter.objects.values_list("count", flat=True))

    def test_a_failure_counts_against_the_address_and_the_account(self):
        with self.assertRaises(RuntimeError), services.login_attempt(email="a@example.com", client="192.0.2.1"):
            raise RuntimeError("wrong password")

        self.assertEqual(self.counts(), [1, 1])

    def test_a_success_counts_against_neither(self):
        with services.login_attempt(email="a@example.com", client="192.0.2.1"):
            pass

        self.assertEqual(self.counts(), [0, 0])

    def test_a_refused_attempt_counts_against_neither_and_runs_nothing(self):
        for _ in range(10):
            with self.assertRaises(RuntimeError), services.login_attempt(email="a@example.com", client="192.0.2.1"):
                raise RuntimeError("wrong password")
        ran = mock.Mock()

        with self.assertRaises(Throttled), services.login_attempt(email="a@example.com", client="192.0.2.1"):
            ran()

        ran.assert_not_called()
        self.assertEqual(self.counts(), [10, 10])


class RotateRefreshTokenTests(TestCase):
    def test_the_spent_token_is_blacklisted_and_the_new_one_outstanding(self):
        user = services.register_user(email="alice@example.com", password=PASSWORD, name="Alice")
        old = RefreshToken.for_user(user)

        new = RefreshToken(services.rotate_refresh_token(str(old))["refresh"])

        self.assertTrue(BlacklistedToken.objects.filter(token__jti=old["jti"]).exists())
        self.assertTrue(OutstandingToken.objects.filter(jti=new["jti"], user=user).exists())
        self.assertFalse(BlacklistedToken.objects.filter(token__jti=new["jti"]).exists())


class LogOutTests(TestCase):
    def test_blacklists_the_token_also_one_issued_before_the_blacklist_existed(self):
        user = services.register_user(email="alice@example.com", password=PASSWORD, name="Alice")
        token = RefreshToken.for_user(user)
        OutstandingToken.objects.all().delete()  # as for tokens issued before token_blacklist was installed

        services.log_out(str(token))

        self.assertTrue(BlacklistedToken.objects.filter(token__jti=token["jti"]).exists())
