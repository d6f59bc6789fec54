from django.urls import register_converter

from core.urls import IdConverter, slash_optional

from . import views

register_converter(IdConverter, "id")

urlpatterns = [
    *slash_optional("tasks", views.TaskListView.as_view(), name="task-list"),
    *slash_optional("tasks/<id:task_id>", views.TaskDetailView.as_view(), name="task-detail"),
]
