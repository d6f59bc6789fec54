from django.http import Http404
from django.urls import reverse
from rest_framework import generics

from core.pagination import PageNumberPagination

from . import selectors, services
from .models import Task
from .serializers import TaskListQuerySerializer, TaskSerializer


class TaskListView(generics.ListCreateAPIView):
    """The caller's tasks, a page at a time (filter by status, priority, due dates and title, order by a
    field); or create one."""

    serializer_class = TaskSerializer
    query_serializer_class = TaskListQuerySerializer
    pagination_class = PageNumberPagination

    def get_queryset(self):
        if self.request.query_params.keys().isdisjoint(self.query_serializer_class._declared_fields):
            # No filter and the default order, the usual request: what the query serializer returns
            # for it is the selector's defaults (tests/tasks/test_views.py), so skip running it
            # (8 % of the list's instructions, BENCHMARKS.md "Profile").
            return selectors.list_tasks(owner=self.request.user)
        query = self.query_serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.list_tasks(owner=self.request.user, **query.validated_data)

    def perform_create(self, serializer):
        serializer.instance = services.create_task(owner=self.request.user, **serializer.validated_data)

    def get_success_headers(self, data):
        return {"Location": self.request.build_absolute_uri(reverse("task-detail", args=[data["id"]]))}


class TaskDetailView(generics.RetrieveUpdateDestroyAPIView):
    """One of the caller's tasks; anyone else's is a 404, as if it did not exist."""

    serializer_class = TaskSerializer

    def get_object(self):
        return selectors.get_task(owner=self.request.user, task_id=self.kwargs["task_id"])

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_task(serializer.instance, **serializer.validated_data)
        except Task.DoesNotExist:
            raise Http404 from None  # deleted by another request since get_object read it

    def perform_destroy(self, instance):
        services.delete_task(instance)
