"""The app's serializer base class, and the shapes of the answers that are not any one resource's:
health reports and errors (for the schema)."""

import copy

from rest_framework import serializers


# DRF's Serializer, with each declared field copied shallowly where that is as good as deep.
#
# For every serializer instance (two per task list: the query's and the tasks'), DRF deep-copies the
# declared fields (`Serializer.get_fields`), which rebuilds each one from deep copies of its
# arguments: a fifth of a task list's CPU (BENCHMARKS.md, "Profile"). A field with no fields inside
# it is as independent after a shallow copy that gets a list of validators of its own: `bind()` and
# the lazily built validators set attributes on the copy alone, and nothing changes the rest of what
# it shares with the declaration (its arguments, error messages, choices) after construction. Fields
# holding other fields (a `child`, a nested serializer) point back at the declared parent, so they are
# deep-copied as DRF does.
# (A comment, not a docstring: drf-spectacular would make it every schema component's description.)
class Serializer(serializers.Serializer):
    def get_fields(self):
        return {name: copy_field(field) for name, field in self._declared_fields.items()}


def copy_field(field):
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child"):
        return copy.deepcopy(field)
    copied = copy.copy(field)
    if "_validators" in vars(field):
        copied._validators = list(field._validators)  # appending to a copy's must not reach the others
    return copied


class LivenessSerializer(Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadinessSerializer(Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])


class ErrorSerializer(Serializer):
    """Every error answer (core.exceptions): 400, 401, 404, 405, 413, 415, 429, 503, ..."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text='What went wrong, for programs: "invalid", "token_not_valid", …')
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each invalid input field with its messages; empty unless the input was invalid.",
    )
