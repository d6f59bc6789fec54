from django.test import TestCase

from tasks import services
from tasks.models import Task
from tests.helpers import make_user


class TaskServiceTests(TestCase):
    def setUp(self):
        self.user = make_user()

    def test_update_changes_only_the_given_fields_and_bumps_updated_at(self):
        task = services.create_task(owner=self.user, title="Draft", description="keep me")
        before = task.updated_at

        services.update_task(task, status=Task.Status.DONE)

        task.refresh_from_db()
        self.assertEqual((task.title, task.description, task.status), ("Draft", "keep me", "done"))
        self.assertGreater(task.updated_at, before)

    def test_updating_a_task_deleted_since_it_was_read_says_it_does_not_exist(self):
        task = services.create_task(owner=self.user, title="Read, then deleted elsewhere")
        Task.objects.filter(pk=task.pk).delete()

        for fields in ({}, {"status": Task.Status.DONE}):
            with self.subTest(fields=fields), self.assertRaises(Task.DoesNotExist):
                services.update_task(task, **fields)

    def test_the_owner_cannot_be_changed_through_an_update(self):
        task = services.create_task(owner=self.user, title="Mine")

        with self.assertRaises(TypeError):
            services.update_task(task, owner=make_user(email="bob@example.com"))

    def test_delete_removes_the_task(self):
        task = services.create_task(owner=self.user, title="Gone soon")

        services.delete_task(task)

        self.assertFalse(Task.objects.filter(pk=task.pk).exists())
