"""Write-side use cases for tasks."""

from .models import Task

EDITABLE_FIELDS = ("title", "description", "status", "priority", "due_date")


def create_task(*, owner, **fields):
    return Task.objects.create(owner=owner, **_editable(fields))


def update_task(task, **fields):
    changes = _editable(fields)
    for name, value in changes.items():
        setattr(task, name, value)
    task.save(update_fields=[*changes, "updated_at"])
    return task


def delete_task(task):
    task.delete()


def _editable(fields):
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    return fields
