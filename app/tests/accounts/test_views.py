from accounts.models import User
from tests.helpers import PASSWORD, APITestCase, make_user

# The deployment guide's smoke test, byte for byte.
SEED_REGISTER_PAYLOAD = '{"email":"test@example.com","password":"TestPass123","name":"Test User"}'

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
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
        make_user(email="alice@example.com")
        self.tokens = self.client.post(
            LOGIN, {"email": "alice@example.com", "password": PASSWORD}, format="json"
        ).json()

    def test_a_refresh_token_gives_a_working_access_token(self):
        response = self.client.post(REFRESH, {"refresh": self.tokens["refresh"]}, format="json")

        self.assertEqual(response.status_code, 200)
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
        self.assertEqual(self.client.get(ME).status_code, 200)

    def test_an_access_token_is_not_a_refresh_token(self):
        response = self.client.post(REFRESH, {"refresh": self.tokens["access"]}, format="json")

        self.assertEqual(response.status_code, 401)

    def test_a_tampered_refresh_token_is_refused(self):
        response = self.client.post(REFRESH, {"refresh": self.tokens["refresh"][:-2] + "xx"}, format="json")

        self.assertEqual(response.status_code, 401)


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

    def test_a_garbage_token_is_a_401(self):
        self.client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

        self.assertEqual(self.client.get(ME).status_code, 401)


class AuthThrottlingTests(APITestCase):
    """10 login/registration requests a minute per client; the client is the last X-Forwarded-For
    entry (the address the ALB saw), not the ALB itself."""

    def attempt(self, **extra):
        return self.client.post(LOGIN, {"email": "alice@example.com", "password": "guess"}, format="json", **extra)

    def test_the_eleventh_attempt_in_a_minute_is_refused_with_retry_after(self):
        statuses = [self.attempt().status_code for _ in range(10)]

        response = self.attempt()

        self.assertEqual(statuses, [401] * 10)
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response["Retry-After"]), 0)

    def test_registration_and_login_share_one_budget(self):
        for _ in range(10):
            self.client.post(REGISTER, {}, format="json")

        self.assertEqual(self.attempt().status_code, 429)
        self.assertEqual(
            self.client.post(REGISTER, SEED_REGISTER_PAYLOAD, content_type="application/json").status_code, 429
        )

    def test_refreshing_has_its_own_looser_limit(self):
        for _ in range(10):
            self.attempt()
        statuses = [self.client.post(REFRESH, {"refresh": "x"}, format="json").status_code for _ in range(61)]

        self.assertEqual(statuses[:60], [401] * 60)
        self.assertEqual(statuses[60], 429)

    def test_clients_behind_the_load_balancer_are_counted_separately(self):
        for _ in range(10):
            self.attempt(HTTP_X_FORWARDED_FOR="198.51.100.7")

        self.assertEqual(self.attempt(HTTP_X_FORWARDED_FOR="198.51.100.7").status_code, 429)
        self.assertEqual(self.attempt(HTTP_X_FORWARDED_FOR="203.0.113.9").status_code, 401)

    def test_a_client_cannot_dodge_the_limit_by_inventing_forwarded_addresses(self):
        # The ALB appends the real client address; whatever the client wrote comes before it.
        for n in range(10):
            self.attempt(HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7")

        self.assertEqual(self.attempt(HTTP_X_FORWARDED_FOR="10.9.9.99, 198.51.100.7").status_code, 429)

    def test_the_task_api_is_not_throttled(self):
        self.log_in(make_user())
        for _ in range(15):
            self.assertEqual(self.client.get("/api/v1/tasks/").status_code, 200)
