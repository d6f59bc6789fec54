from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N (20 a page), ?page_size=M up to 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
