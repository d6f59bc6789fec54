from datetime import date
from unittest import skipUnless

from django.db import connection
from django.http import Http404
from django.test import TestCase

from tasks import selectors
from tasks.models import Task
from tests.helpers import make_user


class ListTasksTests(TestCase):
    def test_only_the_owners_tasks_of_the_requested_status(self):
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        mine = Task.objects.create(owner=alice, title="mine", status="done")
        Task.objects.create(owner=alice, title="mine, open")
        Task.objects.create(owner=bob, title="bob's", status="done")

        self.assertEqual(list(selectors.list_tasks(owner=alice, status="done")), [mine])

    def test_every_filter_narrows_the_owners_tasks(self):
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        match = Task.objects.create(owner=alice, title="Pay RENT", priority=3, due_date=date(2026, 12, 1))
        Task.objects.create(owner=alice, title="Pay rent", priority=1, due_date=date(2026, 12, 1))
        Task.objects.create(owner=alice, title="Pay rent", priority=3, due_date=date(2027, 1, 1))
        Task.objects.create(owner=alice, title="Pay rent", priority=3)
        Task.objects.create(owner=alice, title="Walk", priority=3, due_date=date(2026, 12, 1))
        Task.objects.create(owner=bob, title="Pay rent", priority=3, due_date=date(2026, 12, 1))

        found = selectors.list_tasks(
            owner=alice, priority=3, due_after=date(2026, 11, 1), due_before=date(2026, 12, 31), search="rent"
        )

        self.assertEqual(list(found), [match])

    def test_no_filter_means_every_task_of_the_owner(self):
        user = make_user()
        tasks = [Task.objects.create(owner=user, title=f"t{n}") for n in range(3)]

        self.assertEqual(list(selectors.list_tasks(owner=user, search="", priority=None)), tasks[::-1])

    def test_equal_sort_keys_fall_back_to_the_id(self):
        user = make_user()
        tasks = [Task.objects.create(owner=user, title="same") for _ in range(3)]

        self.assertEqual(list(selectors.list_tasks(owner=user, ordering="title")), tasks)
        self.assertEqual(list(selectors.list_tasks(owner=user, ordering="-title")), tasks[::-1])


class ListTasksPlanTests(TestCase):
    @skipUnless(connection.vendor == "postgresql", "PostgreSQL's query plan")
    def test_ordering_by_creation_walks_the_owners_index_instead_of_sorting_every_task(self):
        owner = make_user()
        Task.objects.bulk_create([Task(owner=owner, title=f"task {n}") for n in range(5000)])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tasks_task")
            for ordering in ("-created_at", "created_at"):
                with self.subTest(ordering=ordering):
                    sql, params = selectors.list_tasks(owner=owner, ordering=ordering)[:21].query.sql_with_params()
                    cursor.execute("EXPLAIN " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    self.assertIn("using task_owner_created", plan)


class GetTaskTests(TestCase):
    def test_another_users_task_is_not_found(self):
        task = Task.objects.create(owner=make_user(email="bob@example.com"), title="bob's")

        with self.assertRaises(Http404):
            selectors.get_task(owner=make_user(email="alice@example.com"), task_id=task.id)
