from django.test import TestCase, override_settings

from accounts.models import User
from tasks.models import Task

# Admin pages link static files; the manifest storage used in production needs collectstatic.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC)
class UserAdminTests(TestCase):
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
