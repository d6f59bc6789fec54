from rest_framework import serializers

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


class TaskSerializer(serializers.ModelSerializer):
    priority = PriorityField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "status", "priority", "due_date", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class TaskListQuerySerializer(serializers.Serializer):
    """The query string of GET /api/v1/tasks/: ?status=…&ordering=…; unknown values are 400s."""

    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    ordering = serializers.ChoiceField(
        choices=[prefix + field for field in ORDERING_FIELDS for prefix in ("", "-")],
        required=False,
        default=DEFAULT_ORDERING,
    )
