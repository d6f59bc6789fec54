"""Write-side use cases for tasks."""

from django.utils import timezone

from .models import Task

EDITABLE_FIELDS = ("title", "description", "status", "priority", "due_date")


def create_task(*, owner, **fields):
    return Task.objects.create(owner=owner, **_editable(fields))


def update_task(task, **fields):
    """Applies the changes to the task and its row; Task.DoesNotExist if the row is gone (a DELETE
    since the task was read: save(update_fields=...) would raise a DatabaseError, a 500)."""
    changes = _editable(fields)
    for name, value in changes.items():
        setattr(task, name, value)
    task.updated_at = timezone.now()  # what auto_now does in save(); an UPDATE query skips it
    if not Task.objects.filter(pk=task.pk).update(**changes, updated_at=task.updated_at):
        raise Task.DoesNotExist(f"task {task.pk} was deleted while it was being updated")
    return task


def delete_task(task):
    task.delete()


def _editable(fields):
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    return fields
