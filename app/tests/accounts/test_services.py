from unittest import mock

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.test import TestCase

from accounts import services
from accounts.models import User
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
