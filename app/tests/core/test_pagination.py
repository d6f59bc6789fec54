from django.core import paginator as django_paginator
from django.test import TestCase

from core.pagination import Paginator
from tasks.models import Task
from tests.helpers import make_user


class PaginatorTests(TestCase):
    """core.pagination.Paginator answers exactly as Django's, with one query fewer on a last page."""

    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()
        Task.objects.bulk_create(Task(owner=cls.user, title=f"task {n:02}") for n in range(41))

    def tasks(self, total):
        ids = Task.objects.filter(owner=self.user).order_by("id").values_list("id", flat=True)[:total]
        return Task.objects.filter(id__in=list(ids)).order_by("id")

    def outcome(self, paginator_class, total, per_page, number):
        paginator = paginator_class(self.tasks(total), per_page)
        try:
            page = paginator.page(number)
        except django_paginator.InvalidPage as exc:
            return type(exc).__name__, str(exc)
        return (
            page.number,
            [task.title for task in page],
            paginator.count,
            paginator.num_pages,
            page.has_next(),
            page.has_previous(),
        )

    def test_every_page_and_error_is_djangos(self):
        numbers = [1, 2, 3, 5, "1", "2", "3", "0", "-1", "abc", "1.0", "", " 2", None, 2.0, 2.5]
        # Pages whose first row lies beyond a 64-bit OFFSET (schemathesis found ?page=113324205241163616
        # answered 500: PostgreSQL's "bigint out of range").
        numbers += [2**62, 113324205241163616, str(2**63 - 1), 2**63, "99999999999999999999999"]
        for total in (0, 1, 19, 20, 21, 40, 41):
            for per_page in (1, 2, 20):
                for number in numbers:
                    with self.subTest(total=total, per_page=per_page, number=number):
                        self.assertEqual(
                            self.outcome(Paginator, total, per_page, number),
                            self.outcome(django_paginator.Paginator, total, per_page, number),
                        )

    def test_the_last_page_costs_one_query_and_others_two(self):
        cases = [(41, 3, 1, False, 1), (20, 1, 20, False, 1), (41, 2, 20, True, 2)]  # total, page, rows, next, queries
        for total, number, rows, more, queries in cases:
            tasks = self.tasks(total)
            with self.subTest(total=total, page=number), self.assertNumQueries(queries):
                page = Paginator(tasks, 20).page(number)
                self.assertEqual((len(page), page.paginator.count, page.has_next()), (rows, total, more))
