import time
from unittest import mock

from rest_framework_simplejwt import authentication as simplejwt
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import AccessToken

from accounts import authentication
from accounts.authentication import JWTAuthentication
from accounts.models import User
from tests.helpers import APITestCase, make_user

ME = "/api/v1/auth/me/"


class JWTAuthenticationTests(APITestCase):
    """accounts.authentication.JWTAuthentication reads the user its own way, and decides as simplejwt's."""

    def setUp(self):
        super().setUp()
        self.user = make_user()

    def decisions(self, token):
        """(ours, simplejwt's) for this token: the user's id, or the error's code."""
        outcomes = []
        for authenticator in (JWTAuthentication(), simplejwt.JWTAuthentication()):
            try:
                outcomes.append(authenticator.get_user(authenticator.get_validated_token(str(token).encode())).pk)
            except AuthenticationFailed as exc:
                outcomes.append({key: str(value) for key, value in exc.detail.items()})
        return outcomes

    def test_an_active_user(self):
        ours, theirs = self.decisions(AccessToken.for_user(self.user))

        self.assertEqual(ours, self.user.pk)
        self.assertEqual(ours, theirs)

    def test_a_deactivated_user_is_refused_at_once(self):
        token = AccessToken.for_user(self.user)
        User.objects.filter(pk=self.user.pk).update(is_active=False)

        ours, theirs = self.decisions(token)

        self.assertEqual(ours, {"detail": "User is inactive", "code": "user_inactive"})
        self.assertEqual(ours, theirs)
        self.log_in(self.user)
        self.assertEqual(self.client.get(ME).status_code, 401)

    def test_a_deleted_user_is_refused(self):
        token = AccessToken.for_user(self.user)
        self.user.delete()

        ours, theirs = self.decisions(token)

        self.assertEqual(ours, {"detail": "User not found", "code": "user_not_found"})
        self.assertEqual(ours, theirs)

    def test_with_revocation_on_a_changed_password_is_refused(self):
        # simplejwt's modules share one settings object (override_settings would replace it in one module).
        self.assertIs(simplejwt.api_settings, authentication.api_settings)
        with mock.patch.object(simplejwt.api_settings, "CHECK_REVOKE_TOKEN", True):
            token = AccessToken.for_user(self.user)
            self.assertEqual(self.decisions(token), [self.user.pk, self.user.pk])
            self.user.set_password("AnotherPass456")
            self.user.save()

            ours, theirs = self.decisions(token)

        self.assertEqual(ours, {"detail": "The user's password has been changed.", "code": "password_changed"})
        self.assertEqual(ours, theirs)

    def test_the_user_costs_one_query(self):
        self.log_in(self.user)

        with self.assertNumQueries(1):
            self.assertEqual(self.client.get(ME).json()["id"], self.user.pk)


class AcceptedTokenTests(APITestCase):
    """JWTAuthentication keeps the access tokens it accepted; each is refused as simplejwt would."""

    def setUp(self):
        super().setUp()
        self.user = make_user()
        authentication._accepted_tokens.clear()
        self.addCleanup(authentication._accepted_tokens.clear)

    def get_me(self, raw):
        return self.client.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")

    def test_a_kept_token_is_refused_once_it_expires_as_simplejwt_refuses_it(self):
        token = AccessToken.for_user(self.user)
        token["exp"] = int(time.time()) + 2  # valid for one to two more seconds ("exp" is whole seconds)
        raw = str(token)
        self.assertEqual(self.get_me(raw).status_code, 200)
        self.assertEqual(self.get_me(raw).status_code, 200)
        self.assertIn(raw.encode(), authentication._accepted_tokens)

        time.sleep(token["exp"] - time.time() + 0.05)
        kept = self.get_me(raw)
        self.assertEqual(kept.status_code, 401)
        self.assertNotIn(raw.encode(), authentication._accepted_tokens)
        never_kept = self.get_me(raw)

        self.assertEqual(kept.json()["code"], "token_not_valid")
        self.assertEqual(kept.json(), never_kept.json())

    def test_a_token_altered_after_the_genuine_one_was_kept_is_refused(self):
        raw = str(AccessToken.for_user(self.user))
        self.assertEqual(self.get_me(raw).status_code, 200)
        header, payload, signature = raw.split(".")
        other = AccessToken.for_user(make_user(email="other@example.com"))
        forged = ".".join([header, str(other).split(".")[1], signature])  # someone else's claims, this signature
        flipped = ".".join([header, payload, signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]])

        for altered in (forged, flipped):
            with self.subTest(altered=altered):
                response = self.get_me(altered)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json()["code"], "token_not_valid")
        self.assertEqual(self.get_me(raw).json()["id"], self.user.pk)

    def test_a_kept_token_still_reads_the_user_every_time(self):
        raw = str(AccessToken.for_user(self.user))
        self.assertEqual(self.get_me(raw).status_code, 200)
        User.objects.filter(pk=self.user.pk).update(is_active=False)

        self.assertEqual(self.get_me(raw).json()["code"], "user_inactive")

    def test_the_kept_tokens_are_bounded(self):
        with mock.patch.object(authentication, "ACCEPTED_TOKENS_KEPT", 3):
            for _ in range(7):
                self.assertEqual(self.get_me(str(AccessToken.for_user(self.user))).status_code, 200)
                self.assertLessEqual(len(authentication._accepted_tokens), 3)
