"""Shapes of the answers that are not any one resource's: health reports and errors (for the schema)."""

from rest_framework import serializers


class LivenessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])


class ErrorSerializer(serializers.Serializer):
    """What every error but a validation error looks like (401, 404, 405, 413, 415, 429, 503, ...)."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: messages per input field (`non_field_errors` for the input as a whole), or `detail` for
    input that is not valid JSON. Its schema is written out in core.schema (the field names vary)."""
