from datetime import date, datetime, timedelta, timezone

from rest_framework import serializers

from tasks.models import Task
from tasks.serializers import PriorityField, TaskSerializer
from tests.helpers import APITestCase, make_user


class ModelTaskSerializer(serializers.ModelSerializer):
    """What TaskSerializer was: DRF builds the fields from the model and serializes field by field."""

    priority = PriorityField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "status", "priority", "due_date", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


def field_specs(serializer):
    """Each field's class, arguments and validators, but the timestamps' explicit (default) time zone."""
    return {
        name: (
            type(field),
            {k: v for k, v in field._kwargs.items() if k != "default_timezone"},
            [type(v) for v in field.validators],
        )
        for name, field in serializer.fields.items()
    }


class TaskSerializerTests(APITestCase):
    def test_the_fields_are_what_a_model_serializer_builds(self):
        self.assertEqual(field_specs(TaskSerializer()), field_specs(ModelTaskSerializer()))

    def test_tasks_look_as_drf_shows_them(self):
        user = make_user()
        tasks = [
            Task.objects.create(owner=user, title="plain"),
            Task.objects.create(
                owner=user,
                title="all set",
                description="d" * 300,
                status=Task.Status.DONE,
                priority=Task.Priority.HIGH,
                due_date=date(2026, 12, 31),
            ),
            Task.objects.create(owner=user, title="ünïcødé ✓", status="in_progress", priority=1),
        ]
        # A timestamp given in another zone (and one with no microseconds) is shown in UTC all the same.
        tasks[2].created_at = datetime(2026, 11, 30, 9, 15, tzinfo=timezone(timedelta(hours=9)))
        fetched = list(Task.objects.filter(owner=user).order_by("id"))

        for task in [*tasks, *fetched]:
            with self.subTest(task=task.title):
                self.assertEqual(TaskSerializer(task).data, ModelTaskSerializer(task).data)
        self.assertEqual(TaskSerializer(fetched, many=True).data, ModelTaskSerializer(fetched, many=True).data)
        self.assertTrue(TaskSerializer(tasks[2]).data["created_at"].endswith("Z"))

    def test_validated_input_looks_as_drf_shows_it(self):
        data = {"title": "new", "priority": "low", "due_date": "2026-12-01"}
        ours, drfs = TaskSerializer(data=data), ModelTaskSerializer(data=data)

        self.assertTrue(ours.is_valid() and drfs.is_valid())
        self.assertEqual(ours.data, drfs.data)
        self.assertEqual(ours.validated_data, drfs.validated_data)
