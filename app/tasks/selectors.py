"""Read-side queries for tasks: always scoped to one owner."""

from django.db.models import F
from django.shortcuts import get_object_or_404

from .models import Task

ORDERING_FIELDS = ("created_at", "updated_at", "due_date", "priority", "title", "status")
DEFAULT_ORDERING = "-created_at"


def list_tasks(
    *, owner, status=None, priority=None, due_after=None, due_before=None, search="", ordering=DEFAULT_ORDERING
):
    """The owner's tasks, filtered, in a stable order.

    Filters (None or "" means no filter): one status, one priority, due dates from `due_after` to
    `due_before` inclusive (a due-date filter leaves out tasks without a due date), and a title
    containing `search`, ignoring case. `ordering` is one of ORDERING_FIELDS, with a leading "-" for
    descending. Tasks without a due date come last either way (SQLite and PostgreSQL disagree on
    where NULLs go by default), and the id breaks ties so pages never overlap.
    """
    tasks = Task.objects.filter(owner=owner)
    if status:
        tasks = tasks.filter(status=status)
    if priority is not None:
        tasks = tasks.filter(priority=priority)
    if due_after is not None:
        tasks = tasks.filter(due_date__gte=due_after)
    if due_before is not None:
        tasks = tasks.filter(due_date__lte=due_before)
    if search:
        tasks = tasks.filter(title__icontains=search)
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    # NULLS LAST only where there can be NULLs: on a NOT NULL column it changes nothing, but PostgreSQL
    # then cannot read an index backwards, and the default order (-created_at) would sort all of the
    # owner's tasks for every page instead of walking task_owner_created (tests/tasks/test_selectors.py).
    nulls_last = Task._meta.get_field(name).null or None  # None: the database's default
    field = F(name)
    primary = field.desc(nulls_last=nulls_last) if descending else field.asc(nulls_last=nulls_last)
    return tasks.order_by(primary, "-id" if descending else "id")


def get_task(*, owner, task_id):
    """The owner's task with this id; someone else's task is as absent as a missing one (404)."""
    return get_object_or_404(Task, owner=owner, pk=task_id)
