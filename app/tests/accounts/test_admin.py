from django.test import TestCase, override_settings

from accounts.models import User
from tasks.models import Task
from tests.helpers import admin_enabled

# Admin pages link static files; the manifest storage used in production needs collectstatic.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC)
class UserAdminTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enterClassContext(admin_enabled())

    def setUp(self):
        self.admin = User.objects.create_superuser(email="root@example.com", password="s3cret-enough", name="Root")
        self.client.force_login(self.admin)

    def test_lists_and_opens_users_and_tasks(self):
        Task.objects.create(owner=self.admin, title="Water the plants")

        for url in (
            "/admin/accounts/user/",
            f"/admin/accounts/user/{self.admin.pk}/change/",
            "/admin/accounts/user/add/",
            "/admin/tasks/task/",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_an_operator_can_create_a_user_who_can_then_log_in(self):
        response = self.client.post(
            "/admin/accounts/user/add/",
            {
                "email": "New@Example.com",
                "name": "New Person",
                "password1": "Str0ng-enough!",
                "password2": "Str0ng-enough!",
            },
        )

        self.assertEqual(response.status_code, 302)
        created = User.objects.get(email="new@example.com")
        self.assertTrue(created.check_password("Str0ng-enough!"))


class AdminOffByDefaultTests(TestCase):
    def test_without_djangos_admin_enabled_there_is_no_admin(self):
        for url in ("/admin/", "/admin/login/", "/admin/accounts/user/"):
            with self.subTest(url=url):
                response = self.client.get(url, HTTP_HOST="localhost")

                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json()["code"], "not_found")


@override_settings(STORAGES=PLAIN_STATIC)
class AdminLoginLimitTests(TestCase):
    """The admin's login form counts failed logins like the API's login (accounts.services.login_attempt)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enterClassContext(admin_enabled())

    def setUp(self):
        User.objects.create_superuser(email="root@example.com", password="s3cret-enough", name="Root")

    def log_in(self, password, address="198.51.100.7"):
        return self.client.post(
            "/admin/login/",
            {"username": "root@example.com", "password": password, "next": "/admin/"},
            HTTP_X_FORWARDED_FOR=address,
        )

    def test_after_ten_failures_even_the_right_password_is_refused(self):
        failures = [self.log_in("wrong", address=f"192.0.2.{n}").status_code for n in range(10)]

        refused = self.log_in("s3cret-enough")

        self.assertEqual(failures, [200] * 10)  # the form again, with an error
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "Too many failed logins")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_successful_login_is_not_counted(self):
        for _ in range(12):
            self.client.logout()
            self.assertEqual(self.log_in("s3cret-enough").status_code, 302)
