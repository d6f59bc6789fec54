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
