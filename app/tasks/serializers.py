from collections.abc import Mapping
from functools import cached_property

from django.utils import timezone
from rest_framework import serializers

from core.serializers import Serializer

from .models import Task
from .selectors import DEFAULT_ORDERING, ORDERING_FIELDS


class PriorityField(serializers.ChoiceField):
    """Speaks "low" / "medium" / "high"; the model stores 1 / 2 / 3."""

    def __init__(self, **kwargs):
        super().__init__(choices=[p.name.lower() for p in Task.Priority], **kwargs)

    def to_internal_value(self, data):
        return Task.Priority[super().to_internal_value(data).upper()]

    def to_representation(self, value):
        return Task.Priority(value).name.lower()


# A task as the API shows and accepts it (no docstring: it would become the schema's description).
# The fields are what a ModelSerializer of Task would build (tests/tasks/test_serializers.py holds them
# to it), declared because a ModelSerializer rebuilds them from the model for every request.
# Timestamps are shown in TIME_ZONE (UTC, "Z"), the current time zone of every request since nothing
# activates another; naming it saves looking it up twice per task.
class TaskSerializer(Serializer):
    id = serializers.BigIntegerField(label="ID", read_only=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    priority = PriorityField(required=False)
    due_date = serializers.DateField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(read_only=True, default_timezone=timezone.get_default_timezone())
    updated_at = serializers.DateTimeField(read_only=True, default_timezone=timezone.get_default_timezone())

    @cached_property
    def _converters(self):
        return [(field.field_name, field.to_representation) for field in self._readable_fields]

    def to_representation(self, task):
        # What DRF's Serializer.to_representation returns for these fields (each reads the attribute of
        # its own name), without its per-field dispatch: a third of a 20-task list's serialization.
        if isinstance(task, Mapping):  # validated data rather than a Task: DRF's way
            return super().to_representation(task)
        return {
            name: None if (value := getattr(task, name)) is None else convert(value)
            for name, convert in self._converters
        }


class TaskListQuerySerializer(Serializer):
    """The query string of GET /api/v1/tasks/ (tasks.selectors.list_tasks); unknown values are 400s."""

    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    priority = PriorityField(required=False)
    due_after = serializers.DateField(required=False, help_text="Only tasks due on or after this date.")
    due_before = serializers.DateField(required=False, help_text="Only tasks due on or before this date.")
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Only tasks whose title contains this text, ignoring case.",
    )
    ordering = serializers.ChoiceField(
        choices=[prefix + field for field in ORDERING_FIELDS for prefix in ("", "-")],
        required=False,
        default=DEFAULT_ORDERING,
    )

    def validate(self, attrs):
        if attrs.get("due_after") and attrs.get("due_before") and attrs["due_after"] > attrs["due_before"]:
            raise serializers.ValidationError({"due_before": ["Must not be earlier than due_after."]})
        return attrs
