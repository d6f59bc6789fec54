"""Shapes of the answers that are not any one resource's: health reports and errors (for the schema)."""

from rest_framework import serializers


class LivenessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])


class ErrorSerializer(serializers.Serializer):
    """Every error answer (core.exceptions): 400, 401, 404, 405, 413, 415, 429, 503, ..."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text='What went wrong, for programs: "invalid", "token_not_valid", …')
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each invalid input field with its messages; empty unless the input was invalid.",
    )
