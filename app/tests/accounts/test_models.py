from django.contrib.auth import authenticate
from django.test import TestCase

from accounts.models import User


class UserManagerTests(TestCase):
    def test_email_is_the_login_in_any_letter_case(self):
        User.objects.create_user(email="Alice@Example.com", password="s3cret-enough", name="Alice")

        self.assertIsNotNone(authenticate(email="ALICE@example.COM", password="s3cret-enough"))
        self.assertIsNone(authenticate(email="alice@example.com", password="wrong"))

    def test_a_superuser_can_use_the_admin(self):
        admin = User.objects.create_superuser(email="root@example.com", password="s3cret-enough", name="Root")

        self.assertTrue(admin.is_staff)
        self.assertTrue(admin.is_superuser)
        self.assertEqual(str(admin), "root@example.com")
