from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "priority", "due_date", "updated_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title", "owner__email"]
    raw_id_fields = ["owner"]
