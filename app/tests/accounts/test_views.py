import re
import time
from unittest import mock

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.helpers import PASSWORD, APITestCase, make_user

# The deployment guide's smoke test, byte for byte.
SEED_REGISTER_PAYLOAD = '{"email":"test@example.com","password":"TestPass123","name":"Test User"}'

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


class RegisterTests(APITestCase):
    def register(self, payload):
        return self.client.post(REGISTER, payload, format="json")

    def test_the_seed_payload_creates_an_account(self):
        response = self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json")

        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(set(body), {"id", "email", "name"})
        self.assertEqual(body["email"], "test@example.com")
        self.assertEqual(body["name"], "Test User")
        self.assertNotIn("TestPass123", response.content.decode())
        user = User.objects.get(pk=body["id"])
        self.assertTrue(user.check_password("TestPass123"))
        self.assertNotEqual(user.password, "TestPass123")

    def test_the_new_account_can_log_in(self):
        self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json")

        response = self.client.post(LOGIN, {"email": "test@example.com", "password": "TestPass123"}, format="json")

        self.assertEqual(response.status_code, 200)

    def test_the_answer_says_where_the_new_account_is(self):
        response = self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json")

        self.assertEqual(response["Location"], "http://testserver/api/v1/auth/me/")

    def test_a_trailing_slash_works_too(self):
        response = self.client.post(REGISTER + "/", SEED_REGISTER_PAYLOAD, content_type="application/json")

        self.assertEqual(response.status_code, 201)

    def test_a_second_account_for_the_same_address_is_refused(self):
        make_user(email="test@example.com")

        response = self.register({"email": "Test@Example.COM", "password": "An0ther-Passw0rd", "name": "Someone"})

        self.assertEqual(response.status_code, 400)
        self.assertIn("already exists", response.json()["fields"]["email"][0])
        self.assertEqual(User.objects.count(), 1)

    def test_an_invalid_email_is_refused(self):
        response = self.register({"email": "not-an-email", "password": PASSWORD, "name": "Test User"})

        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()["fields"]), ["email"])

    def test_weak_passwords_are_refused_with_the_reason(self):
        cases = {
            "Ab1": "too short",
            "password123": "too common",
            "8736450192": "entirely numeric",
            "testuser1": "too similar",
        }
        for password, reason in cases.items():
            with self.subTest(password=password):
                response = self.register({"email": "testuser1@example.com", "password": password, "name": "Test User"})

                self.assertEqual(response.status_code, 400)
                self.assertIn(reason, " ".join(response.json()["fields"]["password"]))
        self.assertFalse(User.objects.exists())

    def test_each_missing_field_is_named(self):
        response = self.register({})

        self.assertEqual(response.status_code, 400)
        fields = response.json()["fields"]
        for field in ("email", "password", "name"):
            self.assertEqual(fields[field], ["This field is required."])

    def test_a_blank_name_is_refused(self):
        response = self.register({"email": "test@example.com", "password": PASSWORD, "name": "   "})

        self.assertEqual(response.status_code, 400)
        self.assertIn("name", response.json()["fields"])

    def test_a_json_array_instead_of_an_object_is_a_400(self):
        response = self.client.post(REGISTER, "[]", content_type="application/json")

        self.assertEqual(response.status_code, 400)

    def test_an_auth_header_is_ignored_when_registering(self):
        self.client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

        response = self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json")

        self.assertEqual(response.status_code, 201)


class LoginTests(APITestCase):
    def setUp(self):
        super().setUp()
        self.user = make_user(email="alice@example.com")

    def test_email_and_password_give_an_access_and_a_refresh_token(self):
        response = self.client.post(LOGIN, {"email": "alice@example.com", "password": PASSWORD}, format="json")

        self.assertEqual(response.status_code, 200)
        tokens = response.json()
        self.assertEqual(set(tokens), {"access", "refresh"})
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        self.assertEqual(self.client.get(ME).json()["email"], "alice@example.com")

    def test_the_email_is_not_case_sensitive(self):
        response = self.client.post(LOGIN, {"email": "  Alice@EXAMPLE.com", "password": PASSWORD}, format="json")

        self.assertEqual(response.status_code, 200)

    def test_a_wrong_password_is_a_401_without_tokens(self):
        response = self.client.post(LOGIN, {"email": "alice@example.com", "password": "wrong-password"}, format="json")

        self.assertEqual(response.status_code, 401)
        self.assertNotIn("access", response.json())

    def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(self):
        wrong_password = self.client.post(LOGIN, {"email": "alice@example.com", "password": "nope-nope"}, format="json")
        unknown_email = self.client.post(LOGIN, {"email": "bob@example.com", "password": "nope-nope"}, format="json")

        self.assertEqual(unknown_email.status_code, 401)
        self.assertEqual(unknown_email.json(), wrong_password.json())

    def test_a_deactivated_account_cannot_log_in(self):
        self.user.is_active = False
        self.user.save()

        response = self.client.post(LOGIN, {"email": "alice@example.com", "password": PASSWORD}, format="json")

        self.assertEqual(response.status_code, 401)

    def test_missing_credentials_are_a_400_per_field(self):
        response = self.client.post(LOGIN, {}, format="json")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()["fields"]), {"email", "password"})


class RefreshTests(APITestCase):
    def setUp(self):
        super().setUp()
        self.user = make_user(email="alice@example.com")
        self.tokens = self.client.post(
            LOGIN, {"email": "alice@example.com", "password": PASSWORD}, format="json"
        ).json()

    def refresh(self, token):
        return self.client.post(REFRESH, {"refresh": token}, format="json")

    def test_a_refresh_token_gives_a_working_access_token_and_a_new_refresh_token(self):
        response = self.refresh(self.tokens["refresh"])

        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.json()), {"access", "refresh"})
        self.assertNotEqual(response.json()["refresh"], self.tokens["refresh"])
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
        self.assertEqual(self.client.get(ME).status_code, 200)

    def test_a_refresh_token_works_once(self):
        self.assertEqual(self.refresh(self.tokens["refresh"]).status_code, 200)

        again = self.refresh(self.tokens["refresh"])

        self.assertEqual(again.status_code, 401)
        self.assertEqual(again.json()["code"], "token_not_valid")

    def test_the_new_refresh_token_carries_the_session_on(self):
        token = self.tokens["refresh"]
        for _ in range(3):
            response = self.refresh(token)
            self.assertEqual(response.status_code, 200)
            token = response.json()["refresh"]

    def test_a_token_spent_by_a_concurrent_request_is_refused(self):
        # Two requests with one token: both pass the blacklist check before either blacklists it.
        # The one that blacklists second must fail, as if it had come later.
        token = self.tokens["refresh"]
        with mock.patch.object(RefreshToken, "check_blacklist"):
            first = self.refresh(token)
            second = self.refresh(token)

        self.assertEqual(first.status_code, 200)
        self.assertEqual(second.status_code, 401)

    def test_a_deactivated_account_cannot_refresh(self):
        self.user.is_active = False
        self.user.save()

        response = self.refresh(self.tokens["refresh"])

        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["code"], "no_active_account")

    def test_a_deleted_account_cannot_refresh(self):
        self.user.delete()

        response = self.refresh(self.tokens["refresh"])

        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["code"], "no_active_account")

    def test_an_access_token_is_not_a_refresh_token(self):
        response = self.refresh(self.tokens["access"])

        self.assertEqual(response.status_code, 401)

    def test_a_tampered_refresh_token_is_refused(self):
        response = self.refresh(self.tokens["refresh"][:-2] + "xx")

        self.assertEqual(response.status_code, 401)
        self.assertTrue(response["WWW-Authenticate"].startswith("Bearer"))


class LogoutTests(APITestCase):
    def setUp(self):
        super().setUp()
        make_user(email="alice@example.com")
        self.tokens = self.log_in_through_the_api()

    def log_in_through_the_api(self):
        return self.client.post(LOGIN, {"email": "alice@example.com", "password": PASSWORD}, format="json").json()

    def log_out(self, token):
        return self.client.post(LOGOUT, {"refresh": token}, format="json")

    def test_logging_out_revokes_the_refresh_token(self):
        response = self.log_out(self.tokens["refresh"])

        self.assertEqual(response.status_code, 204)
        self.assertEqual(response.content, b"")
        refused = self.client.post(REFRESH, {"refresh": self.tokens["refresh"]}, format="json")
        self.assertEqual((refused.status_code, refused.json()["code"]), (401, "token_not_valid"))

    def test_logging_out_again_is_not_an_error(self):
        self.log_out(self.tokens["refresh"])

        self.assertEqual(self.log_out(self.tokens["refresh"]).status_code, 204)

    def test_other_sessions_stay_logged_in(self):
        other = self.log_in_through_the_api()

        self.log_out(self.tokens["refresh"])

        self.assertEqual(self.client.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code, 200)

    def test_a_token_that_is_not_a_refresh_token_is_a_401(self):
        for token in (self.tokens["access"], "garbage", self.tokens["refresh"][:-2] + "xx"):
            with self.subTest(token=token[:20]):
                response = self.log_out(token)
                self.assertEqual((response.status_code, response.json()["code"]), (401, "token_not_valid"))

    def test_no_token_is_a_400_naming_the_field(self):
        response = self.client.post(LOGOUT, {}, format="json")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()["fields"]), ["refresh"])


class MeTests(APITestCase):
    def test_shows_the_logged_in_user(self):
        user = make_user(email="alice@example.com", name="Alice Example")
        self.log_in(user)

        response = self.client.get(ME)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"id": user.id, "email": "alice@example.com", "name": "Alice Example"})

    def test_without_a_token_is_a_401_that_asks_for_a_bearer_token(self):
        response = self.client.get(ME)

        self.assertEqual(response.status_code, 401)
        self.assertTrue(response["WWW-Authenticate"].startswith("Bearer"))

    def test_the_access_token_of_a_deactivated_account_is_a_401(self):
        user = make_user()
        self.log_in(user)
        user.is_active = False
        user.save()

        self.assertEqual(self.client.get(ME).status_code, 401)

    def test_a_garbage_token_is_a_401(self):
        self.client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

        self.assertEqual(self.client.get(ME).status_code, 401)


class RegistrationLimitTests(APITestCase):
    """10 registrations a minute per client address, every request counted."""

    def test_the_eleventh_registration_in_a_minute_is_refused_with_retry_after(self):
        statuses = [self.client.post(REGISTER, {}, format="json").status_code for _ in range(10)]

        response = self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json")

        self.assertEqual(statuses, [400] * 10)
        self.assertEqual((response.status_code, response.json()["code"]), (429, "throttled"))
        self.assertGreater(int(response["Retry-After"]), 0)

    def test_registering_does_not_use_up_the_login_limit(self):
        for _ in range(10):
            self.client.post(REGISTER, {}, format="json")

        response = self.client.post(LOGIN, {"email": "alice@example.com", "password": "guess"}, format="json")

        self.assertEqual(response.status_code, 401)


class LoginLimitTests(APITestCase):
    """Failed logins: 10 a minute per client address (the last X-Forwarded-For entry, which the ALB
    appends), 10 per 15 minutes per account; successful logins count against neither."""

    def setUp(self):
        super().setUp()
        self.alice = make_user(email="alice@example.com")

    def attempt(self, email="alice@example.com", password="wrong-guess", address="198.51.100.7"):
        return self.client.post(
            LOGIN, {"email": email, "password": password}, format="json", HTTP_X_FORWARDED_FOR=address
        )

    def test_one_address_gets_ten_failures_a_minute_whatever_the_accounts(self):
        statuses = [self.attempt(email=f"user{n}@example.com").status_code for n in range(10)]

        refused = self.attempt(email="someone-else@example.com")

        self.assertEqual(statuses, [401] * 10)
        self.assertEqual((refused.status_code, refused.json()["code"]), (429, "throttled"))
        self.assertGreater(int(refused["Retry-After"]), 0)
        self.assertEqual(self.attempt(email="someone-else@example.com", address="203.0.113.9").status_code, 401)

    def test_successful_logins_do_not_count(self):
        successes = [self.attempt(password=PASSWORD).status_code for _ in range(15)]
        failures = [self.attempt(email=f"user{n}@example.com").status_code for n in range(10)]

        self.assertEqual(successes, [200] * 15)
        self.assertEqual(failures, [401] * 10)
        self.assertEqual(self.attempt(email="user10@example.com").status_code, 429)

    def test_one_account_gets_ten_failures_whatever_the_addresses_then_not_even_the_right_password(self):
        statuses = [
            self.attempt(email="Alice@Example.com" if n % 2 else "alice@example.com", address=f"192.0.2.{n}")
            for n in range(10)
        ]

        right_password = self.attempt(password=PASSWORD, address="192.0.2.200")

        self.assertEqual([r.status_code for r in statuses], [401] * 10)
        self.assertEqual(right_password.status_code, 429)
        self.assertNotIn("access", right_password.json())
        self.assertEqual(self.attempt(email="bob@example.com", address="192.0.2.200").status_code, 401)

    def test_an_account_that_does_not_exist_is_limited_alike(self):
        def tenth_and_eleventh(email):
            for n in range(9):
                self.attempt(email=email, address=f"192.0.2.{n}")
            return self.attempt(email=email, address="192.0.2.100"), self.attempt(email=email, address="192.0.2.101")

        real = tenth_and_eleventh("alice@example.com")
        unknown = tenth_and_eleventh("nobody@example.com")

        def shape(response):
            return response.status_code, re.sub(r"\d+", "N", response.content.decode())

        self.assertEqual([shape(r) for r in real], [shape(r) for r in unknown])
        self.assertEqual([r.status_code for r in unknown], [401, 429])

    def test_attempts_refused_by_one_limit_do_not_count_against_the_other(self):
        # An address over its limit cannot lock anyone out: its refused attempts never tried a password.
        for n in range(10):
            self.attempt(email=f"user{n}@example.com", address="198.51.100.66")
        refused = [self.attempt(address="198.51.100.66").status_code for _ in range(5)]

        statuses = [self.attempt(address=f"192.0.2.{n}").status_code for n in range(10)]

        self.assertEqual(refused, [429] * 5)
        self.assertEqual(statuses, [401] * 10)

    def test_the_limits_end_with_their_window(self):
        for n in range(10):
            self.attempt(address=f"192.0.2.{n}")
        self.assertEqual(self.attempt(password=PASSWORD).status_code, 429)

        with mock.patch("core.ratelimit.time.time", return_value=time.time() + 15 * 60 + 1):
            self.assertEqual(self.attempt(password=PASSWORD).status_code, 200)

    def test_a_client_cannot_dodge_the_limit_by_inventing_forwarded_addresses(self):
        # The ALB appends the real client address; whatever the client wrote comes before it.
        for n in range(10):
            self.attempt(email=f"user{n}@example.com", address=f"10.9.9.{n}, 198.51.100.7")

        self.assertEqual(self.attempt(email="x@example.com", address="10.9.9.99, 198.51.100.7").status_code, 429)


class TokenLimitTests(APITestCase):
    def test_refresh_and_logout_share_a_looser_limit_of_their_own(self):
        for n in range(10):
            self.client.post(LOGIN, {"email": f"user{n}@example.com", "password": "guess"}, format="json")
        statuses = [self.client.post(REFRESH, {"refresh": "x"}, format="json").status_code for _ in range(30)]
        statuses += [self.client.post(LOGOUT, {"refresh": "x"}, format="json").status_code for _ in range(31)]

        self.assertEqual(statuses[:60], [401] * 60)
        self.assertEqual(statuses[60], 429)

    def test_the_task_api_is_not_throttled(self):
        self.log_in(make_user())
        for _ in range(15):
            self.assertEqual(self.client.get("/api/v1/tasks/").status_code, 200)
