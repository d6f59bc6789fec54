import copy
import inspect

from django.test import SimpleTestCase
from rest_framework import serializers

import accounts.serializers
import core.serializers
import tasks.serializers
from core.serializers import ErrorSerializer, Serializer

APP_MODULES = (accounts.serializers, core.serializers, tasks.serializers)


def app_serializers():
    return [
        cls
        for module in APP_MODULES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, serializers.BaseSerializer) and cls.__module__ == module.__name__ and cls is not Serializer
    ]


def comparable(field):
    """A field's state without what differs between any two constructions: the declaration order counter,
    and the identity of its validators (compared by type here, and by what they say in the test below)."""
    state = {key: value for key, value in vars(field).items() if key != "_creation_counter"}
    if "_validators" in state:
        state["_validators"] = [type(v) for v in state["_validators"]]
    return state


class SerializerTests(SimpleTestCase):
    """core.serializers.Serializer: DRF's fields, copied shallowly where that is as good as deep."""

    def test_every_serializer_of_the_app_uses_the_shallow_copy(self):
        classes = app_serializers()
        self.assertGreaterEqual(len(classes), 9)
        for cls in classes:
            with self.subTest(serializer=cls.__name__):
                self.assertTrue(issubclass(cls, Serializer))

    def test_fields_are_what_drfs_deep_copy_builds(self):
        for cls in app_serializers():
            ours = cls().get_fields()
            drfs = copy.deepcopy(cls._declared_fields)
            self.assertEqual(list(ours), list(drfs))
            for name in ours:
                with self.subTest(serializer=cls.__name__, field=name):
                    self.assertIs(type(ours[name]), type(drfs[name]))
                    self.assertEqual(repr(ours[name]), repr(drfs[name]))
                    if not hasattr(drfs[name], "child"):  # those are deep copies, as DRF's (test below)
                        self.assertEqual(comparable(ours[name]), comparable(drfs[name]))

    def test_instances_share_no_field(self):
        first, second = tasks.serializers.TaskSerializer(), tasks.serializers.TaskSerializer()
        declared = tasks.serializers.TaskSerializer._declared_fields["title"]
        self.assertIsNot(first.fields["title"], second.fields["title"])
        self.assertIsNot(first.fields["title"], declared)
        self.assertIs(first.fields["title"].parent, first)
        self.assertIs(second.fields["title"].parent, second)
        first.fields["title"].label = "changed"
        self.assertEqual(second.fields["title"].label, "Title")
        self.assertIsNone(declared.parent)  # the declaration is never bound
        validators = [type(v) for v in declared.validators]
        first.fields["title"].validators.append(lambda value: None)
        self.assertEqual([type(v) for v in second.fields["title"].validators], validators)
        self.assertEqual([type(v) for v in declared.validators], validators)

    def test_validators_say_what_drfs_say(self):
        for cls in app_serializers():
            ours, drfs = cls().get_fields(), copy.deepcopy(cls._declared_fields)
            for name, field in ours.items():
                for value in ("", "x" * 10_001, "a\x00b", "ok@example.com"):
                    with self.subTest(serializer=cls.__name__, field=name, value=value[:10]):
                        self.assertEqual(self.errors(field, value), self.errors(drfs[name], value))

    @staticmethod
    def errors(field, value):
        try:
            field.run_validators(value)
        except serializers.ValidationError as exc:
            return exc.detail
        return None

    def test_validation_is_independent_per_instance(self):
        bad = tasks.serializers.TaskSerializer(data={"title": "x" * 201, "priority": "urgent"})
        good = tasks.serializers.TaskSerializer(data={"title": "fine", "priority": "high"})
        self.assertFalse(bad.is_valid())
        self.assertTrue(good.is_valid(), good.errors)
        self.assertEqual(set(bad.errors), {"title", "priority"})

    def test_fields_that_hold_fields_are_deep_copied(self):
        serializer = ErrorSerializer()
        field = serializer.get_fields()["fields"]
        declared = ErrorSerializer._declared_fields["fields"]
        self.assertIsNot(field.child, declared.child)
        self.assertIs(field.child.parent, field)
