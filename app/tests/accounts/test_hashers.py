from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.test import override_settings

from accounts.models import User
from config import settings as project_settings
from tests.helpers import PASSWORD, APITestCase, make_user

LOGIN = "/api/v1/auth/login"


# The test runner hashes with MD5 for speed; these tests use the project's own setting.
@override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS)
class PasswordStorageTests(APITestCase):
    def stored(self, user):
        return User.objects.get(pk=user.pk).password

    def log_in_with(self, password):
        return self.client.post(LOGIN, {"email": "alice@example.com", "password": password}, format="json")

    def test_a_new_password_is_stored_as_argon2id_at_owasps_parameters(self):
        stored = self.stored(make_user())

        self.assertTrue(stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), stored)
        self.assertEqual(self.log_in_with(PASSWORD).status_code, 200)

    def test_a_pbkdf2_password_stored_before_still_logs_in_and_is_upgraded(self):
        user = make_user()
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

        self.assertEqual(self.log_in_with("wrong-password").status_code, 401)
        self.assertEqual(identify_hasher(self.stored(user)).algorithm, "pbkdf2_sha256")  # unchanged
        self.assertEqual(self.log_in_with(PASSWORD).status_code, 200)
        self.assertTrue(self.stored(user).startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"))
        self.assertEqual(self.log_in_with(PASSWORD).status_code, 200)

    def test_an_argon2_hash_with_other_parameters_is_upgraded_at_login(self):
        user = make_user()
        django_argon2 = Argon2PasswordHasher()  # Django's own parameters, same algorithm name
        stored_before = django_argon2.encode(PASSWORD, django_argon2.salt())
        self.assertIn("$m=102400,t=2,p=8$", stored_before)
        User.objects.filter(pk=user.pk).update(password=stored_before)

        self.assertEqual(self.log_in_with(PASSWORD).status_code, 200)
        self.assertTrue(self.stored(user).startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"))
