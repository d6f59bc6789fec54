from django.core import paginator as django_paginator
from rest_framework import pagination

# OFFSET and LIMIT are 64-bit in PostgreSQL and SQLite: a page whose rows would start beyond that is
# left to Django, which counts and answers "no results" instead of the database's out-of-range error.
LARGEST_OFFSET = 2**63 - 1


class Paginator(django_paginator.Paginator):
    """Django's paginator, minus the COUNT(*) query whenever the requested page is the last one.

    It fetches one row more than a page: when that row is not there, the rows before this page plus
    the rows on it are the total, which is what COUNT(*) would have said. Most users' task lists fit on
    one page, so most list requests need one query instead of two. Anything else (a page with rows
    after it, `?page=last`, a page number Django would reject, a page beyond any 64-bit OFFSET) goes
    Django's way, with its errors.
    """

    def page(self, number):
        if self.orphans or "count" in self.__dict__ or not isinstance(number, (int, str)):
            return super().page(number)
        try:
            number = int(number)
        except ValueError:
            return super().page(number)  # PageNotAnInteger, as before
        bottom = (number - 1) * self.per_page
        if number < 1 or bottom + self.per_page + 1 > LARGEST_OFFSET:
            return super().page(number)
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if len(rows) > self.per_page:
            self.validate_number(number)  # counts, as Django does
            return self._get_page(rows[: self.per_page], number, self)
        if not rows and number > 1:
            raise django_paginator.EmptyPage(self.error_messages["no_results"])
        self.count = bottom + len(rows)  # fills Django's cached_property
        return self._get_page(rows, number, self)


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N (20 a page), ?page_size=M up to 100."""

    django_paginator_class = Paginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
